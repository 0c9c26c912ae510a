import gzip

import numpy as np
import pytest

from skdae._datasets import default_mnist_dir, load_mnist


def _write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_reads_gzipped_idx_files(tmp_path):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 7]))
    X, y = load_mnist(tmp_path)
    assert X.shape == (2, 784) and X.dtype == np.float32
    np.testing.assert_allclose(X[0, :3], np.array([0, 1, 2]) / 255)
    assert y.tolist() == [3, 7]


def test_environment_variable_sets_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SKDAE_MNIST_DIR", str(tmp_path))
    assert default_mnist_dir() == tmp_path


def test_shared_mnist_test_set():
    directory = default_mnist_dir()
    if not (directory / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found in {directory}")
    X, y = load_mnist(directory)
    assert X.shape == (10_000, 784) and X.min() >= 0 and X.max() == 1
    assert np.bincount(y).tolist()[:2] == [980, 1135]
