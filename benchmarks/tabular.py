"""Tabular features on Adult: swap noise against masking and gaussian noise.

The table is encoded as a user would: one-hot categories (a missing value is
a category of its own) beside standardized numeric columns. Each
DenoisingAutoencoder, at its defaults but for ``corruption``, learns codes on
the encoded training rows; a classifier then sees the encoded columns and the
codes side by side, against the encoded columns alone: LogisticRegression on
the codes as they come and on standardized codes, and
HistGradientBoostingClassifier. Three seeds per autoencoder, means reported.
"""

import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder

from ._common import plot_path, print_table, save_figure, verdict, write_json
from .data import adult_encoder, load_adult

CORRUPTIONS = {
    "swap": {"corruption": "swap"},
    "swap 0.15": {"corruption": "swap", "corruption_level": 0.15},
    "masking": {"corruption": "masking"},
    "gaussian": {"corruption": "gaussian", "corruption_level": 0.25},
}
SEEDS = (0, 1, 2)
# The goal: swap-noise codes beside the raw columns raise LogisticRegression's
# test accuracy by at least half a point.
MIN_GAIN = 0.005
# The classifiers, and whether the codes they see are standardized first.
# HistGradientBoosting splits on thresholds: scaling changes nothing for it.
SETTINGS = {
    "LogisticRegression": False,
    "LogisticRegression, codes standardized": True,
    "HistGradientBoosting": False,
}


def make_classifier(setting):
    if setting.startswith("LogisticRegression"):
        return LogisticRegression(max_iter=2000)
    return HistGradientBoostingClassifier(random_state=0)


def encoded_adult(quick):
    """Adult's training and test rows, one-hot and standardized (dense)."""
    X_train, X_test, y_train, y_test = load_adult()
    if quick:
        X_train, y_train = X_train[:3000], y_train[:3000]
        X_test, y_test = X_test[:3000], y_test[:3000]
    encode = adult_encoder(X_train)
    E_train = encode.fit_transform(X_train.fillna("missing")).astype(np.float32)
    E_test = encode.transform(X_test.fillna("missing")).astype(np.float32)
    return E_train, E_test, y_train, y_test


def scores_of(E_train, y_train, E_test, y_test, codes=None):
    """Test accuracy in each setting, on the raw columns beside the codes
    (``(train, test)``) when given."""
    scores = {}
    for setting, standardized in SETTINGS.items():
        F_train, F_test = E_train, E_test
        if codes is not None:
            C_train, C_test = codes
            if standardized:
                scaler = StandardScaler().fit(C_train)
                C_train, C_test = scaler.transform(C_train), scaler.transform(C_test)
            F_train, F_test = np.hstack([E_train, C_train]), np.hstack([E_test, C_test])
        model = make_classifier(setting).fit(F_train, y_train)
        scores[setting] = model.score(F_test, y_test)
    return scores


def measure(device, quick):
    """Raw scores, and per corruption and seed the scores with the codes."""
    E_train, E_test, y_train, y_test = encoded_adult(quick)
    raw = scores_of(E_train, y_train, E_test, y_test)
    results = {"raw": raw, "codes": {}}
    print(f"  raw: {raw}", flush=True)
    for name, params in CORRUPTIONS.items():
        runs = []
        for seed in SEEDS:
            dae = DenoisingAutoencoder(**params, random_state=seed, device=device)
            start = time.perf_counter()
            dae.fit(E_train)
            seconds = time.perf_counter() - start
            codes = dae.transform(E_train), dae.transform(E_test)
            scores = scores_of(E_train, y_train, E_test, y_test, codes)
            runs.append(
                {"seed": seed, "fit_seconds": seconds, "epochs": dae.n_iter_, **scores}
            )
            print(f"  {name}, seed {seed}: {runs[-1]}", flush=True)
        results["codes"][name] = runs
    return results


def mean_of(runs, key):
    return float(np.mean([run[key] for run in runs]))


def summary(results):
    """Rows of the table: raw, then raw + codes of each corruption (means)."""
    rows = [["raw (one-hot + scaled)", *results["raw"].values(), "", ""]]
    for name, runs in results["codes"].items():
        rows.append(
            [
                f"raw + DAE({_parameters(CORRUPTIONS[name])}) codes",
                *(mean_of(runs, key) for key in SETTINGS),
                mean_of(runs, "fit_seconds"),
                mean_of(runs, "epochs"),
            ]
        )
    return rows


def _parameters(params):
    return ", ".join(f"{key}={value!r}" for key, value in params.items())


def goals(results):
    raw = results["raw"]["LogisticRegression"]
    swap = mean_of(results["codes"]["swap"], "LogisticRegression")
    masking = mean_of(results["codes"]["masking"], "LogisticRegression")
    gain = swap - raw
    return [
        [
            "swap codes + raw − raw (LogisticRegression)",
            gain,
            verdict(gain, MIN_GAIN, at_most=False),
        ],
        [
            "swap − masking (LogisticRegression)",
            swap - masking,
            verdict(swap - masking, 0.0, at_most=False),
        ],
    ]


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["codes"])
    figure, axes = plt.subplots(1, len(SETTINGS), figsize=(14, 3.8))
    for axis, classifier in zip(axes, SETTINGS, strict=True):
        means = [mean_of(results["codes"][n], classifier) for n in names]
        spreads = [
            np.std([run[classifier] for run in results["codes"][n]]) for n in names
        ]
        axis.bar(names, means, yerr=spreads, capsize=4, color="tab:blue")
        axis.axhline(
            results["raw"][classifier],
            color="gray",
            linestyle="--",
            label="raw columns alone",
        )
        low = min(*means, results["raw"][classifier])
        axis.set_ylim(low - 0.01, max(means) + 0.006)
        axis.set_title(classifier, fontsize=10)
        axis.set_xlabel("corruption of the codes' autoencoder")
    axes[0].set_ylabel("Adult test accuracy (raw + codes)")
    axes[0].legend()
    save_figure(figure, path)


def run(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = measure(args.device, args.quick)
    print_table(
        f"Adult: test accuracy, means over seeds {SEEDS}",
        ["features", *SETTINGS, "DAE fit seconds", "DAE epochs"],
        summary(results),
    )
    print_table("Goals", ["goal", "figure", "verdict"], goals(results))
    write_json(
        "tabular",
        {**results, "goals": goals(results), "quick": args.quick},
        args.results,
    )
    plot(results, plot_path("tabular", args.results))
