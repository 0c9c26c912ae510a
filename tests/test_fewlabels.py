"""Few labels: y == -1 marks an unlabeled row, as in sklearn.semi_supervised.

A stack pretrains on every row and fine-tunes on the labeled ones; -1 is no
class. A binary y of {-1, +1} stays fully labeled.
"""

import numpy as np
import pytest
from sklearn.datasets import make_hastie_10_2
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.semi_supervised import SelfTrainingClassifier

import skdae._sdae
from skdae import DenoisingAutoencoder
from skdae._modules import SupervisedStack
from skdae._sdae import unlabeled_rows

from .conftest import small_sdae

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _hide_labels(y, share, seed=0):
    """y with a share of its labels replaced by -1."""
    y = np.array(y)
    hidden = np.random.RandomState(seed).uniform(size=len(y)) < share
    y[hidden] = -1
    return y, hidden


@pytest.fixture
def fine_tuning_calls(monkeypatch):
    """The rows and targets that each fine-tuning run is given."""
    calls = []
    run_training = skdae._sdae.run_training

    def spy(module, data, *args, **kwargs):
        targets = None if data.targets is None else data.targets.cpu().numpy()
        calls.append({"rows": data.rows, "targets": targets})
        return run_training(module, data, *args, **kwargs)

    monkeypatch.setattr(skdae._sdae, "run_training", spy)
    return calls


def test_unlabeled_rows_never_reach_the_supervised_objective(digits, fine_tuning_calls):
    X_train, _, y_train, _ = digits
    y, hidden = _hide_labels(y_train, 0.9)
    stack = small_sdae(hidden_layer_sizes=(16, 8)).fit(X_train, y)
    assert stack.fine_tuning_ == "supervised"
    np.testing.assert_array_equal(stack.classes_, np.arange(10))
    assert stack.head_coef_.shape[0] == 10
    (call,) = fine_tuning_calls
    np.testing.assert_array_equal(call["rows"], np.flatnonzero(~hidden))
    np.testing.assert_array_equal(call["targets"][call["rows"]], y[~hidden])


def test_early_stopping_holds_out_labeled_rows_only(digits, monkeypatch):
    X_train, _, y_train, _ = digits
    y, hidden = _hide_labels(y_train, 0.8)
    scored = []
    validation_score = SupervisedStack.validation_score

    def spy(model, data, rows):
        scored.append(rows)
        return validation_score(model, data, rows)

    monkeypatch.setattr(SupervisedStack, "validation_score", spy)
    small_sdae(early_stopping=True).fit(X_train, y)
    # Scored after each epoch, always on the same held-out labeled rows.
    rows = scored[0]
    assert all(np.array_equal(epoch_rows, rows) for epoch_rows in scored)
    assert len(rows) and not hidden[rows].any()


def test_a_binary_target_of_minus_one_and_one_is_two_classes():
    X, y = make_hastie_10_2(n_samples=200, random_state=0)
    assert set(np.unique(y)) == {-1.0, 1.0}
    stack = small_sdae().fit(X, y)
    assert stack.fine_tuning_ == "supervised"
    np.testing.assert_array_equal(stack.classes_, [-1.0, 1.0])


def test_only_unlabeled_rows_fine_tune_without_labels(small_data):
    stack = small_sdae().fit(small_data, np.full(len(small_data), -1))
    assert stack.fine_tuning_ == "unsupervised"
    assert not hasattr(stack, "classes_")
    with pytest.raises(ValueError, match="every row unlabeled"):
        small_sdae(fine_tuning="supervised").fit(
            small_data, np.full(len(small_data), -1)
        )


def test_a_hundred_labels_of_ten_classes_fine_tune_supervised(digits):
    # A uniform draw of 100 labels may leave a class with a single row, which
    # the rule for fully labeled y (two rows per class) would call no class.
    X_train, _, y_train, _ = digits
    labeled = np.concatenate(
        [np.flatnonzero(y_train == 0)[:1], np.flatnonzero(y_train != 0)[:99]]
    )
    y = np.full(len(y_train), -1)
    y[labeled] = y_train[labeled]
    stack = small_sdae().fit(X_train, y)
    assert stack.fine_tuning_ == "supervised"
    np.testing.assert_array_equal(stack.classes_, np.arange(10))


def test_string_labels_beside_minus_one_in_an_object_array(small_data):
    y = np.array(["cat", "dog", "owl", -1, -1] * 12, dtype=object)
    np.testing.assert_array_equal(unlabeled_rows(y), ([False] * 3 + [True] * 2) * 12)
    stack = small_sdae().fit(small_data, y)
    np.testing.assert_array_equal(stack.classes_, ["cat", "dog", "owl"])


@pytest.mark.parametrize(
    "y, marks",
    [
        ([0, 1, 2, 0, 1, 2], False),  # no -1
        ([-1, 1, -1, 1], False),  # -1 beside one class: a binary target
        ([-1, 0, 1, -1, 2], True),
        ([-1.0, 0.0, 1.0], True),
        ([-1.5, 0.2, 3.7, -1.0], False),  # continuous
        (["a", "b", "c"], False),
    ],
)
def test_which_targets_mark_unlabeled_rows(y, marks):
    assert (unlabeled_rows(y) is not None) == marks


def test_self_training_after_the_stack_in_a_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    y, _ = _hide_labels(y_train, 0.8)
    model = make_pipeline(
        small_sdae(hidden_layer_sizes=(64, 32), max_iter=10, fine_tune_max_iter=20),
        SelfTrainingClassifier(LogisticRegression(max_iter=1000)),
    ).fit(X_train, y)
    stack = model[0]
    np.testing.assert_array_equal(stack.classes_, np.arange(10))
    # With -1 as a class, the features learned to spot "unlabeled": 0.16.
    assert model.score(X_test, y_test) > 0.85


def test_frozen_autoencoder_fitted_on_every_row(digits):
    X_train, X_test, y_train, y_test = digits
    dae = DenoisingAutoencoder(64, max_iter=10, random_state=0, device="cpu")
    dae.fit(np.vstack([X_train, X_test]))
    weights = dae.components_.copy()
    model = make_pipeline(FrozenEstimator(dae), LogisticRegression(max_iter=1000))
    model.fit(X_train[:100], y_train[:100])
    np.testing.assert_array_equal(dae.components_, weights)
    assert model.score(X_test, y_test) > 0.8
