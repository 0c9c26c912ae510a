"""What both estimators share: parameters, the fit's prologue, validation at
the boundary, inference.

Every fit and ``partial_fit`` runs :meth:`BaseAutoencoder._fit`: the rollback
guard, the autograd context and the validation of X, once, then the
subclass's ``_fit_validated``. A subclass provides:

- ``_continues(X, incremental)``: whether training goes on from the current
  model (``partial_fit`` on a fitted one, warm start);
- ``_fit_validated(X, y, sample_weight, missing, incremental, keep)``: the
  training itself, on X validated (in the precision asked of ``_fit``);
- ``_inference_model(device, dtype, missing)``: a torch module with
  ``encode``, ``decode_logits``, ``output``, ``forward``, ``loss``,
  ``missing`` and ``encoder_layers`` (one layer, or the whole stack);
- ``_code_size``: the width of ``transform``'s output.

Missing entries (NaN) are handled by the rule of ``skdae._missing``.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._corruption import CORRUPTIONS
from ._device import apply_in_chunks, inference_precision, resolve_device, to_host
from ._modules import ACTIVATIONS, per_sample_loss
from ._persistence import restored_on_error
from ._sparse import sparse_codes
from ._training import autograd_enabled
from ._validation import (
    check_array,
    check_magnitude,
    check_positive_weights,
    check_unit_interval,
    checked_value_range,
    validate_data,
)

# Inference runs in the input's precision; other numeric dtypes become float64.
_INFERENCE_DTYPES = (np.float64, np.float32)

# The training parameters of both estimators.
TRAINING_PARAMETER_CONSTRAINTS = {
    "corruption": [StrOptions(set(CORRUPTIONS)), None],
    "corruption_level": [Interval(Real, 0, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "loss": [StrOptions({"auto", "cross_entropy", "mse"})],
    "tied_weights": ["boolean"],
    "solver": [StrOptions({"adam", "sgd"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "reconstruction_sampling": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
        None,
    ],
    "device": [str],
    "verbose": ["verbose"],
}


def _dispatches_torch(X):
    """Whether X is a torch tensor to be answered in kind (array API mode)."""
    return isinstance(X, torch.Tensor) and get_config()["array_api_dispatch"]


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Inference and validation common to the autoencoder estimators.

    Not a public class: use :class:`DenoisingAutoencoder` or
    :class:`StackedDenoisingAutoencoder`.
    """

    def transform(self, X):
        """Encode X: the code of the clean input (deterministic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode; a missing entry (NaN) enters the encoder as its
            feature's mean in fit. Under ``sklearn.config_context(
            array_api_dispatch=True)`` a torch tensor gives a tensor on its
            own device.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            float32 for float32 input, float64 otherwise.
        """
        X, device, missing = self._validate_inference_data(X)
        return self._encode(X, device, missing)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit to X, then encode it; X is validated once for both.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN marks a missing entry, as in ``fit``.
        y : array-like of shape (n_samples,), default=None
            As in ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample's loss.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            The codes of the clean X, as ``fit(X).transform(X)`` gives them.
        """
        if _dispatches_torch(X):
            # Training reads a tensor into host memory, while transform answers
            # it with a tensor on its own device: each step checks its copy.
            return self.fit(X, y, sample_weight=sample_weight).transform(X)
        # Validated in the precision that transform computes in, and trained on
        # a float32 copy of it.
        X, missing = self._fit(X, y, sample_weight, dtype=_INFERENCE_DTYPES)
        device = resolve_device(self.device)
        return self._encode(inference_precision(X, device), device, missing)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_codes)
            Codes, such as the output of ``transform``.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            float32 for float32 codes, float64 otherwise.
        """
        codes, device = self._validate_codes(X)
        model = self._inference_model(device, codes.dtype)
        return apply_in_chunks(
            lambda h: model.output(model.decode_logits(h)), codes, device
        )

    def score_samples(self, X):
        """Negative reconstruction loss of each clean sample.

        Low values flag samples the model reconstructs badly, which makes
        this an anomaly score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to score. A missing entry (NaN) enters the encoder as its
            feature's mean in fit and is left out of the loss, so only the
            observed entries count: an entirely missing row scores 0.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus each sample's reconstruction loss (higher is better), in
            the input's precision.
        """
        X, device, missing = self._validate_inference_data(X, unit_interval=True)
        model = self._inference_model(device, X.dtype, missing)
        return -apply_in_chunks(per_sample_loss(model), X, device)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: higher is a better reconstruction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to score; missing entries (NaN) as in ``score_samples``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the mean per-sample reconstruction loss.
        """
        scores = self.score_samples(X)
        if isinstance(scores, torch.Tensor):
            return float(scores.double().mean())
        return float(np.mean(scores, dtype=np.float64))

    def _encode(self, X, device, missing=False):
        model = self._inference_model(device, X.dtype, missing)
        # Sparse rows are encoded from their stored entries (their missing
        # entries need the dense fill).
        if sp.issparse(X) and not missing:
            return sparse_codes(model, X, device)
        return apply_in_chunks(model.encode, X, device)

    # -- training --------------------------------------------------------

    def _fit(self, X, y, sample_weight, dtype=np.float32, incremental=False):
        """Validate X once and train; the prologue of every fit.

        A fit that fails (divergence, say) leaves the previous model intact,
        and a caller's ``torch.no_grad`` does not reach the training.
        ``incremental`` trains one epoch from the current state
        (partial_fit).

        Returns
        -------
        X : ndarray or sparse matrix
            As validated, in ``dtype``.
        missing : bool
            Whether X has missing entries (NaN).
        """
        keep = self._continues(X, incremental)
        with restored_on_error(self), autograd_enabled():
            X, sample_weight, missing = self._validate_training_data(
                X,
                sample_weight,
                reset=not keep,
                fix_loss=not (incremental and keep),
                dtype=dtype,
            )
            self._fit_validated(X, y, sample_weight, missing, incremental, keep)
        return X, missing

    def _record(self, result, continued=False):
        """Write a run's curves as the fitted attributes.

        ``continued``: the run went on from the earlier ones (partial_fit,
        warm start), so its epochs are appended to theirs. The validation
        scores are always the run's own.
        """
        earlier = self.loss_curve_ if continued else []
        self.loss_curve_ = [*earlier, *result.loss_curve]
        self.n_iter_ = (self.n_iter_ if continued else 0) + result.n_iter
        scores = result.validation_scores
        self.validation_scores_ = None if scores is None else list(scores)
        self.best_validation_score_ = result.best_validation_score

    @property
    def _n_features_out(self):
        return self._code_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Inference runs in the input's precision; training in float32.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        return tags

    def _validate_training_data(
        self, X, sample_weight, reset, fix_loss, dtype=np.float32
    ):
        """X and its weights checked for training: once per call, here.

        X comes back in ``dtype`` (float32, which training uses, or the
        inference precisions for ``fit_transform``), C-ordered or CSR, with
        its weights and whether it has missing entries (NaN).
        ``fix_loss`` sets ``loss_``, resolving ``loss="auto"`` from the range
        of X's observed values (every ``fit``, and the first
        ``partial_fit``); otherwise X is checked against the ``loss_`` fixed
        earlier.
        """
        X = validate_data(
            self,
            to_host(X),
            accept_sparse="csr",
            dtype=dtype,
            order="C",
            reset=reset,
            ensure_all_finite=False,
        )
        known_range = checked_value_range(X, self, allow_missing=True)
        if fix_loss:
            self.loss_ = resolve_loss(self.loss, known_range)
        check_unit_interval(X, self.loss_, known_range=known_range)
        check_magnitude(X, training=True, known_range=known_range)
        resolve_device(self.device)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                to_host(sample_weight), X, dtype=np.float32, ensure_non_negative=True
            )
            check_positive_weights(sample_weight)
        return X, sample_weight, known_range.has_missing

    def _validate_inference_data(self, X, unit_interval=False):
        """X checked against the fit, in its inference precision, the device
        to compute on (the tensor's own in array API mode), and whether X has
        missing entries (NaN).

        ``unit_interval=True`` also checks that X lies in [0, 1] when the loss
        is cross-entropy (for scoring), from the same pass over X.
        """
        check_is_fitted(self)
        if _dispatches_torch(X):
            X = validate_data(
                self,
                X,
                dtype=(torch.float64, torch.float32),
                reset=False,
                ensure_all_finite=False,
            )
            known_range = checked_value_range(X, self, allow_missing=True)
            if unit_interval:
                check_unit_interval(X, self.loss_, known_range=known_range)
            return X, X.device, known_range.has_missing
        device = resolve_device(self.device)
        X = validate_data(
            self,
            X,
            accept_sparse="csr",
            dtype=_INFERENCE_DTYPES,
            order="C",
            reset=False,
            ensure_all_finite=False,
        )
        X = inference_precision(X, device)
        known_range = checked_value_range(X, self, allow_missing=True)
        check_magnitude(X, training=False, known_range=known_range)
        if unit_interval:
            check_unit_interval(X, self.loss_, known_range=known_range)
        return X, device, known_range.has_missing

    def _validate_codes(self, X):
        check_is_fitted(self)
        if _dispatches_torch(X):
            codes = check_array(X, dtype=(torch.float64, torch.float32), input_name="X")
            device = codes.device
        else:
            device = resolve_device(self.device)
            codes = check_array(
                X,
                dtype=_INFERENCE_DTYPES,
                order="C",
                input_name="X",
                ensure_all_finite=False,
            )
            codes = inference_precision(codes, device)
        if codes.shape[1] != self._code_size:
            raise ValueError(
                f"inverse_transform expects codes with {self._code_size} columns "
                f"(the size of transform's output), got {codes.shape[1]}."
            )
        if not isinstance(codes, torch.Tensor):
            known_range = checked_value_range(codes, self)
            check_magnitude(codes, training=False, known_range=known_range)
        return codes, device


def training_precision(X):
    """X in float32, which training runs in: as it is when it already is."""
    return X if X.dtype == np.float32 else X.astype(np.float32)


def resolve_loss(loss, value_range):
    """The loss to train with: ``"auto"`` is cross-entropy when X lies in
    [0, 1] (``value_range`` is its minimum and maximum), squared error
    otherwise; an explicit loss is kept."""
    if loss != "auto":
        return loss
    low, high, _ = value_range
    return "cross_entropy" if low >= 0 and high <= 1 else "mse"
