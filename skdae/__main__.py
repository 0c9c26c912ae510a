"""The skdae demo: ``python -m skdae``.

Learns features on handwritten digits with a DenoisingAutoencoder and a
StackedDenoisingAutoencoder, each in a Pipeline with LogisticRegression, and
compares them with raw pixels, PCA and BernoulliRBM in one table of test
accuracy and fit time. By default it uses the digits bundled with
scikit-learn (no download); ``--data mnist`` reads MNIST IDX files.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder
from skdae._datasets import load_mnist

# Where --data mnist looks without --mnist-dir: the folder in this variable,
# else ../shared/data/mnist from the current directory (the project's data,
# beside the repository, when run from its root). Resolved here, in the demo,
# so that the reader itself assumes no layout.
MNIST_ENV_VAR = "SKDAE_MNIST_DIR"
_SHARED_MNIST = Path("..") / "shared" / "data" / "mnist"


def _mnist_dir(given=None):
    """``given``, else ``$SKDAE_MNIST_DIR``, else ``../shared/data/mnist``."""
    if given is not None:
        return Path(given)
    return Path(os.environ.get(MNIST_ENV_VAR, _SHARED_MNIST))


def load_data(name, mnist_dir=None, random_state=0):
    """Half of the digits for training, half for testing, scaled to [0, 1].

    Parameters
    ----------
    name : {"digits", "mnist"}
        The bundled 8x8 digits, or MNIST IDX files.
    mnist_dir : str or Path, default=None
        The folder of the MNIST files; default ``$SKDAE_MNIST_DIR``, else
        ``../shared/data/mnist`` from the current directory.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
    image_shape : tuple of int
        The shape of one image, for plotting.
    """
    if name == "mnist":
        try:
            X, y = load_mnist(_mnist_dir(mnist_dir))
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f"{error} Pass the folder holding the IDX files with "
                f"--mnist-dir, or set {MNIST_ENV_VAR}."
            ) from error
        image_shape = (28, 28)
    else:
        X, y = load_digits(return_X_y=True)
        X, image_shape = (X / 16).astype(np.float32), (8, 8)
    splits = train_test_split(
        X, y, test_size=0.5, random_state=random_state, stratify=y
    )
    return (*splits, image_shape)


def _then_classify(*steps):
    return make_pipeline(*steps, StandardScaler(), LogisticRegression(max_iter=2000))


def contenders(device="auto", random_state=0, verbose=1):
    """The feature extractors compared, each followed by a classifier.

    skdae's estimators run at their defaults: the stack, inside a
    classifier's Pipeline, receives the labels and fine-tunes on them.
    """
    shared = dict(random_state=random_state, device=device, verbose=verbose)
    return {
        "raw pixels": _then_classify(),
        "PCA (32)": _then_classify(PCA(32, random_state=random_state)),
        "BernoulliRBM (256)": _then_classify(
            BernoulliRBM(256, learning_rate=0.06, n_iter=20, random_state=random_state)
        ),
        "DenoisingAutoencoder()": _then_classify(DenoisingAutoencoder(**shared)),
        "StackedDenoisingAutoencoder()": _then_classify(
            StackedDenoisingAutoencoder(**shared)
        ),
    }


def run(data, device="auto", random_state=0, verbose=1):
    """Fit every contender on the training half; score on the test half.

    Returns
    -------
    rows : list of (name, accuracy, fit seconds)
    models : dict of name to fitted Pipeline
    """
    X_train, X_test, y_train, y_test = data[:4]
    rows, models = [], {}
    for name, pipeline in contenders(device, random_state, verbose).items():
        print(f"Fitting {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, pipeline.score(X_test, y_test), seconds))
        models[name] = pipeline
    return rows, models


def format_table(rows):
    """A plain-text table of the results."""
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"{'features':<{width}}  {'accuracy':>8}  {'fit (s)':>8}",
        "-" * (width + 20),
    ]
    lines += [f"{name:<{width}}  {acc:>8.4f}  {secs:>8.2f}" for name, acc, secs in rows]
    return "\n".join(lines)


def save_figure(path, dae, X_test, image_shape, random_state=0, n_images=10):
    """Save clean, corrupted and denoised test digits and learned filters.

    The corruption is the one the model was trained with (masking 25%).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(random_state)
    clean = X_test[:n_images]
    corrupted = clean * (rng.random(clean.shape) >= dae.corruption_level)
    denoised = dae.inverse_transform(dae.transform(corrupted.astype(np.float32)))
    rows = {
        "clean": clean,
        "corrupted": corrupted,
        "denoised": denoised,
        "filters": dae.components_[:n_images],
    }
    figure, axes = plt.subplots(
        len(rows), n_images, figsize=(n_images * 0.9, len(rows) * 1.0)
    )
    for row, (title, images) in zip(axes, rows.items(), strict=True):
        row[0].set_title(title, loc="left", fontsize=9)
        for axis, image in zip(row, images, strict=True):
            axis.imshow(image.reshape(image_shape), cmap="gray_r")
            axis.set_axis_off()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skdae",
        description="Compare denoising-autoencoder features with raw pixels, PCA "
        "and BernoulliRBM: accuracy of LogisticRegression on each.",
    )
    parser.add_argument(
        "--data",
        choices=["digits", "mnist"],
        default="digits",
        help="digits: the 8x8 digits bundled with scikit-learn "
        "(default); mnist: MNIST IDX files from --mnist-dir",
    )
    parser.add_argument(
        "--mnist-dir",
        default=None,
        help="folder with t10k-images-idx3-ubyte(.gz) and "
        f"t10k-labels-idx1-ubyte(.gz); default: ${MNIST_ENV_VAR}, else "
        f"{_SHARED_MNIST} from the current directory",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="'auto' (default), 'cpu', 'cuda', 'cuda:N' or 'mps'",
    )
    parser.add_argument(
        "--output",
        default=None,
        metavar="PNG",
        help="save clean, corrupted and denoised test digits and "
        "learned filters to this PNG file",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv=None):
    """Run the demo; return the table's rows."""
    args = _parser().parse_args(argv)
    data = load_data(args.data, args.mnist_dir, args.random_state)
    n_train, n_features = data[0].shape
    print(
        f"{args.data}: {n_train} training and {len(data[1])} test images of "
        f"{n_features} pixels; test accuracy of LogisticRegression on:\n"
    )
    rows, models = run(data, args.device, args.random_state, 0 if args.quiet else 1)
    print(format_table(rows))
    if args.output:
        dae = models["DenoisingAutoencoder()"][0]
        save_figure(args.output, dae, data[1], data[4], args.random_state)
        print(f"\nSaved digits and filters to {args.output}")
    return rows


if __name__ == "__main__":
    main()
