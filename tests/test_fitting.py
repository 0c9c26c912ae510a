"""The path from an estimator's fit to the training loop, and its record."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skdae._dae import layer_module
from skdae._fitting import (
    feature_extremes,
    make_solver,
    record_result,
    resolve_batch_size,
)
from skdae._training import TrainingResult

from .conftest import small_dae

pytestmark = pytest.mark.usefixtures("quiet_convergence")


class _Fitted:
    """Stands for an estimator with earlier curves."""

    loss_curve_ = [3.0, 2.0]
    n_iter_ = 2
    validation_scores_ = [-3.0, -2.0]
    best_validation_score_ = -2.0


def test_a_new_run_replaces_the_curves():
    estimator = _Fitted()
    record_result(estimator, TrainingResult(loss_curve=[1.0], n_iter=1))
    assert estimator.loss_curve_ == [1.0] and estimator.n_iter_ == 1
    assert estimator.validation_scores_ is None
    assert estimator.best_validation_score_ is None


def test_a_continued_run_appends_its_epochs_and_keeps_its_own_scores():
    estimator = _Fitted()
    scores = [-1.5]
    result = TrainingResult(
        loss_curve=[1.5],
        validation_scores=scores,
        best_validation_score=-1.5,
        n_iter=1,
    )
    record_result(estimator, result, continued=True)
    assert estimator.loss_curve_ == [3.0, 2.0, 1.5] and estimator.n_iter_ == 3
    assert estimator.validation_scores_ == [-1.5]
    assert estimator.best_validation_score_ == -1.5
    # The estimator's lists are its own: a later run cannot change them.
    assert estimator.validation_scores_ is not scores
    assert _Fitted.loss_curve_ == [3.0, 2.0]


@pytest.mark.parametrize(
    "batch_size, n_samples, expected",
    [
        ("auto", 10**5, 128),
        ("auto", 1000, 32),
        ("auto", 20, 20),
        (500, 200, 200),
        (32, 200, 32),
    ],
)
def test_batch_size_never_exceeds_the_rows(batch_size, n_samples, expected):
    assert resolve_batch_size(batch_size, n_samples) == expected


def test_feature_extremes_agree_for_every_kind_of_input():
    X = np.random.RandomState(0).normal(size=(30, 4)).astype(np.float32)
    X[X < 0.5] = 0
    expected = X.min(axis=0), X.max(axis=0)
    for data in (X, sp.csr_matrix(X), torch.from_numpy(X)):
        low, high = feature_extremes(data)
        assert low.dtype == high.dtype == np.float32
        np.testing.assert_array_equal(low, expected[0])
        np.testing.assert_array_equal(high, expected[1])


def test_a_resumed_solver_keeps_its_state_but_takes_the_new_settings(small_data):
    dae = small_dae().fit(small_data)
    cpu = torch.device("cpu")
    module = layer_module(dae, cpu)
    dae.set_params(learning_rate_init=0.5)
    solver = make_solver(module, dae, cpu, dae._optimizer_state)
    # Three epochs of two batches (32 and 28 of the 60 rows).
    assert int(solver.state_dict()["state"][0]["step"]) == 3 * 2
    assert {group["lr"] for group in solver.param_groups} == {0.5}
    # Another solver starts afresh.
    dae.set_params(solver="sgd")
    assert not make_solver(module, dae, cpu, dae._optimizer_state).state
