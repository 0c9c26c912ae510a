"""The benchmarks' data sets, the reference split, and the synthetic bag of
words that the sparse benchmark, ``compare_commits`` and the tests share.

Each data set is read from the folder in its environment variable
(``SKDAE_MNIST_DIR``, ``SKDAE_ADULT_DIR``), else from ``../shared/data``
relative to the current directory: run the benchmarks from the repository
root. The MNIST digits are read by skdae's own reader (``skdae._datasets``,
also behind the demo's ``--data mnist``), which takes the folder it is
given; Adult and SMS spam by the readers here.
"""

import gzip
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split

from skdae._datasets import load_mnist as _read_mnist

# The project's data, beside the repository, seen from its root.
SHARED_DATA = Path("..") / "shared" / "data"
MNIST_ENV_VAR = "SKDAE_MNIST_DIR"
ADULT_ENV_VAR = "SKDAE_ADULT_DIR"
_ADULT_FILES = ("adult.data.gz", "adult.test.gz")


class DataUnavailable(RuntimeError):
    """A data set is not where the benchmarks look for it."""


def _data_dir(name, env_var):
    if env_var in os.environ:
        return Path(os.environ[env_var])
    return SHARED_DATA / name


def mnist_dir():
    """The MNIST folder: ``$SKDAE_MNIST_DIR``, else ``../shared/data/mnist``."""
    return _data_dir("mnist", MNIST_ENV_VAR)


def adult_dir():
    """The Adult folder: ``$SKDAE_ADULT_DIR``, else ``../shared/data/adult``."""
    return _data_dir("adult", ADULT_ENV_VAR)


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
        return _read_mnist(mnist_dir())
    except FileNotFoundError as error:
        raise DataUnavailable(
            f"{error} Set {MNIST_ENV_VAR} to the folder holding the IDX files, "
            "or run from the repository root."
        ) from error


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


def read_adult(directory):
    """Read the Adult census table: its training and test files.

    Parameters
    ----------
    directory : str or Path
        Folder with ``adult.data.gz`` and ``adult.test.gz``.

    Returns
    -------
    X_train, X_test : pandas.DataFrame
        The 14 attributes, 6 numeric and 8 categorical; the missing values
        (``?`` in the files, in three categorical columns) are NaN.
    y_train, y_test : ndarray of bool
        Whether the income exceeds $50K.

    Raises
    ------
    FileNotFoundError
        When the files are not there.
    """
    import pandas as pd

    directory = Path(directory)
    frames = []
    for name in _ADULT_FILES:
        if not (directory / name).is_file():
            raise FileNotFoundError(
                f"Adult file {name} not found in {directory}. Pass the folder "
                f"holding it, or set {ADULT_ENV_VAR}."
            )
        frames.append(
            pd.read_csv(directory / name, skipinitialspace=True, na_values="?")
        )
    X_train, X_test = (frame.drop(columns="income") for frame in frames)
    # The test file writes its labels with a trailing dot (">50K.").
    y_train, y_test = (
        frame["income"].str.startswith(">50K").to_numpy() for frame in frames
    )
    return X_train, X_test, y_train, y_test


def load_adult():
    """The Adult census table from :func:`adult_dir`; see :func:`read_adult`.

    Raises
    ------
    DataUnavailable
        When the files are absent.
    """
    try:
        return read_adult(adult_dir())
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


def make_word_counts(n_rows, n_columns, n_entries, seed=0):
    """A CSR matrix of ones with word-like (Zipf) column frequencies.

    ``n_entries`` entries are drawn: row indices uniform, column indices
    ``min(zipf(1.3) - 1, n_columns - 1)`` from ``default_rng(seed)``;
    duplicates are merged and set back to 1, so fewer are stored.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_rows, n_columns), float32
    """
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n_rows, n_entries)
    columns = np.minimum(rng.zipf(1.3, n_entries) - 1, n_columns - 1)
    X = sp.csr_matrix(
        (np.ones(n_entries, np.float32), (rows, columns)), shape=(n_rows, n_columns)
    )
    X.sum_duplicates()
    X.data[:] = 1.0
    return X
