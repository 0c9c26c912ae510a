"""Why the outlier detector's defaults: each changed alone, on the same splits.

``python -m benchmarks.outliers_ablation [--quick]``, from the repository
root: ``DenoisingAutoencoderOutlierDetector`` at its defaults, then with one
of its choices changed at a time (the units, the code's width, the step
budget, the members and their rows, the scaling, the noise), on the splits
of ``python -m benchmarks outliers`` (24 ADBench data sets, seeds 0, 1, 2).
It prints each variant's mean test ROC-AUC, its difference from the
defaults and its time per split, and writes
``benchmarks/results/outliers_ablation.json``. No labels choose anything:
they only score the test parts.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from ._common import RESULTS_DIR, print_table, write_json
from .outliers import DATA_SETS, SEEDS, splits


def _autoencoder(**params):
    """A variant's member model: the default's, with ``params`` changed; the
    width is a share of the features, so it is built per data set."""
    from skdae import DenoisingAutoencoder

    width = params.pop("width", 0.5)

    def build(n_features):
        units = max(2, round(width * n_features))
        settings = {"activation": "tanh", "loss": "mse", **params}
        return DenoisingAutoencoder(n_components=units, **settings)

    return build


# Each variant: the detector's parameters, and the member model (None: the
# detector's default one).
VARIANTS = {
    "defaults": ({}, None),
    "relu units": ({}, _autoencoder(activation="relu")),
    "sigmoid units": ({}, _autoencoder(activation="sigmoid")),
    "code as wide as the input": ({}, _autoencoder(width=1.0)),
    "250 steps": ({"max_steps": 250}, None),
    "2,000 steps": ({"max_steps": 2000}, None),
    "30 epochs, stopping rule": ({"max_steps": None}, _autoencoder(max_iter=30)),
    "1 member, all rows": ({"n_estimators": 1, "max_samples": 1.0}, None),
    "5 members, all rows": ({"max_samples": 1.0}, None),
    "10 members": ({"n_estimators": 10}, None),
    "robust scaling": ({"scaling": "robust"}, None),
    "quantile scaling": ({"scaling": "quantile"}, None),
    "no noise": ({}, _autoencoder(corruption=None)),
    "gaussian noise 0.5": (
        {},
        _autoencoder(corruption="gaussian", corruption_level=0.5),
    ),
    "swap noise 0.25": ({}, _autoencoder(corruption="swap")),
}


def detector(variant, seed, n_features):
    """The variant's detector for one split."""
    from skdae import DenoisingAutoencoderOutlierDetector

    params, build = VARIANTS[variant]
    if build is not None:
        params = {**params, "autoencoder": build(n_features)}
    return DenoisingAutoencoderOutlierDetector(
        **params, random_state=seed, device="cpu"
    )


def measure(names, seeds):
    """``{variant: [{"data_set", "seed", "roc_auc", "seconds"}, ...]}``."""
    runs = {variant: [] for variant in VARIANTS}
    for name, seed, data in splits(names, seeds):
        for variant in VARIANTS:
            model = detector(variant, seed, data["X_train"].shape[1])
            start = time.perf_counter()
            model.fit(data["X_train"])
            scores = -model.score_samples(data["X_test"])
            seconds = time.perf_counter() - start
            auc = float(roc_auc_score(data["y_test"], scores))
            runs[variant].append(
                {"data_set": name, "seed": seed, "roc_auc": auc, "seconds": seconds}
            )
        print(f"{name}, seed {seed} done", flush=True)
    return runs


def summary(runs):
    """Each variant's mean ROC-AUC, its difference from the defaults, its
    mean seconds per split."""
    means = {v: float(np.mean([r["roc_auc"] for r in rs])) for v, rs in runs.items()}
    return {
        variant: {
            "mean_roc_auc": means[variant],
            "minus_defaults": means[variant] - means["defaults"],
            "seconds_per_split": float(np.mean([r["seconds"] for r in rs])),
        }
        for variant, rs in runs.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outliers_ablation")
    parser.add_argument("--quick", action="store_true", help="4 data sets, seed 0")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    names = DATA_SETS[:4] if args.quick else DATA_SETS
    seeds = SEEDS[:1] if args.quick else SEEDS
    runs = measure(names, seeds)
    means = summary(runs)
    print_table(
        "Outlier detector: each default changed alone (mean test ROC-AUC)",
        ["variant", "ROC-AUC", "minus defaults", "s per split"],
        [
            [v, m["mean_roc_auc"], m["minus_defaults"], m["seconds_per_split"]]
            for v, m in means.items()
        ],
    )
    write_json(
        "outliers_ablation",
        {"runs": runs, "means": means, "quick": args.quick},
        args.results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
