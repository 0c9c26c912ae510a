"""Missing values (NaN) in both estimators: one rule, in training and inference."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skdae._missing import feature_extremes
from skdae._modules import reconstruction_loss

from .conftest import small_dae, small_sdae

MAKERS = {"dae": small_dae, "sdae": small_sdae}


@pytest.fixture
def data_with_missing(small_data):
    """60 x 12 values in [0, 1], a fifth of them missing."""
    X = small_data.astype(np.float64)
    X[np.random.RandomState(1).uniform(size=X.shape) < 0.2] = np.nan
    return X


def _filled_with_means(X, estimator):
    means = _bottom(estimator).feature_means_
    return np.where(np.isnan(X), means.astype(X.dtype), X)


def _bottom(estimator):
    return estimator.layers_[0] if hasattr(estimator, "layers_") else estimator


@pytest.mark.parametrize("kind", MAKERS)
def test_every_method_takes_missing_values(kind, data_with_missing, quiet_convergence):
    estimator = MAKERS[kind]().fit(data_with_missing)
    estimator.partial_fit(data_with_missing)
    codes = estimator.transform(data_with_missing)
    assert np.isfinite(codes).all()
    assert np.isfinite(estimator.score_samples(data_with_missing)).all()
    assert np.isfinite(estimator.score(data_with_missing))
    assert np.isfinite(estimator.loss_curve_).all()
    assert estimator.__sklearn_tags__().input_tags.allow_nan


@pytest.mark.parametrize("kind", MAKERS)
def test_a_missing_entry_is_encoded_as_its_feature_mean(
    kind, data_with_missing, quiet_convergence
):
    # The documented rule: at the encoder's input a missing entry is the mean
    # of its feature's observed training values, exactly as in training.
    estimator = MAKERS[kind]().fit(data_with_missing)
    filled = _filled_with_means(data_with_missing, estimator)
    np.testing.assert_array_equal(
        estimator.transform(data_with_missing), estimator.transform(filled)
    )


def test_feature_means_are_the_weighted_means_of_observed_values(data_with_missing):
    weight = np.r_[np.zeros(20), np.ones(40)]
    dae = small_dae().fit(data_with_missing, sample_weight=weight)
    expected = np.nanmean(data_with_missing[20:], axis=0)
    np.testing.assert_allclose(dae.feature_means_, expected, rtol=1e-6)


def test_a_missing_entry_adds_nothing_to_the_loss_nor_its_gradient():
    target = torch.tensor([[0.2, float("nan"), 0.9], [0.5, 0.1, float("nan")]])
    logits = torch.randn(2, 3, requires_grad=True)
    for loss in ("mse", "cross_entropy"):
        per_sample = reconstruction_loss(
            logits, target, loss, reduction="none", missing=True
        )
        observed = ~torch.isnan(target)
        # Only the observed entries' terms: recompute them one row at a time.
        for row in range(2):
            keep = observed[row]
            alone = reconstruction_loss(
                logits[row, keep][None], target[row, keep][None], loss
            )
            assert per_sample[row].item() == pytest.approx(alone.item(), rel=1e-6)
        (gradient,) = torch.autograd.grad(per_sample.sum(), logits)
        assert torch.isfinite(gradient).all()
        assert (gradient[~observed] == 0).all()


def test_values_behind_missing_entries_do_not_matter_to_training(small_data):
    # Whatever a missing entry "was", the model only ever sees NaN there:
    # two data sets that differ only in their missing entries agree.
    mask = np.random.RandomState(2).uniform(size=small_data.shape) < 0.3
    fits = []
    for fill in (0.0, 1.0):
        X = np.where(mask, fill, small_data)
        X[mask] = np.nan
        fits.append(small_dae().fit(X))
    np.testing.assert_array_equal(fits[0].components_, fits[1].components_)


def test_missing_scores_count_the_observed_entries_only(data_with_missing):
    dae = small_dae(loss="mse").fit(data_with_missing)
    scores = dae.score_samples(data_with_missing)
    filled = _filled_with_means(data_with_missing, dae)
    reconstruction = dae.inverse_transform(dae.transform(filled))
    errors = np.where(
        np.isnan(data_with_missing), 0.0, (reconstruction - filled) ** 2 / 2
    )
    np.testing.assert_allclose(-scores, errors.sum(axis=1), rtol=1e-5)


def test_an_entirely_missing_row_is_the_mean_row_and_scores_zero(
    data_with_missing,
):
    X = data_with_missing.copy()
    X[:5] = np.nan
    dae = small_dae().fit(X)
    codes = dae.transform(X[:5])
    mean_code = dae.transform(dae.feature_means_[None].astype(np.float64))
    np.testing.assert_allclose(codes, np.repeat(mean_code, 5, axis=0), rtol=1e-6)
    np.testing.assert_array_equal(dae.score_samples(X[:5]), 0.0)


def test_a_feature_missing_at_inference_only_takes_its_mean(small_data):
    dae = small_dae().fit(small_data)
    X = small_data[:4].copy()
    X[:, 3] = np.nan
    assert np.isfinite(dae.transform(X)).all()
    np.testing.assert_allclose(dae.feature_means_, small_data.mean(axis=0), rtol=1e-5)


@pytest.mark.parametrize("kind", MAKERS)
def test_a_feature_missing_in_every_training_row_is_refused(kind, small_data):
    X = small_data.copy()
    X[:, [2, 5]] = np.nan
    with pytest.raises(ValueError, match=r"2 feature\(s\) have no observed value"):
        MAKERS[kind]().fit(X)


def test_a_feature_observed_only_in_zero_weight_rows_is_refused(small_data):
    X = small_data.copy()
    X[10:, 0] = np.nan
    weight = np.r_[np.zeros(10), np.ones(50)]
    with pytest.raises(ValueError, match=r"column\(s\) \[0\]"):
        small_dae().fit(X, sample_weight=weight)


@pytest.mark.parametrize("kind", MAKERS)
def test_stored_nan_in_sparse_input_is_missing(kind, quiet_convergence):
    X = sp.random(50, 10, density=0.4, format="csr", random_state=0)
    X.data[::5] = np.nan
    dense = X.toarray()  # implicit zeros stay observed zeros
    on_sparse, on_dense = MAKERS[kind]().fit(X), MAKERS[kind]().fit(dense)
    np.testing.assert_allclose(
        on_sparse.transform(X), on_dense.transform(dense), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        on_sparse.score_samples(X), on_dense.score_samples(dense), rtol=1e-5
    )


@pytest.mark.parametrize(
    "corruption", ["masking", "gaussian", "salt_and_pepper", "swap"]
)
def test_every_corruption_trains_on_missing_values(corruption, data_with_missing):
    dae = small_dae(corruption=corruption).fit(data_with_missing)
    assert np.isfinite(dae.loss_curve_).all()
    assert np.isfinite(dae.data_min_).all() and np.isfinite(dae.data_max_).all()


@pytest.mark.parametrize("kind", MAKERS)
def test_infinity_stays_an_error_beside_missing_values(kind, data_with_missing):
    X = data_with_missing.copy()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="contains infinity"):
        MAKERS[kind]().fit(X)
    fitted = MAKERS[kind]().fit(data_with_missing)
    for method in ("transform", "score_samples", "score", "partial_fit"):
        with pytest.raises(ValueError, match="contains infinity"):
            getattr(fitted, method)(X)


@pytest.mark.parametrize("fine_tuning", ["unsupervised", "supervised"])
def test_stack_fine_tunes_on_missing_values(fine_tuning, data_with_missing):
    y = np.arange(60) % 2
    sdae = small_sdae(fine_tuning=fine_tuning).fit(data_with_missing, y)
    assert np.isfinite(sdae.transform(data_with_missing)).all()
    assert np.isfinite(sdae.loss_curve_).all()


def test_missing_values_survive_pickling(data_with_missing):
    dae = small_dae().fit(data_with_missing)
    loaded = pickle.loads(pickle.dumps(dae))
    np.testing.assert_array_equal(
        loaded.transform(data_with_missing), dae.transform(data_with_missing)
    )


def test_a_model_without_feature_means_asks_for_a_refit(small_data):
    dae = small_dae().fit(small_data)
    del dae.feature_means_  # as fitted before missing values were supported
    dae.transform(small_data)  # complete data needs no means
    X = small_data.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="has no feature_means_ to fill them"):
        dae.transform(X)


def test_feature_extremes_agree_for_every_kind_of_input():
    X = np.random.RandomState(0).normal(size=(30, 4)).astype(np.float32)
    X[X < 0.5] = 0
    expected = X.min(axis=0), X.max(axis=0)
    for data in (X, sp.csr_matrix(X), torch.from_numpy(X)):
        low, high = feature_extremes(data)
        assert low.dtype == high.dtype == np.float32
        np.testing.assert_array_equal(low, expected[0])
        np.testing.assert_array_equal(high, expected[1])
