"""The errors and warnings that skdae's estimators raise for their users.

Each is also raised under the standard class it derives from (a
``ValueError``, a ``UserWarning``), so code that catches those keeps working;
catch these for the cases that need their own handling.
"""

__all__ = [
    "CorruptedStateError",
    "NonNumericInputError",
    "TrainingDivergedError",
    "TrainingInterruptedWarning",
]


class TrainingDivergedError(ValueError):
    """The training loss, or the weights, became NaN or infinite.

    The estimator keeps the model it had before the call (none, for a first
    fit). Lowering ``learning_rate_init`` or standardizing the input usually
    helps; the message says which epoch diverged.
    """


class TrainingInterruptedWarning(UserWarning):
    """A KeyboardInterrupt stopped training; the model is usable.

    The estimator keeps the weights learned so far (the best on the
    validation set, with early stopping) and its fitted attributes describe
    the epochs that ran.
    """


class CorruptedStateError(ValueError):
    """A saved estimator's state is incomplete or inconsistent.

    Raised when a pickled or skops-saved model is loaded whose fitted arrays
    are missing, of inconsistent shapes or not finite, instead of returning a
    model that would fail later.
    """


class NonNumericInputError(ValueError, TypeError):
    """X holds values that are not numbers.

    A ValueError like every bad input, and a TypeError too, as numpy's own
    error is for objects such as dicts (scikit-learn's ``check_dtype_object``
    expects one).
    """
