"""DenoisingAutoencoderOutlierDetector: scores, thresholds, feature shares."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdae import (
    DenoisingAutoencoder,
    DenoisingAutoencoderOutlierDetector,
    StackedDenoisingAutoencoder,
)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def quick_detector(**params):
    """A small, quick, seeded detector on the CPU."""
    options = {"n_estimators": 3, "max_steps": 100, "random_state": 0, "device": "cpu"}
    return DenoisingAutoencoderOutlierDetector(**{**options, **params})


def correlated_table(n_rows=400, seed=0):
    """Six columns driven by two factors, on very different scales."""
    rng = np.random.RandomState(seed)
    factors = rng.normal(size=(n_rows, 2))
    mixing = rng.normal(size=(2, 6))
    X = factors @ mixing + 0.05 * rng.normal(size=(n_rows, 6))
    return X * np.array([1, 10, 100, 1e3, 1e-2, 1e4])


def with_outliers(X, n_outliers=8):
    """X whose first rows break the columns' correlation: each of them has
    column 0 moved by ten of its standard deviations."""
    X = X.copy()
    X[:n_outliers, 0] += 10 * X[:, 0].std()
    return X


def test_outliers_score_lower_and_predict_minus_one():
    X = with_outliers(correlated_table())
    detector = quick_detector().fit(X)
    scores = detector.score_samples(X)
    assert scores[:8].max() < np.percentile(scores[8:], 5)
    decision = detector.decision_function(X)
    np.testing.assert_allclose(decision, scores - detector.offset_)
    np.testing.assert_array_equal(detector.predict(X), np.where(decision < 0, -1, 1))
    assert set(detector.fit_predict(X)) <= {-1, 1}


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_contamination_flags_that_share_of_the_training_rows(contamination):
    X = correlated_table()
    detector = quick_detector(contamination=contamination).fit(X)
    flagged = np.mean(detector.predict(X) == -1)
    assert flagged == pytest.approx(contamination, abs=1 / len(X))
    # The threshold moves; the scores do not.
    auto = quick_detector().fit(X)
    np.testing.assert_array_equal(auto.score_samples(X), detector.score_samples(X))


def test_auto_contamination_is_tukeys_fence_on_the_training_scores():
    X = correlated_table()
    detector = quick_detector().fit(X)
    anomaly = -detector.score_samples(X)
    q1, q3 = np.percentile(anomaly, [25, 75])
    assert detector.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))


def test_feature_shares_sum_to_the_anomaly_score_and_are_non_negative():
    X = correlated_table()
    detector = quick_detector().fit(X)
    shares = detector.feature_shares(X[:50])
    assert shares.shape == (50, 6) and (shares >= 0).all()
    np.testing.assert_allclose(
        shares.sum(axis=1),
        -detector.score_samples(X[:50]) + detector.shares_offset_,
        rtol=1e-6,
        atol=1e-8,
    )


def test_the_shifted_column_has_the_largest_share():
    X = correlated_table()
    shifted = np.arange(5)
    # Column 3 of five rows moved by six of its standard deviations.
    X[shifted, 3] += 6 * X[:, 3].std()
    detector = quick_detector().fit(X)
    shares = detector.feature_shares(X[shifted])
    np.testing.assert_array_equal(shares.argmax(axis=1), 3)


def test_test_rows_far_outside_the_training_range_score():
    X = correlated_table()
    detector = quick_detector().fit(X)
    far = X[:5] * 1e3
    scores = detector.score_samples(far)
    assert np.isfinite(scores).all()
    assert (scores < detector.score_samples(X).min()).all()


def test_the_scaling_inside_makes_the_columns_units_irrelevant():
    X = correlated_table()
    rescaled = X * np.array([7, 0.1, 3, 1e-3, 50, 2]) + 11
    first, second = (quick_detector().fit(data) for data in (X, rescaled))
    np.testing.assert_allclose(
        first.score_samples(X), second.score_samples(rescaled), rtol=1e-3, atol=1e-3
    )


@pytest.mark.parametrize("scaling", ["robust", "quantile"])
def test_other_scalings_score_the_shifted_rows_below_the_typical_row(scaling):
    X = with_outliers(correlated_table())
    scores = quick_detector(scaling=scaling).fit(X).score_samples(X)
    # The quantile transform keeps ranks, not distances: a shifted value is
    # only the column's largest, hence a weaker margin than the standard
    # scaling's.
    assert scores[:8].mean() < np.median(scores[8:])


def test_missing_values_score_and_take_no_share():
    X = correlated_table()
    X[::7, 2] = np.nan
    detector = quick_detector().fit(X)
    scores = detector.score_samples(X)
    assert np.isfinite(scores).all()
    shares = detector.feature_shares(X[::7])
    np.testing.assert_array_equal(shares[:, 2], 0.0)


def test_sparse_input_scores_like_its_dense_copy_scaled_alike():
    X = sp.random(300, 20, density=0.3, format="csr", random_state=0)
    detector = quick_detector().fit(X)
    dense = quick_detector(scaling="standard").fit(X.toarray())
    assert detector.scaler_.with_mean is False and dense.scaler_.with_mean is True
    scores = detector.score_samples(X)
    np.testing.assert_allclose(scores, detector.score_samples(X.toarray()))


def test_pandas_in_and_feature_names_kept():
    X = correlated_table()
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    detector = quick_detector().fit(frame)
    np.testing.assert_array_equal(detector.feature_names_in_, frame.columns)
    np.testing.assert_allclose(
        detector.score_samples(frame), quick_detector().fit(X).score_samples(X)
    )


def test_y_is_ignored_even_with_unlabeled_marks():
    X = correlated_table()
    y = np.where(np.arange(len(X)) % 3, -1, 1)
    with_y = quick_detector().fit(X, y).score_samples(X)
    np.testing.assert_array_equal(with_y, quick_detector().fit(X).score_samples(X))


def test_the_step_budget_sets_every_members_epochs():
    X = correlated_table(n_rows=400)
    detector = quick_detector(max_samples=0.5, max_steps=300).fit(X)
    for member, rows in zip(
        detector.estimators_, detector.estimators_samples_, strict=True
    ):
        # 200 rows in batches of 32 (200 // 32 = 6, raised to 32): 7 batches.
        assert len(rows) == 200
        assert member.max_iter == member.n_iter_ == round(300 / 7)
    kept = quick_detector(
        autoencoder=DenoisingAutoencoder(4, max_iter=3), max_steps=None
    ).fit(X)
    assert all(member.n_iter_ == 3 for member in kept.estimators_)


def test_the_template_is_cloned_and_takes_the_detectors_settings():
    X = correlated_table()
    template = DenoisingAutoencoder(4, random_state=99, device="cuda:7", verbose=2)
    detector = quick_detector(autoencoder=template).fit(X)
    seeds = {member.random_state for member in detector.estimators_}
    assert len(seeds) == 3 and 99 not in seeds
    assert all(member.device == "cpu" for member in detector.estimators_)
    assert all(member.loss_ == "mse" for member in detector.estimators_)
    assert not hasattr(template, "components_") and template.loss == "auto"


def test_a_stack_as_the_members_model():
    X = correlated_table()
    stack = StackedDenoisingAutoencoder((4, 2), fine_tuning="unsupervised")
    detector = quick_detector(autoencoder=stack, n_estimators=2).fit(X)
    assert all(
        member.fine_tune_max_iter == member.max_iter for member in detector.estimators_
    )
    assert np.isfinite(detector.score_samples(X)).all()


def test_a_cross_entropy_autoencoder_is_refused():
    template = DenoisingAutoencoder(4, loss="cross_entropy")
    with pytest.raises(ValueError, match="only loss='mse' scores"):
        quick_detector(autoencoder=template).fit(correlated_table())


def test_infinity_is_refused_and_random_state_reproduces():
    X = correlated_table()
    first, second = (quick_detector().fit(X).score_samples(X) for _ in range(2))
    np.testing.assert_array_equal(first, second)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="[Ii]nfinity"):
        quick_detector().fit(X)


def test_in_a_pipeline():
    X = correlated_table()
    pipeline = make_pipeline(StandardScaler(), quick_detector()).fit(X)
    assert pipeline.predict(X).shape == (len(X),)


def test_pickle_and_skops_round_trips_score_the_same(tmp_path):
    X = correlated_table()
    detector = quick_detector().fit(X)
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "detector.skops"
    sio.dump(detector, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("skdae.") for name in untrusted)
    restored = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict(X), detector.predict(X))
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_a_step_budget_raises_no_convergence_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        quick_detector().fit(correlated_table())
