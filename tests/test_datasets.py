import gzip

import numpy as np
import pytest

from skdae._datasets import (
    default_adult_dir,
    default_mnist_dir,
    load_adult,
    load_mnist,
)


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


def test_reads_the_adult_files(tmp_path):
    import pandas as pd

    header = "age, workclass, fnlwgt, income\n"
    rows = {
        "adult.data.gz": "39, State-gov, 77516, <=50K\n50, ?, 83311, >50K\n",
        "adult.test.gz": "25, Private, 226802, >50K.\n",
    }
    for name, body in rows.items():
        with gzip.open(tmp_path / name, "wt") as stream:
            stream.write(header + body)
    X_train, X_test, y_train, y_test = load_adult(tmp_path)
    assert list(X_train.columns) == ["age", "workclass", "fnlwgt"]
    assert pd.isna(X_train.loc[1, "workclass"])
    assert y_train.tolist() == [False, True] and y_test.tolist() == [True]


def test_missing_adult_files_name_the_folder_and_the_variable(tmp_path):
    with pytest.raises(FileNotFoundError, match="SKDAE_ADULT_DIR"):
        load_adult(tmp_path)


def test_shared_adult_table():
    directory = default_adult_dir()
    if not (directory / "adult.data.gz").exists():
        pytest.skip(f"Adult files not found in {directory}")
    X_train, X_test, y_train, y_test = load_adult(directory)
    assert X_train.shape == (32_560, 14) and X_test.shape == (16_281, 14)
    assert X_train.isna().any().sum() == 3
