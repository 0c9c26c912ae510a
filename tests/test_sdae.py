import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from skdae._training import TrainingSet

from .conftest import small_sdae

pytestmark = pytest.mark.usefixtures("quiet_convergence")

# Three layers for the small data, two for the digits.
THREE_LAYERS = dict(hidden_layer_sizes=(16, 8, 4), max_iter=5, fine_tune_max_iter=5)
DIGITS = dict(
    hidden_layer_sizes=(64, 10),
    loss="cross_entropy",
    max_iter=20,
    fine_tune_max_iter=30,
    learning_rate_init=0.01,
)


def _sdae(**params):
    return small_sdae(**{**THREE_LAYERS, **params})


def _digits_sdae(**params):
    return small_sdae(**{**DIGITS, **params})


def test_three_layer_shapes(small_data):
    sdae = _sdae().fit(small_data)
    assert [layer.components_.shape for layer in sdae.layers_] == [
        (16, 12),
        (8, 16),
        (4, 8),
    ]
    assert sdae.transform(small_data).shape == (60, 4)
    assert sdae.inverse_transform(sdae.transform(small_data)).shape == (60, 12)
    assert list(sdae.get_feature_names_out()) == [
        f"stackeddenoisingautoencoder{i}" for i in range(4)
    ]


@pytest.mark.parametrize("fine_tuning", [None, "unsupervised", "supervised"])
def test_chained_layer_transforms_equal_transform(small_data, fine_tuning):
    y = np.arange(60) % 3
    sdae = _sdae(fine_tuning=fine_tuning).fit(small_data, y)
    codes = small_data
    for layer in sdae.layers_:
        codes = layer.transform(codes)
    np.testing.assert_allclose(sdae.transform(small_data), codes, rtol=1e-6, atol=1e-7)


def test_score_is_reconstruction_through_the_whole_stack(small_data):
    sdae = _sdae(loss="mse").fit(small_data)
    reconstruction = sdae.inverse_transform(sdae.transform(small_data))
    per_sample = 0.5 * ((reconstruction - small_data) ** 2).sum(axis=1)
    np.testing.assert_allclose(sdae.score_samples(small_data), -per_sample, rtol=1e-4)


def test_unsupervised_fine_tuning_improves_reconstruction(digits):
    X_train, X_test, _, _ = digits
    pretrained = _digits_sdae(fine_tuning=None).fit(X_train)
    fine_tuned = _digits_sdae(fine_tuning="unsupervised").fit(X_train)
    assert fine_tuned.score(X_test) > pretrained.score(X_test) + 1.0
    assert fine_tuned.n_iter_ == len(fine_tuned.loss_curve_) <= 30


def test_supervised_fine_tuning_gives_better_features(digits):
    X_train, X_test, y_train, y_test = digits

    def accuracy(fine_tuning):
        pipe = make_pipeline(
            _digits_sdae(fine_tuning=fine_tuning), LogisticRegression(max_iter=1000)
        )
        return pipe.fit(X_train, y_train).score(X_test, y_test)

    supervised, unsupervised = accuracy("supervised"), accuracy("unsupervised")
    assert supervised > unsupervised + 0.01
    assert supervised > 0.94


def test_supervised_fine_tuning_records_the_head(digits):
    X_train, _, y_train, _ = digits
    sdae = _digits_sdae(fine_tuning="supervised", fine_tune_max_iter=3)
    sdae.fit(X_train, np.array(["abcdefghij"[label] for label in y_train]))
    assert list(sdae.classes_) == list("abcdefghij")
    assert sdae.head_coef_.shape == (10, 10) and sdae.head_intercept_.shape == (10,)
    assert sdae.loss_curve_[-1] < sdae.loss_curve_[0]


@pytest.mark.parametrize("fine_tuning", ["unsupervised", None])
def test_refit_without_supervision_drops_the_earlier_head(small_data, fine_tuning):
    labels = np.arange(len(small_data)) % 2
    sdae = _sdae(fine_tuning="supervised").fit(small_data, labels)
    sdae.set_params(fine_tuning=fine_tuning).fit(small_data)
    for name in ("classes_", "head_coef_", "head_intercept_"):
        assert not hasattr(sdae, name)


def test_per_layer_parameters_reach_the_layers(small_data):
    sdae = _sdae(
        corruption=["masking", "gaussian", None],
        corruption_level=[0.1, 0.2, 0.0],
        activation=["relu", "sigmoid", "tanh"],
        max_iter=[2, 3, 4],
        fine_tuning=None,
    ).fit(small_data)
    layers = sdae.layers_
    assert [layer.corruption for layer in layers] == ["masking", "gaussian", None]
    assert [layer.corruption_level for layer in layers] == [0.1, 0.2, 0.0]
    assert [layer.activation for layer in layers] == ["relu", "sigmoid", "tanh"]
    assert [layer.n_iter_ for layer in layers] == [2, 3, 4]
    # loss="auto" gives layer 1 cross-entropy for data in [0, 1]; layer 2's
    # input is a ReLU code (squared error), layer 3's a sigmoid code.
    assert sdae.loss_ == "cross_entropy"
    assert [layer.loss for layer in layers] == ["cross_entropy", "mse", "cross_entropy"]
    assert sdae.n_iter_ == 4 and sdae.loss_curve_ == layers[-1].loss_curve_


def test_first_layer_uses_the_loss_parameter(digits):
    sdae = _sdae(loss="cross_entropy", activation="sigmoid", fine_tuning=None)
    sdae.fit(digits[0])
    assert [layer.loss for layer in sdae.layers_] == ["cross_entropy"] * 3


def test_fine_tuning_updates_the_layers(small_data):
    pretrained = _sdae(fine_tuning=None).fit(small_data)
    fine_tuned = _sdae(fine_tuning="unsupervised").fit(small_data)
    for before, after in zip(pretrained.layers_, fine_tuned.layers_, strict=True):
        assert not np.allclose(before.components_, after.components_)


def test_early_stopping_in_fine_tuning(digits):
    X_train, _, y_train, _ = digits
    sdae = _digits_sdae(
        fine_tuning="supervised",
        early_stopping=True,
        fine_tune_max_iter=200,
        n_iter_no_change=3,
    )
    sdae.fit(X_train, y_train)
    assert sdae.n_iter_ < 200
    assert sdae.best_validation_score_ == max(sdae.validation_scores_) > 0.8


def test_partial_fit_trains_every_layer_one_epoch(small_data):
    sdae = _sdae()
    for _ in range(3):
        sdae.partial_fit(small_data)
    assert sdae.n_iter_ == 3 and len(sdae.loss_curve_) == 3
    assert [layer.n_iter_ for layer in sdae.layers_] == [3, 3, 3]


@pytest.mark.parametrize(
    "params, y, message",
    [
        (
            {"corruption": ["masking", "gaussian"]},
            None,
            "corruption has 2 values but there are 3",
        ),
        ({"activation": ["relu"] * 4}, None, "activation has 4 values"),
        ({"max_iter": [1, 2]}, None, "max_iter has 2 values"),
        ({"corruption_level": [0.1, 0.2, 1.5]}, None, "between 0 and 1"),
        ({"hidden_layer_sizes": ()}, None, "non-empty sequence"),
        ({"fine_tuning": "supervised"}, None, "needs class labels: call fit"),
        (
            {"fine_tuning": "supervised"},
            np.arange(10),
            "inconsistent numbers of samples",
        ),
        ({"fine_tuning": "supervised"}, np.linspace(0, 1, 60), "continuous"),
        ({"device": "quantum"}, None, "not recognised"),
    ],
)
def test_bad_parameters_and_targets(small_data, params, y, message):
    with pytest.raises(ValueError, match=message):
        _sdae(**params).fit(small_data, y)


def test_inverse_transform_checks_the_code_width(small_data):
    sdae = _sdae().fit(small_data)
    with pytest.raises(ValueError, match="4 columns"):
        sdae.inverse_transform(np.zeros((3, 16)))


@pytest.mark.parametrize("fine_tuning", [None, "unsupervised"])
def test_layers_are_whole_fitted_estimators(small_data, fine_tuning):
    # Trained on codes that the stack validated, each layer still holds all
    # that a fitted DenoisingAutoencoder holds, and works on its own.
    sdae = _sdae(fine_tuning=fine_tuning, early_stopping=True).fit(small_data)
    pretrained = _sdae(fine_tuning=None, early_stopping=True).fit(small_data)
    codes = small_data
    for layer, before in zip(sdae.layers_, pretrained.layers_, strict=True):
        check_is_fitted(layer)
        assert layer.n_features_in_ == codes.shape[1]
        assert not hasattr(layer, "feature_names_in_")
        # The extremes are those of the pretraining input, which fine-tuning
        # leaves as they were.
        np.testing.assert_allclose(layer.data_min_, codes.min(axis=0), rtol=1e-6)
        np.testing.assert_allclose(layer.data_max_, codes.max(axis=0), rtol=1e-6)
        assert layer.n_iter_ == len(layer.loss_curve_) == len(layer.validation_scores_)
        assert layer.best_validation_score_ == max(layer.validation_scores_)
        codes = before.transform(codes)
    layer = sdae.layers_[1]
    inputs = sdae.layers_[0].transform(small_data)
    assert np.isfinite(layer.score(inputs))
    assert layer.partial_fit(inputs).n_iter_ == len(layer.loss_curve_)


def test_codes_stay_tensors_on_the_device_between_layers(small_data, monkeypatch):
    # Each layer above the first trains on the codes below as a tensor where
    # they were computed; no codes are copied to the host on the way.
    inputs, to_host, numpy = [], [], torch.Tensor.numpy
    original_init = TrainingSet.__init__

    def training_set(self, X, device, **kwargs):
        inputs.append(X)
        original_init(self, X, device, **kwargs)

    def copied_to_host(tensor, *args, **kwargs):
        to_host.append(tuple(tensor.shape))
        return numpy(tensor, *args, **kwargs)

    monkeypatch.setattr(TrainingSet, "__init__", training_set)
    monkeypatch.setattr(torch.Tensor, "numpy", copied_to_host)
    sdae = _sdae(fine_tuning=None).fit(small_data)
    sdae.partial_fit(small_data)
    assert [type(X) for X in inputs] == [np.ndarray, torch.Tensor, torch.Tensor] * 2
    assert [X.shape[1] for X in inputs[:3]] == [12, 16, 8]
    assert (len(small_data),) not in [shape[:1] for shape in to_host]
