"""Input and parameter checks shared by the estimators.

Each check raises a ValueError that names the problem and the fix, so that no
torch or numpy error ever reaches the user.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split

from ._corruption import CORRUPTIONS

# Batch size of ``batch_size="auto"``: MLPRegressor's 200, rounded to a size
# that matrix kernels handle well; small data sets use one full batch.
AUTO_BATCH_SIZE = 128


def resolve_batch_size(batch_size, n_samples):
    """The effective batch size: never more rows than there are."""
    size = AUTO_BATCH_SIZE if batch_size == "auto" else batch_size
    return max(1, min(size, n_samples))


def check_corruption_level(corruption, level, name="corruption_level"):
    """A probability must lie in [0, 1]; a standard deviation just be >= 0."""
    if corruption not in CORRUPTIONS and corruption is not None:
        raise ValueError(
            f"corruption={corruption!r} is not supported; use one of "
            f"{[*CORRUPTIONS, None]}."
        )
    if corruption in ("masking", "salt_and_pepper") and not 0 <= level <= 1:
        raise ValueError(
            f"{name}={level} is a probability for corruption={corruption!r} "
            "and must be between 0 and 1."
        )


def value_range(X):
    """Minimum and maximum of a dense or sparse X (implicit zeros included)."""
    if sp.issparse(X):
        values = X.data
        has_zeros = X.nnz < X.shape[0] * X.shape[1]
        low = min(values.min(initial=np.inf), 0.0 if has_zeros else np.inf)
        high = max(values.max(initial=-np.inf), 0.0 if has_zeros else -np.inf)
        return float(low), float(high)
    return float(X.min()), float(X.max())


def feature_extremes(X):
    """Per-feature minimum and maximum of a dense or sparse X, as float32."""
    low, high = X.min(axis=0), X.max(axis=0)
    if sp.issparse(X):
        low, high = low.toarray().ravel(), high.toarray().ravel()
    return np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32)


def check_unit_interval(X, loss, what="X"):
    """Cross-entropy compares with Bernoulli means, so X must lie in [0, 1]."""
    if loss != "cross_entropy":
        return
    low, high = value_range(X)
    if low < 0 or high > 1:
        raise ValueError(
            f"loss='cross_entropy' needs {what} in the range [0, 1], but its "
            f"values span [{low:.4g}, {high:.4g}]. Scale it with "
            "sklearn.preprocessing.MinMaxScaler, or use loss='mse'."
        )


def check_positive_weights(sample_weight):
    """Sample weights must not all be zero: nothing would be learned."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero: at least one sample needs a positive weight."
        )


def validation_split(n_samples, validation_fraction, random_state):
    """Row indices of the training and validation parts, for early stopping.

    Raises
    ------
    ValueError
        When there are too few samples for both parts to be non-empty.
    """
    try:
        return train_test_split(
            np.arange(n_samples),
            test_size=validation_fraction,
            random_state=random_state,
        )
    except ValueError as error:
        raise ValueError(
            f"early_stopping=True cannot split {n_samples} sample(s) into "
            f"training and validation parts (validation_fraction="
            f"{validation_fraction}). Provide more samples or set "
            "early_stopping=False."
        ) from error
