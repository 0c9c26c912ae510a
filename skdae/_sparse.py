"""Sparse input at the cost of its non-zeros.

A batch of a sparse X travels as its stored entries (:class:`SparseBatch`),
never densified. The encoder is a sum of the weight columns of the stored
entries (``embedding_bag``). The decoder reconstructs only some columns:
those non-zero in a row of the batch, plus a uniform sample of the others,
each sampled column's loss reweighted by the inverse of its chance of being
drawn. This is the reconstruction sampling of Dauphin, Glorot and Bengio
(ICML 2011): the loss, and so its gradient, stays unbiased, while the cost
follows the number of non-zeros instead of the number of columns. The
gradients of the weights are row-sparse, so a lazy Adam (:class:`LazyAdam`)
updates only the columns a batch touched.
"""

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from ._corruption import ZERO_KEEPING_CORRUPTIONS
from ._device import params_to_numpy
from ._modules import ACTIVATIONS, AutoencoderLayer, _parameter, elementwise_loss

# reconstruction_sampling="auto": sparse input with more columns than this is
# reconstructed by sampling; narrower input is cheap to densify exactly.
AUTO_SAMPLING_MIN_FEATURES = 2048
# ... and the number of columns drawn per batch beyond its non-zero ones.
AUTO_SAMPLED_COLUMNS = 1024


def sparse_encode(batch, weight_t, bias, activation, sparse_gradient=False):
    """``g(b + x W^T)`` from the stored entries: a weighted sum of the rows of
    ``weight_t`` (``W^T``, shape ``(n_features, n_components)``)."""
    return ACTIVATIONS[activation](batch.matmul(weight_t, sparse_gradient) + bias)


def resolve_sampling(sampling, X, corruption, has_missing):
    """The number of columns to sample per batch, or None for the exact loss.

    ``"auto"`` samples for sparse input wider than
    :data:`AUTO_SAMPLING_MIN_FEATURES` columns, whose corruption keeps zeros
    zero and which has no missing values; an explicit number asks for the
    sampled loss and is refused where it cannot apply.
    """
    if sampling is None or not sp.issparse(X):
        return None
    if sampling == "auto":
        fits = (
            X.shape[1] > AUTO_SAMPLING_MIN_FEATURES
            and corruption in ZERO_KEEPING_CORRUPTIONS
            and not has_missing
        )
        return AUTO_SAMPLED_COLUMNS if fits else None
    if corruption not in ZERO_KEEPING_CORRUPTIONS:
        raise ValueError(
            f"reconstruction_sampling={sampling} reconstructs sparse rows from "
            f"their stored entries, but corruption={corruption!r} would make "
            "their zeros non-zero. Use masking or salt_and_pepper, or "
            "reconstruction_sampling=None to train on densified batches."
        )
    if has_missing:
        raise ValueError(
            f"reconstruction_sampling={sampling} does not take missing values "
            "(NaN stored in the sparse X); use reconstruction_sampling=None."
        )
    return int(sampling)


class SparseAutoencoderLayer(nn.Module):
    """One autoencoder layer laid out for sparse input and sampled decoding.

    The weights are held transposed, ``(n_features, n_components)``, so that
    a column of W is a row of the table that ``embedding_bag`` and
    ``embedding`` gather, and their gradients are row-sparse.

    Parameters
    ----------
    params : dict of str to ndarray
        As :func:`~skdae._modules.init_layer_params` returns them.
    activation : str
    loss : {"cross_entropy", "mse"}
    device : torch.device
    sparse_gradients : bool
        Row-sparse gradients for the weights and visible biases (for
        :class:`torch.optim.SparseAdam`), or dense ones (other solvers).
    """

    def __init__(self, params, activation, loss, device, sparse_gradients):
        super().__init__()
        self.activation = activation
        self.loss = loss
        self.sparse_gradients = sparse_gradients
        self.weight_t = _transposed_parameter(params["components_"], device)
        self.hidden_bias = _parameter(params["intercept_hidden_"], device)
        self.visible_bias = _parameter(params["intercept_visible_"][:, None], device)
        decoder = params.get("decoder_components_")
        self.decoder_t = (
            None if decoder is None else _transposed_parameter(decoder, device)
        )

    missing = False

    def encode(self, batch):
        """The code of a :class:`SparseBatch`."""
        return sparse_encode(
            batch,
            self.weight_t,
            self.hidden_bias,
            self.activation,
            self.sparse_gradients,
        )

    def decode_columns(self, codes, columns):
        """The reconstruction logits of the given columns only."""
        decoder_t = self.weight_t if self.decoder_t is None else self.decoder_t
        weights = F.embedding(columns, decoder_t, sparse=self.sparse_gradients)
        biases = F.embedding(columns, self.visible_bias, sparse=self.sparse_gradients)
        return torch.addmm(biases[:, 0], codes, weights.T)

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        return [self.weight_t] + ([] if self.decoder_t is None else [self.decoder_t])

    def to_params(self):
        """The parameters as float32 arrays, in the estimators' layout."""
        params = {
            "components_": self.weight_t.T,
            "intercept_hidden_": self.hidden_bias,
            "intercept_visible_": self.visible_bias[:, 0],
        }
        if self.decoder_t is not None:
            params["decoder_components_"] = self.decoder_t.T
        return params_to_numpy(params)


def _transposed_parameter(array, device):
    return _parameter(np.asarray(array).T, device)


def reconstructed_columns(batch, n_sampled, generator):
    """The columns a batch reconstructs, and the weight of each one's loss.

    Every column non-zero in a row of the batch is reconstructed,
    with weight 1; so are the columns that ``n_sampled`` uniform draws (with
    replacement) from all columns hit, when not among those, each weighted
    by the inverse of its chance to be hit, ``1 / (1 - (1 - 1/n_columns) **
    n_sampled)`` (Horvitz and Thompson's estimator). The sampled sum then has
    the exact loss of the zero columns as its expectation, and as the draws
    grow it becomes the exact sum (weighting each draw by
    ``n_columns / n_sampled`` instead, also unbiased, would keep the noise
    of the draw counts however many draws).

    Returns
    -------
    columns : torch.Tensor of shape (n_reconstructed,), int64
        The non-zero columns first, sorted, then the sampled ones.
    column_weight : torch.Tensor of shape (n_reconstructed,)
    n_nonzero : int
        How many of ``columns`` are non-zero columns.
    """
    nonzero = torch.unique(batch.columns)
    n_columns = batch.shape[1]
    draws = torch.randint(
        n_columns, (n_sampled,), generator=generator, device=nonzero.device
    )
    sampled = torch.unique(draws)
    sampled = sampled[~torch.isin(sampled, nonzero)]
    inclusion = -np.expm1(n_sampled * np.log1p(-1.0 / n_columns))
    column_weight = torch.cat(
        [
            torch.ones(len(nonzero), device=nonzero.device),
            torch.full((len(sampled),), 1.0 / inclusion, device=nonzero.device),
        ]
    )
    return torch.cat([nonzero, sampled]), column_weight, len(nonzero)


def sampled_objective(n_sampled):
    """The denoising objective with a sampled reconstruction, as
    ``make_objective`` of :func:`~skdae._fitting.run_training` takes it."""

    def make_objective(module, corruption, generator):
        def objective(batch, target, weight):
            if weight is not None:
                # Rows of weight zero, which must play no part, give up their
                # entries here, once: they then draw no noise, lend no column
                # to the reconstruction, and leave the weight columns they
                # hold alone (a lazy solver moves every column a batch's
                # entries touch, even with a zero gradient).
                batch = batch.without_rows(weight == 0)
            codes = module.encode(corruption(batch, generator))
            columns, column_weight, n_nonzero = reconstructed_columns(
                batch, n_sampled, generator
            )
            logits = module.decode_columns(codes, columns)
            clean = _clean_targets(batch, columns[:n_nonzero], logits)
            losses = elementwise_loss(logits, clean, module.loss) @ column_weight
            return losses.sum() if weight is None else losses @ weight

        return objective

    return make_objective


def _clean_targets(batch, nonzero_columns, logits):
    """The clean batch on the reconstructed columns, dense: its stored values
    at their places (``nonzero_columns`` holds every column of its entries,
    sorted), zeros elsewhere (the sampled columns are zero columns)."""
    clean = torch.zeros_like(logits)
    positions = torch.searchsorted(nonzero_columns, batch.columns)
    clean[batch.rows, positions] = batch.values
    return clean


class LazyAdam:
    """Adam whose step moves only the rows that a row-sparse gradient holds.

    For a parameter with a sparse COO gradient, only the rows it holds move,
    their moments included, as in :class:`torch.optim.SparseAdam` (same
    results to rounding), in half its time: the moments of the touched rows
    are gathered once, updated, and scattered back. A parameter with a dense
    gradient (the hidden biases) takes the usual Adam step.

    It has the part of :class:`torch.optim.Optimizer`'s interface that the
    training loop and the estimators use (``param_groups``, ``zero_grad``,
    ``step``, ``state_dict``, ``load_state_dict``) without deriving from it:
    the first torch optimizer built in a process imports ``torch._dynamo``,
    0.8-1.5 s that made a first sparse fit take 1.2x a TruncatedSVD's time.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
    lr : float
    betas : tuple of float, default=(0.9, 0.999)
    eps : float, default=1e-8
    """

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.param_groups = [
            {"params": list(params), "lr": lr, "betas": betas, "eps": eps}
        ]
        self.state = {}

    def _parameters(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none=True):
        for parameter in self._parameters():
            parameter.grad = None

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                state = self.state.setdefault(parameter, {})
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(parameter)
                    state["exp_avg_sq"] = torch.zeros_like(parameter)
                state["step"] += 1
                if parameter.grad.is_sparse:
                    _lazy_adam_step(parameter, state, group)
                else:
                    _adam_step(parameter, state, group)

    def state_dict(self):
        """The moments and settings, laid out as torch's optimizers do."""
        parameters = self._parameters()
        index = {id(p): i for i, p in enumerate(parameters)}
        return {
            "state": {index[id(p)]: dict(s) for p, s in self.state.items()},
            "param_groups": [
                {
                    **{k: v for k, v in g.items() if k != "params"},
                    "params": [index[id(p)] for p in g["params"]],
                }
                for g in self.param_groups
            ],
        }

    def load_state_dict(self, state_dict):
        parameters = self._parameters()
        self.state = {
            parameters[int(i)]: dict(state) for i, state in state_dict["state"].items()
        }
        for group, saved in zip(
            self.param_groups, state_dict["param_groups"], strict=True
        ):
            group.update({k: v for k, v in saved.items() if k != "params"})


def _lazy_adam_step(parameter, state, group):
    """Adam on the rows held by the parameter's sparse gradient only."""
    beta1, beta2 = group["betas"]
    step = float(state["step"])
    gradient = parameter.grad.coalesce()
    rows, values = gradient.indices()[0], gradient.values()
    mean = state["exp_avg"].index_select(0, rows)
    mean.mul_(beta1).add_(values, alpha=1 - beta1)
    square = state["exp_avg_sq"].index_select(0, rows)
    square.mul_(beta2).addcmul_(values, values, value=1 - beta2)
    state["exp_avg"].index_copy_(0, rows, mean)
    state["exp_avg_sq"].index_copy_(0, rows, square)
    denominator = square.sqrt_().div_(np.sqrt(1 - beta2**step))
    update = mean.div_(denominator.add_(group["eps"]))
    parameter.index_add_(0, rows, update, alpha=-group["lr"] / (1 - beta1**step))


def _adam_step(parameter, state, group):
    """Adam's step for a dense gradient, as torch.optim.Adam takes it."""
    beta1, beta2 = group["betas"]
    step = float(state["step"])
    gradient = parameter.grad
    state["exp_avg"].lerp_(gradient, 1 - beta1)
    state["exp_avg_sq"].mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
    denominator = (
        state["exp_avg_sq"].sqrt().div_(np.sqrt(1 - beta2**step)).add_(group["eps"])
    )
    parameter.addcdiv_(
        state["exp_avg"], denominator, value=-group["lr"] / (1 - beta1**step)
    )


def make_lazy_adam(module, learning_rate):
    """Adam that updates only the weight columns and visible biases a batch
    touched (their moments too), and the hidden biases as usual."""
    return LazyAdam(module.parameters(), lr=learning_rate)


def dense_view(module):
    """An :class:`~skdae._modules.AutoencoderLayer` with the module's current
    weights, for the exact loss of validation rows (densified in chunks)."""
    return AutoencoderLayer(
        module.to_params(), module.activation, module.loss, module.weight_t.device
    )
