"""The one training loop, shared by every estimator.

It knows about tensors, batches, optimizers, stopping rules, progress and
interrupts, and nothing about scikit-learn: estimators hand it a module, an
objective and a :class:`TrainingSet`, and read back a :class:`TrainingResult`.
"""

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch.nn import functional as F

from ._device import as_tensor, rows_as_tensor, sparse_rows
from ._modules import reconstruction_loss


class TrainingDivergedError(ValueError):
    """Raised when the training loss becomes NaN or infinite."""


class TrainingInterruptedWarning(UserWarning):
    """Training was stopped by a KeyboardInterrupt; the model is usable."""


class TrainingSet:
    """The rows a model trains on, ready to be served batch by batch.

    Dense data is put on the device once (shared, not copied, for C-contiguous
    float32 on the CPU); batches are gathered through a per-epoch permutation
    of row indices, never by copying or permuting X. Sparse data stays on the
    host and each batch is densified on its own, or served as its stored
    entries (``sparse_batches``).

    Parameters
    ----------
    X : ndarray, scipy sparse matrix or torch.Tensor of shape \
            (n_samples, n_features)
        A tensor (a stack's codes) is used where it is, or moved to
        ``device``.
    device : torch.device
    rows : ndarray of int, optional
        The rows of X to train on (the rest may be a validation split).
        Default: all rows.
    targets : ndarray of shape (n_samples,), optional
        Per-row class indices, gathered alongside X.
    sample_weight : ndarray of shape (n_samples,), optional
        Per-row weights; rescaled to a mean of 1 over ``rows`` so that the
        epoch loss is the weighted mean of the per-sample losses.
    sparse_batches : bool, default=False
        Serve the batches of a sparse X as :class:`~skdae._device.SparseBatch`
        (their stored entries) instead of densified.
    """

    def __init__(
        self,
        X,
        device,
        *,
        rows=None,
        targets=None,
        sample_weight=None,
        sparse_batches=False,
    ):
        self.device = device
        self._sparse = sp.issparse(X)
        self._sparse_batches = sparse_batches and self._sparse
        self._X = X if self._sparse else as_tensor(X, device)
        self._rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._rows_on_device = (
            None if rows is None else torch.from_numpy(self._rows).to(device)
        )
        self._targets = (
            None if targets is None else torch.as_tensor(targets, device=device)
        )
        self._weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float32)
            mean = weight.mean() if rows is None else weight[self._rows].mean()
            self._weight = as_tensor(weight / mean, device)

    def __len__(self):
        return self._X.shape[0] if self._rows is None else len(self._rows)

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
        if self._sparse_batches:
            x = sparse_rows(self._X, index.cpu().numpy(), self.device)
        elif self._sparse:
            x = rows_as_tensor(self._X, index.cpu().numpy(), self.device)
        else:
            x = torch.index_select(self._X, 0, index)
        target = _rows(self._targets, index)
        weight = _rows(self._weight, index)
        return x, target, weight


def _rows(values, index):
    return None if values is None else torch.index_select(values, 0, index)


def denoising_objective(module, corruption, generator):
    """Summed loss of reconstructing clean batches from corrupted ones.

    Parameters
    ----------
    module : AutoencoderLayer or DeepAutoencoder
        Maps a batch to reconstruction logits; its ``loss`` names the
        reconstruction loss, its ``missing`` whether batches may hold NaN.
    corruption : Corruption
    generator : torch.Generator
        The source of the corruption noise.

    Returns
    -------
    objective : callable ``(x, target, weight) -> torch.Tensor``
    """

    def objective(x, target, weight):
        logits = module(corruption(x, generator, weight))
        return reconstruction_loss(
            logits, x, module.loss, weight, missing=module.missing
        )

    return objective


def classification_objective(model, corruption, generator):
    """Summed cross-entropy of class logits computed from corrupted batches."""

    def objective(x, target, weight):
        logits = model(corruption(x, generator, weight))
        losses = F.cross_entropy(logits, target, reduction="none")
        return losses.sum() if weight is None else (losses * weight).sum()

    return objective


def make_optimizer(module, solver, learning_rate, alpha):
    """Adam, or SGD with Nesterov momentum, with L2 on weight matrices only.

    ``alpha`` is applied as weight decay, which for both solvers is the
    gradient of ``alpha / 2 * ||W||^2`` added to the mean per-sample loss.
    Biases are not regularised.
    """
    weights = {id(p) for p in module.weight_matrices()}
    groups = [
        {
            "params": [p for p in module.parameters() if id(p) in weights],
            "weight_decay": alpha,
        },
        {
            "params": [p for p in module.parameters() if id(p) not in weights],
            "weight_decay": 0.0,
        },
    ]
    if solver == "adam":
        return _fused_if_supported(torch.optim.Adam, groups, lr=learning_rate)
    return _fused_if_supported(
        torch.optim.SGD, groups, lr=learning_rate, momentum=0.9, nesterov=True
    )


def _fused_if_supported(optimizer_class, groups, **options):
    """The optimizer with its fused kernel (one pass over the parameters per
    step instead of one per operation: 3x faster for Adam on a CPU), or the
    plain one where the device or torch version has no fused kernel."""
    try:
        return optimizer_class(groups, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return optimizer_class(groups, **options)


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
    *,
    optimizer,
    max_iter,
    batch_size,
    shuffle,
    generator,
    tol=0.0,
    n_iter_no_change=None,
    validation_score=None,
    verbose=0,
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
    max_iter : int
        Epochs at most.
    batch_size : int
    shuffle : bool
        Draw a fresh permutation of the rows each epoch.
    generator : torch.Generator
        Source of the permutations.
    tol : float
        Improvement that resets the stopping rule's patience.
    n_iter_no_change : int or None
        Patience; None trains for ``max_iter`` epochs.
    validation_score : callable () -> float, optional
        Score of the current module on held-out data (higher is better);
        switches the stopping rule to it and enables best-weight restoring.
    verbose : int
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
    rule = _StoppingRule(tol, n_iter_no_change, validation_score is not None)
    progress = _Progress(verbose, max_iter, description)
    module.train()
    try:
        for epoch in range(1, max_iter + 1):
            loss = _run_epoch(
                objective, data, optimizer, batch_size, shuffle, generator
            )
            if not math.isfinite(loss):
                raise _diverged(epoch, f"loss became {loss}", optimizer, description)
            score = None if validation_score is None else validation_score()
            result.loss_curve.append(loss)
            if score is not None:
                result.validation_scores.append(score)
            result.n_iter = epoch
            progress.epoch(epoch, loss, score)
            if n_iter_no_change is not None and rule.update(loss, score, module):
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


def _run_epoch(objective, data, optimizer, batch_size, shuffle, generator):
    # The epoch loss is accumulated on the device and read once at the end,
    # so no batch waits for a host synchronisation.
    total = torch.zeros((), device=data.device)
    for x, target, weight in data.batches(batch_size, generator, shuffle):
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
