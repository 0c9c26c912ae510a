"""Feature quality on the MNIST reference split (goal 6, issue 4).

Each representation is fitted on the 5,000 training digits, then followed by
``StandardScaler + LogisticRegression`` scored on the 5,000 test digits. Also:
denoising of 25%-masked test digits against PCA, and the accuracy of the DAE
against its corruption level (the denoising claim), as a plot.
"""

import time
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder

from ._common import plot_path, print_table, verdict, write_json
from .data import reference_split

PCA_COMPONENTS = 64
PCA_DENOISING_COMPONENTS = (16, 32, 64, 128, 256)
CORRUPTION_LEVELS = (0.0, 0.1, 0.25, 0.5, 0.7)
TEST_MASKING = 0.25


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))


def representations(device, quick=False):
    """The feature extractors compared, by name (None: raw pixels)."""
    # --quick is a smoke test of the code, not a measurement.
    epochs = 2 if quick else None

    def dae(**changes):
        if epochs:
            changes["max_iter"] = epochs
        return DenoisingAutoencoder(**changes, random_state=0, device=device)

    def sdae(fine_tuning):
        settings = dict(fine_tuning=fine_tuning)
        if epochs:
            settings.update(max_iter=epochs, fine_tune_max_iter=epochs)
        return StackedDenoisingAutoencoder(**settings, random_state=0, device=device)

    return {
        "raw pixels": None,
        f"PCA ({PCA_COMPONENTS})": PCA(PCA_COMPONENTS, random_state=0),
        "BernoulliRBM (256, lr 0.06, 20 iter)": BernoulliRBM(
            256, learning_rate=0.06, n_iter=2 if quick else 20, random_state=0
        ),
        "skdae DAE (defaults)": dae(),
        "skdae AE, corruption=None": dae(corruption=None),
        "skdae SDAE, unsupervised": sdae("unsupervised"),
        "skdae SDAE, supervised": sdae("supervised"),
    }


def evaluate(extractor, X_train, X_test, y_train, y_test):
    """Fit the representation (timed) and the classifier; test accuracy.

    ``extractor=None`` is the raw pixels: nothing to fit, a fit time of 0.
    """
    F_train, F_test, fit_seconds = X_train, X_test, 0.0
    if extractor is not None:
        supervised = isinstance(extractor, StackedDenoisingAutoencoder) and (
            extractor.fine_tuning == "supervised"
        )
        start = time.perf_counter()
        extractor.fit(X_train, y_train if supervised else None)
        fit_seconds = time.perf_counter() - start
        F_train, F_test = extractor.transform(X_train), extractor.transform(X_test)
    accuracy = _classifier().fit(F_train, y_train).score(F_test, y_test)
    return {"accuracy": accuracy, "fit_seconds": fit_seconds}


def mask(X, level, seed=0):
    """X with each entry set to 0 with probability ``level`` (seeded)."""
    keep = np.random.default_rng(seed).random(X.shape) >= level
    return (X * keep).astype(np.float32)


def denoising(dae, X_train, X_test):
    """Mean squared error per digit of reconstructing clean test digits from
    25%-masked ones: the DAE against PCA fitted on the clean training digits.

    PCA gets its best number of components among ``PCA_DENOISING_COMPONENTS``.
    """
    corrupted = mask(X_test, TEST_MASKING)

    def error(reconstruction):
        return float(np.mean(np.sum((reconstruction - X_test) ** 2, axis=1)))

    pca_errors = {}
    for k in PCA_DENOISING_COMPONENTS:
        pca = PCA(k, random_state=0).fit(X_train)
        pca_errors[k] = error(pca.inverse_transform(pca.transform(corrupted)))
    best_k = min(pca_errors, key=pca_errors.get)
    dae_error = error(dae.inverse_transform(dae.transform(corrupted)))
    return {
        "dae": dae_error,
        "pca": pca_errors[best_k],
        "pca_components": best_k,
        "pca_all": pca_errors,
        "corrupted_input": error(corrupted),
        "ratio": dae_error / pca_errors[best_k],
        "limit": 0.8,
    }


def corruption_sweep(X_train, X_test, y_train, y_test, device, known):
    """Accuracy of the default DAE at each corruption level (0: plain AE).

    ``known`` maps levels already measured (the default level, and 0 for
    ``corruption=None``) to their scores, which are reused.
    """
    sweep = {}
    for level in sorted({*CORRUPTION_LEVELS, *known}):
        if level in known:
            sweep[level] = known[level]
        else:
            dae = DenoisingAutoencoder(
                corruption_level=level, random_state=0, device=device
            )
            sweep[level] = evaluate(dae, X_train, X_test, y_train, y_test)
        print(f"  corruption_level={level}: {sweep[level]['accuracy']:.4f}", flush=True)
    return sweep


def run(args):
    """Fit every representation, print the tables, write JSON and plots."""
    X_train, X_test, y_train, y_test = reference_split()
    warnings.simplefilter("ignore", ConvergenceWarning)
    extractors = representations(args.device, args.quick)
    scores = {}
    for name, extractor in extractors.items():
        scores[name] = evaluate(extractor, X_train, X_test, y_train, y_test)
        print(f"  {name}: {scores[name]['accuracy']:.4f}", flush=True)
    rbm = scores["BernoulliRBM (256, lr 0.06, 20 iter)"]["accuracy"]
    print_table(
        "Goal 6 - features + StandardScaler + LogisticRegression, MNIST reference "
        "split (5,000 train / 5,000 test)",
        ["representation", "test accuracy", "vs RBM (points)", "fit s"],
        [
            [name, s["accuracy"], 100 * (s["accuracy"] - rbm), s["fit_seconds"]]
            for name, s in scores.items()
        ],
    )
    denoise = denoising(extractors["skdae DAE (defaults)"], X_train, X_test)
    print_table(
        f"Goal 6 - denoising {TEST_MASKING:.0%}-masked test digits: "
        "squared error per digit",
        ["method", "squared error"],
        [
            ["corrupted input itself", denoise["corrupted_input"]],
            [
                f"PCA ({denoise['pca_components']} components, the best)",
                denoise["pca"],
            ],
            ["skdae DAE (defaults)", denoise["dae"]],
        ],
    )
    sweep = {}
    if not args.quick:
        print("corruption sweep:", flush=True)
        known = {
            0.0: scores["skdae AE, corruption=None"],
            DenoisingAutoencoder().corruption_level: scores["skdae DAE (defaults)"],
        }
        sweep = corruption_sweep(X_train, X_test, y_train, y_test, args.device, known)
        _plot_sweep(sweep, rbm, plot_path("quality_corruption", args.results))
    results = {
        "quick": args.quick,
        "scores": scores,
        "denoising": denoise,
        "corruption_sweep": sweep,
    }
    _summary(results)
    write_json("quality", results, args.results)
    plot_scores(scores, plot_path("quality", args.results))
    return results


def _summary(results):
    scores = results["scores"]
    rbm = scores["BernoulliRBM (256, lr 0.06, 20 iter)"]["accuracy"]
    dae = scores["skdae DAE (defaults)"]["accuracy"]
    plain = scores["skdae AE, corruption=None"]["accuracy"]
    supervised = scores["skdae SDAE, supervised"]["accuracy"]
    ratio = results["denoising"]["ratio"]
    rows = [
        [
            "DAE - RBM accuracy (points)",
            100 * (dae - rbm),
            ">= 1",
            verdict(100 * (dae - rbm), 1, at_most=False),
        ],
        [
            "SDAE supervised accuracy",
            supervised,
            ">= 0.965",
            verdict(supervised, 0.965, at_most=False),
        ],
        ["denoising error DAE / PCA", ratio, "< 0.8", verdict(ratio, 0.8)],
        [
            "DAE - plain AE accuracy (points)",
            100 * (dae - plain),
            "> 0 (claim)",
            verdict(dae - plain, 0, at_most=False),
        ],
    ]
    print_table("Quality goals", ["goal", "figure", "goal", "verdict"], rows)


def plot_scores(
    scores, path, title="MNIST reference split: feature quality and fit time"
):
    """Bar charts of each representation's accuracy and fit time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(scores)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    left.barh(names, [scores[n]["accuracy"] for n in names])
    left.set_xlim(0.85, 1.0)
    left.set_xlabel("test accuracy (StandardScaler + LogisticRegression)")
    right.barh(names, [scores[n]["fit_seconds"] for n in names], color="tab:orange")
    right.set_xlabel("fit time of the representation (s)")
    left.invert_yaxis()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")


def _plot_sweep(sweep, rbm_accuracy, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = list(sweep)
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(
        levels,
        [sweep[lvl]["accuracy"] for lvl in levels],
        marker="o",
        label="skdae DAE",
    )
    axes.axhline(rbm_accuracy, color="gray", linestyle="--", label="BernoulliRBM")
    axes.set_xlabel("corruption_level (masking; 0 = plain autoencoder)")
    axes.set_ylabel("test accuracy")
    axes.set_title("Denoising vs a plain autoencoder (MNIST reference split)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {path}")
