"""One timed run in a fresh process, for compare_commits.py and layer_loss.py.

Run by path (``python benchmarks/_timed_run.py ...``), with ``PYTHONPATH``
naming the source tree whose ``skdae`` is measured; it imports nothing from
``benchmarks``, so the tree may be an older commit that lacks this file.
Prints one JSON object: the seconds of each measured call.
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


def _parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--measure", required=True, help="comma-separated names")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
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
        "dae transform": lambda: fitted["dae"].transform(X_large),
        "sdae fit": lambda: fit(
            "sdae",
            lambda: skdae.StackedDenoisingAutoencoder(
                (256, 64), **SDAE, fine_tune_max_iter=epochs, **fixed
            ),
        ),
        "sdae transform": lambda: fitted["sdae"].transform(X_large),
    }


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
    X = np.load(args.data)
    warnings.simplefilter("ignore")
    _warm_up(skdae, X, args.device)
    measures = _measures(skdae, X, args.epochs, args.device)
    seconds = {}
    for name in args.measure.split(","):
        start = time.perf_counter()
        measures[name]()
        seconds[name] = time.perf_counter() - start
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
