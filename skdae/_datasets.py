"""Readers for the data sets the demo, the gallery and the benchmarks use,
and the synthetic bag of words that the sparse benchmark and tests share.

Each looks for its folder in an environment variable, else in
``../shared/data`` from the current directory (the project's layout), else
beside the repository that this package was installed from.
"""

import gzip
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# Where the MNIST IDX files are looked for when no path is given: the
# SKDAE_MNIST_DIR environment variable, else ../shared/data/mnist from the
# current directory (the project's layout).
MNIST_ENV_VAR = "SKDAE_MNIST_DIR"
ADULT_ENV_VAR = "SKDAE_ADULT_DIR"
_SHARED_DATA = Path("..") / "shared" / "data"
# ../shared/data seen from the repository root, for code run elsewhere (the
# gallery's examples run from their own folder).
_REPOSITORY_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_IDX_FILES = {"images": "t10k-images-idx3-ubyte", "labels": "t10k-labels-idx1-ubyte"}
_ADULT_FILES = {"train": "adult.data.gz", "test": "adult.test.gz"}


def _default_dir(name, env_var):
    if env_var in os.environ:
        return Path(os.environ[env_var])
    relative = _SHARED_DATA / name
    if relative.is_dir() or not (_REPOSITORY_SHARED_DATA / name).is_dir():
        return relative
    return _REPOSITORY_SHARED_DATA / name


def default_mnist_dir():
    """The MNIST directory to use when none is given."""
    return _default_dir("mnist", MNIST_ENV_VAR)


def default_adult_dir():
    """The Adult directory to use when none is given."""
    return _default_dir("adult", ADULT_ENV_VAR)


def _read_idx(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    n_dims = data[3]
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims)
    )
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def _find(directory, stem):
    for name in (f"{stem}.gz", stem):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(
        f"MNIST file {stem}(.gz) not found in {directory}. Pass the folder "
        f"holding the IDX files, or set {MNIST_ENV_VAR}."
    )


def load_mnist(directory=None):
    """Load MNIST digits from IDX files (gzip-compressed or not).

    Parameters
    ----------
    directory : str or Path, default=None
        Folder with ``t10k-images-idx3-ubyte(.gz)`` and
        ``t10k-labels-idx1-ubyte(.gz)``; default :func:`default_mnist_dir`.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), float32
        Pixel intensities scaled to [0, 1].
    y : ndarray of shape (n_samples,), int64
        Digit labels.

    Raises
    ------
    FileNotFoundError
        When the files are not there.
    """
    directory = Path(directory) if directory is not None else default_mnist_dir()
    images = _read_idx(_find(directory, _IDX_FILES["images"]))
    labels = _read_idx(_find(directory, _IDX_FILES["labels"]))
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    return X, labels.astype(np.int64)


def load_adult(directory=None):
    """Load the Adult census table: its training and test files.

    Parameters
    ----------
    directory : str or Path, default=None
        Folder with ``adult.data.gz`` and ``adult.test.gz``; default
        :func:`default_adult_dir`.

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

    directory = Path(directory) if directory is not None else default_adult_dir()
    frames = []
    for name in _ADULT_FILES.values():
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
