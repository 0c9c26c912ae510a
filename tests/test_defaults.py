"""The estimators at their defaults: what a new user meets first (issue 11).

The digits checks use the bundled 8x8 digits scaled to [0, 1], the first
1,200 rows to train and the rest held out, as ``python -m benchmarks
defaults`` does; ``random_state=0`` everywhere.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder
from skdae._modules import AutoencoderLayer, init_layer_params
from skdae._sdae import is_classification_target
from skdae._training import _StoppingRule

ACTIVATIONS = ("relu", "sigmoid", "tanh", "identity")


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return X[:1200], X[1200:], y[:1200], y[1200:]


@pytest.fixture(scope="module")
def standardized_table():
    X, _ = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X[:400], X[400:]


def _squared_error(reconstruction, X):
    return float(np.mean(np.sum((reconstruction - X) ** 2, axis=1)))


def test_default_reconstructs_held_out_digits_far_better_than_the_mean(
    digits_split,
):
    X_train, X_test, _, _ = digits_split
    dae = DenoisingAutoencoder(n_components=32, max_iter=30, random_state=0)
    dae.fit(X_train)
    error = _squared_error(dae.inverse_transform(dae.transform(X_test)), X_test)
    assert error < 0.5 * _squared_error(X_train.mean(axis=0), X_test)


def test_grid_search_prefers_the_larger_code(digits_split):
    search = GridSearchCV(
        DenoisingAutoencoder(max_iter=20, random_state=0),
        {"n_components": [4, 32]},
        cv=3,
    )
    assert search.fit(digits_split[0]).best_params_ == {"n_components": 32}


def test_default_features_feed_a_classifier(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    pipe = make_pipeline(
        DenoisingAutoencoder(n_components=64, max_iter=30, random_state=0),
        LogisticRegression(max_iter=2000),
    )
    raw = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    # Measured 0.923-0.926 against 0.921 for raw pixels on this split; the
    # issue's goal of 0.93 is not reached (see the defaults benchmark).
    assert pipe.fit(X_train, y_train).score(X_test, y_test) >= raw.score(X_test, y_test)


def test_supervised_fine_tuning_beats_its_unsupervised_twin(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    scores = {}
    for mode in ("supervised", "unsupervised"):
        stack = StackedDenoisingAutoencoder(
            (64, 32),
            max_iter=15,
            fine_tune_max_iter=30,
            fine_tuning=mode,
            random_state=0,
        )
        pipe = make_pipeline(stack, LogisticRegression(max_iter=2000))
        scores[mode] = pipe.fit(X_train, y_train).score(X_test, y_test)
    assert scores["supervised"] > scores["unsupervised"]
    # Measured 0.926; the goal of 0.94 is not reached.
    assert scores["supervised"] >= 0.92


def _initial_error(X_train, X_test, activation, loss, tied, seed=0):
    params = init_layer_params(
        X_train, 32, activation, loss, tied, np.random.RandomState(seed)
    )
    layer = AutoencoderLayer(params, activation, loss, torch.device("cpu"))
    with torch.inference_mode():
        reconstruction = layer.output(layer(torch.from_numpy(X_test))).numpy()
    return _squared_error(reconstruction, X_test)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_a_new_model_is_no_worse_than_the_mean_predictor(
    digits_split, standardized_table, activation, loss, tied
):
    datasets = [digits_split[:2]]
    if loss == "mse":
        datasets.append(standardized_table)
    for X_train, X_test in datasets:
        mean_error = _squared_error(X_train.mean(axis=0), X_test)
        for seed in range(3):
            error = _initial_error(X_train, X_test, activation, loss, tied, seed)
            assert error <= mean_error * (1 + 1e-5)


def test_an_untied_model_starts_exactly_at_the_mean(digits_split):
    X_train, X_test = digits_split[:2]
    params = init_layer_params(
        X_train, 16, "relu", "mse", False, np.random.RandomState(0)
    )
    layer = AutoencoderLayer(params, "relu", "mse", torch.device("cpu"))
    with torch.inference_mode():
        reconstruction = layer(torch.from_numpy(X_test)).numpy()
    np.testing.assert_allclose(
        reconstruction, np.broadcast_to(X_train.mean(axis=0), X_test.shape), atol=1e-6
    )


def test_zero_weighted_rows_play_no_part_in_the_initialisation(digits_split):
    X_train = digits_split[0][:200]
    noise = np.random.RandomState(1).uniform(size=(50, 64)).astype(np.float32)
    weight = np.r_[np.ones(200), np.zeros(50)]
    alone = init_layer_params(
        X_train, 16, "relu", "mse", True, np.random.RandomState(0)
    )
    padded = init_layer_params(
        np.vstack([X_train, noise]),
        16,
        "relu",
        "mse",
        True,
        np.random.RandomState(0),
        sample_weight=weight,
    )
    for name in alone:
        np.testing.assert_allclose(alone[name], padded[name], rtol=1e-5, atol=1e-6)


def test_loss_auto_follows_the_range_of_the_training_data(
    digits_split, standardized_table
):
    pixels = DenoisingAutoencoder(n_components=8, max_iter=2, random_state=0)
    assert pixels.fit(digits_split[0]).loss_ == "cross_entropy"
    table = DenoisingAutoencoder(n_components=8, max_iter=2, random_state=0)
    assert table.fit(standardized_table[0]).loss_ == "mse"
    assert table.loss == "auto"


def test_loss_auto_is_fixed_by_the_first_partial_fit(digits_split):
    dae = DenoisingAutoencoder(n_components=8, random_state=0)
    dae.partial_fit(digits_split[0])
    assert dae.loss_ == "cross_entropy"
    with pytest.raises(ValueError, match=r"loss='cross_entropy' needs X in the range"):
        dae.partial_fit(digits_split[0] * 2)
    # A new fit decides again.
    assert dae.fit(digits_split[0] * 2).loss_ == "mse"


def test_a_default_fit_stops_when_it_has_converged(digits_split):
    dae = DenoisingAutoencoder(n_components=32, random_state=0).fit(digits_split[0])
    assert dae.n_iter_ < dae.max_iter
    assert len(dae.loss_curve_) == dae.n_iter_


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_tol_is_relative_to_the_loss(scale):
    # A loss falling by 0.5% an epoch improves by less than tol=1e-2 of
    # itself, whatever its scale: the rule stops after n_iter_no_change + 1
    # such epochs.
    rule = _StoppingRule(tol=1e-2, n_iter_no_change=3, use_validation=False)
    losses = scale * 100 * 0.995 ** np.arange(20)
    stops = [rule.update(loss, None, None) for loss in losses]
    assert stops.index(True) == 4


def test_fine_tuning_auto_is_supervised_inside_a_classifier_pipeline(digits_split):
    X_train, _, y_train, _ = digits_split
    stack = StackedDenoisingAutoencoder(
        (16, 8), max_iter=2, fine_tune_max_iter=2, random_state=0
    )
    make_pipeline(stack, LogisticRegression(max_iter=200)).fit(X_train, y_train)
    assert stack.fine_tuning_ == "supervised" and hasattr(stack, "head_coef_")
    assert stack.fit(X_train).fine_tuning_ == "unsupervised"
    assert not hasattr(stack, "head_coef_")


def test_fine_tuning_auto_trains_no_softmax_on_a_regression_target():
    X, y = load_diabetes(return_X_y=True)
    stack = StackedDenoisingAutoencoder(
        (16, 8), max_iter=2, fine_tune_max_iter=2, random_state=0
    ).fit(StandardScaler().fit_transform(X), y)
    assert stack.fine_tuning_ == "unsupervised"
    assert not hasattr(stack, "classes_")


@pytest.mark.parametrize(
    "y, expected",
    [
        (None, False),
        (np.array([0, 1] * 10), True),
        (np.array(["a", "b", "c"] * 10), True),
        (np.arange(30) % 5, True),
        # 214 values in 442 rows: load_diabetes's integer-valued target.
        (load_diabetes(return_X_y=True)[1], False),
        (np.linspace(0, 1, 30), False),
        # A class seen once cannot be told from a regression value.
        (np.r_[np.zeros(10), np.ones(10), 2], False),
        (np.ones((20, 2)), False),
    ],
)
def test_classification_targets_are_told_from_regression_targets(y, expected):
    assert is_classification_target(y) is expected
