"""DenoisingAutoencoder: a single-layer denoising autoencoder as a transformer."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from ._base import TRAINING_PARAMETER_CONSTRAINTS, BaseAutoencoder, training_precision
from ._corruption import Corruption, check_corruption
from ._device import as_tensor, resolve_device, state_to_numpy
from ._missing import feature_extremes
from ._modules import (
    LAYER_ARRAYS,
    REQUIRED_LAYER_ARRAYS,
    AutoencoderLayer,
    init_layer_params,
)
from ._persistence import check_state, is_fitted_state, refuse_state
from ._solvers import resume
from ._sparse import SparseAutoencoderLayer, resolve_sampling
from ._training import TrainingOptions, TrainingResult, TrainingSet, run_training


class DenoisingAutoencoder(BaseAutoencoder):
    """Denoising autoencoder (Vincent et al., 2008) with a PyTorch backend.

    Learns a code ``h = g(b + W x)`` from which the clean input can be
    reconstructed as ``x^ = o(c + W* h)``, while training only ever sees a
    corrupted input ``x~``. Learning to undo the corruption forces the code to
    capture the dependencies between input features rather than copy them,
    which makes it a better representation for a downstream estimator.
    ``transform`` returns the code of the clean input; it is deterministic.

    Parameters
    ----------
    n_components : int, default=1024
        Number of hidden units (the size of the code). May exceed the number
        of features: the corruption keeps an overcomplete code from learning
        the identity. 1024 because wide codes feed a linear classifier best:
        on MNIST, 1024 units reached 0.959 test accuracy, 512 units 0.951
        (``python -m benchmarks defaults``); on small tables it costs little,
        as training stops after a few epochs.

    corruption : {"masking", "gaussian", "salt_and_pepper", "swap"} or None, \
            default="masking"
        The corruption process applied to training inputs:

        - ``"masking"``: each input set to 0 with probability
          ``corruption_level``;
        - ``"gaussian"``: additive noise ``N(0, corruption_level**2)``;
        - ``"salt_and_pepper"``: each input, with probability
          ``corruption_level``, set to its feature's minimum or maximum seen
          in fit (each half the time);
        - ``"swap"``: each input, with probability ``corruption_level``,
          takes the value that its feature has in another row of the same
          minibatch, drawn uniformly among the batch's other rows of
          positive sample weight. Every feature keeps its own distribution,
          whatever its scale, which suits tables of mixed columns
          (standardized numbers beside one-hot categories);
        - ``None``: no corruption, a plain autoencoder.

        Masking is the default: it suits data scaled to [0, 1] (a zero is a
        "missing" pixel) as well as standardized data (a zero is the mean).
        Swap noise measured no better on standardized tables: 0.5 point of
        accuracy below masking on breast_cancer and wine, a tie on Adult
        (``python -m benchmarks defaults``).

    corruption_level : float, default=0.25
        Masking, salt-and-pepper or swap probability (in [0, 1]), or the
        standard deviation of gaussian noise. A quarter of the inputs
        destroyed is the level Vincent et al. (2010) found best for digits;
        measured here it ties 0.5 on MNIST and reconstructs held-out digits
        better. On a CPU the masking probability is applied in steps of
        ``2**-16``.

    activation : {"sigmoid", "tanh", "relu", "identity"}, default="relu"
        The encoder's nonlinearity g. ReLU features measured best for a
        linear classifier: 0.959 on MNIST against 0.944 for sigmoid units.
        Sigmoid codes lie in [0, 1], which cross-entropy in a layer above
        needs.

    loss : {"auto", "mse", "cross_entropy"}, default="auto"
        Reconstruction loss, measured against the clean input.
        ``"mse"`` is ``1/2 sum_d (x^_d - x_d)^2`` with a linear decoder output
        and works for any real-valued data, standardized data included;
        ``"cross_entropy"`` is ``-sum_d [x_d log x^_d + (1 - x_d) log(1 - x^_d)]``
        with a sigmoid output, computed from the logits, and needs X in
        [0, 1]. ``"auto"`` takes cross-entropy when every value of the
        training data lies in [0, 1] (pixel intensities, TF-IDF, one-hot),
        squared error otherwise; the choice is stored in ``loss_`` at each
        ``fit`` and at the first ``partial_fit``. On MNIST, cross-entropy
        features reached 0.959 against 0.955 for squared error.

    tied_weights : bool, default=True
        Use the transpose of the encoder's weights as decoder weights
        (``W* = W^T``), halving the parameters, as in the original paper.
        Otherwise the decoder has its own matrix ``decoder_components_``.

    solver : {"adam", "sgd"}, default="adam"
        Adam, or SGD with Nesterov momentum 0.9.

    learning_rate_init : float, default=2e-3
        Step size of the solver. Twice Adam's usual 1e-3: the same accuracy
        on MNIST (0.959 against 0.958), better features on small data sets
        such as 1,200 digits, which see few steps per epoch.

    alpha : float, default=0.0
        Strength of the L2 penalty ``alpha / 2 * ||W||^2`` added to the mean
        per-sample loss (weights only, not biases).

    batch_size : int or "auto", default="auto"
        Samples per minibatch; ``"auto"`` is ``n_samples // 32`` kept
        between 32 and 128 (and at most ``n_samples``): 128 rows make matrix
        kernels efficient on large data, smaller batches give small data sets
        enough steps per epoch. Sparse input reconstructed by sampling (see
        ``reconstruction_sampling``) takes up to 512: its steps are cheap in
        arithmetic, and fewer of them pay less solver overhead.

    max_iter : int, default=200
        Maximum number of epochs (passes over the data).

    tol : float, default=1e-2
        Relative tolerance of the stopping rule: an epoch that improves the
        best training loss (or validation score, with early stopping) by
        less than ``tol`` times its magnitude counts as no improvement, and
        ``n_iter_no_change`` such epochs in a row stop training. Relative,
        because the per-sample loss sums over features. At 1e-2 a default
        fit on MNIST stops after about 20 epochs; in trials, training on to
        60 epochs gave no better features. To run all
        ``max_iter`` epochs, set ``n_iter_no_change=max_iter``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score has
        not improved by ``tol`` for ``n_iter_no_change`` epochs, and keep the
        weights that scored best.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    n_iter_no_change : int, default=10
        Epochs without improvement after which training stops.

    shuffle : bool, default=True
        Visit the samples in a new random order each epoch.

    random_state : int, RandomState instance or None, default=None
        Controls weight initialisation, the validation split, the sample
        order and the corruption noise. Pass an int for identical results
        on the same device. Global numpy and torch random states are never
        used.

    reconstruction_sampling : "auto", int or None, default="auto"
        How sparse input is reconstructed in training. An int m: sampled,
        as in Dauphin, Glorot and Bengio (2011): each batch travels as its
        stored entries, is encoded by a sparse product, and reconstructs
        only the columns non-zero in one of its rows plus those among m
        uniform draws from all columns, each drawn column's loss weighted by
        ``n_features / m``, which keeps the loss and its gradient unbiased
        while the cost follows the non-zeros, not the columns. Adam then
        updates only the weight columns a batch touched (a lazy Adam;
        with ``alpha > 0`` or SGD the update is dense). None: the exact
        loss, each batch densified. ``"auto"``: sampled with m = 1024 for
        sparse input of more than 2,048 columns without missing values and
        with a corruption that keeps zeros zero (masking, salt and pepper,
        None: in the sparse path they act on the stored entries only); exact
        otherwise. Dense input is always reconstructed exactly; ``score``,
        ``score_samples`` and early stopping always report the exact loss.

    device : str, default="auto"
        Where to compute: ``"auto"`` (CUDA when available, else CPU),
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``. Read at each call, so
        ``set_params(device="cpu")`` moves inference of a fitted model; the
        learned parameters are kept as numpy arrays either way.

    verbose : int, default=0
        0 is silent, 1 shows a progress bar over epochs, 2 prints one line per
        epoch.

    warm_start : bool, default=False
        Continue from the previous solution (weights and solver state) when
        ``fit`` is called again on data with the same number of features.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Encoder weights W.

    intercept_hidden_ : ndarray of shape (n_components,)
        Encoder biases b.

    intercept_visible_ : ndarray of shape (n_features,)
        Decoder biases c.

    decoder_components_ : ndarray of shape (n_components, n_features)
        Decoder weights, so that ``x^ = o(c + h @ decoder_components_)``.
        Only present when ``tied_weights=False``.

    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature extremes seen in fit, used by salt-and-pepper noise.

    feature_means_ : ndarray of shape (n_features,)
        Mean of each feature's observed values in fit, weighted by
        sample_weight: the value a missing entry (NaN) takes at the
        encoder's input.

    loss_curve_ : list of float
        Mean per-sample training loss (on corrupted inputs) of each epoch.

    validation_scores_ : list of float or None
        Score (negative mean per-sample loss on clean inputs) of the
        validation set after each epoch; None without early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``; None without early stopping.

    n_iter_ : int
        Number of epochs run.

    loss_ : {"cross_entropy", "mse"}
        The reconstruction loss trained with: ``loss``, or its resolution
        when ``loss="auto"``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    StackedDenoisingAutoencoder : Several layers, pretrained greedily and
        fine-tuned.
    sklearn.neural_network.BernoulliRBM : Restricted Boltzmann machine, another
        unsupervised feature learner.
    sklearn.decomposition.PCA : Linear dimensionality reduction.

    Notes
    -----
    Training runs in float32: float32 input is used without a copy, other
    numeric dtypes are converted. Inference (``transform``,
    ``inverse_transform``, ``score_samples``) runs in the input's precision:
    float32 gives float32, float64 and other numeric dtypes give float64
    (float32 on MPS, which has no float64).

    Missing values (NaN) are accepted by ``fit``, ``partial_fit``,
    ``transform``, ``fit_transform``, ``score_samples`` and ``score``. A
    missing entry enters the encoder as its feature's mean,
    ``feature_means_``, and adds nothing to the reconstruction loss; in
    training this applies after the corruption. ``score_samples`` counts
    the observed entries only, so an entirely missing row scores 0 and its
    code is that of the mean row. A feature with no observed value in fit
    (or only in rows of zero weight) raises a ValueError. In sparse input a
    stored NaN is missing and an implicit zero is an observed zero.
    ``feature_means_`` is set when the model is initialised (by ``fit``, or
    by the first ``partial_fit``) and kept by later ``partial_fit`` calls
    and ``warm_start`` fits. See :ref:`missing_values`.

    References
    ----------
    P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol. Extracting and
    composing robust features with denoising autoencoders. ICML 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdae import DenoisingAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> dae = DenoisingAutoencoder(n_components=32, max_iter=5, random_state=0,
    ...                            device="cpu")
    >>> codes = dae.fit_transform(X / 16)
    >>> codes.shape
    (1797, 32)
    >>> dae.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        **TRAINING_PARAMETER_CONSTRAINTS,
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        n_components=1024,
        *,
        corruption="masking",
        corruption_level=0.25,
        activation="relu",
        loss="auto",
        tied_weights=True,
        solver="adam",
        learning_rate_init=2e-3,
        alpha=0.0,
        batch_size="auto",
        max_iter=200,
        tol=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        shuffle=True,
        random_state=None,
        reconstruction_sampling="auto",
        device="auto",
        verbose=0,
        warm_start=False,
    ):
        self.n_components = n_components
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.activation = activation
        self.loss = loss
        self.tied_weights = tied_weights
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.reconstruction_sampling = reconstruction_sampling
        self.device = device
        self.verbose = verbose
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder to X, reconstructing it from corrupted copies.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN marks a missing entry (see Notes).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's loss; a zero weight removes the sample.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._fit(X, y, sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch over X, continuing from the current state.

        The solver's state is kept between calls; early stopping does not
        apply.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN marks a missing entry (see Notes).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        self._fit(X, y, sample_weight, incremental=True)
        return self

    @property
    def n_components_(self):
        """Number of hidden units of the fitted model."""
        return self.components_.shape[0]

    @property
    def _code_size(self):
        return self.components_.shape[0]

    def __setstate__(self, state):
        if is_fitted_state(state):
            name = type(self).__name__
            optional = {
                array: shape
                for array, shape in LAYER_ARRAYS.items()
                if array not in REQUIRED_LAYER_ARRAYS
            }
            sizes = check_state(
                name,
                state,
                required={
                    array: LAYER_ARRAYS[array] for array in REQUIRED_LAYER_ARRAYS
                },
                optional={
                    **optional,
                    "data_min_": ("n_features",),
                    "data_max_": ("n_features",),
                },
            )
            if state.get("n_features_in_") != sizes["n_features"]:
                refuse_state(
                    name,
                    f"n_features_in_ is {state.get('n_features_in_')!r} but "
                    f"components_ has {sizes['n_features']} column(s)",
                )
        super().__setstate__(state)

    # -- training ----------------------------------------------------------

    def _continues(self, X, incremental):
        return _continues(self, X, incremental)

    def _fit_validated(self, X, y, sample_weight, missing, incremental, keep):
        check_corruption(self.corruption, self.corruption_level)
        _train(
            self,
            training_precision(X),
            sample_weight,
            incremental=incremental,
            keep=keep,
            missing=missing,
        )

    def _inference_model(self, device, dtype, missing=False):
        return layer_module(self, device, dtype, missing)


def _continues(layer, X, incremental):
    """Whether training goes on from the layer's current weights."""
    if incremental:
        return hasattr(layer, "components_")
    return (
        layer.warm_start
        and hasattr(layer, "components_")
        and np.shape(X)[1:] == (layer.components_.shape[1],)
    )


def _train(layer, X, sample_weight, *, incremental, keep, missing, description=""):
    """Train the layer on validated float32 X, from fresh weights unless
    ``keep``; one epoch when ``incremental``. ``missing``: X has NaN;
    ``description`` names the run in progress output (a stack's layer)."""
    if not keep:
        _initialize(layer, X, sample_weight)
    _update_extremes(layer, X)
    device = resolve_device(layer.device)
    options = TrainingOptions.of(layer)
    if incremental:
        options = options.one_epoch()
    module = _training_module(layer, X, device, options, missing)
    solver = resume(module.make_solver(options), layer._optimizer_state, device)
    result = run_training(
        module,
        TrainingSet(X, device, sample_weight=sample_weight, gather=module.gather_rows),
        solver,
        options,
        corruption=layer_corruption(layer, device),
        random_state=layer._random_state,
        description=description,
    )
    set_layer_params(layer, module.to_params())
    layer._optimizer_state = state_to_numpy(solver.state_dict())
    layer._record(result, continued=keep)
    if not (incremental or result.converged or result.interrupted):
        warnings.warn(
            f"{type(layer).__name__} reached max_iter={layer.max_iter} epochs "
            "before the loss converged; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return result


def _training_module(layer, X, device, options, missing):
    """The module to train: the dense layer, or the sparse path's layer when
    its reconstruction is sampled (``_sparse.resolve_sampling``)."""
    n_sampled = resolve_sampling(
        layer.reconstruction_sampling, X, layer.corruption, missing
    )
    if n_sampled is None:
        return layer_module(layer, device, missing=missing)
    return SparseAutoencoderLayer(
        _layer_params(layer), layer.activation, layer.loss_, device, n_sampled, options
    )


def _initialize(layer, X, sample_weight=None):
    """The layer's initial weights for X, a fresh solver and extremes."""
    layer.n_features_in_ = X.shape[1]
    layer._random_state = check_random_state(layer.random_state)
    params = init_layer_params(
        X,
        layer.n_components,
        layer.activation,
        layer.loss_,
        layer.tied_weights,
        layer._random_state,
        sample_weight,
    )
    set_layer_params(layer, params)
    layer._optimizer_state = None
    layer.data_min_ = layer.data_max_ = None


def _update_extremes(layer, X):
    low, high = feature_extremes(X)
    if layer.data_min_ is not None:
        # fmin and fmax skip NaN: the extremes of a feature whose values
        # in X are all missing stay as they were.
        low = np.fmin(layer.data_min_, low)
        high = np.fmax(layer.data_max_, high)
    layer.data_min_, layer.data_max_ = low, high


# -- what StackedDenoisingAutoencoder uses of its layers ----------------------
#
# A stack validates X and checks every layer's parameters itself, then trains
# each layer on the codes of the one below, which stay tensors on the training
# device. These functions are all it uses of a layer beyond its public
# parameters and fitted attributes; the layers stay whole fitted estimators.


def train_layer(
    layer,
    codes,
    sample_weight=None,
    *,
    incremental=False,
    description="",
    missing=False,
):
    """Train ``layer`` on validated ``codes`` without checking them again.

    Parameters
    ----------
    layer : DenoisingAutoencoder
        Its parameters already checked by the caller.
    codes : ndarray, sparse matrix or torch.Tensor of shape (n_samples, n_features)
        float32 data or codes (tensors stay on their device).
    sample_weight : ndarray of shape (n_samples,), optional
    incremental : bool, default=False
        One epoch from the layer's current state, as in partial_fit.
    description : str
        Names the layer in progress output and messages.
    missing : bool, default=False
        Whether ``codes`` (a stack's input) have missing entries (NaN).

    Returns
    -------
    result : TrainingResult
        Of this run; ``result.interrupted`` tells of a KeyboardInterrupt.
    """
    keep = _continues(layer, codes, incremental)
    if not keep:
        # Its loss comes from the stack's settings (``loss`` is never "auto"
        # here), not from a validation of the codes.
        layer.loss_ = layer.loss
    return _train(
        layer,
        codes,
        sample_weight,
        incremental=incremental,
        keep=keep,
        missing=missing,
        description=description,
    )


def start_layer(layer, codes):
    """Give ``layer`` its initial weights for ``codes``, without training it:
    a fitted layer of no epochs."""
    layer.loss_ = layer.loss
    _initialize(layer, codes)
    _update_extremes(layer, codes)
    layer._record(TrainingResult())


def layer_module(layer, device, dtype=np.float32, missing=False):
    """A torch module with the layer's current weights, on ``device``;
    ``missing``: one that fills the missing entries of its input."""
    if missing and getattr(layer, "feature_means_", None) is None:
        raise ValueError(
            f"X has missing values (NaN), but this {type(layer).__name__} was "
            "fitted by a version of skdae without missing-value support and "
            "has no feature_means_ to fill them with. Refit it."
        )
    return AutoencoderLayer(
        _layer_params(layer), layer.activation, layer.loss_, device, dtype, missing
    )


def set_layer_params(layer, params):
    """Install weights (numpy arrays keyed by attribute name) in ``layer``."""
    if "decoder_components_" not in params and hasattr(layer, "decoder_components_"):
        del layer.decoder_components_
    for name, value in params.items():
        setattr(layer, name, value)


def layer_corruption(layer, device):
    """The corruption process of the layer's training input, on ``device``."""
    return Corruption(
        layer.corruption,
        layer.corruption_level,
        as_tensor(layer.data_min_, device),
        as_tensor(layer.data_max_, device),
    )


def _layer_params(layer):
    return {name: getattr(layer, name) for name in LAYER_ARRAYS if hasattr(layer, name)}
