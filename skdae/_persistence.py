"""Keeping a fitted estimator whole across a failed fit.

A fit that raises (bad input found late, divergence, an interrupt outside the
training loop) leaves the estimator as it was before the call.
"""

import copy
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator


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
