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

The path plugs into the rest as one more :class:`~skdae._modules.TrainableModule`
(:class:`SparseAutoencoderLayer`: its objective, solver, exact copy and
batches) and, at inference, as the encoder of sparse chunks
(:func:`sparse_codes`). Nothing outside this module knows a
:class:`SparseBatch`.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from ._corruption import ZERO_KEEPING_CORRUPTIONS
from ._device import apply_in_chunks
from ._modules import (
    ACTIVATIONS,
    AutoencoderLayer,
    TrainableModule,
    elementwise_loss,
    layer_params,
    parameter,
)

# reconstruction_sampling="auto": sparse input with more columns than this is
# reconstructed by sampling; narrower input is cheap to densify exactly.
AUTO_SAMPLING_MIN_FEATURES = 2048
# ... and the number of columns drawn per batch beyond its non-zero ones.
AUTO_SAMPLED_COLUMNS = 1024
# batch_size="auto" goes up to 512 rows here, not 128: the sampled steps
# cost little in arithmetic but each pays a lazy solver step; on a 50,000 x
# 20,000 bag of words an epoch took 2.5 s in batches of 128, 1.8 s in 512.
SPARSE_AUTO_BATCH_SIZE = 512


@dataclass
class SparseBatch:
    """Rows of a sparse matrix as their stored entries, on a device: what the
    sparse path computes on instead of densified rows.

    Attributes
    ----------
    rows, columns : torch.Tensor of shape (n_entries,), int64
        Row (within the batch) and column of each stored entry, by row.
    values : torch.Tensor of shape (n_entries,)
    offsets : torch.Tensor of shape (n_rows,), int64
        Index of each row's first entry, as ``embedding_bag`` takes them.
    shape : tuple of int
        ``(n_rows, n_columns)``.
    """

    rows: torch.Tensor
    columns: torch.Tensor
    values: torch.Tensor
    offsets: torch.Tensor
    shape: tuple

    def with_values(self, values):
        """The same entries holding other values (a corrupted copy)."""
        return SparseBatch(self.rows, self.columns, values, self.offsets, self.shape)

    def without_rows(self, dropped):
        """The batch with the entries of the ``dropped`` rows (a boolean
        tensor over rows) removed: those rows become empty."""
        kept = ~dropped[self.rows]
        counts = torch.bincount(self.rows[kept], minlength=self.shape[0])
        offsets = torch.cumsum(counts, 0) - counts
        return SparseBatch(
            self.rows[kept], self.columns[kept], self.values[kept], offsets, self.shape
        )

    def matmul(self, table, sparse_gradient=False):
        """``x @ table`` for a dense ``(n_columns, k)`` table: for each row the
        sum of the table's rows at its entries, weighted by their values.

        ``sparse_gradient``: the table's gradient is row-sparse, its rows
        touched by the batch only.
        """
        return F.embedding_bag(
            self.columns,
            table,
            self.offsets,
            mode="sum",
            per_sample_weights=self.values,
            sparse=sparse_gradient,
        )


def sparse_rows(X, rows, device, dtype=np.float32):
    """``X[rows]`` of a scipy sparse X as a :class:`SparseBatch` on ``device``."""
    block = sp.csr_matrix(X[rows])
    block.sort_indices()
    counts = np.diff(block.indptr)
    as_long = {"dtype": torch.int64, "device": device}
    return SparseBatch(
        rows=torch.as_tensor(np.repeat(np.arange(block.shape[0]), counts), **as_long),
        columns=torch.as_tensor(block.indices, **as_long),
        values=torch.as_tensor(block.data.astype(dtype, copy=False), device=device),
        offsets=torch.as_tensor(block.indptr[:-1], **as_long),
        shape=block.shape,
    )


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


class SparseAutoencoderLayer(TrainableModule):
    """One autoencoder layer laid out for sparse input and sampled decoding.

    The weights are held transposed, ``(n_features, n_components)``, so that
    a column of W is a row of the table that ``embedding_bag`` and
    ``embedding`` gather, and their gradients are row-sparse. Batches come
    as :class:`SparseBatch`; the objective reconstructs the columns that
    :func:`reconstructed_columns` picks.

    Parameters
    ----------
    params : dict of str to ndarray
        As :func:`~skdae._modules.init_layer_params` returns them.
    activation : str
    loss : {"cross_entropy", "mse"}
    device : torch.device
    n_sampled : int
        Uniform column draws per batch, beyond its non-zero columns.
    options : TrainingOptions
        Adam without weight decay gets the lazy solver, hence row-sparse
        gradients; any other solver, dense gradients.
    """

    largest_auto_batch = SPARSE_AUTO_BATCH_SIZE
    missing = False

    def __init__(self, params, activation, loss, device, n_sampled, options):
        super().__init__()
        self.activation = activation
        self.loss = loss
        self.n_sampled = n_sampled
        self.sparse_gradients = options.solver == "adam" and options.alpha == 0
        self.weight_t = _transposed_parameter(params["components_"], device)
        self.hidden_bias = parameter(params["intercept_hidden_"], device)
        self.visible_bias = parameter(params["intercept_visible_"][:, None], device)
        decoder = params.get("decoder_components_")
        self.decoder_t = (
            None if decoder is None else _transposed_parameter(decoder, device)
        )

    @staticmethod
    def gather_rows(X, rows, device):
        """A batch as its stored entries."""
        return sparse_rows(X, rows, device)

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

    def objective(self, corruption, generator):
        """The denoising objective with a sampled reconstruction."""
        return _sampled_objective(self, corruption, generator)

    def make_solver(self, options):
        """The lazy Adam with row-sparse gradients, else the dense solver."""
        if self.sparse_gradients:
            return LazyAdam(self.parameters(), lr=options.learning_rate_init)
        return super().make_solver(options)

    def exact(self):
        """An :class:`~skdae._modules.AutoencoderLayer` with the current
        weights, for the exact loss of validation rows (densified in
        chunks)."""
        return AutoencoderLayer(
            self.to_params(), self.activation, self.loss, self.weight_t.device
        )

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        return [self.weight_t] + ([] if self.decoder_t is None else [self.decoder_t])

    def to_params(self):
        """The parameters as float32 arrays, in the estimators' layout."""
        decoder = None if self.decoder_t is None else self.decoder_t.T
        return layer_params(
            self.weight_t.T, self.hidden_bias, self.visible_bias[:, 0], decoder
        )


def _transposed_parameter(array, device):
    return parameter(np.asarray(array).T, device)


def sparse_codes(model, X, device):
    """``model.encode`` of a sparse X without missing entries, computed
    chunk by chunk from its stored entries.

    Parameters
    ----------
    model : AutoencoderLayer or DeepAutoencoder
        An inference module, in X's precision.
    X : scipy sparse matrix of shape (n_samples, n_features)
    device : torch.device

    Returns
    -------
    codes : ndarray of shape (n_samples, n_codes)
    """
    bottom, *above = model.encoder_layers()
    with torch.no_grad():
        # One transposed copy of the bottom weights for all chunks: its
        # columns become the rows that the sparse product gathers.
        weight_t = bottom.weight.T.contiguous()

    def encode(batch):
        codes = sparse_encode(batch, weight_t, bottom.hidden_bias, bottom.activation)
        for layer in above:
            codes = layer.encode(codes)
        return codes

    return apply_in_chunks(encode, X, device, gather=sparse_rows)


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


def _sampled_objective(layer, corruption, generator):
    """The summed loss of a batch whose reconstruction is sampled: the
    objective of :class:`SparseAutoencoderLayer`."""

    def objective(batch, target, weight):
        if weight is not None:
            # Rows of weight zero, which must play no part, give up their
            # entries here, once: they then draw no noise, lend no column
            # to the reconstruction, and leave the weight columns they
            # hold alone (a lazy solver moves every column a batch's
            # entries touch, even with a zero gradient).
            batch = batch.without_rows(weight == 0)
        noisy = corruption.of_entries(batch.values, batch.columns, generator)
        codes = layer.encode(batch.with_values(noisy))
        columns, column_weight, n_nonzero = reconstructed_columns(
            batch, layer.n_sampled, generator
        )
        logits = layer.decode_columns(codes, columns)
        clean = _clean_targets(batch, columns[:n_nonzero], logits)
        losses = elementwise_loss(logits, clean, layer.loss) @ column_weight
        return losses.sum() if weight is None else losses @ weight

    return objective


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
        for weights in self._parameters():
            weights.grad = None

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for weights in group["params"]:
                if weights.grad is None:
                    continue
                state = self.state.setdefault(weights, {})
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(weights)
                    state["exp_avg_sq"] = torch.zeros_like(weights)
                state["step"] += 1
                if weights.grad.is_sparse:
                    _lazy_adam_step(weights, state, group)
                else:
                    _adam_step(weights, state, group)

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
