import gzip

import numpy as np
import pytest

from image_ae.data import MissingData, load_mnist, read_idx, write_idx


def fake_mnist(directory, n=20, prefix="t10k", gz=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_reads_fake_idx_files(tmp_path, gz):
    images, labels = fake_mnist(tmp_path, gz=gz)
    x, y = load_mnist(tmp_path, "test")
    assert x.shape == (20, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)


def test_train_split_falls_back_to_the_5k_subset(tmp_path):
    fake_mnist(tmp_path, n=12, prefix="train-5k")
    x, _ = load_mnist(tmp_path, "train", limit=5)
    assert x.shape == (5, 28, 28)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(MissingData, match="image-ae download"):
        load_mnist(tmp_path, "test")


def test_truncated_and_bad_files_are_named(tmp_path):
    fake_mnist(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)
    path.write_bytes(gzip.compress(b"\x01\x02\x03\x04hello"))
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist(tmp_path, "test")


def test_real_shared_mnist(real_mnist_dir):
    mnist_dir = real_mnist_dir
    x, y = load_mnist(mnist_dir, "test")
    assert x.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    x5, y5 = load_mnist(mnist_dir, "train")
    assert x5.shape == (5000, 28, 28) and np.bincount(y5).tolist() == [500] * 10
