"""The sequence VAE (encoders, decoders, output heads), its configs, training, evaluation, the melody LM."""
