"""Download MNIST: the official files with checksums, several mirrors, resumable, verified."""

from __future__ import annotations

from pathlib import Path

from musicae.autoencoding.fetch import DownloadError, Resource, md5sum  # noqa: F401 (the downloader's names)
from musicae.autoencoding.fetch import download as fetch

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
RESOURCES = (
    Resource("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
    Resource("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
    Resource("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
    Resource("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
)


def download(data_dir: Path, resources=RESOURCES, mirrors=MIRRORS, timeout: float = 30.0, progress: bool = True) -> list[Path]:
    """Fetch every MNIST file into data_dir, verified by md5; files already there and valid are kept."""
    return fetch(data_dir, resources, mirrors, timeout, progress)
