"""The MNIST test digits and the reference split used by the benchmarks.

The digits are read by skdae's own reader (``skdae._datasets``), from the
folder in ``$SKDAE_MNIST_DIR`` or ``../shared/data/mnist`` relative to the
current directory: run the benchmarks from the repository root.
"""

import gzip
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from skdae._datasets import load_adult as _read_adult
from skdae._datasets import load_mnist as _read_mnist


class DataUnavailable(RuntimeError):
    """The MNIST files are not where the benchmarks look for them."""


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
    try:
        return _read_mnist()
    except FileNotFoundError as error:
        raise DataUnavailable(str(error)) from error


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


# SMS spam, like MNIST and Adult, from the shared data beside the repository.
SHARED_DATA = Path("..") / "shared" / "data"


def load_adult():
    """The Adult census table, as ``skdae._datasets.load_adult`` reads it.

    Raises
    ------
    DataUnavailable
        When the files are absent.
    """
    try:
        return _read_adult()
    except FileNotFoundError as error:
        raise DataUnavailable(str(error)) from error


def adult_encoder(X):
    """One-hot categories beside standardized numbers, as a user would
    encode Adult (dense; fill missing categories before, e.g. "missing")."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = X.select_dtypes("number").columns
    return make_column_transformer(
        (StandardScaler(), numeric),
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            X.columns.difference(numeric),
        ),
    )


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
