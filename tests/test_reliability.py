"""Bad input, divergence, interruption, threads and edge cases, for both estimators.

Each bad input must raise a ValueError that names the problem (and the fix,
where there is one), and a failed call must leave a fitted model as it was.
"""

import pickle
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import skdae
from skdae._training import TrainingSet
from skdae.exceptions import (
    CorruptedStateError,
    NonNumericInputError,
    TrainingDivergedError,
    TrainingInterruptedWarning,
)

from .conftest import small_dae, small_sdae

pytestmark = pytest.mark.usefixtures("quiet_convergence")

# Both estimators give 3 codes of this module's 5 features.
_dae = partial(small_dae, n_components=3)
_sdae = partial(small_sdae, hidden_layer_sizes=(4, 3), max_iter=2, fine_tune_max_iter=2)


MAKERS = {"dae": _dae, "sdae": _sdae}
NAMES = {"dae": "DenoisingAutoencoder", "sdae": "StackedDenoisingAutoencoder"}


def _data(n_samples=20, n_features=5, seed=0):
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


X = _data().astype(np.float32)


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {kind: make().fit(X) for kind, make in MAKERS.items()}


def _fitted_state(estimator):
    """What fitting set, which a failed call must leave as it was: the fitted
    and private attributes (layers included), by value."""
    return pickle.dumps(
        {
            name: value
            for name, value in vars(estimator).items()
            if name.endswith("_") or name.startswith("_")
        }
    )


def _with(value, at=(0, 0), X=X):
    changed = X.astype(np.float64)
    changed[at] = value
    return changed


# -- 1. bad input: every case a ValueError naming the problem and the fix ----

NAN = r"Input X contains NaN"
EMPTY_FEATURE = (
    r"1 feature\(s\) have no observed value in the training data \(all NaN, or "
    r"only in rows of zero weight\), at column\(s\) \[1\]: .* Drop those columns"
)
INF = r"contains infinity.*Replace or remove the infinite values"
NON_NUMERIC = (
    r"X contains non-numeric values: 'a' \(str\) at index \(0, 0\) is not a "
    r"number.*Encode text or categorical columns as numbers first"
)
COMPLEX = r"Complex data not supported: X has complex values.*Pass their real part"
ONE_D = r"(?s)Expected 2D array, got 1D array instead.*Reshape your data"
THREE_D = r"Found array with dim 3, while dim <= 2 is required"
WRONG_FEATURES = r"X has 3 features, but \w+ is expecting 5 features as input"
CROSS_ENTROPY = (
    r"loss='cross_entropy' needs X in the range \[0, 1\], but its values span "
    r"\[0\.\d+, 2\]\. Scale it with sklearn\.preprocessing\.MinMaxScaler"
)
STRINGS = np.array([["a"] * 5] * 2, dtype=object)


def _codes(estimator, value=None):
    codes = estimator.transform(X)
    if value is not None:
        codes = codes.astype(np.float64)
        codes[0, 0] = value
    return codes


INFERENCE_CASES = [
    ("transform", lambda e: _with(np.inf), INF),
    ("transform", lambda e: X[:0], r"Found array with 0 sample\(s\)"),
    ("transform", lambda e: STRINGS, NON_NUMERIC),
    ("transform", lambda e: X.astype(np.complex128), COMPLEX),
    ("transform", lambda e: X[0], ONE_D),
    ("transform", lambda e: X[None], THREE_D),
    ("transform", lambda e: X[:, :3], WRONG_FEATURES),
    ("inverse_transform", lambda e: _codes(e, np.nan), NAN),
    ("inverse_transform", lambda e: _codes(e, -np.inf), INF),
    ("inverse_transform", lambda e: _codes(e).astype(np.complex128), COMPLEX),
    ("inverse_transform", lambda e: _codes(e)[0], ONE_D),
    ("inverse_transform", lambda e: _codes(e)[None], THREE_D),
    (
        "inverse_transform",
        lambda e: _codes(e)[:, :1],
        r"inverse_transform expects codes with 3 columns .*, got 1\.",
    ),
    ("score", lambda e: _with(-np.inf), INF),
    ("score", lambda e: X[:, :3], WRONG_FEATURES),
    ("score_samples", lambda e: _with(np.inf), INF),
    (
        "transform",
        lambda e: _with(1e300),
        r"X has values as large as 1e\+300 in absolute value, too large for "
        r"float64: the sum of their squared errors over 5 feature\(s\) would "
        r"overflow \(values must stay below 6e\+153\)\. Scale X first, e\.g\. "
        r"with sklearn\.preprocessing\.StandardScaler\.$",
    ),
    (
        "score_samples",
        lambda e: _with(1e20).astype(np.float32),
        r"too large for float32: .* Scale X first, e\.g\. with "
        r"sklearn\.preprocessing\.StandardScaler or pass it as float64\.",
    ),
]


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize(
    "method, make_input, message",
    INFERENCE_CASES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(INFERENCE_CASES)],
)
def test_bad_inference_input_is_a_clear_error(
    fitted, kind, method, make_input, message
):
    estimator = fitted[kind]
    bad = make_input(estimator)
    before = _fitted_state(estimator)
    with pytest.raises(ValueError, match=message):
        getattr(estimator, method)(bad)
    assert _fitted_state(estimator) == before


FIT_CASES = [
    ({}, _with(np.nan, at=(slice(None), 1)), EMPTY_FEATURE),
    ({}, _with(np.inf), INF),
    ({}, sp.csr_matrix(_with(np.nan, at=(slice(None), 1))), EMPTY_FEATURE),
    ({}, sp.csr_matrix(_with(-np.inf)), INF),
    (
        {},
        _with(1e300),
        r"contains infinity or a value too large for dtype\('float32'\)",
    ),
    ({}, np.empty((0, 5)), r"Found array with 0 sample\(s\) \(shape=\(0, 5\)\)"),
    ({}, np.empty((5, 0)), r"Found array with 0 feature\(s\) \(shape=\(5, 0\)\)"),
    ({}, STRINGS, NON_NUMERIC),
    ({}, STRINGS.astype(str), NON_NUMERIC),
    ({}, X.astype(np.complex64), COMPLEX),
    ({}, X[0], ONE_D),
    ({}, X[None], THREE_D),
    ({"loss": "cross_entropy"}, X * 2 / X.max(), CROSS_ENTROPY),
    (
        {},
        _with(1e30),
        r"X has values as large as 1e\+30 in absolute value, too large for "
        r"float32 training: the sum of their squared errors over 20 sample\(s\) "
        r"and 5 feature\(s\) would overflow \(values must stay below 1\.84e\+18\)"
        r"\. Scale X first, e\.g\. with sklearn\.preprocessing\.StandardScaler\.$",
    ),
    (
        {"corruption_level": 1.5},
        X,
        r"corruption_level=1\.5 is a probability for corruption='masking' and "
        r"must be between 0 and 1\.",
    ),
    (
        {"corruption": "salt_and_pepper", "corruption_level": 1.01},
        X,
        r"corruption_level=1\.01 is a probability for corruption='salt_and_pepper'",
    ),
    (
        {"device": "gpu"},
        X,
        r"device='gpu' is not recognised\. Use 'auto', 'cpu', 'cuda', 'cuda:N' or "
        r"'mps'; available here: \['cpu'",
    ),
    (
        {"device": "cuda:99"},
        X,
        r"device='cuda:99' is not available on this machine; available devices: "
        r"\['cpu'.*\]\. Use device='auto' to pick the best one\.",
    ),
]


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "params, bad, message", FIT_CASES, ids=[str(i) for i in range(len(FIT_CASES))]
)
def test_bad_training_input_is_a_clear_error(kind, method, params, bad, message):
    estimator = MAKERS[kind](**params)
    with pytest.raises(ValueError, match=message):
        getattr(estimator, method)(bad)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize(
    "bad, message",
    [
        (_with(np.inf), INF),
        (X[:, :3], WRONG_FEATURES),
        (X * 2 / X.max(), CROSS_ENTROPY),
        (STRINGS, NON_NUMERIC),
    ],
)
def test_a_bad_later_partial_fit_keeps_the_model(kind, bad, message):
    estimator = MAKERS[kind](loss="cross_entropy").partial_fit(X)
    before = _fitted_state(estimator)
    with pytest.raises(ValueError, match=message):
        estimator.partial_fit(bad)
    assert _fitted_state(estimator) == before


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"corruption": "blur"},
            r"The 'corruption' parameter of {name} must be a str among .*"
            r"Got 'blur' instead\.",
        ),
        (
            {"corruption": "gaussian", "corruption_level": -0.1},
            r"The 'corruption_level' parameter of {name} must be a float in the "
            r"range \[0\.0, inf\).* Got -0\.1 instead\.",
        ),
        (
            {"learning_rate_init": 0.0},
            r"The 'learning_rate_init' parameter of {name} must be a float in the "
            r"range \(0\.0, inf\)\. Got 0\.0 instead\.",
        ),
        ({"batch_size": 0}, r"The 'batch_size' parameter of {name} must be"),
    ],
)
def test_invalid_parameters_name_the_parameter(kind, params, message):
    with pytest.raises(InvalidParameterError, match=message.format(name=NAMES[kind])):
        MAKERS[kind](**params).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"corruption": ["masking", "gaussian", "masking"]},
            r"corruption has 3 values but there are 2 layers \(hidden_layer_sizes="
            r"\(4, 3\)\); give one value per layer, or a single value for all\.",
        ),
        ({"activation": ["relu"]}, r"activation has 1 values but there are 2"),
        (
            {"max_iter": [2, 0]},
            r"The 'max_iter\[1\]' parameter of StackedDenoisingAutoencoder \(layer "
            r"2 of 2\) must be an int in the range \[1, inf\)\. Got 0 instead\.",
        ),
        (
            {"corruption": ["masking", "blur"]},
            r"The 'corruption\[1\]' parameter of StackedDenoisingAutoencoder "
            r"\(layer 2 of 2\) must be a str among .* Got 'blur' instead\.",
        ),
        (
            {"activation": ["sigmoid", "softmax"]},
            r"The 'activation\[1\]' parameter .* Got 'softmax' instead\.",
        ),
        (
            {"corruption": "gaussian", "corruption_level": [0.1, -1.0]},
            r"The 'corruption_level\[1\]' parameter of StackedDenoisingAutoencoder "
            r"\(layer 2 of 2\) must be a float in the range \[0\.0, inf\)",
        ),
        (
            {"corruption_level": [0.1, 1.5]},
            r"corruption_level\[1\]=1\.5 is a probability for corruption='masking' "
            r"and must be between 0 and 1\.",
        ),
        (
            {"hidden_layer_sizes": (4, 0)},
            r"hidden_layer_sizes must be a non-empty sequence of positive integers",
        ),
    ],
)
def test_per_layer_parameters_name_the_layer(params, message):
    with pytest.raises(ValueError, match=message):
        _sdae(**params).fit(X)


@pytest.mark.parametrize(
    "y, message",
    [
        (None, r"fine_tuning='supervised' needs class labels: call fit\(X, y\)"),
        (
            np.arange(3) % 2,
            r"X and y have inconsistent numbers of samples: X has 20, y has 3\. "
            r"fine_tuning='supervised' needs one class label per sample\.",
        ),
        (
            np.zeros(20),
            r"needs at least two classes in y, but y has one class only \(0\.0\)",
        ),
        (np.linspace(0, 1, 20), r"needs class labels, but y is 'continuous'"),
        (np.r_[np.nan, np.arange(19) % 2], r"Input y contains NaN"),
    ],
)
def test_supervised_fine_tuning_checks_y(y, message):
    with pytest.raises(ValueError, match=message):
        _sdae(fine_tuning="supervised").fit(X, y)


def test_object_arrays_holding_objects_are_a_clear_error():
    # numpy raises a TypeError here; ours is both a ValueError and a TypeError,
    # whose wording scikit-learn's check_dtype_object requires.
    bad = X.astype(object)
    bad[3, 1] = {"pixel": 1}
    for estimator in (_dae(), _sdae()):
        with pytest.raises(
            ValueError,
            match=r"X contains non-numeric values: \{'pixel': 1\} \(dict\) at "
            r"index \(3, 1\)",
        ):
            estimator.fit(bad)
        with pytest.raises(TypeError, match="argument must be .* string.* number"):
            estimator.fit(bad)


@pytest.mark.parametrize("kind", MAKERS)
def test_numbers_held_as_objects_or_text_are_accepted(kind):
    # The input's dtype alone does not make it non-numeric: numbers in an
    # object array, or text that spells numbers, convert like numpy's own.
    reference = MAKERS[kind]().fit(X).transform(X)
    for data in (X.astype(object), X.astype(str)):
        np.testing.assert_allclose(
            MAKERS[kind]().fit(data).transform(X), reference, rtol=1e-6
        )


@pytest.mark.parametrize("kind", MAKERS)
def test_an_unknown_corruption_set_before_partial_fit_is_refused(kind):
    # partial_fit on a fitted estimator skips scikit-learn's parameter
    # validation, so the unknown kind reaches skdae's own check, which keeps
    # it from being applied as salt and pepper.
    estimator = MAKERS[kind]().partial_fit(X)
    before = _fitted_state(estimator)
    estimator.set_params(corruption="blur")
    with pytest.raises(ValueError, match=r"corruption='blur' is not supported"):
        estimator.partial_fit(X)
    assert _fitted_state(estimator) == before


# -- 2. divergence ----------------------------------------------------------

# Plain SGD at this step size overflows within a few epochs on these values.
EXPLODING = dict(solver="sgd", learning_rate_init=1e6, max_iter=20)
X_LARGE = X * 100
DIVERGED = (
    r"Training diverged at epoch \d+{where}: the (loss became (inf|nan)|weights "
    r"became NaN or infinite)\. Lower learning_rate_init \(it is {lr}\) or "
    r"rescale the input \(e\.g\. with StandardScaler\); the previous weights were "
    r"kept\.$"
)


@pytest.mark.parametrize(
    "kind, where", [("dae", ""), ("sdae", r" of layer 1/2")], ids=["dae", "sdae"]
)
def test_divergence_is_a_clear_error_and_leaves_no_model(kind, where):
    estimator = MAKERS[kind](**EXPLODING)
    with pytest.raises(
        TrainingDivergedError, match=DIVERGED.format(where=where, lr=r"1e\+06")
    ):
        estimator.fit(X_LARGE)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def test_divergence_in_fine_tuning_names_it():
    # One full-batch step per layer keeps pretraining finite.
    sdae = _sdae(
        solver="sgd",
        learning_rate_init=1e10,
        max_iter=1,
        batch_size=20,
        fine_tune_max_iter=5,
    )
    with pytest.raises(
        TrainingDivergedError,
        match=DIVERGED.format(where=" of fine-tuning", lr=r"1e\+10"),
    ):
        sdae.fit(X * 10)
    with pytest.raises(NotFittedError):
        check_is_fitted(sdae)


def test_weights_overflowing_in_the_last_step_are_refused():
    # The only epoch's loss is measured before its only step, which overflows.
    dae = _dae(
        solver="sgd",
        learning_rate_init=1e38,
        max_iter=1,
        batch_size=20,
        corruption=None,
    )
    with pytest.raises(
        TrainingDivergedError,
        match=r"Training diverged at epoch 1: the weights became NaN or infinite\. "
        r"Lower learning_rate_init \(it is 1e\+38\)",
    ):
        dae.fit(X_LARGE)


@pytest.mark.parametrize("kind", MAKERS)
def test_a_diverging_refit_keeps_the_previous_model(kind):
    estimator = MAKERS[kind]().fit(X)
    before, codes = _fitted_state(estimator), estimator.transform(X)
    with pytest.raises(TrainingDivergedError):
        estimator.set_params(**EXPLODING).fit(X_LARGE)
    assert _fitted_state(estimator) == before
    np.testing.assert_array_equal(estimator.transform(X), codes)


def test_a_diverging_warm_start_keeps_the_previous_weights():
    dae = _dae(warm_start=True).fit(X)
    before, codes = _fitted_state(dae), dae.transform(X)
    with pytest.raises(TrainingDivergedError):
        dae.set_params(**EXPLODING).fit(X_LARGE)
    assert _fitted_state(dae) == before and dae.n_iter_ == 3
    np.testing.assert_array_equal(dae.transform(X), codes)


@pytest.mark.parametrize("kind", MAKERS)
def test_a_diverging_partial_fit_keeps_the_previous_weights(kind):
    # Sigmoid codes stay finite under the huge weights of the last good epoch.
    estimator = MAKERS[kind](**EXPLODING, activation="sigmoid").partial_fit(X_LARGE)
    for _ in range(20):
        before = _fitted_state(estimator)
        try:
            estimator.partial_fit(X_LARGE)
        except TrainingDivergedError:
            break
    else:
        pytest.fail("training did not diverge")
    assert _fitted_state(estimator) == before
    assert np.isfinite(estimator.transform(X_LARGE)).all()


def test_a_lowered_learning_rate_or_another_solver_applies_to_a_continued_fit():
    dae = _dae(warm_start=True, solver="sgd").fit(X)
    # The saved solver state must not bring back the old step size.
    with pytest.raises(TrainingDivergedError, match=r"\(it is 1e\+06\)"):
        dae.set_params(learning_rate_init=1e6, max_iter=20).fit(X_LARGE)
    dae.set_params(learning_rate_init=1e-3, max_iter=3).fit(X)
    dae.set_params(solver="adam").fit(X)
    assert dae.n_iter_ == 9 and np.isfinite(dae.loss_curve_).all()


# -- 3. Ctrl-C --------------------------------------------------------------


@pytest.fixture
def interrupt_at(monkeypatch):
    """Raise KeyboardInterrupt as the given epoch starts, counting the epochs
    of every training run (each layer, then fine-tuning) from 1."""

    def arm(epoch):
        original, started = TrainingSet.batches, []

        def batches(self, *args, **kwargs):
            started.append(True)
            if len(started) == epoch:
                raise KeyboardInterrupt
            yield from original(self, *args, **kwargs)

        monkeypatch.setattr(TrainingSet, "batches", batches)

    return arm


def _interrupted_fit(estimator, message, *args):
    with pytest.warns(TrainingInterruptedWarning, match=message) as record:
        estimator.fit(*args)
    check_is_fitted(estimator)
    assert np.isfinite(estimator.transform(args[0])).all()
    if not hasattr(estimator, "layers_"):
        # An interrupted run does not also claim to have run out of epochs (a
        # stack's layers trained before the interrupt may).
        assert not [w for w in record if w.category is ConvergenceWarning]
    return estimator


def test_interrupted_fit_keeps_the_epochs_so_far(interrupt_at):
    interrupt_at(3)
    dae = _interrupted_fit(
        _dae(max_iter=10),
        r"^Training interrupted by the user during epoch 3; keeping the weights "
        r"learned so far\.$",
        X,
    )
    assert dae.n_iter_ == 2 and len(dae.loss_curve_) == 2
    two_epochs = _dae(max_iter=2).fit(X)
    np.testing.assert_array_equal(dae.components_, two_epochs.components_)
    assert dae.loss_curve_ == two_epochs.loss_curve_


def test_interrupted_first_epoch_leaves_a_usable_model(interrupt_at):
    interrupt_at(1)
    dae = _interrupted_fit(_dae(), "during epoch 1;", X)
    assert dae.n_iter_ == 0 and dae.loss_curve_ == []
    assert dae.transform(X).shape == (20, 3)


def test_interrupt_under_early_stopping_keeps_the_best_weights(interrupt_at):
    X_train = _data(60, 12).astype(np.float32)
    params = dict(
        n_components=8,
        early_stopping=True,
        n_iter_no_change=100,
        learning_rate_init=0.5,
        validation_fraction=0.3,
    )
    interrupt_at(11)
    dae = _interrupted_fit(
        _dae(max_iter=50, **params),
        r"during epoch 11; keeping the weights learned so far \(the best on the "
        r"validation set\)\.$",
        X_train,
    )
    # An earlier epoch than the last one run scored best: its weights are kept.
    best_epoch = int(np.argmax(dae.validation_scores_)) + 1
    assert dae.n_iter_ == 10 and best_epoch < 10
    assert dae.best_validation_score_ == max(dae.validation_scores_)
    up_to_best = _dae(max_iter=best_epoch, **params).fit(X_train)
    np.testing.assert_array_equal(dae.components_, up_to_best.components_)


def test_interrupted_partial_fit_keeps_the_model(interrupt_at):
    dae = _dae().partial_fit(X)
    before = dae.components_.copy()
    interrupt_at(1)
    with pytest.warns(TrainingInterruptedWarning, match="during epoch 1;"):
        dae.partial_fit(X)
    assert dae.n_iter_ == 1
    np.testing.assert_array_equal(dae.components_, before)


def test_interrupted_stack_layer_names_it_and_stays_usable(interrupt_at):
    # Epochs 1-3 train layer 1; epoch 5 is the second of layer 2.
    interrupt_at(5)
    sdae = _interrupted_fit(
        _sdae(hidden_layer_sizes=(6, 4, 3), max_iter=3),
        r"^Training interrupted by the user during epoch 2 of layer 2/3; keeping "
        r"the weights learned so far\.$",
        X,
    )
    assert [layer.n_iter_ for layer in sdae.layers_] == [3, 1, 0]
    assert sdae.transform(X).shape == (20, 3)
    assert np.isfinite(sdae.inverse_transform(sdae.transform(X))).all()
    assert np.isfinite(sdae.score(X))


def test_interrupted_first_stack_partial_fit_leaves_a_usable_stack(interrupt_at):
    interrupt_at(1)
    with pytest.warns(TrainingInterruptedWarning, match="epoch 1 of layer 1/2;"):
        sdae = _sdae().partial_fit(X)
    # The layer above was not trained, but has its initial weights.
    assert [layer.n_iter_ for layer in sdae.layers_] == [0, 0]
    assert sdae.n_iter_ == 0 and sdae.loss_curve_ == []
    assert np.isfinite(sdae.transform(X)).all()


def test_interrupted_stack_partial_fit_leaves_the_layers_above_alone(interrupt_at):
    # As in fit, a Ctrl-C stops the epoch: the layers above do not train.
    sdae = _sdae().partial_fit(X)
    above = _fitted_state(sdae.layers_[1])
    interrupt_at(1)
    with pytest.warns(TrainingInterruptedWarning, match="epoch 1 of layer 1/2;"):
        sdae.partial_fit(X)
    assert [layer.n_iter_ for layer in sdae.layers_] == [1, 1]
    assert _fitted_state(sdae.layers_[1]) == above and sdae.n_iter_ == 1


def test_interrupted_fine_tuning_names_it_and_keeps_the_epochs_so_far(interrupt_at):
    # Two layers of 2 epochs each, then the second fine-tuning epoch.
    interrupt_at(6)
    sdae = _interrupted_fit(
        _sdae(fine_tuning="supervised", fine_tune_max_iter=5),
        r"during epoch 2 of fine-tuning; keeping the weights learned so far\.$",
        X,
        np.arange(20) % 2,
    )
    assert sdae.n_iter_ == 1 and [layer.n_iter_ for layer in sdae.layers_] == [2, 2]
    assert sdae.head_coef_.shape == (2, 3)


# -- 4. inputs are never modified -------------------------------------------


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("corruption", ["masking", "gaussian", "salt_and_pepper", None])
def test_inputs_are_never_modified(kind, corruption):
    # C-contiguous float32 is the input that training uses without a copy.
    data = _data().astype(np.float32)
    weights = np.linspace(0.5, 2, 20).astype(np.float32)
    y = np.arange(20) % 3
    originals = [data.copy(), weights.copy(), y.copy()]
    params = {"fine_tuning": "supervised"} if kind == "sdae" else {}
    estimator = MAKERS[kind](corruption=corruption, **params)
    estimator.fit(data, y, sample_weight=weights)
    estimator.partial_fit(data, sample_weight=weights)
    codes = estimator.transform(data)
    codes_copy = codes.copy()
    estimator.inverse_transform(codes)
    estimator.score_samples(data)
    for array, original in zip(
        [data, weights, y, codes], [*originals, codes_copy], strict=True
    ):
        np.testing.assert_array_equal(array, original)


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_only_input_gives_the_same_model(kind, dtype):
    # Memory maps and joblib's memory-mapped inputs are read-only.
    data = X.astype(dtype)
    data.setflags(write=False)
    estimator = MAKERS[kind]().fit(data)
    estimator.partial_fit(data)
    codes = estimator.fit_transform(data)
    np.testing.assert_array_equal(estimator.transform(data), codes)
    np.testing.assert_array_equal(codes, MAKERS[kind]().fit(X).transform(data))


READ_ONLY_SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from skdae import DenoisingAutoencoder, StackedDenoisingAutoencoder

    warnings.simplefilter("error")
    warnings.simplefilter("ignore", ConvergenceWarning)
    X = np.random.RandomState(0).uniform(size=(20, 5)).astype(np.float32)
    X.setflags(write=False)
    for estimator in (
        DenoisingAutoencoder(3, max_iter=2, device="cpu"),
        StackedDenoisingAutoencoder(
            (4, 3), max_iter=2, fine_tune_max_iter=2, early_stopping=True,
            device="cpu",
        ),
    ):
        estimator.fit(X).partial_fit(X).fit_transform(X)
        estimator.score(X)
""")


def test_read_only_input_gives_no_warning():
    # torch warns once per process that it cannot protect a read-only array:
    # a fresh process sees that warning even after another test set it off.
    out = subprocess.run(
        [sys.executable, "-c", READ_ONLY_SCRIPT], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


# -- 5. threads and global state ---------------------------------------------


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_concurrent_inference_equals_serial(fitted, kind, dtype):
    estimator = fitted[kind]
    data = [_data(200, 5, seed).astype(dtype) for seed in range(4)]

    def results(i):
        x = data[i % 4]
        codes = estimator.transform(x)
        return codes, estimator.inverse_transform(codes), estimator.score_samples(x)

    serial = [results(i) for i in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(results, range(32)))
    for i, outputs in enumerate(concurrent):
        for output, expected in zip(outputs, serial[i % 4], strict=True):
            assert output.dtype == dtype
            np.testing.assert_array_equal(output, expected)


def _global_state():
    return (
        torch.is_grad_enabled(),
        torch.is_inference_mode_enabled(),
        torch.get_num_threads(),
        torch.get_default_dtype(),
        torch.are_deterministic_algorithms_enabled(),
        torch.get_rng_state().numpy().tobytes(),
        pickle.dumps(np.random.get_state()),
    )


@pytest.mark.parametrize("kind", MAKERS)
def test_no_call_changes_global_torch_or_numpy_state(kind, interrupt_at):
    before = _global_state()
    estimator = MAKERS[kind]().fit(X)
    estimator.partial_fit(X)
    estimator.inverse_transform(estimator.transform(X))
    estimator.score(X)
    with pytest.raises(TrainingDivergedError):
        MAKERS[kind](**EXPLODING).fit(X_LARGE)
    interrupt_at(2)
    with pytest.warns(TrainingInterruptedWarning):
        MAKERS[kind]().fit(X)
    assert _global_state() == before


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode])
def test_fit_works_inside_a_callers_no_grad_or_inference_mode(kind, context):
    expected = MAKERS[kind]().fit(X).transform(X)
    with context():
        estimator = MAKERS[kind]().fit(X)
        assert not torch.is_grad_enabled()
    np.testing.assert_array_equal(estimator.transform(X), expected)


# -- 6. edge cases -----------------------------------------------------------


@pytest.mark.parametrize("kind", MAKERS)
def test_a_single_sample(kind):
    estimator = MAKERS[kind]().fit(X[:1])
    codes = estimator.transform(X[:1])
    assert codes.shape == (1, 3) and np.isfinite(codes).all()
    assert estimator.inverse_transform(codes).shape == (1, 5)
    assert np.isfinite(estimator.score(X[:1]))


@pytest.mark.parametrize("kind", MAKERS)
def test_batch_size_above_n_samples_is_one_full_batch(kind):
    full = MAKERS[kind](batch_size=20).fit(X)
    larger = MAKERS[kind](batch_size=1000).fit(X)
    assert larger.loss_curve_ == full.loss_curve_
    np.testing.assert_array_equal(larger.transform(X), full.transform(X))


@pytest.mark.parametrize(
    "estimator",
    [_dae(n_components=16, max_iter=30), _sdae(hidden_layer_sizes=(16, 12))],
    ids=["dae", "sdae"],
)
def test_overcomplete_codes(estimator):
    estimator.fit(X)
    codes = estimator.transform(X)
    assert codes.shape == (20, estimator.get_feature_names_out().size)
    assert codes.shape[1] > X.shape[1] and np.isfinite(codes).all()
    assert estimator.inverse_transform(codes).shape == X.shape


@pytest.mark.parametrize("kind", MAKERS)
def test_early_stopping_needs_a_set_it_can_split(kind):
    with pytest.raises(
        ValueError,
        match=r"early_stopping=True cannot split 1 sample\(s\) into training and "
        r"validation parts \(validation_fraction=0\.1\)\. Provide more samples or "
        r"set early_stopping=False\.",
    ):
        MAKERS[kind](early_stopping=True).fit(X[:1])
    # Two samples split into one of each.
    estimator = MAKERS[kind](early_stopping=True).fit(X[:2])
    assert len(estimator.validation_scores_) == estimator.n_iter_ > 0


@pytest.mark.parametrize("kind", MAKERS)
def test_the_largest_trainable_values_give_a_finite_model(kind):
    # Just below the float32 training limit for 20 x 5 values (1.84e18).
    large = X.astype(np.float64) * 1.8e18 / X.max()
    estimator = MAKERS[kind](corruption=None).fit(large)
    assert np.isfinite(estimator.loss_curve_).all()
    assert np.isfinite(estimator.transform(large)).all()
    assert np.isfinite(estimator.score_samples(large)).all()


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize(
    "data",
    [(X * 10).astype(np.int64), X > 0.5, X.astype(np.float16)],
    ids=["int64", "bool", "float16"],
)
def test_integer_boolean_and_float16_input(kind, data):
    # Training converts to float32, so the model equals one fitted on float32;
    # inference runs in float64 for every dtype but float32.
    estimator = MAKERS[kind]().fit(data)
    reference = MAKERS[kind]().fit(data.astype(np.float32))
    np.testing.assert_array_equal(
        estimator.transform(X.astype(np.float64)),
        reference.transform(X.astype(np.float64)),
    )
    codes = estimator.transform(data)
    assert codes.dtype == np.float64
    np.testing.assert_array_equal(codes, estimator.transform(data.astype(np.float64)))
    assert estimator.score_samples(data).dtype == np.float64


@pytest.mark.parametrize("warm_start", [False, True])
def test_refit_with_another_number_of_features(warm_start):
    for estimator in (_dae(warm_start=warm_start), _sdae()):
        estimator.fit(X)
        estimator.fit(X[:, :3])
        assert estimator.n_features_in_ == 3
        assert estimator.inverse_transform(estimator.transform(X[:, :3])).shape == (
            20,
            3,
        )
        with pytest.raises(ValueError, match="X has 5 features, but .* expecting 3"):
            estimator.transform(X)


def test_warm_start_continues_from_the_previous_weights():
    # Full-batch steps without noise lower the loss at every epoch, so a
    # continued run starts below where the first one ended.
    params = dict(corruption=None, batch_size=20, learning_rate_init=0.01)
    dae = _dae(warm_start=True, **params).fit(X)
    first_curve = list(dae.loss_curve_)
    dae.fit(X)
    assert dae.n_iter_ == 6 and dae.loss_curve_[:3] == first_curve
    assert dae.loss_curve_[3] < first_curve[2] < first_curve[0]
    # Without warm_start the same seed starts over and ends where it did.
    cold = _dae(**params).fit(X)
    assert cold.fit(X).loss_curve_ == first_curve


def test_the_public_errors_keep_their_old_addresses():
    # Code written against the private modules that raised them still works.
    from skdae._persistence import CorruptedStateError as old_corrupted
    from skdae._training import TrainingDivergedError as old_diverged
    from skdae._training import TrainingInterruptedWarning as old_interrupted
    from skdae._validation import NonNumericInputError as old_non_numeric

    assert old_diverged is TrainingDivergedError
    assert old_interrupted is TrainingInterruptedWarning
    assert old_corrupted is CorruptedStateError
    assert old_non_numeric is NonNumericInputError
    assert issubclass(TrainingDivergedError, ValueError)
    assert skdae.exceptions.__all__ == sorted(skdae.exceptions.__all__)


def test_non_numeric_input_raises_the_public_error():
    with pytest.raises(NonNumericInputError, match="not numbers|numeric"):
        small_dae().fit(np.array([["a", "b"], ["c", "d"]], dtype=object))
