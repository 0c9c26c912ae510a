"""Training a module: its settings, the rows it learns from, and the loop.

Estimators build a :class:`TrainingOptions` once per fit from their
parameters and hand :func:`run_training` a torch module, a
:class:`TrainingSet`, a solver and those options; :func:`run_training` holds
out the validation rows, seeds the noise and batches, and runs :func:`train`,
the one training loop. The module says how it is trained (its objective, its
solver, its validation score, how its batches are served: the protocol of
``_modules.TrainableModule``), so nothing here knows a dense layer from a
sparse one, a stack or a supervised head, nor anything of scikit-learn. The
estimators validate their input first; nothing here checks X.
"""

import copy
import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import partial

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import train_test_split

from ._device import as_tensor, make_generator, rows_as_tensor
from .exceptions import TrainingDivergedError, TrainingInterruptedWarning

# The errors that the loop raises live in the public ``skdae.exceptions``;
# they are imported here under their old address too.
__all__ = [
    "TrainingDivergedError",
    "TrainingInterruptedWarning",
    "TrainingOptions",
    "TrainingResult",
    "TrainingSet",
    "run_training",
    "train",
]

# ``batch_size="auto"``: n_samples / 32, between 32 and 128. Large data sets
# get 128 rows, a size matrix kernels handle well; small ones get smaller
# batches, hence more steps per epoch: on 1,200 digits, batches of 32 trained
# better features in the same epochs than batches of 128. A module may allow
# larger ones (``largest_auto_batch``): the sparse path's steps cost little
# in arithmetic but each pays a lazy solver step.
AUTO_BATCH_SIZE = 128
AUTO_MIN_BATCH_SIZE = 32
AUTO_BATCHES_PER_EPOCH = 32

# Seeds drawn from an estimator's RandomState for torch generators and layers.
_SEED_RANGE = 2**31 - 1


@dataclass(frozen=True)
class TrainingOptions:
    """The training settings of one fit, read once from the estimator.

    The fields are the estimators' parameters of the same names (see
    :class:`~skdae.DenoisingAutoencoder`). :func:`run_training` resolves
    ``batch_size="auto"`` before the loop sees it; ``n_iter_no_change=None``
    trains ``max_iter`` epochs without a stopping rule.
    """

    solver: str = "adam"
    learning_rate_init: float = 2e-3
    alpha: float = 0.0
    batch_size: int | str = "auto"
    max_iter: int = 200
    tol: float = 1e-2
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: int | None = 10
    shuffle: bool = True
    verbose: int = 0

    @classmethod
    def of(cls, estimator, **changes):
        """The estimator's settings, with ``changes`` (say another
        ``max_iter``) applied."""
        settings = {
            option.name: getattr(estimator, option.name) for option in fields(cls)
        }
        return cls(**{**settings, **changes})

    def one_epoch(self):
        """The settings of ``partial_fit``: one epoch, without early stopping
        or a stopping rule."""
        return replace(self, max_iter=1, early_stopping=False, n_iter_no_change=None)


def draw_seed(random_state):
    """A seed for a torch generator or a layer, drawn from ``random_state``."""
    return random_state.randint(_SEED_RANGE)


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


class TrainingSet:
    """The rows a model trains on, ready to be served batch by batch.

    Dense data is put on the device once (shared, not copied, for C-contiguous
    float32 on the CPU); batches are gathered through a per-epoch permutation
    of row indices, never by copying or permuting X. Sparse data stays on the
    host and each batch is served by ``gather``: densified on its own by
    default.

    Parameters
    ----------
    X : ndarray, scipy sparse matrix or torch.Tensor of shape \
            (n_samples, n_features)
        A tensor (a stack's codes) is used where it is, or moved to
        ``device``.
    device : torch.device
    rows : ndarray of int, optional
        The rows of X to train on, such as the labeled rows of a
        semi-supervised fit; default all. The others are never read.
    targets : ndarray of shape (n_samples,), optional
        Per-row class indices, gathered alongside X.
    sample_weight : ndarray of shape (n_samples,), optional
        Per-row weights; rescaled to a mean of 1 over the rows trained on, so
        that the epoch loss is the weighted mean of the per-sample losses.
    gather : callable, optional
        ``(X, rows, device) -> batch``: how the rows of a sparse X are
        served, as a module asks (its ``gather_rows``); default densified.

    Attributes
    ----------
    X : torch.Tensor or scipy sparse matrix
        The data, all rows, as the batches are gathered from it.
    rows : ndarray of int or None
        The rows trained on; None for all.
    targets : torch.Tensor or None
    """

    def __init__(
        self, X, device, *, rows=None, targets=None, sample_weight=None, gather=None
    ):
        self.device = device
        self._sparse = sp.issparse(X)
        self.X = X if self._sparse else as_tensor(X, device)
        self._gather_sparse = gather or rows_as_tensor
        self.targets = (
            None if targets is None else torch.as_tensor(targets, device=device)
        )
        self._sample_weight = (
            None
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float32)
        )
        self._select(rows)

    def _select(self, rows):
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._rows_on_device = (
            None if rows is None else torch.from_numpy(self.rows).to(self.device)
        )
        self._weight = None
        if self._sample_weight is not None:
            weight = self._sample_weight
            mean = weight.mean() if rows is None else weight[self.rows].mean()
            self._weight = as_tensor(weight / mean, self.device)

    def __len__(self):
        return self.X.shape[0] if self.rows is None else len(self.rows)

    def hold_out(self, validation_fraction, random_state):
        """This set without a validation part, and the validation rows.

        The two share X (on the device, for dense data): nothing is copied.
        """
        candidates = np.arange(self.X.shape[0]) if self.rows is None else self.rows
        kept, held_out = validation_split(
            len(candidates), validation_fraction, random_state
        )
        training = copy.copy(self)
        training._select(candidates[kept])
        return training, candidates[held_out]

    def batches(self, batch_size, generator, shuffle):
        """Yield ``(x, target, weight)`` batches covering every row once.

        ``target`` and ``weight`` are None when not given.
        """
        n_rows = len(self)
        if shuffle:
            order = torch.randperm(n_rows, generator=generator, device=self.device)
        else:
            order = torch.arange(n_rows, device=self.device)
        if self._rows_on_device is not None:
            order = self._rows_on_device[order]
        for start in range(0, n_rows, batch_size):
            yield self._gather(order[start : start + batch_size])

    def _gather(self, index):
        # index_select, not X[index]: advanced indexing takes 5x longer for
        # the same rows on a CPU.
        if self._sparse:
            x = self._gather_sparse(self.X, index.cpu().numpy(), self.device)
        else:
            x = torch.index_select(self.X, 0, index)
        target = _rows(self.targets, index)
        weight = _rows(self._weight, index)
        return x, target, weight


def _rows(values, index):
    return None if values is None else torch.index_select(values, 0, index)


def run_training(
    module, data, solver, options, *, corruption, random_state, description=""
):
    """Train ``module`` on ``data`` with ``options``; the one path to the loop.

    Parameters
    ----------
    module : TrainableModule
        On the data's device; trained in place. It gives the objective, the
        validation score and the largest automatic batch.
    data : TrainingSet
    solver : torch.optim.Optimizer or skdae._sparse.LazyAdam
        The module's solver, fresh or resumed.
    options : TrainingOptions
    corruption : Corruption
        The noise of the training inputs.
    random_state : numpy.random.RandomState
        Draws the validation split, then the seed of the noise and batches.
    description : str
        Names the run in progress output and messages.

    Returns
    -------
    result : TrainingResult
    """
    validation_score = None
    if options.early_stopping:
        data, held_out = data.hold_out(options.validation_fraction, random_state)
        validation_score = partial(module.validation_score, data, held_out)
    generator = make_generator(draw_seed(random_state), data.device)
    batch_size = resolve_batch_size(
        options.batch_size, len(data), module.largest_auto_batch or AUTO_BATCH_SIZE
    )
    return train(
        module,
        module.objective(corruption, generator),
        data,
        solver,
        replace(options, batch_size=batch_size),
        generator=generator,
        validation_score=validation_score,
        description=description,
    )


@dataclass
class TrainingResult:
    """What a training run produced, besides the trained module itself.

    Attributes
    ----------
    loss_curve : list of float
        Weighted mean per-sample training loss of each epoch.
    validation_scores : list of float or None
        Validation score after each epoch; None without a validation score.
    best_validation_score : float or None
    n_iter : int
        Epochs completed.
    converged : bool
        Whether the stopping rule ended training before ``max_iter``.
    interrupted : bool
        Whether a KeyboardInterrupt ended training.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    best_validation_score: float | None = None
    n_iter: int = 0
    converged: bool = False
    interrupted: bool = False


class _StoppingRule:
    """MLPRegressor's rule with a relative tolerance: stop after
    ``n_iter_no_change`` epochs that do not improve the best training loss
    (or validation score, when one is given) by ``tol`` times its magnitude;
    remember the best weights in the latter case.

    Relative, because the per-sample loss sums over features: its scale grows
    with their number, so no absolute tolerance suits both 30 and 784
    features.
    """

    def __init__(self, tol, n_iter_no_change, use_validation):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.use_validation = use_validation
        self.best = -math.inf if use_validation else math.inf
        self.best_state = None
        self._no_improvement = 0

    def update(self, loss, score, module):
        """Record an epoch; return True when training should stop."""
        # The first epoch always improves on the infinite starting point.
        margin = self.tol * abs(self.best) if math.isfinite(self.best) else 0.0
        if self.use_validation:
            improved = score >= self.best + margin
            if score > self.best:
                self.best = score
                self.best_state = _snapshot(module)
        else:
            improved = loss <= self.best - margin
            self.best = min(self.best, loss)
        self._no_improvement = 0 if improved else self._no_improvement + 1
        return self._no_improvement > self.n_iter_no_change

    def restore_best(self, module):
        if self.best_state is not None:
            module.load_state_dict(self.best_state)


def _snapshot(module):
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


class _Progress:
    """verbose=0: silent; 1: a tqdm bar over epochs; 2: one line per epoch."""

    def __init__(self, verbose, total, description):
        self.verbose = verbose
        self.description = description
        self._bar = None
        if verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=description or "epochs", unit="epoch")

    def epoch(self, epoch, loss, score):
        values = {"loss": f"{loss:.4g}"}
        if score is not None:
            values["validation score"] = f"{score:.4g}"
        if self._bar is not None:
            self._bar.set_postfix(values, refresh=False)
            self._bar.update()
        elif self.verbose >= 2:
            prefix = f"{self.description}: " if self.description else ""
            details = ", ".join(f"{key} = {value}" for key, value in values.items())
            print(f"{prefix}epoch {epoch}, {details}", flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def train(
    module,
    objective,
    data,
    optimizer,
    options,
    *,
    generator,
    validation_score=None,
    description="",
):
    """Train ``module`` in place by minibatch gradient descent.

    Parameters
    ----------
    module : torch.nn.Module
        Trained in place; with a validation score its best weights are
        restored at the end.
    objective : callable ``(x, target, weight) -> torch.Tensor``
        Summed (weighted) loss of a batch.
    data : TrainingSet
    optimizer : torch.optim.Optimizer
    options : TrainingOptions
        Its ``max_iter``, ``batch_size`` (an int), ``shuffle``, ``tol``,
        ``n_iter_no_change`` (None trains ``max_iter`` epochs) and
        ``verbose`` apply.
    generator : torch.Generator
        Source of the permutations.
    validation_score : callable () -> float, optional
        Score of the current module on held-out data (higher is better);
        switches the stopping rule to it and enables best-weight restoring.
    description : str
        Names the run in progress output and messages (e.g. the layer).

    Returns
    -------
    result : TrainingResult

    Raises
    ------
    TrainingDivergedError
        When an epoch's loss, or the final weights, are not finite; the caller
        keeps its old weights.
    """
    result = TrainingResult(validation_scores=None if validation_score is None else [])
    rule = _StoppingRule(
        options.tol, options.n_iter_no_change, validation_score is not None
    )
    progress = _Progress(options.verbose, options.max_iter, description)
    module.train()
    try:
        for epoch in range(1, options.max_iter + 1):
            loss = _run_epoch(objective, data, optimizer, options, generator)
            if not math.isfinite(loss):
                raise _diverged(epoch, f"loss became {loss}", optimizer, description)
            score = None if validation_score is None else validation_score()
            result.loss_curve.append(loss)
            if score is not None:
                result.validation_scores.append(score)
            result.n_iter = epoch
            progress.epoch(epoch, loss, score)
            if options.n_iter_no_change is not None and rule.update(
                loss, score, module
            ):
                result.converged = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
        where = f" of {description}" if description else ""
        warnings.warn(
            f"Training interrupted by the user during epoch {result.n_iter + 1}"
            f"{where}; keeping the weights learned so far"
            + (" (the best on the validation set)." if rule.best_state else "."),
            TrainingInterruptedWarning,
            stacklevel=3,
        )
    finally:
        progress.close()
    rule.restore_best(module)
    # An epoch's loss is measured before its last step, which can still
    # overflow the weights: refuse to hand those back.
    if not _all_finite(module.parameters()):
        raise _diverged(
            result.n_iter, "weights became NaN or infinite", optimizer, description
        )
    if validation_score is not None and result.validation_scores:
        result.best_validation_score = max(result.validation_scores)
    return result


def _run_epoch(objective, data, optimizer, options, generator):
    # The epoch loss is accumulated on the device and read once at the end,
    # so no batch waits for a host synchronisation.
    total = torch.zeros((), device=data.device)
    for x, target, weight in data.batches(
        options.batch_size, generator, options.shuffle
    ):
        batch_loss = objective(x, target, weight)
        optimizer.zero_grad(set_to_none=True)
        (batch_loss / x.shape[0]).backward()
        optimizer.step()
        total += batch_loss.detach()
    return total.item() / len(data)


def _all_finite(parameters):
    # One host synchronisation for all the parameters, not one each.
    return bool(torch.stack([torch.isfinite(p).all() for p in parameters]).all())


def _diverged(epoch, what, optimizer, description):
    where = f" of {description}" if description else ""
    learning_rate = optimizer.param_groups[0]["lr"]
    return TrainingDivergedError(
        f"Training diverged at epoch {epoch}{where}: the {what}. "
        f"Lower learning_rate_init (it is {learning_rate:g}) or rescale the "
        "input (e.g. with StandardScaler); the previous weights were kept."
    )


@contextmanager
def autograd_enabled():
    """Let a fit build and train its modules under a caller's ``torch.no_grad``
    or ``torch.inference_mode``; both are thread-local and restored on exit."""
    with torch.inference_mode(False), torch.enable_grad():
        yield
