"""Peak memory of one estimator's fit and transform, in this fresh process.

Run by ``tests/test_memory.py`` as ``python tests/_memory_child.py CASE``; it
prints one JSON object. The process makes X, warms the libraries and the
allocator up with a fit and a transform on a tenth of the rows, then, for
``fit`` and ``transform`` on all of X in turn, resets the kernel's peak-RSS
mark and reads how far the peak grew above the resident memory before the
call. Linux only (``/proc/self/clear_refs``).
"""

import gc
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# Large enough that what a fit or transform holds for one batch or chunk
# (up to about 25 MB: a chunk of 8,192 rows at inference) stays well below
# the 0.3x of X that the tests allow, small enough to take seconds: a dense X
# of 205 MB, and a sparse one of 64 MB (data and indices) whose batches of 16
# rows reconstruct about 13,000 of its 20,000 columns each.
N_ROWS, N_FEATURES = 200_000, 256
SPARSE_ROWS, SPARSE_COLUMNS, SPARSE_ROW_ENTRIES = 10_000, 20_000, 800
TRAINING = {"max_iter": 1, "random_state": 0, "device": "cpu"}


def _dense(missing_share=0.0):
    rng = np.random.default_rng(0)
    X = rng.random((N_ROWS, N_FEATURES), dtype=np.float32)
    if missing_share:
        X[rng.random(X.shape) < missing_share] = np.nan
    return X


def _sparse():
    """A wide CSR matrix with a fixed number of entries per row."""
    rng = np.random.default_rng(0)
    n_entries = SPARSE_ROWS * SPARSE_ROW_ENTRIES
    X = sp.csr_matrix(
        (
            rng.random(n_entries, dtype=np.float32),
            rng.integers(0, SPARSE_COLUMNS, n_entries, dtype=np.int32),
            np.arange(0, n_entries + 1, SPARSE_ROW_ENTRIES, dtype=np.int32),
        ),
        shape=(SPARSE_ROWS, SPARSE_COLUMNS),
    )
    X.sum_duplicates()
    return X


def _case(name):
    """X, the estimator, and the bytes its design keeps on purpose in fit
    (beyond X: the stack's first codes, the imputer's standardized copy)."""
    from skdae import (
        DenoisingAutoencoder,
        DenoisingAutoencoderImputer,
        StackedDenoisingAutoencoder,
    )

    if name == "dense":
        return _dense(), DenoisingAutoencoder(16, batch_size=256, **TRAINING), 0
    if name == "missing":
        X = _dense(missing_share=0.1)
        return X, DenoisingAutoencoder(16, batch_size=256, **TRAINING), 0
    if name == "sparse":
        model = DenoisingAutoencoder(
            8, batch_size=16, reconstruction_sampling=64, **TRAINING
        )
        return _sparse(), model, 0
    if name == "stack":
        model = StackedDenoisingAutoencoder(
            (32, 8),
            batch_size=256,
            fine_tune_max_iter=1,
            fine_tuning="unsupervised",
            **TRAINING,
        )
        return _dense(), model, N_ROWS * 32 * 4
    if name == "imputer":
        X = _dense(missing_share=0.1)
        model = DenoisingAutoencoderImputer(
            DenoisingAutoencoder(16, batch_size=256, max_iter=1), random_state=0
        )
        return X, model, X.nbytes
    raise SystemExit(f"unknown case {name!r}")


def _status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _peak_growth(call):
    """The growth of the peak resident memory during ``call()``, in bytes,
    and its result."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status("VmRSS")
    result = call()
    return _status("VmHWM") - baseline, result


def _nbytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def main(name):
    warnings.simplefilter("ignore")
    X, model, kept_bytes = _case(name)
    warm_up = X[: X.shape[0] // 10]
    model.fit(warm_up).transform(warm_up)
    fit_growth, _ = _peak_growth(lambda: model.fit(X))
    transform_growth, output = _peak_growth(lambda: model.transform(X))
    return {
        "x_bytes": _nbytes(X),
        "kept_bytes": kept_bytes,
        "fit_growth": fit_growth,
        "transform_growth": transform_growth,
        "output_bytes": _nbytes(output),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
