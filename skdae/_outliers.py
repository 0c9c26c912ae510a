"""DenoisingAutoencoderOutlierDetector: a sample is unusual when autoencoders
trained on the data reconstruct it badly."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._dae import DenoisingAutoencoder
from ._training import draw_seed, resolve_batch_size
from ._validation import validate_data

# The autoencoder that ``autoencoder=None`` trains in each member, on the
# scaled features: a code half as wide as the input (at least 2 units),
# tanh units, squared error (any finite row scores, whatever its range).
DEFAULT_AUTOENCODER = {"activation": "tanh", "loss": "mse"}
DEFAULT_WIDTH = 0.5
MIN_COMPONENTS = 2
# The step budget turns into epochs within these bounds.
MIN_EPOCHS, MAX_EPOCHS = 5, 1000
# A member trains on at least this many rows (or all, when fewer).
MIN_MEMBER_ROWS = 32
# Tukey's fence of contamination="auto": a training score beyond the third
# quartile by more than this many interquartile ranges is an outlier's.
AUTO_FENCE = 1.5
# Rows per block when reconstructing: bounds the dense temporaries.
_BLOCK_ELEMENTS = 2**20


class DenoisingAutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detection by the reconstruction error of denoising autoencoders.

    ``fit`` scales each feature (``scaling``) and trains ``n_estimators``
    autoencoders, each on a random part of the rows (``max_samples``) and
    for a fixed budget of gradient steps (``max_steps``): a model trained
    on few steps learns what most rows share, not the rare rows' details.
    A sample's anomaly score is each member's reconstruction error (half
    the sum of squared errors over the scaled features), standardized by
    the mean and standard deviation of that member's errors on its own
    training rows, averaged over the members (Chen et al., 2017).
    ``score_samples`` is minus that score, so that, as in scikit-learn's
    detectors, higher is more normal; ``decision_function`` subtracts
    ``offset_``, and is negative for the outliers that ``predict`` marks -1.

    Parameters
    ----------
    autoencoder : DenoisingAutoencoder or StackedDenoisingAutoencoder, \
            default=None
        The model each member clones. None trains
        ``DenoisingAutoencoder(n_components=max(2, n_features // 2),
        activation="tanh", loss="mse")``. The detector's ``random_state``
        (a seed per member), ``device`` and ``verbose`` replace its own; a
        loss of ``"auto"`` becomes ``"mse"``, since the scaled features are
        not in [0, 1], and ``"cross_entropy"`` is refused.

    n_estimators : int, default=5
        The number of autoencoders averaged.

    max_samples : float in (0, 1], default=0.5
        The share of the training rows each member trains on, drawn without
        replacement (at least 32 rows, or all when there are fewer).

    max_steps : int or None, default=500
        Gradient steps each member takes: its ``max_iter`` (and a stack's
        ``fine_tune_max_iter``) becomes ``max_steps`` divided by its batches
        per epoch, kept between 5 and 1000 epochs, and every epoch runs (no
        stopping rule). None keeps the autoencoder's own epochs and
        stopping rule.

    scaling : {"standard", "robust", "quantile"}, default="standard"
        How each feature is scaled before the autoencoders see it, so that
        no wide column dominates the error: ``StandardScaler``,
        ``RobustScaler`` or ``QuantileTransformer(output_distribution=
        "normal")``, fitted on the training rows. Sparse input is scaled
        without centering.

    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_`` only, never the scores. A fraction: the share of
        the training rows that ``predict`` calls outliers. ``"auto"``:
        Tukey's fence on the training anomaly scores, an outlier being a
        score above the third quartile by more than 1.5 interquartile
        ranges.

    random_state : int, RandomState instance or None, default=None
        Draws the members' rows and seeds.

    device : str, default="auto"
        The autoencoders' ``device``.

    verbose : int, default=0
        The autoencoders' ``verbose``.

    Attributes
    ----------
    scaler_ : StandardScaler, RobustScaler or QuantileTransformer
        The fitted scaling of the features.

    estimators_ : list of DenoisingAutoencoder or StackedDenoisingAutoencoder
        The fitted members, on the scaled features.

    estimators_samples_ : list of ndarray of int
        The training rows of each member.

    error_means_, error_scales_ : ndarray of shape (n_estimators,)
        The mean and standard deviation of each member's reconstruction
        errors on its training rows, which standardize its errors.

    offset_ : float
        ``decision_function = score_samples - offset_``; see
        ``contamination``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation by random splits.
    sklearn.neighbors.LocalOutlierFactor : Local density.
    DenoisingAutoencoder : One autoencoder; its ``score_samples`` is minus
        its reconstruction error.

    References
    ----------
    J. Chen, S. Sathe, C. Aggarwal and D. Turaga. Outlier detection with
    autoencoder ensembles. SDM 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skdae import DenoisingAutoencoderOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> X[:3] += 6
    >>> detector = DenoisingAutoencoderOutlierDetector(
    ...     random_state=0, device="cpu").fit(X)
    >>> detector.predict(X[:3]).tolist()
    [-1, -1, -1]
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Real, 0, 1, closed="right")],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "scaling": [StrOptions({"standard", "robust", "quantile"})],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        autoencoder=None,
        *,
        n_estimators=5,
        max_samples=0.5,
        max_steps=500,
        scaling="standard",
        contamination="auto",
        random_state=None,
        device="auto",
        verbose=0,
    ):
        self.autoencoder = autoencoder
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_steps = max_steps
        self.scaling = scaling
        self.contamination = contamination
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Train the members on X; set the threshold from X's scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, outliers included and unmarked; NaN marks a
            missing entry, which takes no part in the errors.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted detector.
        """
        X = self._validated(X, reset=True)
        self.scaler_ = _new_scaler(self.scaling, X).fit(X)
        Z = self.scaler_.transform(X)
        random_state = check_random_state(self.random_state)
        self.estimators_, self.estimators_samples_ = [], []
        errors = []
        for _ in range(self.n_estimators):
            rows = self._member_rows(Z.shape[0], random_state)
            member = self._new_member(Z.shape[1], len(rows), random_state)
            with warnings.catch_warnings():
                if self.max_steps is not None:
                    # A step budget stops training on purpose, not converged.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                member.fit(Z[rows].astype(np.float32))
            self.estimators_.append(member)
            self.estimators_samples_.append(rows)
            # Every training row's error, computed once: the member's own
            # rows standardize it, all the rows set the threshold.
            errors.append(_feature_errors(member, Z).sum(axis=1))
        own = [
            e[rows] for e, rows in zip(errors, self.estimators_samples_, strict=True)
        ]
        self.error_means_ = np.array([e.mean() for e in own])
        # A member that reconstructs its rows equally well (constant data)
        # keeps its errors' scale: its standardized error is then the raw one.
        spreads = np.array([e.std() for e in own])
        self.error_scales_ = np.where(spreads > 0, spreads, 1.0)
        self.offset_ = self._offset(self._standardized_mean(errors))
        return self

    def score_samples(self, X):
        """Minus the anomaly score: higher is more normal.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Any finite values, in any range; NaN marks a missing entry.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus the members' mean standardized reconstruction error.
        """
        return -self._anomaly_scores(self._scaled(X))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Minus the anomaly score, less ``offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for an inlier, -1 for an outlier (a negative decision).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,) of int
            +1 for an inlier, -1 for an outlier.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def feature_shares(self, X):
        """Each feature's share of each sample's anomaly score.

        The anomaly score is a mean over members of each member's error,
        ``(sum_d e_d - error_means_) / error_scales_``, with ``e_d`` half
        the squared error of feature d in the scaled space (0 where the
        entry is missing). Feature d's share is the mean over members of
        ``e_d / error_scales_``: non-negative, larger for the features
        that made the sample unusual, and summing over the features to the
        anomaly score plus a constant, ``shares_offset_``::

            feature_shares(X).sum(axis=1) == -score_samples(X) + shares_offset_

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        shares : ndarray of shape (n_samples, n_features)
            Each feature's non-negative share of each sample's anomaly score.
        """
        Z = self._scaled(X)
        return sum(
            _feature_errors(member, Z) / scale
            for member, scale in zip(self.estimators_, self.error_scales_, strict=True)
        ) / len(self.estimators_)

    @property
    def shares_offset_(self):
        """The constant by which the feature shares exceed the anomaly score:
        the mean over members of ``error_means_ / error_scales_``."""
        check_is_fitted(self)
        return float(np.mean(self.error_means_ / self.error_scales_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        return tags

    # -- steps ---------------------------------------------------------------

    def _validated(self, X, reset):
        """X as a float64 array or CSR matrix, NaN allowed."""
        return validate_data(
            self,
            X,
            accept_sparse="csr",
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            reset=reset,
        )

    def _scaled(self, X):
        check_is_fitted(self)
        return self.scaler_.transform(self._validated(X, reset=False))

    def _anomaly_scores(self, Z):
        """The members' mean standardized reconstruction error of each row."""
        return self._standardized_mean(
            [_feature_errors(member, Z).sum(axis=1) for member in self.estimators_]
        )

    def _standardized_mean(self, errors):
        """The mean over members of each member's errors, standardized."""
        standardized = [
            (member_errors - mean) / scale
            for member_errors, mean, scale in zip(
                errors, self.error_means_, self.error_scales_, strict=True
            )
        ]
        return np.mean(standardized, axis=0)

    def _offset(self, training_scores):
        """``offset_`` from the anomaly scores of the training rows."""
        if self.contamination == "auto":
            low, high = np.percentile(training_scores, [25, 75])
            return -(high + AUTO_FENCE * (high - low))
        return float(np.percentile(-training_scores, 100.0 * self.contamination))

    def _member_rows(self, n_rows, random_state):
        """The sorted training rows of one member."""
        n_member = min(n_rows, max(MIN_MEMBER_ROWS, round(self.max_samples * n_rows)))
        return np.sort(random_state.choice(n_rows, n_member, replace=False))

    def _new_member(self, n_features, n_rows, random_state):
        """An unfitted member for ``n_rows`` rows of ``n_features``."""
        if self.autoencoder is None:
            width = max(MIN_COMPONENTS, round(DEFAULT_WIDTH * n_features))
            member = DenoisingAutoencoder(n_components=width, **DEFAULT_AUTOENCODER)
        else:
            member = clone(self.autoencoder)
        member.set_params(
            random_state=draw_seed(random_state),
            device=self.device,
            verbose=self.verbose,
        )
        _check_loss(member)
        if self.max_steps is not None:
            member.set_params(**self._epoch_settings(member, n_rows))
        return member

    def _epoch_settings(self, member, n_rows):
        """The member's epochs for ``max_steps`` gradient steps, each run."""
        batch = resolve_batch_size(member.batch_size, n_rows)
        epochs = round(self.max_steps / -(-n_rows // batch))
        epochs = int(np.clip(epochs, MIN_EPOCHS, MAX_EPOCHS))
        names = {"max_iter", "fine_tune_max_iter"} & set(member.get_params())
        return {
            **{name: epochs for name in names},
            "n_iter_no_change": epochs,
            "early_stopping": False,
        }


def _new_scaler(scaling, X):
    """The unfitted scaler; without centering for sparse X."""
    sparse = sp.issparse(X)
    if scaling == "standard":
        return StandardScaler(with_mean=not sparse)
    if scaling == "robust":
        return RobustScaler(with_centering=not sparse)
    return QuantileTransformer(
        output_distribution="normal", n_quantiles=min(1000, X.shape[0])
    )


def _check_loss(member):
    if member.loss == "auto":
        member.set_params(loss="mse")
    elif member.loss != "mse":
        raise ValueError(
            f"The detector's autoencoder has loss={member.loss!r}, but it sees "
            "scaled features outside [0, 1], which only loss='mse' scores. "
            "Use loss='mse' or 'auto'."
        )


def _feature_errors(member, Z):
    """Half the squared reconstruction error of each entry of Z (scaled), 0
    where an entry is missing: shape (n_samples, n_features)."""
    errors = np.empty(Z.shape, dtype=np.float64)
    # Blocks of a bounded dense size, whether Z is dense or sparse.
    step = max(1, _BLOCK_ELEMENTS // max(Z.shape[1], 1))
    for start in range(0, Z.shape[0], step):
        rows = slice(start, start + step)
        block = Z[rows]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        reconstruction = member.inverse_transform(member.transform(block))
        errors[rows] = np.where(
            np.isnan(block), 0.0, 0.5 * np.square(reconstruction - block)
        )
    return errors
