"""The skdae demo: ``python -m skdae``.

Fits denoising-autoencoder features in Pipelines with LogisticRegression on
the digits bundled with scikit-learn, and compares them with raw pixels, PCA
and BernoulliRBM in one table of test accuracy and fit time.
"""

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder


def _classifier():
    return LogisticRegression(max_iter=2000)


def contenders(device, random_state=0):
    """The feature extractors compared, each followed by a classifier."""
    return {
        "raw pixels": make_pipeline(StandardScaler(), _classifier()),
        "PCA (64)": make_pipeline(
            PCA(64, random_state=random_state), StandardScaler(), _classifier()
        ),
        "BernoulliRBM (256)": make_pipeline(
            BernoulliRBM(256, learning_rate=0.06, n_iter=20, random_state=random_state),
            StandardScaler(),
            _classifier(),
        ),
        "DenoisingAutoencoder (256)": make_pipeline(
            DenoisingAutoencoder(
                256,
                loss="cross_entropy",
                max_iter=100,
                random_state=random_state,
                device=device,
            ),
            StandardScaler(),
            _classifier(),
        ),
    }


def run(device="auto", random_state=0):
    """Fit every contender; return rows of (name, accuracy, fit seconds)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.5, random_state=random_state, stratify=y
    )
    rows = []
    for name, pipeline in contenders(device, random_state).items():
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, pipeline.score(X_test, y_test), seconds))
    return rows


def format_table(rows):
    """A plain-text table of the results."""
    lines = [f"{'features':<28} {'accuracy':>8} {'fit (s)':>8}", "-" * 46]
    lines += [f"{name:<28} {acc:>8.4f} {secs:>8.2f}" for name, acc, secs in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdae",
        description="Compare denoising-autoencoder features with raw pixels, "
        "PCA and BernoulliRBM on the bundled digits.",
    )
    parser.add_argument(
        "--device", default="auto", help="'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
    )
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    print("Digits (1,797 8x8 images), half for training, half for testing:\n")
    print(format_table(run(args.device, args.random_state)))


if __name__ == "__main__":
    main()
