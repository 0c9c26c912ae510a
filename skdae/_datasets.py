"""Readers for the data sets the demo and the benchmarks use."""

import gzip
import os
from pathlib import Path

import numpy as np

# Where the MNIST IDX files are looked for when no path is given: the
# SKDAE_MNIST_DIR environment variable, else ../shared/data/mnist from the
# current directory (the project's layout).
MNIST_ENV_VAR = "SKDAE_MNIST_DIR"
_DEFAULT_MNIST_DIR = Path("..") / "shared" / "data" / "mnist"
_IDX_FILES = {"images": "t10k-images-idx3-ubyte", "labels": "t10k-labels-idx1-ubyte"}


def default_mnist_dir():
    """The MNIST directory to use when none is given."""
    return Path(os.environ.get(MNIST_ENV_VAR, _DEFAULT_MNIST_DIR))


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
