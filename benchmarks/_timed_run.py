"""One timed run in a fresh process, for compare_commits.py.

Run by path (``python benchmarks/_timed_run.py ...``), with ``PYTHONPATH``
naming the source tree whose ``skdae`` is measured; it imports nothing from
``benchmarks``, so the tree may be an older commit that lacks this file.
Prints one JSON object: the seconds of each measured call, or for
``fit peak MiB`` the growth of the peak resident memory.

Two measures are about the fresh process itself and run before the warm-up,
in this order: ``sparse first fit`` (a first fit in the process pays every
lazy import and first allocation) and ``fit peak MiB`` (a fit of a large
array after a small warm-up fit, which must not copy it).
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# Every parameter is given, so that the runs compare code, not defaults that
# differ between commits.
DAE = dict(
    n_components=256,
    corruption="masking",
    corruption_level=0.25,
    activation="sigmoid",
    loss="cross_entropy",
    tied_weights=True,
    solver="adam",
    learning_rate_init=1e-3,
    alpha=0.0,
    batch_size=128,
    tol=0.0,
    early_stopping=False,
    shuffle=True,
    random_state=0,
)
SDAE = {**DAE, "fine_tuning": "unsupervised"}
del SDAE["n_components"]
TRANSFORM_ROWS = 50_000
# Late epochs: the rows trained on, and the epochs run before the three
# timed ones; by then logits of pixels that are always 0 lie far below zero.
LATE_ROWS, LATE_AFTER = 2_000, 60
# The large fit whose peak memory is read: X of 200,000 x 784 float32.
MEMORY_ROWS, MEMORY_FEATURES = 200_000, 784
# The measures that run first, in a process that has done nothing else.
FIRST_IN_PROCESS = ("sparse first fit", "fit peak MiB")


def _parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--measure", required=True, help="comma-separated names")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--sparse-data", type=Path, default=None, help="a .npz sparse matrix"
    )
    return parser


def _import_skdae(tree):
    import skdae

    if not Path(skdae.__file__).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"skdae was imported from {skdae.__file__}, not from {tree}")
    return skdae


def _measures(skdae, X, epochs, device):
    """The calls that can be timed, by name; each returns its estimator."""
    fixed = dict(max_iter=epochs, n_iter_no_change=epochs, device=device)
    X_large = np.ascontiguousarray(np.resize(X, (TRANSFORM_ROWS, X.shape[1])))
    fitted = {}

    def fit(name, make):
        fitted[name] = make().fit(X)

    return {
        "dae fit": lambda: fit(
            "dae", lambda: skdae.DenoisingAutoencoder(**DAE, **fixed)
        ),
        "dae fit (mse)": lambda: skdae.DenoisingAutoencoder(
            **{**DAE, "loss": "mse"}, **fixed
        ).fit(X),
        "dae fit 1 epoch": lambda: skdae.DenoisingAutoencoder(
            **DAE, max_iter=1, n_iter_no_change=1, device=device
        ).fit(X),
        "dae transform": lambda: fitted["dae"].transform(X_large),
        "sdae fit": lambda: fit(
            "sdae",
            lambda: skdae.StackedDenoisingAutoencoder(
                (256, 64), **SDAE, fine_tune_max_iter=epochs, **fixed
            ),
        ),
        "sdae transform": lambda: fitted["sdae"].transform(X_large),
        "late ce epochs": _LateEpochs(skdae, X[:LATE_ROWS], device),
    }


class _LateEpochs:
    """Three epochs of a model already trained for ``LATE_AFTER``: its
    :meth:`prepare`, untimed, trains those first epochs."""

    def __init__(self, skdae, X, device):
        self.X = X
        self.model = skdae.DenoisingAutoencoder(
            **{**DAE, "activation": "relu"},
            warm_start=True,
            max_iter=LATE_AFTER,
            n_iter_no_change=1000,
            device=device,
        )

    def prepare(self):
        self.model.fit(self.X)

    def __call__(self):
        self.model.set_params(max_iter=3).fit(self.X)


def _first_in_process(name, skdae, args):
    """Run a measure of the fresh process; its seconds, or MiB of memory."""
    if name == "sparse first fit":
        import scipy.sparse as sp

        X = sp.load_npz(args.sparse_data).astype(np.float32)
        model = skdae.DenoisingAutoencoder(
            256, max_iter=1, early_stopping=False, random_state=0, device=args.device
        )
        start = time.perf_counter()
        model.fit(X)
        return time.perf_counter() - start
    X = np.random.default_rng(0).random(
        (MEMORY_ROWS, MEMORY_FEATURES), dtype=np.float32
    )
    model = skdae.DenoisingAutoencoder(
        64, max_iter=1, batch_size=256, random_state=0, device=args.device
    )
    model.fit(X[:500])
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status_bytes("VmRSS")
    model.fit(X)
    return (_status_bytes("VmHWM") - baseline) / 2**20


def _status_bytes(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _warm_up(skdae, X, device):
    # Loads torch's kernels and grows its allocator, which is no call's cost.
    small = X[:512]
    dae = skdae.DenoisingAutoencoder(64, max_iter=1, device=device).fit(small)
    dae.transform(small)
    skdae.StackedDenoisingAutoencoder(
        (64, 16), max_iter=1, fine_tune_max_iter=1, device=device
    ).fit(small)


def main(argv=None):
    args = _parser().parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    skdae = _import_skdae(args.tree)
    warnings.simplefilter("ignore")
    names = args.measure.split(",")
    seconds = {
        name: _first_in_process(name, skdae, args)
        for name in FIRST_IN_PROCESS
        if name in names
    }
    X = np.load(args.data)
    _warm_up(skdae, X, args.device)
    measures = _measures(skdae, X, args.epochs, args.device)
    for name in names:
        if name in FIRST_IN_PROCESS:
            continue
        prepare = getattr(measures[name], "prepare", None)
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        measures[name]()
        seconds[name] = time.perf_counter() - start
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
