"""Input and parameter checks shared by the estimators.

Each check raises a ValueError that names the problem and the fix, so that no
torch or numpy error ever reaches the user.
"""

import re
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite
from sklearn.utils import check_array as _check_array
from sklearn.utils.validation import validate_data as _validate_data

from ._corruption import CORRUPTIONS
from ._training import TrainingDivergedError

# ``batch_size="auto"``: n_samples / 32, between 32 and 128. Large data sets
# get 128 rows, a size matrix kernels handle well; small ones get smaller
# batches, hence more steps per epoch: on 1,200 digits, batches of 32 trained
# better features in the same epochs than batches of 128.
AUTO_BATCH_SIZE = 128
AUTO_MIN_BATCH_SIZE = 32
AUTO_BATCHES_PER_EPOCH = 32


class NonNumericInputError(ValueError, TypeError):
    """X holds values that are not numbers.

    A ValueError like every bad input, and a TypeError too, as numpy's own
    error is for objects such as dicts.
    """


def validate_data(estimator, X, **kwargs):
    """sklearn's ``validate_data``, with messages that name the fix.

    Non-numeric, complex and infinite values raise a ValueError that says what
    to do instead of numpy's bare conversion error.
    """
    with _clear_input_errors():
        return _validate_data(estimator, X, **kwargs)


def check_array(array, **kwargs):
    """sklearn's ``check_array``, with the messages of :func:`validate_data`."""
    with _clear_input_errors():
        return _check_array(array, **kwargs)


@contextmanager
def _clear_input_errors():
    try:
        yield
    except (ValueError, TypeError) as error:
        message = str(error)
        if message.startswith("Complex data not supported"):
            # numpy's message goes on to print the whole array.
            raise ValueError(
                "Complex data not supported: X has complex values, but an "
                "autoencoder needs real ones. Pass their real part, their modulus "
                "(np.abs), or both parts as separate features."
            ) from None
        if message.startswith("could not convert") or re.search(
            "argument must be a string.* number", message
        ):
            raise NonNumericInputError(
                f"X contains non-numeric values ({message}). Encode text or "
                "categorical columns as numbers first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder."
            ) from None
        if isinstance(error, ValueError) and "contains infinity" in message:
            raise ValueError(
                f"{message} Replace or remove the infinite values; finite values "
                "too large for the dtype are counted as infinite, so scale those."
            ) from None
        raise


def checked_value_range(X, estimator):
    """Minimum and maximum of X, after refusing NaN and infinite values.

    Validate X with ``ensure_all_finite=False`` and call this instead: one
    pass over X finds the range, which the magnitude and unit-interval checks
    reuse, and it is finite exactly when every value is. Only when it is not
    does sklearn's own check run, for its messages.
    """
    low, high = value_range(X)
    if not (np.isfinite(low) and np.isfinite(high)):
        with _clear_input_errors():
            assert_all_finite(
                X.data if sp.issparse(X) else X,
                input_name="X",
                estimator_name=type(estimator).__name__,
            )
    return low, high


def check_magnitude(X, training, known_range=None):
    """Refuse values whose squared errors overflow the computation's precision.

    Training runs in float32 and sums the squared errors over every value of X
    (the epoch's loss); inference runs in X's precision and sums them over each
    sample's features. Beyond ``sqrt(max / n_terms)`` such a sum can be
    infinite: training would diverge and scores would be meaningless.
    ``known_range``, X's ``(min, max)`` when already known, saves a pass.
    """
    dtype = np.dtype(np.float32 if training else X.dtype)
    n_samples, n_features = X.shape
    if training:
        terms = f"{n_samples} sample(s) and {n_features} feature(s)"
        limit = float(np.sqrt(np.finfo(dtype).max / (n_samples * n_features)))
    else:
        terms = f"{n_features} feature(s)"
        limit = float(np.sqrt(np.finfo(dtype).max / n_features))
    low, high = known_range or value_range(X)
    largest = max(abs(low), abs(high))
    if largest > limit:
        hint = " or pass it as float64" if not training and dtype == np.float32 else ""
        raise ValueError(
            f"X has values as large as {largest:.3g} in absolute value, too large "
            f"for {dtype.name}{' training' if training else ''}: the sum of their "
            f"squared errors over {terms} would overflow (values must stay below "
            f"{limit:.3g}). Scale X first, e.g. with "
            f"sklearn.preprocessing.StandardScaler{hint}."
        )


def check_finite_weights(params, result, description, learning_rate):
    """The loss of the last epoch is measured before its last step, which can
    still overflow the weights: refuse to keep those."""
    if all(np.isfinite(value).all() for value in params.values()):
        return
    where = f" of {description}" if description else ""
    raise TrainingDivergedError(
        f"Training diverged at epoch {result.n_iter}{where}: the weights became "
        f"NaN or infinite. Lower learning_rate_init (it is {learning_rate:g}) or "
        "rescale the input (e.g. with StandardScaler); the previous weights were "
        "kept."
    )


def resolve_batch_size(batch_size, n_samples):
    """The effective batch size: never more rows than there are."""
    if batch_size == "auto":
        size = min(
            AUTO_BATCH_SIZE,
            max(AUTO_MIN_BATCH_SIZE, n_samples // AUTO_BATCHES_PER_EPOCH),
        )
    else:
        size = batch_size
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
    """Minimum and maximum of a dense or sparse X (implicit zeros included).

    NaN when X holds one.
    """
    if sp.issparse(X):
        values = X.data
        has_zeros = X.nnz < X.shape[0] * X.shape[1]
        if not len(values):
            return 0.0, 0.0
        low, high = _min_max(values)
        return (min(low, 0.0), max(high, 0.0)) if has_zeros else (low, high)
    return _min_max(X)


def _min_max(values):
    # torch.aminmax reads the array once, on every core; numpy's min and max
    # read it twice, on one. Tensors (array API mode) stay on their device.
    if not isinstance(values, torch.Tensor):
        values = torch.from_numpy(np.ascontiguousarray(values))
    low, high = torch.aminmax(values)
    return float(low), float(high)


def feature_extremes(X):
    """Per-feature minimum and maximum of a dense or sparse X, as float32."""
    low, high = X.min(axis=0), X.max(axis=0)
    if sp.issparse(X):
        low, high = low.toarray().ravel(), high.toarray().ravel()
    return np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32)


def check_unit_interval(X, loss, what="X", known_range=None):
    """Cross-entropy compares with Bernoulli means, so X must lie in [0, 1].

    ``known_range``, X's ``(min, max)`` when already known, saves a pass.
    """
    if loss != "cross_entropy":
        return
    low, high = known_range or value_range(X)
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
