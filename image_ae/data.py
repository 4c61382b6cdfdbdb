"""MNIST from IDX files (gzipped or raw) in a directory."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

# Each split: candidate (images, labels) base names, tried in order.
SPLITS = {
    "train": [("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), ("train-5k-images-idx3-ubyte", "train-5k-labels-idx1-ubyte")],
    "train-5k": [("train-5k-images-idx3-ubyte", "train-5k-labels-idx1-ubyte")],
    "test": [("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")],
}
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MissingData(FileNotFoundError):
    pass


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally .gz) into an array, checking its header against its size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: unreadable ({err})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(IDX_TYPES[data[2]]), data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise ValueError(f"{path}: truncated or padded IDX file ({len(body)} bytes of data, header says {expected})")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX (gzipped when the name ends in .gz); used for test fixtures."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def _find(data_dir: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (data_dir / name).exists():
            return data_dir / name
    return None


def load_mnist(data_dir: Path, split: str = "train", limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (N, 28, 28) in [0, 1] and labels as int64 (N,).

    split "train" takes the full training set when present, else the 5k subset.
    """
    data_dir = Path(data_dir)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    for images_name, labels_name in SPLITS[split]:
        images_path, labels_path = _find(data_dir, images_name), _find(data_dir, labels_name)
        if images_path and labels_path:
            images, labels = read_idx(images_path), read_idx(labels_path)
            if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
                raise ValueError(f"{images_path}: {images.shape} images do not match {labels_path}: {labels.shape} labels")
            if limit:
                images, labels = images[:limit], labels[:limit]
            return images.astype(np.float32) / 255.0, labels.astype(np.int64)
    wanted = " or ".join(f"{i}[.gz] + {lab}[.gz]" for i, lab in SPLITS[split])
    raise MissingData(
        f"{data_dir}: MNIST {split} split not found (looked for {wanted}); "
        f"run `image-ae download --data-dir {data_dir}` or point --data-dir at a folder holding the IDX files"
    )
