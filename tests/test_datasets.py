"""The data readers: skdae's MNIST reader (the demo's ``--data mnist``) and
the benchmarks' Adult reader and default folders (``benchmarks/data.py``)."""

import gzip
import re

import numpy as np
import pytest

from benchmarks.data import adult_dir, mnist_dir, read_adult
from skdae._datasets import load_mnist

from .conftest import write_idx


def test_reads_gzipped_idx_files(tmp_path):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 7]))
    X, y = load_mnist(tmp_path)
    assert X.shape == (2, 784) and X.dtype == np.float32
    np.testing.assert_allclose(X[0, :3], np.array([0, 1, 2]) / 255)
    assert y.tolist() == [3, 7]


def test_missing_mnist_files_name_the_file_and_the_folder(tmp_path):
    message = f"t10k-images-idx3-ubyte.*{re.escape(str(tmp_path))}"
    with pytest.raises(FileNotFoundError, match=message):
        load_mnist(tmp_path)


def test_environment_variable_sets_the_benchmarks_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SKDAE_MNIST_DIR", str(tmp_path))
    assert mnist_dir() == tmp_path


def test_shared_mnist_test_set():
    directory = mnist_dir()
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
    X_train, X_test, y_train, y_test = read_adult(tmp_path)
    assert list(X_train.columns) == ["age", "workclass", "fnlwgt"]
    assert pd.isna(X_train.loc[1, "workclass"])
    assert y_train.tolist() == [False, True] and y_test.tolist() == [True]


def test_missing_adult_files_name_the_folder_and_the_variable(tmp_path):
    with pytest.raises(FileNotFoundError, match="SKDAE_ADULT_DIR"):
        read_adult(tmp_path)


def test_shared_adult_table():
    directory = adult_dir()
    if not (directory / "adult.data.gz").exists():
        pytest.skip(f"Adult files not found in {directory}")
    X_train, X_test, y_train, y_test = read_adult(directory)
    assert X_train.shape == (32_560, 14) and X_test.shape == (16_281, 14)
    assert X_train.isna().any().sum() == 3
