"""Checks of the data given to the estimators, at their boundary.

Each check raises a ValueError that names the problem and the fix, so that no
torch or numpy error ever reaches the user. Which error to raise is decided
from the input's dtype and values, never from the wording of numpy's or
scikit-learn's own messages, which changes between versions.
"""

import math
import reprlib
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import assert_all_finite
from sklearn.utils import check_array as _check_array
from sklearn.utils.validation import validate_data as _validate_data

from ._device import REDUCTION_BLOCK_ELEMENTS, as_tensor
from .exceptions import NonNumericInputError

_CPU = torch.device("cpu")


def validate_data(estimator, X, **kwargs):
    """sklearn's ``validate_data``, with messages that name the fix.

    Complex and non-numeric values raise a ValueError that says what to do
    instead of numpy's bare conversion error.
    """
    with _clear_input_errors(X, kwargs.get("input_name", "X")):
        return _validate_data(estimator, X, **kwargs)


def check_array(array, **kwargs):
    """sklearn's ``check_array``, with the messages of :func:`validate_data`."""
    with _clear_input_errors(array, kwargs.get("input_name", "X")):
        return _check_array(array, **kwargs)


@contextmanager
def _clear_input_errors(X, input_name):
    """Replace a failed conversion's error by one that names the fix, when the
    input's dtype (complex) or one of its values (not a number) explains it."""
    try:
        yield
    except (ValueError, TypeError):
        kind = _dtype_kind(X)
        if kind == "c":
            # numpy's message goes on to print the whole array.
            raise ValueError(
                f"Complex data not supported: {input_name} has complex values, but "
                "an autoencoder needs real ones. Pass their real part, their "
                "modulus (np.abs), or both parts as separate features."
            ) from None
        found = _first_non_number(X) if kind in ("O", "U", "S") else None
        if found is not None:
            index, value = found
            raise NonNumericInputError(
                f"{input_name} contains non-numeric values: {reprlib.repr(value)} "
                f"({type(value).__name__}) at index {index} is not a number (the "
                "argument must be a string or a number that float() accepts). "
                "Encode text or categorical columns as numbers first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder."
            ) from None
        raise


def _dtype_kind(X):
    """numpy's kind code of X's dtype ("c" complex, "O" object, "U" text...),
    or "" when X does not convert to one array (a ragged list, say)."""
    if isinstance(X, torch.Tensor):
        return "c" if X.is_complex() else "f"
    if sp.issparse(X):
        return X.dtype.kind
    try:
        return np.asarray(X).dtype.kind
    except (ValueError, TypeError):
        return ""


def _first_non_number(X):
    """The position and value of the first entry that float() refuses, or None.

    Only called once validation has failed, so the loop costs nothing on good
    input.
    """
    for index, value in np.ndenumerate(np.asarray(X, dtype=object)):
        if isinstance(value, np.generic):
            value = value.item()
        if value is None:
            continue  # numpy reads None as NaN, which is refused later
        try:
            float(value)
        except (TypeError, ValueError):
            return index, value
    return None


class ValueRange(NamedTuple):
    """The smallest and largest observed value of X, and whether X has NaN."""

    low: float
    high: float
    has_missing: bool = False


def checked_value_range(X, estimator, allow_missing=False):
    """The range of X's values, after refusing infinite ones (and NaN, unless
    ``allow_missing``).

    Validate X with ``ensure_all_finite=False`` and call this instead: one
    pass over X finds the range, which the magnitude and unit-interval checks
    reuse, and it is finite exactly when every value is. A NaN that is not
    allowed gets scikit-learn's message, an infinity ours, which says what to
    do.

    Returns
    -------
    value_range : ValueRange
        The range of the observed (non-NaN) values.
    """
    known_range = value_range(X)
    if known_range.has_missing and not allow_missing:
        # sklearn's message for NaN, with its advice on estimators that take
        # them and on imputers.
        assert_all_finite(
            X.data if sp.issparse(X) else X,
            input_name="X",
            estimator_name=type(estimator).__name__,
        )
    if np.isinf(known_range.low) or np.isinf(known_range.high):
        raise ValueError(
            f"Input X contains infinity or a value too large for {X.dtype!r}. "
            "Replace or remove the infinite values; finite values too large for "
            "the dtype are counted as infinite, so scale those."
        )
    return known_range


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
    low, high, _ = known_range or value_range(X)
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


def value_range(X):
    """The range of the observed values of a dense or sparse X (implicit zeros
    included), as a :class:`ValueRange`: NaN entries are left out of it.
    """
    if sp.issparse(X):
        values = X.data
        has_zeros = X.nnz < X.shape[0] * X.shape[1]
        if not len(values):
            return ValueRange(0.0, 0.0)
        low, high, has_missing = _min_max(values)
        if has_zeros:
            low, high = min(low, 0.0), max(high, 0.0)
        return ValueRange(low, high, has_missing)
    return ValueRange(*_min_max(X))


def _min_max(values):
    """Minimum and maximum of the values that are not NaN, and whether any is.

    torch.aminmax reads the array once, on every core; numpy's min and max
    read it twice, on one. It returns NaN when a value is NaN: only then is
    the array read again, block by block so that the values without their
    NaN are never copied whole, for the range of the others. as_tensor
    shares X's memory, read-only or not, without torch's warning; tensors
    (array API mode) stay on their device.
    """
    if not isinstance(values, torch.Tensor):
        values = as_tensor(values, _CPU, values.dtype)
    if values.numel() == 0:
        return 0.0, 0.0, False
    low, high = torch.aminmax(values)
    if not (torch.isnan(low) or torch.isnan(high)):
        return float(low), float(high), False
    low, high = math.inf, -math.inf
    for block in values.reshape(-1).split(REDUCTION_BLOCK_ELEMENTS):
        observed = block[~torch.isnan(block)]
        if observed.numel():
            block_low, block_high = torch.aminmax(observed)
            low, high = min(low, float(block_low)), max(high, float(block_high))
    if low > high:
        return 0.0, 0.0, True
    return low, high, True


def check_unit_interval(X, loss, known_range=None):
    """Cross-entropy compares with Bernoulli means, so X must lie in [0, 1].

    ``known_range``, X's ``(min, max)`` when already known, saves a pass.
    """
    if loss != "cross_entropy":
        return
    low, high, _ = known_range or value_range(X)
    if low < 0 or high > 1:
        raise ValueError(
            "loss='cross_entropy' needs X in the range [0, 1], but its "
            f"values span [{low:.4g}, {high:.4g}]. Scale it with "
            "sklearn.preprocessing.MinMaxScaler, or use loss='mse'."
        )


def check_positive_weights(sample_weight):
    """Sample weights must not all be zero: nothing would be learned."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero: at least one sample needs a positive weight."
        )
