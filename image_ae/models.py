"""Image networks: the lesson's reference models and our defaults.

All map (B, 1, h, w) inputs to (B, 1, 28, 28) outputs (logits or values); VAE encoders
return the core's DiagonalGaussian. Registries map config names to builders.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from musicae.autoencoding import DiagonalGaussian
from musicae.autoencoding.config import Registry

NETWORKS = Registry("image network")


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.SiLU())


@NETWORKS.register("lesson_conv_ae")
class LessonConvAE(nn.Module):
    """The lesson's Keras conv autoencoder: 16-8-8 channels, 28 -> 4x4x8 -> 28. Outputs logits."""

    def __init__(self, in_scale: int = 1, **_):
        super().__init__()
        self.in_scale = in_scale
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 7
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 7 -> 4
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 4 -> 8
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 8 -> 16
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),  # 16 -> 14 -> 28
            nn.Conv2d(16, 1, 3, padding=1),
        )

    def forward(self, x):
        if self.in_scale > 1:  # the lesson's super-resolution feeds the upscaled small image
            x = F.interpolate(x, scale_factor=self.in_scale, mode="nearest")
        return self.decoder(self.encoder(x))


@NETWORKS.register("conv_ae")
class ConvAE(nn.Module):
    """Our conv autoencoder: 32-64 channels with batch norm, 28 -> 7x7 -> 28.

    With `latent_dim` the 7x7 map is squeezed through a dense bottleneck of that size
    (the `ae` task); without, the 7x7x`latent_channels` map is the code.
    """

    def __init__(self, channels: int = 32, latent_channels: int = 32, latent_dim: int = 0, **_):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            conv_block(1, c), conv_block(c, c), nn.MaxPool2d(2),  # 28 -> 14
            conv_block(c, 2 * c), conv_block(2 * c, 2 * c), nn.MaxPool2d(2),  # 14 -> 7
            nn.Conv2d(2 * c, latent_channels, 3, padding=1),
        )
        flat = latent_channels * 7 * 7
        self.bottleneck = (
            nn.Sequential(nn.Flatten(), nn.Linear(flat, latent_dim), nn.Linear(latent_dim, flat), nn.SiLU())
            if latent_dim
            else nn.Identity()
        )
        self.latent_channels = latent_channels
        self.decoder = nn.Sequential(
            conv_block(latent_channels, 2 * c), nn.Upsample(scale_factor=2, mode="nearest"),  # 7 -> 14
            conv_block(2 * c, c), nn.Upsample(scale_factor=2, mode="nearest"),  # 14 -> 28
            conv_block(c, c), nn.Conv2d(c, 1, 3, padding=1),
        )

    def forward(self, x):  # (B, 1, 28, 28) -> logits (B, 1, 28, 28)
        code = self.bottleneck(self.encoder(x))
        return self.decoder(code.view(x.shape[0], self.latent_channels, 7, 7))


@NETWORKS.register("unet")
class SmallUNet(nn.Module):
    """A two-level U-Net: the encoder's full-resolution features skip to the decoder.

    Restoration (denoising) keeps the image's detail through the skips and spends its
    capacity on telling strokes from noise."""

    def __init__(self, channels: int = 32, **_):
        super().__init__()
        c = channels
        self.down1 = nn.Sequential(conv_block(1, c), conv_block(c, c))  # 28
        self.down2 = nn.Sequential(nn.MaxPool2d(2), conv_block(c, 2 * c), conv_block(2 * c, 2 * c))  # 14
        self.bottom = nn.Sequential(nn.MaxPool2d(2), conv_block(2 * c, 4 * c), conv_block(4 * c, 4 * c))  # 7
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)  # 7 -> 14
        self.dec2 = nn.Sequential(conv_block(4 * c, 2 * c), conv_block(2 * c, 2 * c))
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)  # 14 -> 28
        self.dec1 = nn.Sequential(conv_block(2 * c, c), conv_block(c, c))
        self.out = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        d1 = self.down1(x)  # (B, c, 28, 28)
        d2 = self.down2(d1)  # (B, 2c, 14, 14)
        b = self.bottom(d2)  # (B, 4c, 7, 7)
        u2 = self.dec2(torch.cat([self.up2(b), d2], 1))
        u1 = self.dec1(torch.cat([self.up1(u2), d1], 1))
        return self.out(u1)


@NETWORKS.register("sr_resnet")
class SuperResolutionNet(nn.Module):
    """ESPCN-style: convolutions at the input's low resolution (cheap), a pixel shuffle up to full
    size, added to bicubic upscaling, so the network only supplies the missing detail.
    Outputs values (not logits)."""

    def __init__(self, in_scale: int = 2, channels: int = 64, depth: int = 6, **_):
        super().__init__()
        self.scale = in_scale
        layers = [nn.Conv2d(1, channels, 3, padding=1), nn.SiLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.SiLU()]
        layers += [nn.Conv2d(channels, in_scale * in_scale, 3, padding=1), nn.PixelShuffle(in_scale)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):  # (B, 1, 28/s, 28/s) -> (B, 1, 28, 28)
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return up + self.body(x)


# ----------------------------------------------------------------------------- VAEs
VAE_NETWORKS = Registry("VAE network")


@VAE_NETWORKS.register("lesson_dense_vae")
class LessonDenseVAE(nn.Module):
    """The lesson's VAE: 784 -> 512 -> (mean, scale) of a 2-D latent -> 512 -> 784."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512, **_):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def encode(self, x) -> DiagonalGaussian:
        mean, raw = self.encoder(x).chunk(2, dim=-1)
        return DiagonalGaussian(mean, raw)

    def decode(self, z):  # (B, K) -> logits (B, 1, 28, 28)
        return self.decoder(z).view(-1, 1, 28, 28)


@VAE_NETWORKS.register("conv_vae")
class ConvVAE(nn.Module):
    """A convolutional VAE (the lesson's assignment): strided convs to 7x7, dense to the latent, and back."""

    def __init__(self, latent_dim: int = 16, channels: int = 32, **_):
        super().__init__()
        c = channels
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, stride=2, padding=1), nn.SiLU(),  # 28 -> 14
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.SiLU(),  # 14 -> 7
            nn.Flatten(), nn.Linear(2 * c * 49, 256), nn.SiLU(), nn.Linear(256, 2 * latent_dim),
        )
        self.decoder_in = nn.Sequential(nn.Linear(latent_dim, 256), nn.SiLU(), nn.Linear(256, 2 * c * 49), nn.SiLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.SiLU(),  # 7 -> 14
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),  # 14 -> 28
        )
        self.channels = c

    def encode(self, x) -> DiagonalGaussian:
        mean, raw = self.encoder(x).chunk(2, dim=-1)
        return DiagonalGaussian(mean, raw)

    def decode(self, z):
        return self.decoder(self.decoder_in(z).view(-1, 2 * self.channels, 7, 7))
