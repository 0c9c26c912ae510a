"""Saved models: a sound one loads and trains on, a corrupted one is refused
with a clear error."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder
from skdae._persistence import CorruptedStateError, restored_on_error

X = np.random.RandomState(0).uniform(size=(20, 5)).astype(np.float32)
Y = np.arange(20) % 2


@pytest.fixture(scope="module")
def models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "dae": DenoisingAutoencoder(
                3, tied_weights=False, max_iter=2, random_state=0, device="cpu"
            ).fit(X),
            "sdae": StackedDenoisingAutoencoder(
                (4, 3),
                fine_tuning="supervised",
                max_iter=2,
                fine_tune_max_iter=2,
                random_state=0,
                device="cpu",
            ).fit(X, Y),
        }


def _reloaded(estimator, change):
    """Pickle a copy of the estimator after ``change(copy)`` and load it."""
    copy = pickle.loads(pickle.dumps(estimator))
    change(copy)
    return pickle.loads(pickle.dumps(copy))


@pytest.mark.parametrize("kind", ["dae", "sdae"])
def test_a_sound_model_round_trips_and_trains_on(models, kind):
    restored = pickle.loads(pickle.dumps(models[kind]))
    np.testing.assert_array_equal(restored.transform(X), models[kind].transform(X))
    # The solver and random states came along: training goes on exactly as it
    # does without the round trip.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        never_saved = clone(models[kind]).fit(X, Y).partial_fit(X)
    restored.partial_fit(X)
    assert restored.n_iter_ == never_saved.n_iter_ == models[kind].n_iter_ + 1
    np.testing.assert_array_equal(restored.transform(X), never_saved.transform(X))


def test_an_unfitted_model_round_trips():
    restored = pickle.loads(pickle.dumps(StackedDenoisingAutoencoder((3,))))
    assert restored.get_params()["hidden_layer_sizes"] == (3,)


def _set(name, value):
    return lambda estimator: setattr(estimator, name, value)


def _delete(name):
    return lambda estimator: delattr(estimator, name)


def _nan_in(name):
    def change(estimator):
        array = getattr(estimator, name).copy()
        array.flat[0] = np.nan
        setattr(estimator, name, array)

    return change


DAE_CORRUPTIONS = [
    (_delete("components_"), r"its fitted attribute components_ is missing"),
    (
        _delete("intercept_visible_"),
        r"its fitted attribute intercept_visible_ is missing",
    ),
    (
        _set("components_", np.zeros((3, 4), dtype=np.float32)),
        r"intercept_visible_ has shape \(5,\), inconsistent with the other fitted "
        r"arrays \(n_features = 4\)",
    ),
    (
        _set("intercept_hidden_", np.zeros(2, dtype=np.float32)),
        r"intercept_hidden_ has shape \(2,\), inconsistent .*\(n_components = 3\)",
    ),
    (
        _set("decoder_components_", np.zeros((3, 6), dtype=np.float32)),
        r"decoder_components_ has shape \(3, 6\)",
    ),
    (
        _set("components_", np.zeros(15, dtype=np.float32)),
        r"components_ has 1 dimension\(s\) instead of 2",
    ),
    (
        _set("components_", [[0.0] * 5] * 3),
        r"components_ should be a floating-point array, not list",
    ),
    (_nan_in("components_"), r"components_ contains NaN or infinite values"),
    (_nan_in("data_max_"), r"data_max_ contains NaN or infinite values"),
    (
        _set("n_features_in_", 7),
        r"n_features_in_ is 7 but components_ has 5 column\(s\)",
    ),
]


@pytest.mark.parametrize("change, problem", DAE_CORRUPTIONS)
def test_a_corrupted_dae_is_refused_with_the_fix(models, change, problem):
    with pytest.raises(
        CorruptedStateError,
        match=r"^Cannot load this DenoisingAutoencoder: "
        + problem
        + r".*\. The saved model is truncated or corrupted; re-save it from the "
        r"fitted estimator, or fit it again\.$",
    ):
        _reloaded(models["dae"], change)


def _in_layer(index, change):
    return lambda stack: change(stack.layers_[index])


SDAE_CORRUPTIONS = [
    (_delete("layers_"), r"layers_ is missing, empty or holds unfitted layers"),
    (_set("layers_", []), r"layers_ is missing, empty"),
    (
        lambda stack: stack.layers_.__setitem__(1, DenoisingAutoencoder(3)),
        r"layers_ is missing, empty or holds unfitted layers",
    ),
    (
        lambda stack: stack.layers_.reverse(),
        r"layer 1 expects 4 input\(s\) but receives 5",
    ),
    (_set("n_features_in_", 6), r"layer 1 expects 5 input\(s\) but receives 6"),
    (_nan_in("head_coef_"), r"head_coef_ contains NaN or infinite values"),
    (
        _set("head_intercept_", np.zeros(3, dtype=np.float32)),
        r"head_intercept_ has shape \(3,\), inconsistent .*\(n_classes = 2\)",
    ),
]


@pytest.mark.parametrize("change, problem", SDAE_CORRUPTIONS)
def test_a_corrupted_stack_is_refused_with_the_fix(models, change, problem):
    with pytest.raises(
        CorruptedStateError,
        match=r"^Cannot load this StackedDenoisingAutoencoder: " + problem,
    ):
        _reloaded(models["sdae"], change)


def test_a_corrupted_layer_inside_a_stack_is_refused(models):
    with pytest.raises(
        CorruptedStateError,
        match=r"^Cannot load this DenoisingAutoencoder: components_ contains NaN",
    ):
        _reloaded(models["sdae"], _in_layer(1, _nan_in("components_")))


def test_restored_on_error_puts_every_attribute_back(models):
    stack = pickle.loads(pickle.dumps(models["sdae"]))
    before = pickle.dumps(stack)
    next_draw = copy.deepcopy(stack._random_state).uniform()
    with pytest.raises(RuntimeError), restored_on_error(stack):
        stack.layers_[0].components_ = None
        stack.layers_ = []
        stack._random_state.uniform()
        raise RuntimeError
    assert pickle.dumps(stack) == before
    assert stack._random_state.uniform() == next_draw
