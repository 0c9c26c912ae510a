"""The fitted arrays of one source tree, in a fresh process, for compare_weights.py.

Run by path (``python benchmarks/_weights_run.py --tree TREE --out FILE``),
with ``PYTHONPATH`` naming the source tree whose ``skdae`` is fitted; it
imports nothing from ``benchmarks``, so the tree may be an older commit that
lacks this file. It fits every case of :func:`_cases` on one thread, with
``random_state=0`` and ``device="cpu"``, and writes one ``.npz``: each fitted
attribute of each case under ``CASE/ATTRIBUTE`` (those of sub-estimators
under ``CASE/layers_[0].components_``, ``CASE/estimators_[1].loss_curve_``,
...) and the output of ``transform`` on the first rows of the training data
under ``CASE/transform`` (the detector's under ``CASE/score_samples``). The
solver's state is private and not written; the ``partial_fit`` and
``warm_start`` cases show its effect on the weights. It prints one
JSON object: the names of the cases in the order they ran, each failed
case's error and the parameters that ``--param`` set in each case.

``--param NAME=VALUE`` (repeatable, VALUE a Python literal) sets NAME on
every estimator of a case that has such a parameter, the estimator itself
or one given as its parameter: the imputer's and the detector's
``autoencoder``, through scikit-learn's nested ``autoencoder__NAME``.
"""

import argparse
import ast
import json
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

# One thread everywhere: a parallel reduction may sum in an order that
# depends on how the work was split, and then two processes differ in the
# last bit for reasons that are not the code's.
THREADS = 1
TRAINING_ROWS = 500
TRANSFORM_ROWS = 8
# The parameters of every autoencoder; a case adds its own. The rest stay at
# the tree's defaults, so that a changed default shows as changed weights.
DAE = dict(n_components=32, max_iter=3, random_state=0, device="cpu")
SDAE = dict(
    hidden_layer_sizes=(32, 16),
    max_iter=2,
    fine_tune_max_iter=2,
    random_state=0,
    device="cpu",
)
CORRUPTIONS = ("masking", "gaussian", "salt_and_pepper", "swap", None)


@dataclass(frozen=True)
class Case:
    """One seeded fit.

    Parameters
    ----------
    make : callable
        ``make(skdae)`` returns the unfitted estimator.
    X : str
        The name of the training data in :func:`_data`.
    fit_data : dict of str to str
        Further arguments of the fit (``y``, ``sample_weight``), as names of
        data in :func:`_data`.
    method : str
        ``"fit"`` or ``"partial_fit"``.
    calls : int
        How many times ``method`` is called, on the same data.
    """

    make: object
    X: str = "digits"
    fit_data: dict = field(default_factory=dict)
    method: str = "fit"
    calls: int = 1


def _dae(**params):
    return lambda skdae: skdae.DenoisingAutoencoder(**{**DAE, **params})


def _sdae(**params):
    return lambda skdae: skdae.StackedDenoisingAutoencoder(**{**SDAE, **params})


def _imputer(skdae):
    # The autoencoder is given, so that --param reaches it as
    # ``autoencoder__NAME``; it is the imputer's default one, narrower.
    autoencoder = skdae.DenoisingAutoencoder(**{**DAE, "corruption_level": 0.5})
    return skdae.DenoisingAutoencoderImputer(autoencoder, random_state=0, device="cpu")


def _detector(skdae):
    # As for the imputer: the detector's default member, given.
    autoencoder = skdae.DenoisingAutoencoder(
        **{**DAE, "activation": "tanh", "loss": "mse"}
    )
    return skdae.DenoisingAutoencoderOutlierDetector(
        autoencoder, n_estimators=2, max_steps=40, random_state=0, device="cpu"
    )


def _cases():
    """Every case, by name."""
    labels = {"y": "labels"}
    return {
        "dae": Case(_dae()),
        "dae mse standardized": Case(_dae(loss="mse"), X="standardized"),
        "dae nan 10%": Case(_dae(), X="nan 10%"),
        "dae sample_weight": Case(_dae(), fit_data={"sample_weight": "weights"}),
        "dae untied": Case(_dae(tied_weights=False)),
        "dae sgd": Case(_dae(solver="sgd")),
        **{
            f"dae corruption={corruption}": Case(_dae(corruption=corruption))
            for corruption in CORRUPTIONS
        },
        "dae early_stopping": Case(_dae(early_stopping=True)),
        # More than 4,096 rows: the automatic batch reaches its cap, 128.
        "dae batch auto, 5391 rows": Case(
            _dae(batch_size="auto", max_iter=1), X="digits x3"
        ),
        "dae partial_fit x3": Case(_dae(), method="partial_fit", calls=3),
        "dae warm_start x2": Case(_dae(warm_start=True, max_iter=2), calls=2),
        "dae csr narrow": Case(_dae(), X="csr narrow"),
        # More than 2,048 columns: "auto" samples the reconstruction.
        "dae csr wide sampled": Case(
            _dae(reconstruction_sampling="auto"), X="csr wide"
        ),
        # More than 1,024 rows: the initial mean code is taken on a sample.
        "dae 1797 rows": Case(_dae(max_iter=2), X="all digits"),
        "sdae fine_tuning=None": Case(_sdae(fine_tuning=None)),
        "sdae unsupervised": Case(_sdae(fine_tuning="unsupervised")),
        "sdae supervised": Case(_sdae(fine_tuning="supervised"), fit_data=labels),
        "sdae auto, y": Case(_sdae(fine_tuning="auto"), fit_data=labels),
        "sdae auto, half unlabeled": Case(
            _sdae(fine_tuning="auto"), fit_data={"y": "half unlabeled"}
        ),
        "sdae supervised early_stopping": Case(
            _sdae(fine_tuning="supervised", early_stopping=True), fit_data=labels
        ),
        "sdae partial_fit x2": Case(_sdae(), method="partial_fit", calls=2),
        "imputer nan 20%": Case(_imputer, X="nan 20%"),
        "detector": Case(_detector),
    }


def _data():
    """The training data of the cases, by name: digits scaled to [0, 1]."""
    digits = load_digits()
    everything = (digits.data / 16).astype(np.float32)
    X = everything[:TRAINING_ROWS]
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 2.0, TRAINING_ROWS).astype(np.float32)
    weights[::5] = 0
    labels = digits.target[:TRAINING_ROWS]
    return {
        "digits": X,
        "standardized": StandardScaler().fit_transform(X).astype(np.float32),
        "nan 10%": _with_missing(X, 0.1, rng),
        "nan 20%": _with_missing(X, 0.2, rng),
        "weights": weights,
        "labels": labels,
        "half unlabeled": np.where(np.arange(TRAINING_ROWS) % 2 == 0, labels, -1),
        "digits x3": np.tile(everything, (3, 1)),
        "all digits": everything,
        "csr narrow": sp.csr_matrix(X),
        "csr wide": sp.random(
            600, 3000, density=0.01, format="csr", dtype=np.float32, random_state=0
        ),
    }


def _with_missing(X, share, rng):
    X = X.copy()
    X[rng.random(X.shape) < share] = np.nan
    return X


def _fitted_arrays(value, key, arrays):
    """Add to ``arrays`` every fitted attribute under ``key``, recursively.

    An estimator contributes its public attributes ending in ``_`` (a
    sub-estimator's under ``key.name``); a list of numbers is one array, any
    other list one entry per item (``key[i]``); None adds nothing.
    """
    if isinstance(value, BaseEstimator):
        for name, attribute in sorted(vars(value).items()):
            if name.endswith("_") and not name.startswith("_"):
                _fitted_arrays(attribute, _join(key, name), arrays)
    elif isinstance(value, list | tuple) and not all(
        isinstance(item, int | float | np.number) for item in value
    ):
        for i, item in enumerate(value):
            _fitted_arrays(item, f"{key}[{i}]", arrays)
    elif value is not None:
        array = np.asarray(value)
        # An object array would need pickle to be read back.
        arrays[key] = array.astype(str) if array.dtype == object else array
    return arrays


def _join(key, name):
    return f"{key}/{name}" if "/" not in key else f"{key}.{name}"


def _set_params(estimator, params):
    """Set each of ``params`` wherever the estimator takes it; the names set."""
    accepted = estimator.get_params(deep=True)
    settings = {
        key: value
        for name, value in params.items()
        for key in accepted
        if key == name or key.endswith(f"__{name}")
    }
    estimator.set_params(**settings)
    return sorted(settings)


def _run_case(skdae, name, case, data, params):
    """The fitted arrays of one case, and the parameters set on it."""
    estimator = case.make(skdae)
    applied = _set_params(estimator, params)
    X = data[case.X]
    fit_data = {key: data[value] for key, value in case.fit_data.items()}
    for _ in range(case.calls):
        getattr(estimator, case.method)(X, **fit_data)
    arrays = _fitted_arrays(estimator, name, {})
    output = "transform" if hasattr(estimator, "transform") else "score_samples"
    arrays[f"{name}/{output}"] = getattr(estimator, output)(X[:TRANSFORM_ROWS])
    return arrays, applied


def _import_skdae(tree):
    import skdae

    if not Path(skdae.__file__).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"skdae was imported from {skdae.__file__}, not from {tree}")
    return skdae


def _parameter(text):
    name, _, value = text.partition("=")
    return name, ast.literal_eval(value)


def _parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the .npz written")
    parser.add_argument(
        "--param", type=_parameter, action="append", default=[], help="NAME=VALUE"
    )
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    import torch

    torch.set_num_threads(THREADS)
    skdae = _import_skdae(args.tree)
    # Every case stops at max_iter on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    params = dict(args.param)
    arrays, errors, applied = {}, {}, {}
    cases = _cases()
    with threadpool_limits(THREADS):
        data = _data()
        for name, case in cases.items():
            try:
                case_arrays, applied[name] = _run_case(skdae, name, case, data, params)
            except Exception as error:  # one failed case is reported, not fatal
                errors[name] = f"{type(error).__name__}: {error}"
                continue
            arrays.update(case_arrays)
    np.savez(args.out, **arrays)
    print(json.dumps({"cases": list(cases), "errors": errors, "applied": applied}))


if __name__ == "__main__":
    main()
