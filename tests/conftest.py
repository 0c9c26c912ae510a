import gzip
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder

requires_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"
)


@pytest.fixture(scope="session")
def digits():
    """The bundled 8x8 digits scaled to [0, 1], as float32, split in two."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture
def small_data():
    rng = np.random.RandomState(0)
    return rng.uniform(size=(60, 12)).astype(np.float32)


@pytest.fixture
def quiet_convergence():
    """Silence ConvergenceWarning: these tests cap max_iter on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def small_dae(**params):
    """A quick DenoisingAutoencoder for tests, seeded, on the CPU."""
    options = {"n_components": 8, "max_iter": 3, "random_state": 0, "device": "cpu"}
    return DenoisingAutoencoder(**{**options, **params})


def small_sdae(**params):
    """A quick two-layer StackedDenoisingAutoencoder for tests."""
    options = {
        "hidden_layer_sizes": (8, 4),
        "max_iter": 3,
        "fine_tune_max_iter": 3,
        "random_state": 0,
        "device": "cpu",
    }
    return StackedDenoisingAutoencoder(**{**options, **params})


def write_idx(path, array, type_code=0x08):
    """Write ``array`` as a gzipped IDX file, the format of the MNIST files."""
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())
