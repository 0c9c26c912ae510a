"""Property-based tests: shapes, dtypes, finiteness, determinism, clone, pickle.

Hypothesis draws the data's shape and dtype and the estimators' parameters;
the models are tiny and train for one or two epochs, so each example is fast.
"""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.bool_]


@st.composite
def datasets(draw):
    """X in [0, 1] (so that cross-entropy applies) in any supported dtype."""
    n_samples = draw(st.integers(1, 6))
    n_features = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    values = rng.uniform(size=(n_samples, n_features))
    if np.dtype(dtype).kind in "ib":
        values = values > 0.5
    return values.astype(dtype)


SHARED_PARAMETERS = dict(
    corruption=st.sampled_from(["masking", "gaussian", "salt_and_pepper", None]),
    corruption_level=st.floats(0, 1),
    activation=st.sampled_from(["sigmoid", "tanh", "relu", "identity"]),
    loss=st.sampled_from(["mse", "cross_entropy"]),
    tied_weights=st.booleans(),
    solver=st.sampled_from(["adam", "sgd"]),
    batch_size=st.one_of(st.just("auto"), st.integers(1, 8)),
    max_iter=st.integers(1, 2),
    random_state=st.integers(0, 1000),
)

dae_parameters = st.fixed_dictionaries(
    {"n_components": st.integers(1, 5), **SHARED_PARAMETERS}
)
sdae_parameters = st.fixed_dictionaries(
    {
        "hidden_layer_sizes": st.lists(st.integers(1, 4), min_size=1, max_size=3),
        "fine_tuning": st.sampled_from([None, "unsupervised", "supervised"]),
        "fine_tune_max_iter": st.integers(1, 2),
        **SHARED_PARAMETERS,
    }
)


def _fit(estimator, X):
    y = np.arange(len(X)) % 2
    if getattr(estimator, "fine_tuning", None) == "supervised" and len(X) < 2:
        estimator.set_params(fine_tuning="unsupervised")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _outputs(estimator, X):
    codes = estimator.transform(X)
    return codes, estimator.inverse_transform(codes), estimator.score_samples(X)


def _check_properties(estimator, X, n_components):
    fitted = _fit(estimator, X)
    codes, reconstruction, scores = _outputs(fitted, X)
    # Shapes and dtypes: inference runs in float32 for float32, else float64.
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    assert codes.shape == (X.shape[0], n_components) and codes.dtype == dtype
    assert reconstruction.shape == X.shape and reconstruction.dtype == dtype
    assert scores.shape == (X.shape[0],) and scores.dtype == dtype
    for output in (codes, reconstruction, scores):
        assert np.isfinite(output).all()
    assert np.isfinite(fitted.loss_curve_).all()
    # Determinism under random_state, for a clone and for the same estimator.
    expected = _outputs(fitted, X)
    for other in (_fit(clone(estimator), X), pickle.loads(pickle.dumps(fitted))):
        for output, reference in zip(_outputs(other, X), expected, strict=True):
            np.testing.assert_array_equal(output, reference)
    refitted = pickle.loads(pickle.dumps(fitted))
    _fit(refitted, X)
    np.testing.assert_array_equal(refitted.transform(X), codes)


@SETTINGS
@given(X=datasets(), params=dae_parameters)
def test_denoising_autoencoder_properties(X, params):
    _check_properties(
        DenoisingAutoencoder(device="cpu", **params), X, params["n_components"]
    )


@SETTINGS
@given(X=datasets(), params=sdae_parameters)
def test_stacked_denoising_autoencoder_properties(X, params):
    estimator = StackedDenoisingAutoencoder(device="cpu", **params)
    _check_properties(estimator, X, params["hidden_layer_sizes"][-1])
    assert [layer.n_components for layer in estimator.layers_] == params[
        "hidden_layer_sizes"
    ]


@SETTINGS
@given(
    estimator=st.sampled_from([DenoisingAutoencoder, StackedDenoisingAutoencoder]),
    corruption=st.sampled_from(["masking", "salt_and_pepper"]),
    level=st.floats(1, 1e6, exclude_min=True),
)
def test_a_probability_above_one_is_always_refused(estimator, corruption, level):
    with pytest.raises(ValueError, match=r"is a probability .* between 0 and 1\."):
        estimator(corruption=corruption, corruption_level=level, device="cpu").fit(
            np.ones((2, 2))
        )


@SETTINGS
@given(X=datasets(), n_extra=st.integers(1, 3))
def test_another_number_of_features_is_always_refused(X, n_extra):
    dae = _fit(DenoisingAutoencoder(2, max_iter=1, device="cpu"), X)
    wider = np.hstack([X, np.ones((len(X), n_extra), dtype=X.dtype)])
    for method in (dae.transform, dae.score_samples, dae.partial_fit):
        with pytest.raises(
            ValueError,
            match=rf"X has {X.shape[1] + n_extra} features, but "
            rf"DenoisingAutoencoder is expecting {X.shape[1]} features",
        ):
            method(wider)
