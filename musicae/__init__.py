"""musicae: autoencoders and VAEs in PyTorch, for melodies (MusicVAE-style) and images."""

__version__ = "0.1.0"
