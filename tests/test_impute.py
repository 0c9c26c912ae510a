"""DenoisingAutoencoderImputer, in the manner of scikit-learn's imputer tests
(``sklearn/impute/tests/test_common.py``): check_estimator's data has no
missing values, so these tests bring their own."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoderImputer, StackedDenoisingAutoencoder
from skdae._impute import DEFAULT_AUTOENCODER

from .conftest import small_dae


def quick_imputer(**params):
    """An imputer with a small, quick autoencoder (the default one, narrower
    and trained for 3 epochs), seeded, on the CPU."""
    options = {
        "autoencoder": small_dae(**{**DEFAULT_AUTOENCODER, "n_components": 16}),
        "random_state": 0,
        "device": "cpu",
    }
    return DenoisingAutoencoderImputer(**{**options, **params})


@pytest.fixture
def table():
    """Correlated columns of different scales, a fifth of the entries missing."""
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(200, 2))
    X = latent @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(200, 6))
    X = X * [1, 10, 100, 1e3, 1e4, 1e5]
    X_missing = X.copy()
    X_missing[rng.uniform(size=X.shape) < 0.2] = np.nan
    return X, X_missing


def test_observed_entries_are_returned_bit_for_bit(table, quiet_convergence):
    _, X = table
    imputed = quick_imputer().fit_transform(X)
    observed = ~np.isnan(X)
    assert imputed.dtype == X.dtype
    np.testing.assert_array_equal(imputed[observed], X[observed])
    assert np.isfinite(imputed).all()


def test_the_input_is_never_written_to(table, quiet_convergence):
    _, X = table
    before = X.copy()
    quick_imputer().fit(X).transform(X)
    np.testing.assert_array_equal(X, before)


def test_it_imputes_correlated_columns_better_than_their_means(table):
    X, X_missing = table
    hidden = np.isnan(X_missing)
    errors = {}
    for name, imputer in {
        "mean": SimpleImputer(),
        "autoencoder": DenoisingAutoencoderImputer(random_state=0, device="cpu"),
    }.items():
        imputed = imputer.fit_transform(X_missing)
        errors[name] = np.sqrt(np.mean(((imputed - X) / X.std(axis=0))[hidden] ** 2))
    # Two latent factors explain each column: the mean knows none of them.
    assert errors["autoencoder"] < 0.5 * errors["mean"]


def test_nan_in_the_data_given_to_transform_only(table, quiet_convergence):
    X, X_missing = table
    imputer = quick_imputer().fit(X)  # no missing values in fit
    imputed = imputer.transform(X_missing)
    assert np.isfinite(imputed).all()
    assert imputer.indicator_ is None


@pytest.mark.parametrize("to_container", [np.asarray, sp.csr_matrix, sp.csr_array])
def test_add_indicator_appends_the_missing_indicator(
    table, to_container, quiet_convergence
):
    _, X = table
    X = X.copy()
    X[:, 2] = np.where(np.isnan(X[:, 2]), 1.0, X[:, 2])  # a feature never missing
    X = to_container(X)
    imputed = quick_imputer(add_indicator=True).fit_transform(X)
    expected = MissingIndicator().fit_transform(X)
    assert sp.issparse(imputed) == sp.issparse(X)
    dense = imputed.toarray() if sp.issparse(imputed) else imputed
    np.testing.assert_array_equal(dense[:, 6:], _dense(expected))
    assert dense.shape == (200, 11)
    assert np.isfinite(dense).all()


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def test_sparse_input_keeps_its_format_and_fills_its_stored_nan(quiet_convergence):
    X = sp.random(80, 6, density=0.5, format="csr", random_state=0)
    X.data[::4] = np.nan
    imputed = quick_imputer().fit_transform(X)
    assert sp.issparse(imputed) and imputed.nnz == X.nnz
    assert np.isfinite(imputed.data).all()
    observed = ~np.isnan(X.data)
    np.testing.assert_array_equal(imputed.data[observed], X.data[observed])


def test_sparse_input_with_zero_as_the_placeholder_is_refused():
    X = sp.random(20, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(ValueError, match="missing_values == 0 and input is sparse"):
        quick_imputer(missing_values=0).fit(X)


def test_a_numeric_placeholder(table, quiet_convergence):
    _, X = table
    with_placeholder = np.where(np.isnan(X), -1.0, X)
    imputer = quick_imputer(missing_values=-1.0)
    imputed = imputer.fit_transform(with_placeholder)
    np.testing.assert_allclose(imputed, quick_imputer().fit_transform(X))
    assert not imputer.__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match="NaN"):
        imputer.transform(X)


def test_pandas_na_reads_as_nan(table, quiet_convergence):
    _, X = table
    frame = pd.DataFrame(X, dtype="Float64")  # nullable: pandas.NA, not NaN
    assert frame.isna().to_numpy().sum() == np.isnan(X).sum()
    for missing_values in (np.nan, pd.NA):
        imputed = quick_imputer(missing_values=missing_values).fit_transform(frame)
        np.testing.assert_allclose(imputed, quick_imputer().fit_transform(X))


def test_allow_nan_follows_missing_values():
    assert DenoisingAutoencoderImputer().__sklearn_tags__().input_tags.allow_nan
    tags = DenoisingAutoencoderImputer(missing_values=0).__sklearn_tags__()
    assert not tags.input_tags.allow_nan


@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_keep_empty_features(table, keep_empty_features, quiet_convergence):
    _, X = table
    X = X.copy()
    X[:, 1] = np.nan
    imputer = quick_imputer(keep_empty_features=keep_empty_features)
    imputed = imputer.fit_transform(X)
    names = imputer.get_feature_names_out()
    if keep_empty_features:
        assert imputed.shape == (200, 6)
        np.testing.assert_array_equal(imputed[:, 1], 0.0)
        assert "x1" in names
    else:
        assert imputed.shape == (200, 5)
        assert "x1" not in names
    assert len(names) == imputed.shape[1]


def test_every_feature_empty_is_refused():
    with pytest.raises(ValueError, match="Every feature of X is missing"):
        quick_imputer().fit(np.full((5, 3), np.nan))


@pytest.mark.parametrize("add_indicator", [False, True])
def test_feature_names_and_pandas_output(table, add_indicator, quiet_convergence):
    _, X = table
    columns = [f"col{i}" for i in range(6)]
    frame = pd.DataFrame(X, columns=columns, index=np.arange(200) + 1000)
    imputer = quick_imputer(add_indicator=add_indicator).set_output(transform="pandas")
    imputed = imputer.fit_transform(frame)
    assert isinstance(imputed, pd.DataFrame)
    indicators = [f"missingindicator_{name}" for name in columns]
    assert list(imputed.columns) == columns + (indicators if add_indicator else [])
    assert list(imputed.index) == list(frame.index)
    assert list(imputer.get_feature_names_out()) == list(imputed.columns)


def test_in_a_pipeline_and_a_column_transformer(quiet_convergence):
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    y = y[:300]
    X_missing = X.copy()
    X_missing[np.random.RandomState(0).uniform(size=X.shape) < 0.2] = np.nan
    columns = ColumnTransformer(
        [("pixels", quick_imputer(), slice(0, 64))], remainder="drop"
    )
    model = make_pipeline(columns, StandardScaler(), LogisticRegression(max_iter=500))
    assert model.fit(X_missing, y).score(X_missing, y) > 0.9


def test_more_rounds_refine_the_fill(table, quiet_convergence):
    _, X = table
    one, three = (quick_imputer(n_rounds=n).fit(X).transform(X) for n in (1, 3))
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(one[observed], three[observed])
    assert not np.array_equal(one[~observed], three[~observed])


def test_a_stack_as_the_autoencoder(table, quiet_convergence):
    _, X = table
    stack = StackedDenoisingAutoencoder((16, 8), max_iter=5, fine_tune_max_iter=5)
    imputed = quick_imputer(autoencoder=stack).fit_transform(X)
    assert np.isfinite(imputed).all()


def test_the_imputer_settings_reach_the_autoencoder(table, quiet_convergence):
    _, X = table
    # The template's own settings differ from the imputer's, and its device
    # is absent here: had it been kept, fit would fail.
    template = small_dae(random_state=99, device="cuda:7", verbose=2, max_iter=2)
    imputer = quick_imputer(
        autoencoder=template, random_state=3, device="cpu", verbose=0
    ).fit(X)
    fitted = imputer.autoencoder_
    assert (fitted.random_state, fitted.device, fitted.verbose) == (3, "cpu", 0)
    # The template is cloned, never fitted itself, and keeps its settings.
    assert not hasattr(template, "components_") and template.device == "cuda:7"


def test_reproducible_under_random_state(table, quiet_convergence):
    _, X = table
    first, second = (quick_imputer().fit_transform(X) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_the_default_autoencoder_standardizes_wide_ranging_columns(table):
    # fnlwgt-like columns near 1e5 beside columns near 1: no divergence, and
    # the statistics of each column are its observed mean and deviation.
    _, X = table
    imputer = DenoisingAutoencoderImputer(random_state=0, device="cpu").fit(X)
    np.testing.assert_allclose(imputer.mean_, np.nanmean(X, axis=0))
    np.testing.assert_allclose(imputer.scale_, np.nanstd(X, axis=0))


def test_an_imputer_saved_with_the_private_name_loads(table, quiet_convergence):
    _, X = table
    imputer = quick_imputer().fit(X)
    state = dict(imputer.__getstate__())
    state["_kept_features"] = state.pop("observed_features_")
    old = DenoisingAutoencoderImputer.__new__(DenoisingAutoencoderImputer)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.observed_features_, imputer.observed_features_)
    np.testing.assert_array_equal(old.transform(X), imputer.transform(X))
