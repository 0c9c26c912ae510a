"""What both estimators share: input validation and inference.

A subclass provides ``_inference_model(device, dtype)``, a torch module with
``encode``, ``decode_logits``, ``output``, ``forward`` and ``loss`` (one
layer, or the whole stack), ``_code_size`` (the width of ``transform``'s
output) and ``_check_training_parameters()``.
"""

import numpy as np
import torch
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._device import apply_in_chunks, inference_precision, resolve_device
from ._modules import reconstruction_loss
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


def _dispatches_torch(X):
    """Whether X is a torch tensor to be answered in kind (array API mode)."""
    return isinstance(X, torch.Tensor) and get_config()["array_api_dispatch"]


def _to_host(X):
    # Training keeps its parameters as numpy arrays, so a tensor given to fit
    # is read once into host memory.
    return X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X


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
            Data to encode. Under ``sklearn.config_context(
            array_api_dispatch=True)`` a torch tensor gives a tensor on its
            own device.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            float32 for float32 input, float64 otherwise.
        """
        X, device = self._validate_inference_data(X)
        model = self._inference_model(device, X.dtype)
        return apply_in_chunks(model.encode, X, device)

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
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus each sample's reconstruction loss (higher is better), in
            the input's precision.
        """
        X, device = self._validate_inference_data(X, unit_interval=True)
        model = self._inference_model(device, X.dtype)
        return -apply_in_chunks(per_sample_loss(model), X, device)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: higher is a better reconstruction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to score.
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

    @property
    def _n_features_out(self):
        return self._code_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Inference runs in the input's precision; training in float32.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags

    def _validate_training_data(self, X, sample_weight, reset, fix_loss):
        """X and sample_weight checked for training, in float32.

        ``fix_loss`` sets ``loss_``, resolving ``loss="auto"`` from X's range
        (every ``fit``, and the first ``partial_fit``); otherwise X is checked
        against the ``loss_`` fixed earlier.
        """
        X = validate_data(
            self,
            _to_host(X),
            accept_sparse="csr",
            dtype=np.float32,
            order="C",
            reset=reset,
            ensure_all_finite=False,
        )
        self._check_training_parameters()
        known_range = checked_value_range(X, self)
        if fix_loss:
            self.loss_ = resolve_loss(self.loss, known_range)
        check_unit_interval(X, self.loss_, known_range=known_range)
        check_magnitude(X, training=True, known_range=known_range)
        resolve_device(self.device)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                _to_host(sample_weight), X, dtype=np.float32, ensure_non_negative=True
            )
            check_positive_weights(sample_weight)
        return X, sample_weight

    def _validate_inference_data(self, X, unit_interval=False):
        """X checked against the fit, in its inference precision, and the
        device to compute on: the tensor's own in array API mode.

        ``unit_interval=True`` also checks that X lies in [0, 1] when the loss
        is cross-entropy (for scoring), from the same pass over X.
        """
        check_is_fitted(self)
        if _dispatches_torch(X):
            X = validate_data(
                self, X, dtype=(torch.float64, torch.float32), reset=False
            )
            if unit_interval:
                check_unit_interval(X, self.loss_)
            return X, X.device
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
        known_range = checked_value_range(X, self)
        check_magnitude(X, training=False, known_range=known_range)
        if unit_interval:
            check_unit_interval(X, self.loss_, known_range=known_range)
        return X, device

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


def resolve_loss(loss, value_range):
    """The loss to train with: ``"auto"`` is cross-entropy when X lies in
    [0, 1] (``value_range`` is its minimum and maximum), squared error
    otherwise; an explicit loss is kept."""
    if loss != "auto":
        return loss
    low, high = value_range
    return "cross_entropy" if low >= 0 and high <= 1 else "mse"


def per_sample_loss(model):
    """The per-sample reconstruction loss of clean input, as a row function."""

    def loss(x):
        return reconstruction_loss(model(x), x, model.loss, reduction="none")

    return loss


def validation_loss_scorer(model, X, rows, device):
    """A callable scoring ``model`` on ``X[rows]``: the negative mean loss."""
    loss = per_sample_loss(model)

    def validation_score():
        losses = apply_in_chunks(loss, X, device, rows)
        return -float(np.mean(losses, dtype=np.float64))

    return validation_score
