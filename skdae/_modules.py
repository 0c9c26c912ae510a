"""The torch modules: one autoencoder layer, the deep stack, the supervised head.

Parameters are created from, and returned as, dictionaries of numpy arrays
whose keys are the estimators' attribute names (:data:`LAYER_ARRAYS`), so the
estimators never hold a torch object.

Every module that is trained derives from :class:`TrainableModule`, the
protocol by which ``_training`` trains it without knowing what it is: its
objective, its solver, its validation score, and how the rows of a sparse X
are served to it. The sparse path's layer (``_sparse``) is one more
implementation of it.
"""

import functools
import math

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from ._device import apply_in_chunks, as_tensor, host_matmul, params_to_numpy
from ._missing import column_means, fill_missing, fill_missing_rows, observed_entries
from ._solvers import make_optimizer

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
}

# The decoder's output function o for each loss: the logits of a Bernoulli
# mean for cross-entropy, the values themselves for squared error.
# Named by their activation, which the ONNX export also reads.
OUTPUT_ACTIVATIONS = {"cross_entropy": "sigmoid", "mse": "identity"}
OUTPUTS = {loss: ACTIVATIONS[name] for loss, name in OUTPUT_ACTIVATIONS.items()}

# A layer's fitted arrays, as the estimators name them, with their dimensions:
# the layout that modules take and return, and that a loaded state is
# checked against. Only the first three are always present.
LAYER_ARRAYS = {
    "components_": ("n_components", "n_features"),
    "intercept_hidden_": ("n_components",),
    "intercept_visible_": ("n_features",),
    "decoder_components_": ("n_components", "n_features"),
    "feature_means_": ("n_features",),
}
REQUIRED_LAYER_ARRAYS = ("components_", "intercept_hidden_", "intercept_visible_")


def layer_params(weight, hidden_bias, visible_bias, decoder_weight=None):
    """A layer's weights (tensors in the estimators' layout) as float32
    arrays named as in :data:`LAYER_ARRAYS`; no decoder when tied."""
    params = {
        "components_": weight,
        "intercept_hidden_": hidden_bias,
        "intercept_visible_": visible_bias,
    }
    if decoder_weight is not None:
        params["decoder_components_"] = decoder_weight
    return params_to_numpy(params)


# Rows whose mean code sets the initial visible bias: enough for a mean to
# within a few percent, few enough to cost less than one training batch.
_INIT_ROWS = 1024


def init_layer_params(
    X, n_components, activation, loss, tied, random_state, sample_weight=None
):
    """Draw the initial weights of one layer, starting at the mean predictor.

    The weights are Glorot-uniform, ``U(-r, r)`` with
    ``r = sqrt(6 / (n_features + n_components))``, for every activation
    (tied weights shrunk, if need be, to a spectral norm of ``sqrt(2)``).
    The hidden biases are ``-W mean(X)``, so that each unit's input is
    centred on the data: no ReLU unit starts dead, no sigmoid saturated. The
    visible biases are chosen so that the mean reconstruction of X is X's
    column mean (its logit for cross-entropy): a new model then predicts the
    mean plus a small data-dependent term, no worse than the mean predictor,
    instead of a random offset that the first epochs would spend undoing. An
    untied decoder starts at zero, so its first reconstruction is exactly
    the mean predictor's.

    Parameters
    ----------
    X : ndarray, scipy sparse matrix or torch.Tensor of shape \
            (n_samples, n_features)
        The training data (float32), NaN where an entry is missing.
    n_components : int
    activation : str
    loss : {"cross_entropy", "mse"}
    tied : bool
    random_state : numpy.random.RandomState
    sample_weight : ndarray of shape (n_samples,), optional
        Weights of the rows in the means; a row of weight zero plays no part.

    Returns
    -------
    params : dict of str to ndarray
        ``components_``, ``intercept_hidden_``, ``intercept_visible_``,
        ``feature_means_`` (the value of a missing entry, see
        ``skdae._missing``) and, when untied, ``decoder_components_``.

    Raises
    ------
    ValueError
        When a column of X has no observed entry.
    """
    n_features = X.shape[1]
    bound = np.sqrt(6.0 / (n_features + n_components))
    weight = random_state.uniform(-bound, bound, (n_components, n_features))
    weight_of_rows = (
        np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    )
    mean = column_means(X, weight_of_rows)
    params = {
        "components_": weight.astype(np.float32),
        "intercept_hidden_": -host_matmul(weight, mean).astype(np.float32),
        "feature_means_": mean.astype(np.float32),
    }
    if tied:
        params["components_"] = _cap_gain(params["components_"])
        mean_code = _mean_code(
            X, weight_of_rows, params, activation, random_state, mean
        )
        offset = host_matmul(mean_code, params["components_"].astype(np.float64))
    else:
        params["decoder_components_"] = np.zeros_like(params["components_"])
        offset = 0.0
    target = _mean_output_logit(mean, loss)
    params["intercept_visible_"] = (target - offset).astype(np.float32)
    return params


def _cap_gain(weight):
    """Shrink a tied weight matrix until ``||W||_2 ** 2 <= 2``.

    A tied layer reconstructs ``x^ = mean + g'(.) (x - mean) W^T W`` to first
    order. With ``W^T W`` at most 2 in spectral norm and ``0 <= g' <= 1``,
    ``I - g' W^T W`` never lengthens ``x - mean``, so the new model is no
    worse than the mean predictor (exactly so for the identity activation).
    Glorot's range reaches about 2 in spectral norm; the largest eigenvalue
    of the smaller Gram matrix is cheap to find.
    """
    weight_t = torch.from_numpy(weight).double()
    gram = (
        weight_t @ weight_t.T
        if weight.shape[0] <= weight.shape[1]
        else weight_t.T @ weight_t
    )
    largest = float(torch.linalg.eigvalsh(gram)[-1])
    if largest <= _MAX_TIED_GAIN:
        return weight
    return (weight * np.sqrt(_MAX_TIED_GAIN / largest)).astype(np.float32)


# The largest eigenvalue of W^T W at initialisation, for a tied layer.
_MAX_TIED_GAIN = 2.0


def _mean_output_logit(mean, loss):
    """The decoder logits whose output is ``mean``."""
    if loss != "cross_entropy":
        return mean
    # Clipped, so that a column that is constantly 0 or 1 gets a finite logit.
    mean = np.clip(mean, 1e-3, 1 - 1e-3)
    return np.log(mean) - np.log1p(-mean)


def _mean_code(X, weight, params, activation, random_state, feature_means):
    """The weighted mean code of a new layer, over a sample of the rows.

    X may be a tensor (a stack's codes, on their device): then the sample
    stays there and only the mean comes back. Missing entries take their
    feature's mean, as the encoder gives them.
    """
    rows = np.flatnonzero(weight > 0)
    if len(rows) > _INIT_ROWS:
        rows = np.sort(random_state.choice(rows, _INIT_ROWS, replace=False))
    components, bias = params["components_"], params["intercept_hidden_"]
    if sp.issparse(X):
        # A sparse sample stays sparse: its product with the weights is dense.
        sample = fill_missing_rows(X[rows], feature_means)
        preactivation = torch.from_numpy(np.asarray(sample @ components.T) + bias)
    else:
        # Dense rows (numpy, or a stack's codes on their device) are multiplied
        # by torch, not numpy's BLAS: see host_matmul.
        sample = (
            X[torch.from_numpy(rows).to(X.device)]
            if isinstance(X, torch.Tensor)
            else torch.from_numpy(fill_missing_rows(X[rows], feature_means))
        )
        components, bias = (
            as_tensor(v, sample.device, sample.dtype) for v in (components, bias)
        )
        preactivation = sample @ components.T + bias
    device = preactivation.device
    row_weight = as_tensor(weight[rows], device, np.float64)
    with torch.inference_mode():
        codes = ACTIVATIONS[activation](preactivation).double()
        mean = (row_weight @ codes) / row_weight.sum()
    return mean.cpu().numpy()


class TrainableModule(nn.Module):
    """A torch module that ``_training.run_training`` can train.

    The defaults are those of a dense autoencoder: the denoising objective,
    Adam or SGD over all parameters, the negative exact loss as validation
    score, sparse rows densified, the loop's automatic batch size. A module
    trained otherwise overrides what differs: the supervised head its
    objective and score, the sparse path's layer (``_sparse``) its
    objective, solver, exact copy and batches.

    Attributes
    ----------
    gather_rows : callable or None
        ``(X, rows, device) -> batch``: how the training set serves the rows
        of a sparse X; None densifies them.
    largest_auto_batch : int or None
        The largest batch that ``batch_size="auto"`` may give; None for the
        loop's own.
    """

    gather_rows = None
    largest_auto_batch = None

    def objective(self, corruption, generator):
        """The summed loss of a batch: ``(x, target, weight) -> tensor``."""
        return denoising_objective(self, corruption, generator)

    def make_solver(self, options):
        """A fresh solver for this module's parameters, from ``options``
        (a ``TrainingOptions``)."""
        return make_optimizer(
            self, options.solver, options.learning_rate_init, options.alpha
        )

    def exact(self):
        """The module that computes this one's exact reconstruction loss."""
        return self

    def validation_score(self, data, rows):
        """The negative mean exact loss of ``data``'s rows ``rows``."""
        losses = apply_in_chunks(
            per_sample_loss(self.exact()), data.X, data.device, rows, to_host=True
        )
        return -float(np.mean(losses, dtype=np.float64))

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        raise NotImplementedError


class AutoencoderLayer(TrainableModule):
    """One (denoising) autoencoder layer, tied or untied.

    ``encode(x) = g(b + x W^T)`` and ``decode_logits(h) = c + h W*``, with
    ``W* = W`` when tied and a separate matrix of the same shape otherwise.

    Parameters
    ----------
    params : dict of str to ndarray
        As returned by :func:`init_layer_params`.
    activation : str
        The encoder's nonlinearity g.
    loss : {"cross_entropy", "mse"}
        Decides the decoder's output function.
    device : torch.device
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        float32 for training; inference follows the input's precision.
    missing : bool, default=False
        Whether its input may hold NaN: the encoder then fills each with
        ``params["feature_means_"]`` and the loss leaves them out (see
        ``skdae._missing``). Off, the module spends no pass on them.
    """

    def __init__(
        self, params, activation, loss, device, dtype=np.float32, missing=False
    ):
        super().__init__()
        self.activation = activation
        self.loss = loss
        self.fill = (
            as_tensor(params["feature_means_"], device, dtype) if missing else None
        )
        self.weight = parameter(params["components_"], device, dtype)
        self.hidden_bias = parameter(params["intercept_hidden_"], device, dtype)
        self.visible_bias = parameter(params["intercept_visible_"], device, dtype)
        decoder = params.get("decoder_components_")
        self.decoder_weight = (
            None if decoder is None else parameter(decoder, device, dtype)
        )

    @property
    def tied(self):
        """Whether the decoder reuses the encoder's weights."""
        return self.decoder_weight is None

    @property
    def missing(self):
        """Whether the input may hold missing entries (NaN)."""
        return self.fill is not None

    def encode(self, x):
        """The code h of a batch of inputs."""
        if self.fill is not None:
            x = fill_missing(x, self.fill)
        return ACTIVATIONS[self.activation](F.linear(x, self.weight, self.hidden_bias))

    def decode_logits(self, h):
        """The decoder's pre-activation; the reconstruction is ``output(logits)``."""
        decoder = self.weight if self.tied else self.decoder_weight
        return torch.addmm(self.visible_bias, h, decoder)

    def output(self, logits):
        """Apply the decoder's output function o to its logits."""
        return OUTPUTS[self.loss](logits)

    def forward(self, x):
        """Reconstruction logits of a (corrupted) batch."""
        return self.decode_logits(self.encode(x))

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        return [self.weight] + ([] if self.tied else [self.decoder_weight])

    def encoder_layers(self):
        """The layers that ``encode`` applies, bottom first: this one."""
        return [self]

    def to_params(self):
        """The parameters as float32 arrays, keyed like :func:`init_layer_params`."""
        return layer_params(
            self.weight, self.hidden_bias, self.visible_bias, self.decoder_weight
        )


def parameter(array, device, dtype=np.float32):
    """A trainable copy of ``array`` on ``device``."""
    # A copy, so that training never writes into the estimator's arrays: a
    # run that fails half way leaves the previous model intact.
    return nn.Parameter(as_tensor(array, device, dtype).clone())


def reconstruction_loss(
    logits, target, loss, weight=None, reduction="sum", missing=False
):
    """Per-sample reconstruction loss, from the decoder's logits.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_features)
    target : torch.Tensor of shape (n_samples, n_features)
        The clean input; with ``missing``, its NaN entries add nothing.
    loss : {"cross_entropy", "mse"}
        Cross-entropy ``-sum_d [x log x^ + (1 - x) log(1 - x^)]`` computed
        stably from the logits, or ``1/2 sum_d (x^ - x)^2``.
    weight : torch.Tensor of shape (n_samples,), optional
        Per-sample weights.
    reduction : {"sum", "none"}
        ``"sum"`` returns the (weighted) sum over samples, ``"none"`` the
        vector of per-sample losses.
    missing : bool, default=False
        Whether ``target`` may hold NaN, the missing entries.

    Returns
    -------
    loss : torch.Tensor
    """
    if missing:
        target, observed = observed_entries(target)
    elementwise = elementwise_loss(logits, target, loss)
    if missing:
        elementwise = elementwise * observed
    if reduction == "none":
        return elementwise.sum(dim=1)
    if weight is None:
        return elementwise.sum()
    return (elementwise.sum(dim=1) * weight).sum()


def elementwise_loss(logits, target, loss):
    """Each entry's reconstruction loss, from the decoder's logits."""
    if loss == "cross_entropy":
        return cross_entropy_from_logits(logits, target)
    return 0.5 * (logits - target).square()


def cross_entropy_from_logits(logits, target):
    """``softplus(z) - x z`` elementwise: the cross-entropy of x against
    ``sigmoid(z)``, exact for any z up to tails far below the precision.

    Computed as ``relu(z) - x z + log1p(exp(-|z|))``: stable, and exact for
    confident reconstructions, where float32
    ``binary_cross_entropy_with_logits`` is off by a factor of 2. Its
    gradient with respect to z is ``sigmoid(z) - x``, written out in one
    pass rather than left to autograd through the five operations (whose
    subgradients of ``relu`` and ``abs`` would also miss it at ``z = 0``).

    The tails ``exp(-|z|)`` and ``sigmoid(z)`` are cut where they fall below
    the square of the dtype's epsilon (``|z| > 2 log(1 / eps)``, about 32
    in float32): the loss keeps a floor of ``eps**2`` there and the gradient
    is exactly ``-x``. Uncut, a pixel that is always 0 drives its logit
    towards minus infinity as training goes on, and once below -87 these
    tails are subnormal floats, which slow every product they enter on many
    CPUs; cut, no value of the loss or its gradient is subnormal.
    """
    return _ExactCrossEntropy.apply(logits, target)


@functools.cache
def _tail_cut(dtype):
    """The |logit| beyond which the cross-entropy's tails are cut, and a
    threshold that the clamped sigmoid(-cut) lies below; once per dtype, not
    once per batch."""
    cut = 2.0 * math.log(1.0 / torch.finfo(dtype).eps)
    return cut, 1.5 / (1.0 + math.exp(cut))


class _ExactCrossEntropy(torch.autograd.Function):
    """Elementwise cross-entropy from logits; the target gets no gradient."""

    @staticmethod
    def forward(ctx, logits, target):
        ctx.save_for_backward(logits, target)
        value = torch.relu(logits).addcmul_(target, logits, value=-1)
        cut, _ = _tail_cut(logits.dtype)
        tail = logits.abs().neg_().clamp_(min=-cut)
        return value.add_(tail.exp_().log1p_())

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):
        logits, target = ctx.saved_tensors
        cut, threshold = _tail_cut(logits.dtype)
        probability = logits.clamp(min=-cut).sigmoid_()
        # Those clamped hold sigmoid(-cut): strictly below the threshold.
        F.threshold_(probability, threshold, 0.0)
        return probability.sub_(target).mul_(grad_output), None


def per_sample_loss(model):
    """The per-sample reconstruction loss of clean input, as a row function."""

    def loss(x):
        return reconstruction_loss(
            model(x), x, model.loss, reduction="none", missing=model.missing
        )

    return loss


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


class DeepAutoencoder(TrainableModule):
    """Autoencoder layers composed: encoders bottom-up, decoders top-down.

    Between layers the decoders apply each layer's output function, so that
    layer k reconstructs the code of layer k-1 as it was trained to; the
    bottom decoder returns logits, scored with the bottom layer's loss.

    Parameters
    ----------
    layers : list of AutoencoderLayer
        Bottom layer first.
    """

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    @property
    def loss(self):
        """The reconstruction loss of the input, that of the bottom layer."""
        return self.layers[0].loss

    @property
    def missing(self):
        """Whether the input may hold missing entries (NaN)."""
        return self.layers[0].missing

    def encode(self, x):
        """The top code of a batch."""
        for layer in self.layers:
            x = layer.encode(x)
        return x

    def decode_logits(self, h):
        """Decode a top code down to the input's logits."""
        for layer in reversed(self.layers[1:]):
            h = layer.output(layer.decode_logits(h))
        return self.layers[0].decode_logits(h)

    def output(self, logits):
        """The input-space reconstruction from the bottom logits."""
        return self.layers[0].output(logits)

    def forward(self, x):
        """Reconstruction logits of a (corrupted) batch."""
        return self.decode_logits(self.encode(x))

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        return [w for layer in self.layers for w in layer.weight_matrices()]

    def encoder_layers(self):
        """The layers that ``encode`` applies, bottom first."""
        return list(self.layers)


class SupervisedStack(TrainableModule):
    """The encoders of a stack topped by a linear output layer.

    With softmax cross-entropy the output layer is the logistic regression of
    Vincent et al.'s supervised fine-tuning.

    Parameters
    ----------
    stack : DeepAutoencoder
    head_coef : ndarray of shape (n_outputs, n_components_top)
    head_intercept : ndarray of shape (n_outputs,)
    device : torch.device
    """

    def __init__(self, stack, head_coef, head_intercept, device):
        super().__init__()
        self.stack = stack
        self.head_weight = parameter(head_coef, device)
        self.head_bias = parameter(head_intercept, device)

    def forward(self, x):
        """Output-layer logits of a (corrupted) batch."""
        return F.linear(self.stack.encode(x), self.head_weight, self.head_bias)

    def weight_matrices(self):
        """The parameters that L2 regularisation applies to."""
        return [*self.stack.weight_matrices(), self.head_weight]

    def objective(self, corruption, generator):
        """Summed cross-entropy of the class logits of corrupted batches."""

        def objective(x, target, weight):
            logits = self(corruption(x, generator, weight))
            losses = F.cross_entropy(logits, target, reduction="none")
            return losses.sum() if weight is None else (losses * weight).sum()

        return objective

    def validation_score(self, data, rows):
        """The accuracy on ``data``'s rows ``rows``, against its targets."""
        # Compared where the targets are: no host copy of them each epoch.
        predicted = apply_in_chunks(
            lambda x: self(x).argmax(dim=1), data.X, data.device, rows, to_host=False
        )
        targets = data.targets[torch.as_tensor(rows, device=data.device)]
        return float((predicted == targets).double().mean())
