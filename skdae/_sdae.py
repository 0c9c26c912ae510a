"""StackedDenoisingAutoencoder: greedy layer-wise pretraining, then fine-tuning."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import type_of_target

from ._base import TRAINING_PARAMETER_CONSTRAINTS, BaseAutoencoder, training_precision
from ._corruption import check_corruption
from ._dae import (
    DenoisingAutoencoder,
    layer_corruption,
    layer_module,
    set_layer_params,
    start_layer,
    train_layer,
)
from ._device import apply_in_chunks, resolve_device, to_numpy
from ._modules import DeepAutoencoder, SupervisedStack
from ._persistence import check_state, is_fitted_state, refuse_state
from ._training import (
    TrainingOptions,
    TrainingResult,
    TrainingSet,
    draw_seed,
    run_training,
)
from ._validation import check_array

# Parameters that take one value for all layers or one value per layer.
PER_LAYER_PARAMETERS = ("corruption", "corruption_level", "activation", "max_iter")

# Parameters that every layer takes from the stack as they are.
SHARED_LAYER_PARAMETERS = (
    "tied_weights",
    "solver",
    "learning_rate_init",
    "alpha",
    "batch_size",
    "tol",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "shuffle",
    "reconstruction_sampling",
    "device",
    "verbose",
)


def _per_layer_constraint(constraints):
    return [*constraints, "array-like"]


class StackedDenoisingAutoencoder(BaseAutoencoder):
    """Stacked denoising autoencoder (Vincent et al., 2010).

    Each layer is a :class:`DenoisingAutoencoder` trained, greedily and bottom
    up, to reconstruct the clean code of the layer below from a corrupted
    version of it. The stack is then optionally fine-tuned as a whole:
    without labels as one deep autoencoder, or with labels through a softmax
    layer on the top code. ``transform`` returns the top code.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(1024, 256)
        Code size of each layer, bottom first. A wide first layer, as the
        single-layer default, then a narrower code.

    corruption : {"masking", "gaussian", "salt_and_pepper", "swap"}, None \
            or sequence, default="masking"
        Corruption process of each layer's own input during its pretraining;
        one value for all layers or one per layer. Unsupervised and supervised
        fine-tuning corrupt the network's input with the first layer's
        process. See :class:`DenoisingAutoencoder`.

        With ``"swap"``, each entry of a layer's input, with probability
        ``corruption_level``, takes the value that its feature has in
        another row of the same minibatch (one of positive sample weight):
        in the bottom layer a column of X, in a layer above a unit of the
        codes below. Every feature keeps its own distribution, whatever its
        scale, which suits tables of mixed columns.

    corruption_level : float or sequence of float, default=0.25
        Corruption level, for all layers or one per layer.

    activation : {"sigmoid", "tanh", "relu", "identity"} or sequence, \
            default="relu"
        Encoder nonlinearity, for all layers or one per layer; ReLU as in
        :class:`DenoisingAutoencoder`.

    loss : {"auto", "mse", "cross_entropy"}, default="auto"
        Reconstruction loss of the input (first layer, unsupervised
        fine-tuning and ``score``); ``"auto"`` is cross-entropy for training
        data in [0, 1] and squared error otherwise, stored in ``loss_``.
        Deeper layers choose their own: a layer whose input is a sigmoid code
        (in [0, 1]) uses cross-entropy, any other squared error.

    tied_weights : bool, default=True
        Tie each layer's decoder to the transpose of its encoder.

    solver : {"adam", "sgd"}, default="adam"
        Solver of pretraining and fine-tuning.

    learning_rate_init : float, default=2e-3
        Step size of pretraining and fine-tuning (see
        :class:`DenoisingAutoencoder`).

    alpha : float, default=0.0
        L2 penalty on the weights.

    batch_size : int or "auto", default="auto"
        Samples per minibatch; ``"auto"`` is ``n_samples // 32`` kept between
        32 and 128 (and at most ``n_samples``); up to 512 for a first layer
        that reconstructs sparse input by sampling.

    max_iter : int or sequence of int, default=100
        Pretraining epochs at most, for all layers or one per layer.

    fine_tuning : {"auto", "unsupervised", "supervised"} or None, \
            default="auto"
        - ``"auto"``: supervised when ``fit`` receives class labels, as it
          does inside a classifier's Pipeline, unsupervised otherwise. Labels
          count as classes when ``type_of_target`` calls them binary, or
          multiclass with at most ``sqrt(n_samples)`` classes of two samples
          or more each, so that the integer-valued target of a regression
          (``load_diabetes`` has 214 values in 442 rows) trains no softmax.
          When ``y`` marks unlabeled rows with -1 (see ``fit``), the labeled
          rows decide: at most ``sqrt(n_samples)`` classes, however few
          rows each. Stored in ``fine_tuning_``. On MNIST in a classifier's
          Pipeline, supervised fine-tuning reached 0.967 test accuracy
          against 0.950 unsupervised.
        - ``None``: greedy pretraining only.
        - ``"unsupervised"``: train the whole deep autoencoder end to end to
          reconstruct the clean input from its corrupted version.
        - ``"supervised"``: ``fit(X, y)`` with class labels; a softmax layer on
          the top code is trained with the encoders by cross-entropy on ``y``,
          so ``transform`` returns codes tuned to separate the classes.
          Continuous targets are rejected.

    fine_tune_max_iter : int, default=100
        Fine-tuning epochs at most.

    tol : float, default=1e-2
        Relative improvement below which an epoch counts as no improvement
        (see :class:`DenoisingAutoencoder`).

    early_stopping : bool, default=False
        Use a validation split to stop each layer's pretraining and the
        fine-tuning, keeping the best weights. The fine-tuning's validation
        score is the negative reconstruction loss (unsupervised) or the
        accuracy (supervised).

    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.

    n_iter_no_change : int, default=10
        Epochs without improvement after which training stops.

    shuffle : bool, default=True
        Visit the samples in a new random order each epoch.

    random_state : int, RandomState instance or None, default=None
        Controls every random draw; layers receive seeds drawn from it.

    reconstruction_sampling : "auto", int or None, default="auto"
        How the first layer reconstructs sparse input in training, as in
        :class:`DenoisingAutoencoder`: an int m samples the columns (those
        non-zero in a row of the batch plus those hit by m uniform draws,
        reweighted, so the loss stays unbiased at a cost that follows the
        non-zeros), None reconstructs every column of densified batches,
        ``"auto"`` samples with m = 1024 sparse input of more than 2,048
        columns without missing values and with masking, salt and pepper or
        no corruption. The layers above train on dense codes, and
        fine-tuning densifies its batches; scores are always exact.

    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``; read at
        each call.

    verbose : int, default=0
        0 is silent, 1 shows a progress bar per layer and for fine-tuning, 2
        prints one line per epoch.

    Attributes
    ----------
    layers_ : list of DenoisingAutoencoder
        The fitted layers, bottom first, each usable on its own; after
        fine-tuning they hold the fine-tuned weights. Chaining their
        ``transform`` reproduces ``transform``.

    classes_ : ndarray of shape (n_classes,)
        Class labels seen in supervised fine-tuning (only then), without
        the -1 that marks an unlabeled row.

    head_coef_ : ndarray of shape (n_classes, hidden_layer_sizes[-1])
        Weights of the softmax layer of supervised fine-tuning (only then).

    head_intercept_ : ndarray of shape (n_classes,)
        Biases of the softmax layer (only with supervised fine-tuning).

    loss_curve_ : list of float
        Mean per-sample loss of each fine-tuning epoch: reconstruction loss
        (unsupervised) or cross-entropy (supervised). Without fine-tuning, the
        top layer's pretraining curve.

    validation_scores_ : list of float or None
        Validation score of each fine-tuning epoch, with early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Fine-tuning epochs run; without fine-tuning, the top layer's
        pretraining epochs.

    loss_ : {"cross_entropy", "mse"}
        The input's reconstruction loss: ``loss``, or its resolution when
        ``loss="auto"``.

    fine_tuning_ : {"unsupervised", "supervised"} or None
        The fine-tuning run by the last ``fit``: ``fine_tuning``, or its
        resolution when ``"auto"``; None when ``partial_fit``, which does
        not fine-tune, started the model.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    DenoisingAutoencoder : One layer.
    sklearn.neural_network.BernoulliRBM : Restricted Boltzmann machine.

    Notes
    -----
    Missing values (NaN) are accepted by ``fit``, ``partial_fit``,
    ``transform``, ``fit_transform``, ``score_samples`` and ``score``, by
    the rule of :class:`DenoisingAutoencoder`: a missing entry enters the
    bottom layer's encoder as its feature's mean,
    ``layers_[0].feature_means_``, and adds nothing to the reconstruction
    loss (in pretraining and in unsupervised fine-tuning); in training this
    applies after the corruption. The layers above see codes, which have no
    missing entries. ``score_samples`` counts the observed entries only, so
    an entirely missing row scores 0 and its code is that of the mean row.
    A feature with no observed value in fit (or only in rows of zero
    weight) raises a ValueError. See :ref:`missing_values`.

    References
    ----------
    P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol.
    Stacked denoising autoencoders: learning useful representations in a deep
    network with a local denoising criterion. JMLR 11, 2010.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdae import StackedDenoisingAutoencoder
    >>> X, y = load_digits(return_X_y=True)
    >>> sdae = StackedDenoisingAutoencoder((64, 16), max_iter=5,
    ...                                    fine_tune_max_iter=5,
    ...                                    random_state=0, device="cpu")
    >>> sdae.fit_transform(X / 16).shape
    (1797, 16)
    >>> [layer.n_components for layer in sdae.layers_]
    [64, 16]
    """

    _parameter_constraints: dict = {
        **TRAINING_PARAMETER_CONSTRAINTS,
        **{
            name: _per_layer_constraint(TRAINING_PARAMETER_CONSTRAINTS[name])
            for name in PER_LAYER_PARAMETERS
        },
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "fine_tuning": [StrOptions({"auto", "unsupervised", "supervised"}), None],
        "fine_tune_max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(1024, 256),
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
        max_iter=100,
        fine_tuning="auto",
        fine_tune_max_iter=100,
        tol=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        shuffle=True,
        random_state=None,
        reconstruction_sampling="auto",
        device="auto",
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
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
        self.fine_tuning = fine_tuning
        self.fine_tune_max_iter = fine_tune_max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.reconstruction_sampling = reconstruction_sampling
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Pretrain the layers greedily, then fine-tune the stack.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN marks a missing entry (see Notes).
        y : array-like of shape (n_samples,), default=None
            Class labels; required by ``fine_tuning="supervised"``, ignored
            otherwise. As in :mod:`sklearn.semi_supervised`, -1 marks an
            unlabeled row when ``y`` holds at least two other classes:
            pretraining then uses every row, supervised fine-tuning the
            labeled rows only (and their weights), and ``classes_`` leaves
            -1 out. A ``y`` of -1 beside one other class, such as a binary
            {-1, +1} target, is fully labeled; a ``y`` of -1 alone labels
            nothing, and ``fine_tuning="auto"`` is then unsupervised.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's loss, in pretraining and fine-tuning.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._fit(X, y, sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """One epoch of greedy layer-wise training of every layer.

        Each layer trains for one epoch (its solver state kept between calls)
        on the codes of the layer below, computed after that layer's update.
        Fine-tuning, which needs a pretrained stack, is not applied; run
        ``fit`` for it.

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
    def _code_size(self):
        return self.layers_[-1].n_components_

    def __setstate__(self, state):
        if is_fitted_state(state):
            _check_stack_state(type(self).__name__, state)
        super().__setstate__(state)

    def _continues(self, X, incremental):
        return incremental and hasattr(self, "layers_")

    def _fit_validated(self, X, y, sample_weight, missing, incremental, keep):
        """Settle the settings, pretrain, fine-tune (not in partial_fit),
        record; X validated, in any float precision."""
        layer_params = self._layer_parameters()
        X = training_precision(X)
        if incremental:
            if not keep:
                # Fine-tuning needs a pretrained stack: partial_fit does none.
                self.fine_tuning_ = None
                self._new_layers(layer_params)
            result, _ = self._train_layers(X, sample_weight, missing, incremental=True)
            self._record(result, continued=keep)
            return
        unlabeled = unlabeled_rows(y)
        self.fine_tuning_ = self._resolve_fine_tuning(y, unlabeled)
        labels, labeled = self._labels(y, X, unlabeled)
        # Pretraining learns from every row, labeled or not.
        self._new_layers(layer_params)
        result, interrupted = self._train_layers(X, sample_weight, missing)
        if self.fine_tuning_ is not None and not interrupted:
            result = self._fine_tune(X, labels, sample_weight, missing, labeled)
        self._record(result)

    # -- settings ------------------------------------------------------------

    def _layer_parameters(self):
        """Each layer's own parameters, bottom first, resolved and checked."""
        sizes = self._layer_sizes()
        values = {
            name: self._per_layer(name, len(sizes)) for name in PER_LAYER_PARAMETERS
        }
        per_layer_level = not np.isscalar(self.corruption_level)
        layers = []
        for index, size in enumerate(sizes):
            params = {name: values[name][index] for name in PER_LAYER_PARAMETERS}
            check_corruption(
                params["corruption"],
                params["corruption_level"],
                f"corruption_level[{index}]" if per_layer_level else "corruption_level",
            )
            loss = self._layer_loss(index, values["activation"])
            layers.append({"n_components": size, "loss": loss, **params})
        return layers

    def _layer_sizes(self):
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        if (
            sizes.ndim != 1
            or len(sizes) == 0
            or not all(
                isinstance(size, Integral) and size >= 1 for size in sizes.tolist()
            )
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty sequence of positive "
                f"integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(size) for size in sizes]

    def _per_layer(self, name, n_layers):
        """The value of a per-layer parameter for each layer, checked."""
        value = getattr(self, name)
        if isinstance(value, str) or value is None or np.isscalar(value):
            return [value] * n_layers
        values = list(value)
        if len(values) != n_layers:
            raise ValueError(
                f"{name} has {len(values)} values but there are {n_layers} layers "
                f"(hidden_layer_sizes={self.hidden_layer_sizes}); give one value "
                "per layer, or a single value for all."
            )
        # The estimator's own constraints only know that this is a sequence.
        for index, entry in enumerate(values):
            validate_parameter_constraints(
                {f"{name}[{index}]": TRAINING_PARAMETER_CONSTRAINTS[name]},
                {f"{name}[{index}]": entry},
                caller_name=f"{type(self).__name__} (layer {index + 1} of {n_layers})",
            )
        return values

    def _layer_loss(self, index, activations):
        """The first layer uses ``loss``; deeper layers whose input is a sigmoid
        code, in [0, 1], use cross-entropy, the others squared error."""
        if index == 0:
            return self.loss_
        return "cross_entropy" if activations[index - 1] == "sigmoid" else "mse"

    def _resolve_fine_tuning(self, y, unlabeled):
        """The fine-tuning to run: ``"auto"`` is supervised for class labels
        (see :func:`is_classification_target`; with unlabeled rows, those
        of the labeled rows), unsupervised otherwise."""
        if self.fine_tuning != "auto":
            return self.fine_tuning
        if unlabeled is not None:
            labeled = np.asarray(y)[~unlabeled]
            classes = len(np.unique(labeled))
            # The marker is scikit-learn's for semi-supervised classification:
            # a few labeled rows need not hold two of each class.
            if len(labeled) and classes <= np.sqrt(len(unlabeled)):
                return "supervised"
            return "unsupervised"
        return "supervised" if is_classification_target(y) else "unsupervised"

    def _labels(self, y, X, unlabeled):
        """Class indices for supervised fine-tuning (a placeholder in the
        unlabeled rows, never read) and the labeled rows (None for all);
        None and None without supervised fine-tuning."""
        if self.fine_tuning_ == "supervised":
            return self._encode_labels(y, X, unlabeled)
        # An earlier supervised fit's head describes codes this fit replaces.
        for name in ("classes_", "head_coef_", "head_intercept_"):
            self.__dict__.pop(name, None)
        return None, None

    def _encode_labels(self, y, X, unlabeled):
        """Class indices of y and the labeled rows (None for all). An
        unlabeled row's index is a placeholder, 0, that is never read."""
        if y is None:
            raise ValueError(
                "fine_tuning='supervised' needs class labels: call fit(X, y), or "
                "use fine_tuning='unsupervised' or None."
            )
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        if len(y) != X.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: X has {X.shape[0]}, "
                f"y has {len(y)}. fine_tuning='supervised' needs one class label "
                "per sample."
            )
        labeled = None if unlabeled is None else np.flatnonzero(~unlabeled)
        if labeled is not None and not len(labeled):
            raise ValueError(
                "fine_tuning='supervised' needs labeled rows, but y marks every "
                f"row unlabeled ({UNLABELED}). Label some rows, or use "
                "fine_tuning='unsupervised' or None."
            )
        given = y if labeled is None else y[labeled]
        target_type = type_of_target(given, input_name="y", raise_unknown=True)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                "fine_tuning='supervised' trains a softmax layer and needs class "
                f"labels, but y is {target_type!r}. For continuous targets use "
                "fine_tuning='unsupervised' and a regressor after the stack."
            )
        encoder = LabelEncoder().fit(given)
        if len(encoder.classes_) < 2:
            raise ValueError(
                "fine_tuning='supervised' needs at least two classes in y, but y "
                f"has one class only ({encoder.classes_.tolist()[0]!r}): there is "
                "nothing to separate. Use fine_tuning='unsupervised' instead."
            )
        self.classes_ = encoder.classes_
        if labeled is None:
            return encoder.transform(y), None
        labels = np.zeros(len(y), dtype=np.int64)
        labels[labeled] = encoder.transform(given)
        return labels, labeled

    # -- pretraining ---------------------------------------------------------

    def _new_layers(self, layer_params):
        """Unfitted layers, each with its own parameters and seed."""
        self._random_state = check_random_state(self.random_state)
        shared = {name: getattr(self, name) for name in SHARED_LAYER_PARAMETERS}
        self.layers_ = [
            DenoisingAutoencoder(
                **params, **shared, random_state=draw_seed(self._random_state)
            )
            for params in layer_params
        ]

    def _train_layers(self, X, sample_weight, missing, incremental=False):
        """Train each layer, bottom up, on the clean codes of the one below.

        The codes stay tensors on the training device from layer to layer.
        ``missing`` (whether X has NaN) concerns the bottom layer only: the
        codes above have no missing entries.

        Returns
        -------
        result : TrainingResult
            The top layer's run; empty when an interrupt stopped training
            below it.
        interrupted : bool
            Whether a KeyboardInterrupt stopped the training.
        """
        device = resolve_device(self.device)
        missing_inputs = _missing_inputs(len(self.layers_), missing)
        codes = X
        for index, layer in enumerate(self.layers_):
            if index:
                below = self.layers_[index - 1]
                codes = _codes(below, codes, device, missing_inputs[index - 1])
            result = train_layer(
                layer,
                codes,
                sample_weight,
                incremental=incremental,
                description=self._layer_name(index),
                missing=missing_inputs[index],
            )
            if result.interrupted:
                self._start_layers_above(index, codes, device, missing_inputs)
                is_top = index == len(self.layers_) - 1
                return (result if is_top else TrainingResult()), True
        return result, False

    def _start_layers_above(self, index, codes, device, missing_inputs):
        # After an interrupt the layers above that have no weights yet get
        # their initial ones, so that the stack is usable with its declared
        # shape; ``codes`` are the input of the interrupted layer ``index``.
        for below in range(index, len(self.layers_) - 1):
            layer = self.layers_[below + 1]
            if hasattr(layer, "components_"):
                return
            codes = _codes(self.layers_[below], codes, device, missing_inputs[below])
            start_layer(layer, codes)

    def _layer_name(self, index):
        return f"layer {index + 1}/{len(self.layers_)}"

    # -- fine-tuning ---------------------------------------------------------

    def _fine_tune(self, X, labels, sample_weight, missing, labeled=None):
        """Fine-tune the stack on X: supervised with ``labels``, on the
        ``labeled`` rows only (default all), or unsupervised on every row."""
        device = resolve_device(self.device)
        stack = self._build_stack(device, missing=missing)
        supervised = labels is not None
        model = self._make_head(stack, device) if supervised else stack
        options = TrainingOptions.of(self, max_iter=self.fine_tune_max_iter)
        data = TrainingSet(
            X, device, rows=labeled, targets=labels, sample_weight=sample_weight
        )
        result = run_training(
            model,
            data,
            model.make_solver(options),
            options,
            corruption=layer_corruption(self.layers_[0], device),
            random_state=self._random_state,
            description="fine-tuning",
        )
        for layer, module in zip(self.layers_, stack.layers, strict=True):
            set_layer_params(layer, module.to_params())
        if supervised:
            self.head_coef_ = to_numpy(model.head_weight)
            self.head_intercept_ = to_numpy(model.head_bias)
        return result

    def _make_head(self, stack, device):
        n_classes, n_inputs = len(self.classes_), self._n_features_out
        bound = np.sqrt(6.0 / (n_inputs + n_classes))
        coef = self._random_state.uniform(-bound, bound, (n_classes, n_inputs))
        intercept = np.zeros(n_classes, dtype=np.float32)
        return SupervisedStack(stack, coef.astype(np.float32), intercept, device)

    def _build_stack(self, device, dtype=np.float32, missing=False):
        missing_inputs = _missing_inputs(len(self.layers_), missing)
        return DeepAutoencoder(
            [
                layer_module(layer, device, dtype, layer_missing)
                for layer, layer_missing in zip(
                    self.layers_, missing_inputs, strict=True
                )
            ]
        )

    _inference_model = _build_stack


def _codes(layer, X, device, missing=False):
    """The layer's codes of X, as a tensor on ``device``, without a copy to the
    host: the next layer trains on them there. ``missing``: X has NaN."""
    module = layer_module(layer, device, missing=missing)
    return apply_in_chunks(module.encode, X, device, to_host=False)


def _missing_inputs(n_layers, missing):
    """Whether each layer's input may hold missing entries (NaN): only the
    bottom layer's, the stack's input, may; the codes above have none."""
    return [missing] + [False] * (n_layers - 1)


# scikit-learn's mark of an unlabeled row (sklearn.semi_supervised).
UNLABELED = -1


def unlabeled_rows(y):
    """The mask of the rows that ``y`` marks unlabeled, or None for none.

    scikit-learn's semi-supervised estimators (``SelfTrainingClassifier``,
    ``LabelSpreading``) mark an unlabeled row with -1 among class labels. A
    y of class labels that holds -1 beside at least two other classes is
    read that way, and so is a y of -1 alone; -1 beside one other class, as
    in a binary {-1, +1} target (``make_hastie_10_2``), is a class of a
    fully labeled y. A fully labeled y whose classes are -1 and two or more
    others (say {-1, 0, 1}) reads as semi-supervised: encode its classes
    first (``LabelEncoder``), as ``SelfTrainingClassifier`` would need too.
    Continuous targets and string labels mark nothing (an object array may
    mix strings with the integer -1, as scikit-learn's semi-supervised
    estimators accept).
    """
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim != 1 or not len(y) or y.dtype.kind not in "iufO":
        return None
    # Elementwise for an object array too, strings comparing unequal.
    marked = np.asarray(y == UNLABELED, dtype=bool)
    if not marked.any():
        return None
    if marked.all():
        return marked
    others = y[~marked]
    try:
        target_type = type_of_target(others, input_name="y")
    except ValueError:
        return None
    if target_type not in ("binary", "multiclass") or len(np.unique(others)) < 2:
        return None
    return marked


def is_classification_target(y):
    """Whether ``y`` holds class labels that a softmax layer should separate.

    scikit-learn's ``type_of_target`` calls any integer-valued target
    "multiclass", so the integer-valued values of a regression target (the
    442 rows of ``load_diabetes`` hold 214 values) would pass for classes.
    Labels count as classes when they are binary, or multiclass with at most
    ``sqrt(n_samples)`` distinct values and at least two samples in each.
    """
    if y is None:
        return False
    y = np.asarray(y)
    if y.ndim != 1 or len(y) < 2:
        return False
    try:
        target_type = type_of_target(y, input_name="y")
    except ValueError:
        return False
    if target_type == "binary":
        return True
    if target_type != "multiclass":
        return False
    _, counts = np.unique(y, return_counts=True)
    return bool(len(counts) <= np.sqrt(len(y)) and counts.min() >= 2)


def _check_stack_state(name, state):
    """A loaded stack needs fitted layers that chain from its input to its code."""
    layers = state.get("layers_")
    if not (
        isinstance(layers, list)
        and layers
        and all(
            isinstance(layer, DenoisingAutoencoder) and hasattr(layer, "components_")
            for layer in layers
        )
    ):
        refuse_state(name, "layers_ is missing, empty or holds unfitted layers")
    n_inputs = state.get("n_features_in_")
    for index, layer in enumerate(layers):
        if layer.n_features_in_ != n_inputs:
            refuse_state(
                name,
                f"layer {index + 1} expects {layer.n_features_in_} input(s) but "
                f"receives {n_inputs!r}",
            )
        n_inputs = layer.n_components_
    check_state(
        name,
        state,
        required={},
        optional={
            "head_coef_": ("n_classes", "n_codes"),
            "head_intercept_": ("n_classes",),
        },
    )
