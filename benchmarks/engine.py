"""The engine's speed promises: short fits, a first sparse fit, late epochs.

``python -m benchmarks.engine``, from the repository root, on a quiet
machine. Grid searches and cross-validation run many short fits, where a
fixed cost per fit (initialisation, a slow first epoch) weighs most; a
first fit in a process pays every lazy import; and long fits once slowed
down as training went on (subnormal floats). Three measurements:

- Short fits: ``DenoisingAutoencoder`` (784 -> 256 sigmoid, tied,
  cross-entropy, masking 0.25, Adam 1e-3, batches of 128) against the
  minimal hand-written torch loop of the same model
  (``baselines.hand_written_fit``) on the 5,000 training digits of the
  reference split, for 1, 3 and 9 epochs; the two run in turns, in an order
  swapped every round, and the figure is the median over the rounds of the
  ratio of each round's pair. Goals: at most 1.2 (1 epoch) and 1.0 (3).
- First sparse fit: in each of several fresh processes,
  ``TruncatedSVD(256).fit`` of the sparse benchmark's 50,000 x 20,000 bag of
  words, then a one-epoch ``DenoisingAutoencoder(256)`` fit of it, the first
  fit in the process; the figure is the median of the ratio fit / SVD. Goal:
  at most 1.0.
- Late epochs: ``DenoisingAutoencoder(256, loss=L, warm_start=True)`` on
  2,000 digits, seeds 0-3: the seconds of three more epochs after one
  epoch (early) and after 60 (late), for the cross-entropy and the squared
  error. Goals: late cross-entropy epochs at most 1.15x the early ones and
  at most 1.2x the late squared-error ones (medians over the seeds).

Every run is written to ``benchmarks/results/engine.json``.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._common import RESULTS_DIR, print_table, verdict, write_json
from .baselines import hand_written_fit
from .data import DataUnavailable, reference_split
from .sparse import word_matrix

EPOCHS = (1, 3, 9)
GOALS = {1: 1.2, 3: 1.0}
SPARSE_GOAL = 1.0
LATE_ROWS, LATE_AFTER, LATE_SEEDS = 2_000, 60, (0, 1, 2, 3)
LATE_GOALS = {"late / early": 1.15, "cross-entropy / squared error": 1.2}

_FIRST_SPARSE_FIT = """
import json, sys, time, warnings
import numpy as np, scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from skdae import DenoisingAutoencoder
warnings.simplefilter("ignore")
X = sp.load_npz(sys.argv[1]).astype(np.float32)
start = time.perf_counter()
TruncatedSVD(256, random_state=0).fit(X)
svd = time.perf_counter() - start
model = DenoisingAutoencoder(256, max_iter=1, early_stopping=False, random_state=0)
start = time.perf_counter()
model.set_params(device="cpu").fit(X)
print(json.dumps({"svd": svd, "fit": time.perf_counter() - start}))
"""


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=7, help="short-fit rounds (7)")
    parser.add_argument(
        "--processes", type=int, default=5, help="fresh processes, sparse (5)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    return parser


def _dae(epochs):
    from skdae import DenoisingAutoencoder

    return DenoisingAutoencoder(
        256,
        activation="sigmoid",
        loss="cross_entropy",
        corruption_level=0.25,
        learning_rate_init=1e-3,
        batch_size=128,
        max_iter=epochs,
        n_iter_no_change=epochs,
        tol=0.0,
        random_state=0,
        device="cpu",
    )


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def short_fits(X, rounds):
    """Per number of epochs: each round's skdae and loop seconds."""
    warnings.simplefilter("ignore")
    _dae(1).fit(X)
    hand_written_fit(X, 256, 128, 1)
    runs = {}
    for epochs in EPOCHS:
        contenders = {
            "skdae": lambda e=epochs: _dae(e).fit(X),
            "loop": lambda e=epochs: hand_written_fit(X, 256, 128, e),
        }
        pairs = []
        for round_ in range(rounds):
            order = ["skdae", "loop"] if round_ % 2 == 0 else ["loop", "skdae"]
            pairs.append({name: _seconds(contenders[name]) for name in order})
        runs[epochs] = pairs
    return runs


def first_sparse_fits(processes):
    """Each fresh process's SVD and first-fit seconds."""
    with tempfile.TemporaryDirectory(prefix="skdae-fixed-cost-") as tmp:
        path = Path(tmp) / "words.npz"
        sp.save_npz(path, word_matrix(20_000))
        runs = []
        for _ in range(processes):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST_SPARSE_FIT, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def late_epochs(X):
    """Per loss and seed: the seconds of three epochs, early and late."""
    from skdae import DenoisingAutoencoder

    warnings.simplefilter("ignore")
    runs = {}
    for loss in ("cross_entropy", "mse"):
        for seed in LATE_SEEDS:
            model = DenoisingAutoencoder(
                256,
                loss=loss,
                warm_start=True,
                tol=0.0,
                n_iter_no_change=1000,
                max_iter=1,
                random_state=seed,
                device="cpu",
            ).fit(X)
            early = _seconds(lambda m=model: m.set_params(max_iter=3).fit(X))
            model.set_params(max_iter=LATE_AFTER - 4).fit(X)
            late = _seconds(lambda m=model: m.set_params(max_iter=3).fit(X))
            runs[f"{loss} {seed}"] = {"early": early, "late": late}
    return runs


def _late_ratios(runs):
    """The medians over the seeds of the two ratios that have goals."""

    def median(top, bottom):
        return statistics.median(
            runs[f"{top[0]} {seed}"][top[1]] / runs[f"{bottom[0]} {seed}"][bottom[1]]
            for seed in LATE_SEEDS
        )

    ce, mse = "cross_entropy", "mse"
    return {
        "late / early": median((ce, "late"), (ce, "early")),
        "cross-entropy / squared error": median((ce, "late"), (mse, "late")),
    }


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        X = reference_split()[0]
    except DataUnavailable as error:
        raise SystemExit(str(error)) from error
    short = short_fits(np.ascontiguousarray(X), args.rounds)
    rows = []
    for epochs, pairs in short.items():
        ratio = statistics.median(p["skdae"] / p["loop"] for p in pairs)
        goal = GOALS.get(epochs)
        rows.append(
            [
                epochs,
                min(p["skdae"] for p in pairs),
                min(p["loop"] for p in pairs),
                ratio,
                "-" if goal is None else verdict(ratio, goal),
            ]
        )
    print_table(
        "Short fits: DenoisingAutoencoder / hand-written loop, 5,000 digits",
        ["epochs", "skdae min s", "loop min s", "median paired ratio", "goal"],
        rows,
    )
    sparse = first_sparse_fits(args.processes)
    ratio = statistics.median(run["fit"] / run["svd"] for run in sparse)
    print_table(
        "First sparse fit in a fresh process / TruncatedSVD(256).fit before it",
        ["median fit s", "median SVD s", "median ratio", f"goal <= {SPARSE_GOAL}"],
        [
            [
                statistics.median(run["fit"] for run in sparse),
                statistics.median(run["svd"] for run in sparse),
                ratio,
                verdict(ratio, SPARSE_GOAL),
            ]
        ],
    )
    late = late_epochs(np.ascontiguousarray(X[:LATE_ROWS]))
    print_table(
        f"Late epochs: three epochs after {LATE_AFTER}, medians over seeds "
        f"{list(LATE_SEEDS)}",
        ["ratio", "value", "goal"],
        [
            [name, value, verdict(value, LATE_GOALS[name])]
            for name, value in _late_ratios(late).items()
        ],
    )
    write_json(
        "engine",
        {"short_fits": short, "first_sparse_fits": sparse, "late_epochs": late},
        args.results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
