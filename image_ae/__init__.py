"""image_ae: the lesson's MNIST autoencoder experiments (denoising, super-resolution, VAEs) on musicae's shared core."""
