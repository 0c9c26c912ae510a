"""Keeping a fitted estimator whole: across a failed fit and across pickling.

A fit that raises (bad input found late, divergence, an interrupt outside the
training loop) leaves the estimator as it was before the call, and a pickled
state that lacks fitted arrays, or holds ones of the wrong shape or non-finite
values, is refused when loaded instead of giving a half-working model.
"""

import copy
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator

from .exceptions import CorruptedStateError


@contextmanager
def restored_on_error(estimator):
    """Put the estimator's attributes back as they were if the block raises.

    Fitting only replaces attributes, never changes an array in place, so a
    shallow copy of the attribute dictionaries (the estimator's and those of
    estimators it holds in lists, such as a stack's layers) is a full backup;
    only random states, which fitting draws from, are copied deeply.
    """
    saved = _attributes(estimator)
    try:
        yield
    except BaseException:
        _restore(estimator, saved)
        raise


def _attributes(estimator):
    nested = {
        id(inner): (inner, _copy(inner.__dict__))
        for value in estimator.__dict__.values()
        if isinstance(value, list)
        for inner in value
        if isinstance(inner, BaseEstimator)
    }
    return _copy(estimator.__dict__), list(nested.values())


def _copy(attributes):
    return {
        name: copy.deepcopy(value)
        if isinstance(value, np.random.RandomState)
        else value
        for name, value in attributes.items()
    }


def _restore(estimator, saved):
    attributes, nested = saved
    for inner, inner_attributes in nested:
        inner.__dict__.clear()
        inner.__dict__.update(inner_attributes)
    estimator.__dict__.clear()
    estimator.__dict__.update(attributes)


def is_fitted_state(state):
    """Whether a state holds fitted attributes (sklearn's check_is_fitted rule)."""
    return any(key.endswith("_") and not key.startswith("__") for key in state)


def check_state(estimator_name, state, required, optional=()):
    """Check the fitted arrays of a state being loaded, and their shapes.

    Parameters
    ----------
    estimator_name : str
    state : dict
        The attribute dictionary being loaded.
    required : dict of str to tuple of str
        The arrays that must be present, each with its dimensions named by
        letters: arrays that share a letter must agree on that size.
    optional : dict of str to tuple of str
        Arrays checked in the same way when present and not None.

    Returns
    -------
    sizes : dict of str to int
        The size of each dimension letter.

    Raises
    ------
    CorruptedStateError
        Naming the first array that is missing, is not a floating-point array,
        has an inconsistent shape or holds NaN or infinite values.
    """
    sizes = {}
    for name, dimensions in required.items():
        if name not in state:
            refuse_state(estimator_name, f"its fitted attribute {name} is missing")
        _check_array(estimator_name, name, state[name], dimensions, sizes)
    for name, dimensions in dict(optional).items():
        if state.get(name) is not None:
            _check_array(estimator_name, name, state[name], dimensions, sizes)
    return sizes


def _check_array(estimator_name, name, value, dimensions, sizes):
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        refuse_state(
            estimator_name,
            f"{name} should be a floating-point array, not {type(value).__name__}",
        )
    if value.ndim != len(dimensions):
        refuse_state(
            estimator_name,
            f"{name} has {value.ndim} dimension(s) instead of {len(dimensions)}",
        )
    for size, letter in zip(value.shape, dimensions, strict=True):
        if sizes.setdefault(letter, size) != size:
            refuse_state(
                estimator_name,
                f"{name} has shape {value.shape}, inconsistent with the other "
                f"fitted arrays ({letter} = {sizes[letter]})",
            )
    if not np.isfinite(value).all():
        refuse_state(estimator_name, f"{name} contains NaN or infinite values")


def refuse_state(estimator_name, problem):
    """Raise the error of a state that cannot be loaded, naming its problem."""
    raise CorruptedStateError(
        f"Cannot load this {estimator_name}: {problem}. The saved model is "
        "truncated or corrupted; re-save it from the fitted estimator, or fit "
        "it again."
    )
