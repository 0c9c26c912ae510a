import pickle

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skdae._modules import init_layer_params
from skdae._training import resolve_batch_size

from .conftest import requires_cuda, small_dae

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_reconstructs_held_out_digits_far_better_than_the_mean(digits):
    X_train, X_test, _, _ = digits
    dae = small_dae(n_components=64, max_iter=60, loss="cross_entropy").fit(X_train)
    reconstruction = dae.inverse_transform(dae.transform(X_test))
    error = ((reconstruction - X_test) ** 2).sum(axis=1).mean()
    mean_error = ((X_train.mean(axis=0) - X_test) ** 2).sum(axis=1).mean()
    assert error < 0.5 * mean_error


def test_features_help_a_classifier(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        small_dae(n_components=64, max_iter=30), LogisticRegression(max_iter=1000)
    )
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.9


def test_transform_is_the_clean_deterministic_code(small_data):
    dae = small_dae(corruption_level=0.5, activation="sigmoid").fit(small_data)
    expected = _sigmoid(small_data @ dae.components_.T + dae.intercept_hidden_)
    np.testing.assert_allclose(
        dae.transform(small_data), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(dae.transform(small_data), dae.transform(small_data))


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_inverse_transform_and_score_follow_the_formulas(small_data, loss):
    dae = small_dae(loss=loss, tied_weights=False).fit(small_data)
    codes = dae.transform(small_data)
    logits = codes @ dae.decoder_components_ + dae.intercept_visible_
    x = small_data.astype(np.float64)
    if loss == "mse":
        expected = logits
        per_sample = 0.5 * ((logits - x) ** 2).sum(axis=1)
    else:
        expected = _sigmoid(logits)
        per_sample = -(x * np.log(expected) + (1 - x) * np.log(1 - expected)).sum(
            axis=1
        )
    np.testing.assert_allclose(
        dae.inverse_transform(codes), expected, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(dae.score_samples(small_data), -per_sample, rtol=1e-4)
    assert dae.score(small_data) == pytest.approx(-per_sample.mean(), rel=1e-4)


def test_loss_curve_reports_the_mean_per_sample_loss(small_data):
    # One full batch, no noise: the first epoch's loss is that of the initial
    # weights, which the seed determines.
    dae = small_dae(
        corruption=None,
        batch_size=len(small_data),
        max_iter=1,
        activation="sigmoid",
        loss="mse",
    )
    dae.fit(small_data)
    params = init_layer_params(
        small_data, 8, "sigmoid", "mse", True, np.random.RandomState(0)
    )
    W, b, c = (
        params[k] for k in ("components_", "intercept_hidden_", "intercept_visible_")
    )
    x = small_data.astype(np.float64)
    reconstruction = _sigmoid(x @ W.T + b) @ W + c
    expected = (0.5 * ((reconstruction - x) ** 2).sum(axis=1)).mean()
    assert dae.loss_curve_[0] == pytest.approx(expected, rel=1e-5)


def test_tied_and_untied_parameters(small_data):
    tied = small_dae().fit(small_data)
    assert not hasattr(tied, "decoder_components_")
    untied = small_dae(tied_weights=False, loss="mse").fit(small_data)
    assert untied.decoder_components_.shape == untied.components_.shape == (8, 12)
    # Decoding reads the untied decoder, not the encoder's transpose.
    codes = untied.transform(small_data)
    decoded = codes @ untied.decoder_components_ + untied.intercept_visible_
    np.testing.assert_allclose(
        untied.inverse_transform(codes), decoded, rtol=1e-4, atol=1e-5
    )
    tied_decoding = codes @ untied.components_ + untied.intercept_visible_
    assert not np.allclose(decoded, tied_decoding, atol=1e-3)
    refitted = untied.set_params(tied_weights=True).fit(small_data)
    assert not hasattr(refitted, "decoder_components_")


def test_fitted_attributes(small_data):
    dae = small_dae().fit(small_data)
    assert dae.n_features_in_ == 12 and dae.n_iter_ == len(dae.loss_curve_) == 3
    assert dae.intercept_hidden_.shape == (8,)
    assert dae.intercept_visible_.shape == (12,)
    assert dae.validation_scores_ is None and dae.best_validation_score_ is None
    np.testing.assert_array_equal(dae.data_min_, small_data.min(axis=0))
    assert all(isinstance(a, np.ndarray) for a in (dae.components_, dae.data_max_))


def test_same_seed_same_model_and_global_rngs_untouched(small_data):
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    first = small_dae(random_state=3).fit(small_data)
    second = small_dae(random_state=3).fit(small_data)
    other = small_dae(random_state=4).fit(small_data)
    np.testing.assert_array_equal(first.components_, second.components_)
    assert first.loss_curve_ == second.loss_curve_
    assert not np.allclose(first.components_, other.components_)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_float32_in_float32_out_and_input_untouched(small_data):
    original = small_data.copy()
    dae = small_dae().fit(small_data)
    assert dae.transform(small_data).dtype == np.float32
    as_float64 = dae.transform(small_data.astype(np.float64))
    assert as_float64.dtype == np.float64
    np.testing.assert_allclose(as_float64, dae.transform(small_data), atol=1e-6)
    assert dae.score_samples(small_data.astype(np.float64)).dtype == np.float64
    assert dae.inverse_transform(as_float64).dtype == np.float64
    np.testing.assert_array_equal(small_data, original)


def test_lists_and_integers_are_accepted():
    X = [[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 1]]
    codes = small_dae(n_components=2).fit_transform(X)
    assert codes.shape == (4, 2) and np.isfinite(codes).all()


def test_early_stopping_keeps_the_best_validation_weights(digits):
    X_train = digits[0]
    dae = small_dae(
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=500,
        tol=0.5,
        learning_rate_init=0.01,
    ).fit(X_train)
    assert dae.n_iter_ < 500
    assert len(dae.validation_scores_) == dae.n_iter_
    assert dae.best_validation_score_ == max(dae.validation_scores_)
    assert dae.best_validation_score_ < 0


def test_convergence_warning_at_max_iter(small_data):
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        small_dae(max_iter=2).fit(small_data)


def test_partial_fit_trains_one_epoch_and_keeps_solver_state(digits):
    X_train = digits[0]
    dae = small_dae(loss="cross_entropy")
    losses = []
    for _ in range(5):
        dae.partial_fit(X_train)
        losses.append(dae.loss_curve_[-1])
    assert dae.n_iter_ == 5 and len(dae.loss_curve_) == 5
    assert losses[-1] < losses[0]
    steps = int(dae._optimizer_state["state"][0]["step"])
    batch_size = resolve_batch_size("auto", len(X_train))
    assert steps == 5 * int(np.ceil(len(X_train) / batch_size))


def test_zero_weights_remove_samples(digits):
    # Whatever the zero-weighted rows hold, the model is the same.
    X_train = digits[0][:400]
    rng = np.random.RandomState(0)
    weights = np.r_[np.ones(400), np.zeros(100)]
    models = [
        small_dae(loss="cross_entropy").fit(
            np.vstack([X_train, rng.uniform(size=(100, 64))]), sample_weight=weights
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(models[0].components_, models[1].components_)
    assert models[0].loss_curve_ == models[1].loss_curve_


def test_device_is_read_at_each_call(small_data):
    # Fitted on the best device here, the numpy parameters give the same codes
    # on the CPU; a device named after fit is the one inference uses.
    dae = small_dae(device="auto", activation="sigmoid").fit(small_data)
    expected = _sigmoid(small_data @ dae.components_.T + dae.intercept_hidden_)
    on_cpu = dae.set_params(device="cpu").transform(small_data)
    np.testing.assert_allclose(on_cpu, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="device='tpu' is not recognised"):
        dae.set_params(device="tpu").transform(small_data)


@pytest.mark.parametrize(
    "params, X, message",
    [
        (
            {"loss": "cross_entropy"},
            [[0.0, 2.0], [1.0, 0.5]],
            r"needs X in the range \[0, 1\].*MinMaxScaler",
        ),
        ({"corruption_level": 1.5}, [[0.0, 1.0]], "probability.*between 0 and 1"),
        (
            {"corruption": "salt_and_pepper", "corruption_level": 2.0},
            [[0.0, 1.0]],
            "between 0 and 1",
        ),
        ({"corruption": "dropout"}, [[0.0, 1.0]], "corruption"),
        ({"device": "gpu"}, [[0.0, 1.0]], "not recognised"),
        ({"early_stopping": True}, [[0.0, 1.0]], "cannot split 1 sample"),
        ({"n_components": 0}, [[0.0, 1.0]], "n_components"),
        ({}, [[np.nan, 1.0]], "no observed value"),
    ],
)
def test_bad_input_raises_a_clear_value_error(params, X, message):
    with pytest.raises(ValueError, match=message):
        small_dae(**params).fit(X)


def test_bad_inference_input(small_data):
    dae = small_dae(loss="cross_entropy").fit(small_data)
    with pytest.raises(ValueError, match="8 columns"):
        dae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="12 features"):
        dae.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        dae.score_samples(small_data + 1)


def test_all_zero_sample_weight(small_data):
    with pytest.raises(
        ValueError, match=r"(?i)sample.?weights? .*(sums to zero|non-zero)"
    ):
        small_dae().fit(small_data, sample_weight=np.zeros(60))


@requires_cuda
def test_cuda_fit_matches_cpu_inference_and_unpickles_on_cpu(small_data):
    dae = small_dae(device="cuda").fit(small_data)
    on_gpu = dae.transform(small_data)
    restored = pickle.loads(pickle.dumps(dae)).set_params(device="cpu")
    np.testing.assert_allclose(restored.transform(small_data), on_gpu, atol=1e-5)
    assert restored.score(small_data) == pytest.approx(dae.score(small_data), rel=1e-4)


@pytest.mark.parametrize("flush", [False, True])
def test_fit_leaves_the_callers_subnormal_setting_as_it_was(small_data, flush):
    # torch's flush-to-zero setting is process-wide and has no getter: a fit
    # that changed it would change every later computation of the caller.
    subnormal = torch.tensor([1e-40])
    if not torch.set_flush_denormal(flush):
        pytest.skip("this CPU cannot flush subnormal floats")
    try:
        small_dae(loss="cross_entropy").fit(small_data)
        flushed = bool((subnormal * 1.0)[0] == 0)
    finally:
        torch.set_flush_denormal(False)
    assert flushed == flush
