"""Outlier detection on 24 ADBench data sets, ADBench's unsupervised protocol.

The data sets are ADBench's classical ones (``../shared/data/adbench``, see
its README). On each data set and seed (0, 1, 2), every method gets the same
split:

- a data set of more than 10,000 rows is subsampled to 10,000, stratified by
  ``y`` (seeded); smtp, whose 30 anomalies in 95,156 rows a stratified draw
  would cut to 3, keeps all 30 and 9,970 normal rows drawn uniformly;
- a stratified 70/30 split (seeded);
- columns constant on the training part are left out, for every method
  (they carry nothing to fit on, and PyOD's PCA divides by each component's
  variance), then min-max scaling fitted on the training part (test values
  may leave [0, 1]);
- each method is fitted on the training part without labels (anomalies
  included, unmarked) and scores the test part; ROC-AUC and AUC-PR
  (``average_precision_score``) of the test scores, higher is abnormal.

Ranked methods: ``skdae.DenoisingAutoencoderOutlierDetector`` at its
defaults (:func:`detector_factory`), ``IsolationForest``,
``LocalOutlierFactor(novelty=True)``, ``OneClassSVM()`` and PyOD's ``PCA``,
``AutoEncoder`` and ``ECOD`` at their defaults, but for two settings:
PyOD's AutoEncoder with ``verbose=0`` (its progress bar), and PyOD's PCA
with ``svd_solver="full"``: PyOD divides by each component's variance,
and on cardio (rank-deficient) scikit-learn 1.9's default solver for tall
data (the covariance's eigenvalues) made the scores infinite; the full SVD
runs (its smallest variance there is 1e-32 of the total, not zero).
Reported, not ranked: the detector on the raw, unscaled features. The
anomaly score is minus ``score_samples`` for scikit-learn's detectors;
PyOD's ``decision_function`` is already higher-is-abnormal.

Goals: the detector's mean ROC-AUC at least IsolationForest's and above PyOD
PCA's and AutoEncoder's; its place, the methods sorted by mean rank, first
or second; unscaled within 0.01 of scaled; its fit + score at most 30 s per
split; the whole run under 30 minutes. Each thresholded detector's share of
the normal and anomalous test rows that ``predict`` flags is reported too:
the false-positive rate and recall of its default threshold.
"""

import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import OneClassSVM

from ._common import plot_path, print_table, save_figure, verdict, write_json
from .data import SHARED_DATA, DataUnavailable

ADBENCH_DIR = SHARED_DATA / "adbench"
DATA_SETS = (
    "4_breastw", "6_cardio", "8_celeba", "10_cover", "11_donors",
    "15_Hepatitis", "16_http", "18_Ionosphere", "20_letter",
    "21_Lymphography", "23_mammography", "24_mnist", "26_optdigits",
    "28_pendigits", "30_satellite", "32_shuttle", "33_skin", "34_smtp",
    "37_Stamps", "39_vertebral", "41_Waveform", "43_WDBC", "45_wine",
    "47_yeast",
)  # fmt: skip
SEEDS = (0, 1, 2)
MAX_ROWS = 10_000
# Data sets whose anomalies are all kept when subsampled (the rest is normal
# rows drawn uniformly): a stratified draw would leave smtp 3 anomalies.
KEEP_ALL_ANOMALIES = ("34_smtp",)
TEST_SIZE = 0.3
DETECTOR = "skdae detector"
UNSCALED = "skdae detector, unscaled"
# Goals of the issue.
MAX_DETECTOR_SECONDS_PER_SPLIT = 30.0
MAX_UNSCALED_GAP = 0.01
MAX_TOTAL_MINUTES = 30.0


def detector_factory(seed, device):
    """The detector at its defaults."""
    from skdae import DenoisingAutoencoderOutlierDetector

    return DenoisingAutoencoderOutlierDetector(random_state=seed, device=device)


def load(name, data_dir=ADBENCH_DIR):
    """``X`` (float64) and ``y`` (1 = anomaly) of one ADBench data set.

    Raises
    ------
    DataUnavailable
        When the ``.npz`` file is absent.
    """
    path = Path(data_dir) / f"{name}.npz"
    if not path.is_file():
        raise DataUnavailable(f"ADBench data set not found at {path}.")
    with np.load(path) as data:
        return data["X"].astype(np.float64), data["y"].astype(np.int64)


def subsample(name, X, y, seed):
    """At most ``MAX_ROWS`` rows: stratified by y, or all anomalies kept."""
    if len(y) <= MAX_ROWS:
        return X, y
    rng = np.random.RandomState(seed)
    if name in KEEP_ALL_ANOMALIES:
        anomalies, normal = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        normal = rng.choice(normal, MAX_ROWS - len(anomalies), replace=False)
        rows = np.sort(np.concatenate([anomalies, normal]))
    else:
        rows, _ = train_test_split(
            np.arange(len(y)), train_size=MAX_ROWS, stratify=y, random_state=rng
        )
        rows = np.sort(rows)
    return X[rows], y[rows]


def split(name, X, y, seed):
    """The protocol's split of one data set for one seed.

    Returns
    -------
    split : dict
        ``X_train``, ``X_test`` (min-max scaled on the training part),
        ``X_train_raw``, ``X_test_raw`` (unscaled), ``y_train``, ``y_test``.
        Columns constant on the training part are left out.
    """
    X, y = subsample(name, X, y, seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    varying = X_train.max(axis=0) > X_train.min(axis=0)
    X_train, X_test = X_train[:, varying], X_test[:, varying]
    scaler = MinMaxScaler().fit(X_train)
    return {
        "X_train": scaler.transform(X_train),
        "X_test": scaler.transform(X_test),
        "X_train_raw": X_train,
        "X_test_raw": X_test,
        "y_train": y_train,
        "y_test": y_test,
    }


def splits(names=DATA_SETS, seeds=SEEDS, data_dir=ADBENCH_DIR):
    """Yield ``(name, seed, split)`` for every data set and seed."""
    for name in names:
        X, y = load(name, data_dir)
        for seed in seeds:
            yield name, seed, split(name, X, y, seed)


def baselines(seed):
    """The ranked baselines, unfitted, each paired with its score function."""
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.ecod import ECOD
    from pyod.models.pca import PCA

    return {
        "IsolationForest": (IsolationForest(random_state=seed), minus_score_samples),
        "LOF": (LocalOutlierFactor(novelty=True), minus_score_samples),
        "OneClassSVM": (OneClassSVM(), minus_score_samples),
        "PyOD PCA": (PCA(svd_solver="full"), pyod_score),
        "PyOD AutoEncoder": (AutoEncoder(verbose=0), pyod_score),
        "PyOD ECOD": (ECOD(), pyod_score),
    }


def minus_score_samples(model, X):
    """Anomaly score of a scikit-learn detector (higher is abnormal)."""
    return -model.score_samples(X)


def pyod_score(model, X):
    """Anomaly score of a PyOD detector: already higher-is-abnormal."""
    return model.decision_function(X)


def evaluate(model, score, X_train, X_test, y_test):
    """Fit without labels, score the test part: ROC-AUC, AUC-PR, seconds."""
    start = time.perf_counter()
    model.fit(X_train)
    scores = score(model, X_test)
    seconds = time.perf_counter() - start
    run = {
        "roc_auc": float(roc_auc_score(y_test, scores)),
        "auc_pr": float(average_precision_score(y_test, scores)),
        "seconds": seconds,
    }
    if score is minus_score_samples:
        # scikit-learn's convention: predict is -1 for an outlier. The share
        # of the normal test rows flagged is the threshold's false-positive
        # rate; of the anomalies, its recall.
        flagged = model.predict(X_test) == -1
        run["flagged_normal"] = float(flagged[y_test == 0].mean())
        run["flagged_anomalies"] = float(flagged[y_test == 1].mean())
    return run


def contenders(seed, device, detector, ocsvm_seeds):
    """Every method to run on one split: ``{name: (model, score, raw)}``."""
    methods = {name: (*pair, False) for name, pair in baselines(seed).items()}
    if seed not in ocsvm_seeds:
        del methods["OneClassSVM"]
    methods[DETECTOR] = (detector(seed, device), minus_score_samples, False)
    methods[UNSCALED] = (detector(seed, device), minus_score_samples, True)
    return methods


def measure(names, seeds, device, detector, ocsvm_seeds, data_dir=ADBENCH_DIR):
    """Every method on every split: ``{method: {name: [run per seed]}}``."""
    results = {}
    for name, seed, data in splits(names, seeds, data_dir):
        methods = contenders(seed, device, detector, ocsvm_seeds)
        for method, (model, score, raw) in methods.items():
            suffix = "_raw" if raw else ""
            run = evaluate(
                model,
                score,
                data["X_train" + suffix],
                data["X_test" + suffix],
                data["y_test"],
            )
            results.setdefault(method, {}).setdefault(name, []).append(
                {"seed": seed, **run}
            )
            print(
                f"{name}, seed {seed}, {method}: ROC-AUC {run['roc_auc']:.4f}, "
                f"{run['seconds']:.2f} s",
                flush=True,
            )
    return results


def summary(results, ranked):
    """Per method: mean ROC-AUC per data set and overall, mean rank, time.

    Ranks (1 = best, ties averaged) compare each data set's mean ROC-AUC
    over its seeds among the ``ranked`` methods.
    """
    names = list(next(iter(results.values())))
    per_set = {
        method: {n: float(np.mean([r["roc_auc"] for r in runs[n]])) for n in names}
        for method, runs in results.items()
    }
    table = np.array([[per_set[m][n] for m in ranked] for n in names])
    ranks = np.vstack([rankdata(-row) for row in table]).mean(axis=0)
    out = {}
    for method, runs in results.items():
        every = [r for n in names for r in runs[n]]
        out[method] = {
            "roc_auc": per_set[method],
            "mean_roc_auc": float(np.mean(list(per_set[method].values()))),
            "mean_auc_pr": float(
                np.mean([np.mean([r["auc_pr"] for r in runs[n]]) for n in names])
            ),
            "mean_seconds_per_split": float(np.mean([r["seconds"] for r in every])),
            "max_seconds_per_split": float(np.max([r["seconds"] for r in every])),
            "seeds": sorted({r["seed"] for r in every}),
        }
        if "flagged_normal" in every[0]:
            for key in ("flagged_normal", "flagged_anomalies"):
                out[method][f"mean_{key}"] = float(np.mean([r[key] for r in every]))
        if method in ranked:
            out[method]["mean_rank"] = float(ranks[ranked.index(method)])
    return out


def goals(means, total_minutes):
    """The issue's goals, judged; those about the detector only when it ran."""
    reached = {
        "whole run, minutes": {
            "value": total_minutes,
            "goal": f"< {MAX_TOTAL_MINUTES}",
            "verdict": verdict(total_minutes, MAX_TOTAL_MINUTES),
        }
    }
    detector = means[DETECTOR]
    auc = detector["mean_roc_auc"]
    best_rival = max(means[m]["mean_roc_auc"] for m in ("PyOD PCA", "PyOD AutoEncoder"))
    gap = abs(auc - means[UNSCALED]["mean_roc_auc"])
    reached.update(
        {
            "ROC-AUC - IsolationForest's": _goal(
                auc - means["IsolationForest"]["mean_roc_auc"], ">= 0", 0.0, False
            ),
            "ROC-AUC - best of PyOD PCA, AutoEncoder": _goal(
                auc - best_rival, "> 0", 1e-12, False
            ),
            "place by mean rank": _goal(
                _place(means, DETECTOR), "first or second", 2, True
            ),
            "|scaled - unscaled| ROC-AUC": _goal(
                gap, f"<= {MAX_UNSCALED_GAP}", MAX_UNSCALED_GAP, True
            ),
            "fit + score, s per split (max)": _goal(
                detector["max_seconds_per_split"],
                f"<= {MAX_DETECTOR_SECONDS_PER_SPLIT}",
                MAX_DETECTOR_SECONDS_PER_SPLIT,
                True,
            ),
        }
    )
    return reached


def _place(means, method):
    """1 + the number of ranked methods of a strictly better mean rank."""
    rank = means[method]["mean_rank"]
    others = [m["mean_rank"] for m in means.values() if "mean_rank" in m]
    return 1 + sum(other < rank for other in others)


def _goal(value, text, limit, at_most):
    return {"value": value, "goal": text, "verdict": verdict(value, limit, at_most)}


def report(means, names, ranked):
    """Print the per-data-set table, the means, ranks and times."""
    methods = list(means)
    print_table(
        "Outliers: test ROC-AUC per data set (mean over the seeds of each method)",
        ["data set", *methods],
        [[n, *(means[m]["roc_auc"][n] for m in methods)] for n in names],
    )
    print_table(
        "Outliers: means over the data sets",
        ["method", "ROC-AUC", "AUC-PR", "mean rank", "s per split", "max s", "seeds"],
        [
            [
                m,
                means[m]["mean_roc_auc"],
                means[m]["mean_auc_pr"],
                means[m].get("mean_rank", "not ranked"),
                means[m]["mean_seconds_per_split"],
                means[m]["max_seconds_per_split"],
                ",".join(map(str, means[m]["seeds"])),
            ]
            for m in sorted(methods, key=lambda m: means[m].get("mean_rank", 99))
        ],
    )
    print(f"Ranked among: {', '.join(ranked)}.")
    thresholded = [m for m in methods if "mean_flagged_normal" in means[m]]
    print_table(
        "Outliers: predict at each detector's default threshold (mean over splits)",
        ["method", "normal test rows flagged", "anomalies flagged"],
        [
            [
                m,
                means[m]["mean_flagged_normal"],
                means[m]["mean_flagged_anomalies"],
            ]
            for m in thresholded
        ],
    )


def plot(means, names, path):
    """Left: each ranked method's mean ROC-AUC. Right: the detector's ROC-AUC
    minus IsolationForest's on each data set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6), width_ratios=[1, 1.6])
    ranked = sorted(
        (m for m in means if "mean_rank" in means[m]),
        key=lambda m: means[m]["mean_roc_auc"],
    )
    left.barh(ranked, [means[m]["mean_roc_auc"] for m in ranked])
    left.set_xlim(0.6, 0.82)
    left.set_xlabel("mean test ROC-AUC, 24 data sets x 3 splits")
    gaps = [
        means[DETECTOR]["roc_auc"][n] - means["IsolationForest"]["roc_auc"][n]
        for n in names
    ]
    order = np.argsort(gaps)
    right.barh(
        [names[i] for i in order],
        [gaps[i] for i in order],
        color=["tab:red" if gaps[i] < 0 else "tab:green" for i in order],
    )
    right.axvline(0, color="black", linewidth=0.8)
    right.set_xlabel("detector minus IsolationForest, ROC-AUC")
    right.tick_params(axis="y", labelsize=7)
    save_figure(figure, path)


def run(args):
    """``python -m benchmarks outliers``: the table, the goals, the JSON."""
    try:
        import pyod  # noqa: F401
    except ImportError as error:
        raise DataUnavailable(
            "PyOD is not installed: pip install -e '.[bench]'"
        ) from error
    warnings.filterwarnings("ignore", category=UserWarning, module="pyod")
    names = DATA_SETS[:4] if args.quick else DATA_SETS
    seeds = SEEDS[:1] if args.quick else SEEDS
    start = time.perf_counter()
    results = measure(names, seeds, args.device, detector_factory, ocsvm_seeds=seeds)
    total_minutes = (time.perf_counter() - start) / 60
    ranked = [m for m in results if m != UNSCALED]
    means = summary(results, ranked)
    report(means, names, ranked)
    plot(means, names, plot_path("outliers", args.results))
    reached = goals(means, total_minutes)
    print_table(
        "Outliers: goals",
        ["goal", "value", "target", "verdict"],
        [[name, g["value"], g["goal"], g["verdict"]] for name, g in reached.items()],
    )
    write_json(
        "outliers",
        {
            "runs": results,
            "means": means,
            "goals": reached,
            "quick": args.quick,
        },
        args.results,
    )
    return means
