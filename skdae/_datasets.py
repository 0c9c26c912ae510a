"""The reader of the MNIST IDX files that the demo's ``--data mnist`` uses.

It reads only the folder it is given: where the files are looked for by
default is the caller's choice (the demo's is in ``skdae/__main__.py``, the
benchmarks' in ``benchmarks/data.py``), so the installed package assumes
nothing about the layout of the repository it came from.
"""

import gzip
from pathlib import Path

import numpy as np

_IDX_FILES = {"images": "t10k-images-idx3-ubyte", "labels": "t10k-labels-idx1-ubyte"}


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
    # The caller knows how its user names the folder (a flag, a variable)
    # and adds that to this message.
    raise FileNotFoundError(f"MNIST file {stem}(.gz) not found in {directory}.")


def load_mnist(directory):
    """Load MNIST digits from IDX files (gzip-compressed or not).

    Parameters
    ----------
    directory : str or Path
        Folder with ``t10k-images-idx3-ubyte(.gz)`` and
        ``t10k-labels-idx1-ubyte(.gz)``.

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
    directory = Path(directory)
    images = _read_idx(_find(directory, _IDX_FILES["images"]))
    labels = _read_idx(_find(directory, _IDX_FILES["labels"]))
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    return X, labels.astype(np.int64)
