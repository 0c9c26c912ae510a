"""From an estimator's fit to the training loop and back.

:func:`run_training` is the one path by which every estimator trains a
module: it reads the estimator's training parameters, splits off the
validation rows, seeds the noise, serves the data and calls
:func:`~skdae._training.train`. :func:`record_result` is the one place where
a run's curves become fitted attributes. The estimators validate their input
before calling either; nothing here checks X.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import train_test_split

from ._device import (
    apply_in_chunks,
    make_generator,
    row_blocks,
    state_from_numpy,
    to_numpy,
)
from ._modules import per_sample_loss
from ._sparse import SparseAutoencoderLayer, dense_view, make_lazy_adam
from ._training import TrainingSet, denoising_objective, make_optimizer, train

# ``batch_size="auto"``: n_samples / 32, between 32 and 128. Large data sets
# get 128 rows, a size matrix kernels handle well; small ones get smaller
# batches, hence more steps per epoch: on 1,200 digits, batches of 32 trained
# better features in the same epochs than batches of 128.
AUTO_BATCH_SIZE = 128
AUTO_MIN_BATCH_SIZE = 32
AUTO_BATCHES_PER_EPOCH = 32
# ... up to 512 rows for sparse input reconstructed by sampling, whose steps
# cost little in arithmetic but each pays a lazy solver step: on a 50,000 x
# 20,000 bag of words an epoch took 2.5 s in batches of 128, 1.8 s in 512.
SPARSE_AUTO_BATCH_SIZE = 512

# Seeds drawn from an estimator's RandomState for torch generators and layers.
_SEED_RANGE = 2**31 - 1


def draw_seed(random_state):
    """A seed for a torch generator or a layer, drawn from ``random_state``."""
    return random_state.randint(_SEED_RANGE)


def run_training(
    estimator,
    model,
    X,
    device,
    *,
    corruption,
    random_state,
    max_iter,
    make_objective=denoising_objective,
    incremental=False,
    targets=None,
    sample_weight=None,
    optimizer=None,
    scorer=None,
    sparse_batches=False,
    description="",
    rows=None,
):
    """Train ``model`` on X with the training parameters of ``estimator``.

    Parameters
    ----------
    estimator : DenoisingAutoencoder or StackedDenoisingAutoencoder
        Its ``solver``, ``learning_rate_init``, ``alpha``, ``batch_size``,
        ``shuffle``, ``tol``, ``early_stopping``, ``validation_fraction``,
        ``n_iter_no_change`` and ``verbose`` apply.
    model : torch.nn.Module
        On ``device``; trained in place.
    X : ndarray, sparse matrix or torch.Tensor of shape (n_samples, n_features)
        Validated float32 data, or a stack's codes on ``device``.
    device : torch.device
    corruption : Corruption
        The noise of the training inputs.
    random_state : numpy.random.RandomState
        Draws the validation split, then the seed of the noise and batches.
    max_iter : int
        Epochs at most.
    make_objective : callable, default=denoising_objective
        ``(model, corruption, generator) -> objective``, as in ``_training``.
    incremental : bool, default=False
        One epoch, without early stopping or a stopping rule (partial_fit).
    targets : ndarray of shape (n_samples,), optional
        Class indices, for a supervised objective.
    sample_weight : ndarray of shape (n_samples,), optional
    optimizer : torch.optim.Optimizer, optional
        Default: a fresh one from :func:`make_solver`.
    scorer : callable, optional
        ``(model, X, rows, device) -> (() -> float)``, the validation score
        of early stopping; default :func:`validation_loss_scorer`.
    sparse_batches : bool, default=False
        Serve a sparse X's batches as their stored entries (the sampled
        reconstruction of ``_sparse``), not densified.
    description : str
        Names the run in progress output and messages.
    rows : ndarray of int, optional
        The rows of X to train on (and to hold a validation split out of),
        such as the labeled rows of a semi-supervised fit; default all.
        The others are never read.

    Returns
    -------
    result : TrainingResult
    """
    early_stopping = estimator.early_stopping and not incremental
    train_rows, validation_rows = rows, None
    if early_stopping:
        candidates = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
        train_rows, validation_rows = (
            candidates[part]
            for part in validation_split(
                len(candidates), estimator.validation_fraction, random_state
            )
        )
    data = TrainingSet(
        X,
        device,
        rows=train_rows,
        targets=targets,
        sample_weight=sample_weight,
        sparse_batches=sparse_batches,
    )
    generator = make_generator(draw_seed(random_state), device)
    if optimizer is None:
        optimizer = make_solver(model, estimator, device)
    scorer = scorer or validation_loss_scorer
    return train(
        model,
        make_objective(model, corruption, generator),
        data,
        optimizer=optimizer,
        max_iter=1 if incremental else max_iter,
        batch_size=resolve_batch_size(
            estimator.batch_size,
            len(data),
            SPARSE_AUTO_BATCH_SIZE if sparse_batches else AUTO_BATCH_SIZE,
        ),
        shuffle=estimator.shuffle,
        generator=generator,
        tol=estimator.tol,
        n_iter_no_change=None if incremental else estimator.n_iter_no_change,
        validation_score=(
            scorer(model, X, validation_rows, device) if early_stopping else None
        ),
        verbose=estimator.verbose,
        description=description,
    )


def record_result(estimator, result, continued=False):
    """Write a run's curves as the estimator's fitted attributes.

    ``continued``: the run went on from the estimator's earlier ones
    (partial_fit, warm start), so its epochs are appended to theirs. The
    validation scores are always the run's own.
    """
    earlier = estimator.loss_curve_ if continued else []
    estimator.loss_curve_ = [*earlier, *result.loss_curve]
    estimator.n_iter_ = (estimator.n_iter_ if continued else 0) + result.n_iter
    scores = result.validation_scores
    estimator.validation_scores_ = None if scores is None else list(scores)
    estimator.best_validation_score_ = result.best_validation_score


def make_solver(model, estimator, device, saved_state=None, lazy=False):
    """The estimator's solver for ``model``, continuing from ``saved_state``.

    The solver's running state carries over, but its settings are the
    current parameters (a learning_rate_init lowered after a divergence
    applies), and another solver starts afresh. ``lazy``: Adam that updates
    only what a batch touched (``_sparse.make_lazy_adam``).
    """
    if lazy:
        optimizer = make_lazy_adam(model, estimator.learning_rate_init)
    else:
        optimizer = make_optimizer(
            model, estimator.solver, estimator.learning_rate_init, estimator.alpha
        )
    settings = [
        {key: value for key, value in group.items() if key != "params"}
        for group in optimizer.param_groups
    ]
    if saved_state is not None and [set(group) for group in settings] == [
        set(group) - {"params"} for group in saved_state["param_groups"]
    ]:
        optimizer.load_state_dict(state_from_numpy(saved_state, device))
        for group, setting in zip(optimizer.param_groups, settings, strict=True):
            group.update(setting)
    return optimizer


def validation_loss_scorer(model, X, rows, device):
    """A callable scoring ``model`` on ``X[rows]``: the negative mean loss."""

    def validation_score():
        # A sparse layer is scored exactly, through a dense copy of itself.
        scored = (
            dense_view(model) if isinstance(model, SparseAutoencoderLayer) else model
        )
        losses = apply_in_chunks(per_sample_loss(scored), X, device, rows, to_host=True)
        return -float(np.mean(losses, dtype=np.float64))

    return validation_score


def resolve_batch_size(batch_size, n_samples, largest=AUTO_BATCH_SIZE):
    """The effective batch size: never more rows than there are; ``"auto"``
    gives at most ``largest``."""
    if batch_size == "auto":
        size = min(
            largest,
            max(AUTO_MIN_BATCH_SIZE, n_samples // AUTO_BATCHES_PER_EPOCH),
        )
    else:
        size = batch_size
    return max(1, min(size, n_samples))


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


def feature_extremes(X):
    """Per-feature minimum and maximum of X's observed values, as float32
    arrays: NaN only for a feature with no observed value.

    X is dense, sparse (read block by block of rows, so that scipy's
    reductions, which convert to CSC, copy a block at most), or a tensor (a
    stack's codes, reduced on their device: only the two vectors come back
    to the host).
    """
    if isinstance(X, torch.Tensor):
        low, high = (to_numpy(values) for values in torch.aminmax(X, dim=0))
    elif sp.issparse(X):
        extremes = [_sparse_extremes(X[rows]) for rows in row_blocks(X)]
        low = np.fmin.reduce([block_low for block_low, _ in extremes])
        high = np.fmax.reduce([block_high for _, block_high in extremes])
    else:
        # fmin and fmax skip NaN, where min and max would return it.
        low, high = np.fmin.reduce(X, axis=0), np.fmax.reduce(X, axis=0)
    return np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32)


def _sparse_extremes(X):
    """Per-column extremes of a sparse X whose stored values may be NaN:
    NaN for a column with no observed value."""
    missing = np.isnan(X.data)
    extremes = []
    for reduce, skipped in (("min", np.inf), ("max", -np.inf)):
        values = X
        if missing.any():
            values = X.copy()
            values.data[missing] = skipped
        extreme = getattr(values, reduce)(axis=0).toarray().ravel()
        extremes.append(np.where(np.isinf(extreme), np.nan, extreme))
    return extremes
