"""The MNIST test digits and the reference split used by the benchmarks."""

import gzip
import os
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

ENV_VARIABLE = "SKDAE_MNIST_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"


class DataUnavailable(RuntimeError):
    """The MNIST files are not where the benchmarks look for them."""


def mnist_dir():
    """The folder holding the MNIST IDX files.

    ``$SKDAE_MNIST_DIR`` when set, else ``../shared/data/mnist`` relative to
    the repository root.
    """
    return Path(os.environ.get(ENV_VARIABLE, DEFAULT_DIR)).resolve()


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=header_bytes)


def load_mnist():
    """The 10,000 MNIST test digits, scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (10000, 784), float32
    y : ndarray of shape (10000,), int64

    Raises
    ------
    DataUnavailable
        When the IDX files are absent, with a message saying where to put
        them.
    """
    folder = mnist_dir()
    images, labels = folder / IMAGES, folder / LABELS
    if not (images.is_file() and labels.is_file()):
        raise DataUnavailable(
            f"MNIST files not found in {folder}: need {IMAGES} and {LABELS}. "
            f"Set {ENV_VARIABLE} to the folder that holds them."
        )
    pixels = _read_idx(images, 16).reshape(-1, 784)
    X = (pixels / np.float32(255)).astype(np.float32)
    y = _read_idx(labels, 8).astype(np.int64)
    return X, y


def reference_split():
    """The reference split: half the digits to train on, half to test on.

    ``train_test_split(X / 255, y, test_size=0.5, random_state=0,
    stratify=y)``, so 5,000 training and 5,000 test digits.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
    """
    X, y = load_mnist()
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


def tile_rows(X, n_rows):
    """``n_rows`` rows made by repeating X, as one C-contiguous float32 array."""
    repeats = -(-n_rows // X.shape[0])
    return np.ascontiguousarray(np.tile(X, (repeats, 1))[:n_rows], dtype=np.float32)


SHARED_DATA = DEFAULT_DIR.parent


def load_adult():
    """The Adult census table: its training and test files, as DataFrames.

    Returns
    -------
    X_train, X_test : pandas.DataFrame
        The 14 attributes; missing values (``?`` in the files) are NaN.
    y_train, y_test : ndarray of bool
        Whether the income exceeds $50K.
    """
    import pandas as pd

    folder = SHARED_DATA / "adult"
    frames = []
    for name in ("adult.data.gz", "adult.test.gz"):
        if not (folder / name).is_file():
            raise DataUnavailable(f"Adult file {name} not found in {folder}.")
        frame = pd.read_csv(folder / name, skipinitialspace=True, na_values="?")
        frames.append(frame)
    X_train, X_test = (frame.drop(columns="income") for frame in frames)
    y_train, y_test = (
        frame["income"].str.startswith(">50K").to_numpy() for frame in frames
    )
    return X_train, X_test, y_train, y_test


def load_sms_spam():
    """The SMS spam corpus: the messages and whether each is spam.

    Returns
    -------
    texts : list of str
    y : ndarray of bool
    """
    path = SHARED_DATA / "sms_spam" / "SMSSpamCollection.gz"
    if not path.is_file():
        raise DataUnavailable(f"SMS spam corpus not found at {path}.")
    with gzip.open(path, "rt", encoding="utf-8") as file:
        rows = [line.split("\t", 1) for line in file.read().splitlines()]
    return [text for _, text in rows], np.array([label == "spam" for label, _ in rows])
