"""Export fitted skdae estimators, alone or inside pipelines, to ONNX.

Importing this module registers a shape calculator and a converter for
:class:`~skdae.DenoisingAutoencoder` and
:class:`~skdae.StackedDenoisingAutoencoder` with `skl2onnx
<https://onnx.ai/sklearn-onnx/>`_, after which ``skl2onnx.to_onnx`` converts
any :class:`~sklearn.pipeline.Pipeline`,
:class:`~sklearn.compose.ColumnTransformer` or
:class:`~sklearn.pipeline.FeatureUnion` that holds them (with other steps
skl2onnx converts). :func:`to_onnx` converts a lone estimator in one call.

The graph computes ``transform``, layer by layer: a missing entry (NaN)
replaced by its feature's mean (``IsNaN`` and ``Where``, as ``transform``
does), then ``MatMul`` by the transposed ``components_``, ``Add`` of
``intercept_hidden_``, and the activation. It is read from the public
fitted attributes only (``feature_means_``, ``components_``,
``intercept_hidden_``, ``activation`` and a stack's ``layers_``), so it needs
neither torch nor skdae to run: onnxruntime alone serves it. Training-only
settings (corruption, loss, fine-tuning) leave no trace in it. It computes in
float64 when its input is float64 and in float32 otherwise, skl2onnx's
convention, which the steps after it rely on. Unlike ``transform``, the graph
does not refuse infinite values: they pass through to the codes.

:class:`~skdae.DenoisingAutoencoderImputer` converts too: its graph
standardizes, fills, encodes and decodes ``n_rounds`` times, and writes the
reconstructions into the missing entries only, so the observed ones come out
as they went in. It reads the imputer's public fitted attributes only
(``mean_``, ``scale_``, ``data_min_``, ``data_max_``,
``observed_features_``, ``indicator_`` and ``autoencoder_``).

:class:`~skdae.DenoisingAutoencoderOutlierDetector` converts as skl2onnx
converts IsolationForest: a ``label`` output (+1, -1) and a ``scores``
output (``decision_function``), each of shape (n_samples, 1), from the
scaler's centre and scale, the members' weights, ``error_means_``,
``error_scales_`` and ``offset_``; ``scaling="quantile"`` is refused.

This module needs the ``onnx`` extra (``pip install "skdae[onnx]"``);
``import skdae`` alone never imports it.
"""

import numpy as np
import scipy.sparse
from sklearn.utils.validation import check_is_fitted

try:
    from onnx import TensorProto
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.utils import check_input_and_output_numbers
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skdae.onnx needs skl2onnx and onnx, from the onnx extra: "
        'pip install "skdae[onnx]" (which also installs onnxruntime, to run '
        "the exported models)."
    ) from error

from . import (
    DenoisingAutoencoder,
    DenoisingAutoencoderImputer,
    DenoisingAutoencoderOutlierDetector,
    StackedDenoisingAutoencoder,
)
from ._impute import is_nan_placeholder, output_features, standardized_range
from ._modules import OUTPUT_ACTIVATIONS

__all__ = ["to_onnx", "register_converters"]

# The ONNX operator of each activation; identity codes are the affine map.
ONNX_ACTIVATIONS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "identity": "Identity",
}

# The tensor types converted; other inputs are cast to the graph's precision.
_INPUT_TYPES = (FloatTensorType, DoubleTensorType, Int64TensorType)


def _encoder_layers(estimator):
    """The encoder of a fitted estimator, as (weights, biases, activation) layers.

    Parameters
    ----------
    estimator : DenoisingAutoencoder or StackedDenoisingAutoencoder
        A fitted estimator.

    Returns
    -------
    layers : list of tuple
        ``(components_, intercept_hidden_, activation)`` of each layer,
        bottom first; ``transform`` applies
        ``activation(X @ components_.T + intercept_hidden_)`` in turn.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When the estimator (or a layer of the stack) is not fitted.
    ValueError
        When a layer's activation has no ONNX counterpart.
    """
    encoders = []
    for layer in _layers(estimator):
        check_is_fitted(layer, "components_")
        if layer.activation not in ONNX_ACTIVATIONS:
            raise ValueError(
                f"{type(estimator).__name__} with activation={layer.activation!r} "
                "cannot be exported to ONNX: supported activations are "
                f"{sorted(ONNX_ACTIVATIONS)}."
            )
        encoders.append((layer.components_, layer.intercept_hidden_, layer.activation))
    return encoders


def _calculate_output_shapes(operator):
    """skl2onnx shape calculator: ``[N, n_features] -> [N, n_codes]``.

    Several inputs (the columns of a DataFrame, one input each) are
    concatenated side by side, in order, as ``transform`` reads them.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The operator of one skdae estimator in the graph being built.
    """
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    name = type(operator.raw_operator).__name__
    layers = _encoder_layers(operator.raw_operator)
    for variable in operator.inputs:
        _check_input_type(name, variable.type)
    n_features = _input_width(operator.inputs)
    if n_features is not None and n_features != layers[0][0].shape[1]:
        raise ValueError(
            f"{name} was fitted on {layers[0][0].shape[1]} features, but its ONNX "
            f"input has {n_features}."
        )
    operator.outputs[0].type = _output_type(operator)(
        [operator.inputs[0].get_first_dimension(), layers[-1][0].shape[0]]
    )


def _check_input_type(name, input_type):
    if type(input_type) not in _INPUT_TYPES:
        raise TypeError(
            f"{name} converts float32, float64 or int64 tensors to ONNX, got "
            f"{input_type}. ONNX has no sparse input: densify sparse data first."
        )
    if len(input_type.shape) != 2:
        raise ValueError(f"{name} expects 2-D input, got shape {input_type.shape}.")


def _input_width(inputs):
    """The summed width of the inputs, or None when one is not known."""
    widths = [variable.type.shape[1] for variable in inputs]
    return sum(widths) if all(isinstance(w, int) for w in widths) else None


def _output_type(operator):
    # skl2onnx's own convention, which the steps after this one rely on to
    # declare their outputs: float64 when the (first) input is, else float32.
    if type(operator.inputs[0].type) is DoubleTensorType:
        return DoubleTensorType
    return FloatTensorType


def _convert(scope, operator, container):
    """skl2onnx converter: the encoder as MatMul, Add and activation nodes.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names to the graph's variables and nodes.
    operator : skl2onnx.common._topology.Operator
        The operator of one skdae estimator, its types set by
        :func:`_calculate_output_shapes`.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and the weights.
    """
    graph = _Graph.of_operator(scope, operator, container)
    codes = _joined_input(scope, operator, container, graph.proto_dtype)
    codes = _filled(graph, codes, operator.raw_operator)
    _encoded(graph, codes, operator.raw_operator, operator.outputs[0].full_name)


class _Graph:
    """What the node builders share: the scope, the container, the precision."""

    def __init__(self, scope, container, proto_dtype, dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype
        self.dtype = dtype

    @classmethod
    def of_operator(cls, scope, operator, container):
        """The graph of one operator, in the precision of its output."""
        output_type = operator.outputs[0].type
        proto_dtype = guess_proto_type(output_type)
        dtype = np.float32 if type(output_type) is FloatTensorType else np.float64
        return cls(scope, container, proto_dtype, dtype)

    def constant(self, values):
        return _add_weights(
            self.scope, self.container, np.asarray(values), self.proto_dtype, self.dtype
        )

    def node(self, op_type, inputs, output=None, **attributes):
        return _add_node(
            self.scope, self.container, op_type, inputs, output, **attributes
        )


def _filled(graph, X, estimator):
    """X with each NaN replaced by its feature's mean, as ``transform`` does.

    A model fitted before missing values were supported has no
    ``feature_means_``: its graph passes NaN through, as it always did.
    """
    means = _layers(estimator)[0].__dict__.get("feature_means_")
    if means is None:
        return X
    missing = graph.node("IsNaN", [X])
    return graph.node("Where", [missing, graph.constant(means), X])


def _layers(estimator):
    """The layers of a fitted estimator, bottom first: a stack's
    ``layers_``, or the one autoencoder itself."""
    if isinstance(estimator, StackedDenoisingAutoencoder):
        check_is_fitted(estimator, "layers_")
        return estimator.layers_
    return [estimator]


def _encoded(graph, X, estimator, output=None):
    """The codes of X (NaN-free): each layer's MatMul, Add and activation."""
    layers = _encoder_layers(estimator)
    codes = X
    for index, (weights, biases, activation) in enumerate(layers):
        last = index == len(layers) - 1
        product = graph.node("MatMul", [codes, graph.constant(weights.T)])
        affine = graph.node("Add", [product, graph.constant(biases)])
        codes = graph.node(
            ONNX_ACTIVATIONS[activation], [affine], output=output if last else None
        )
    return codes


def _decoded(graph, codes, estimator):
    """``inverse_transform`` of the codes: each layer's decoder, top first."""
    for layer in reversed(_layers(estimator)):
        decoder = layer.__dict__.get("decoder_components_", layer.components_)
        product = graph.node("MatMul", [codes, graph.constant(decoder)])
        codes = graph.node("Add", [product, graph.constant(layer.intercept_visible_)])
        # The decoder's output function; squared error's is the identity.
        output = OUTPUT_ACTIVATIONS[layer.loss_]
        if output != "identity":
            codes = graph.node(ONNX_ACTIVATIONS[output], [codes])
    return codes


def _joined_input(scope, operator, container, proto_dtype):
    """The operator's inputs in the graph's precision, side by side."""
    names = []
    for variable in operator.inputs:
        name = variable.full_name
        if guess_proto_type(variable.type) != proto_dtype:
            name = _add_node(scope, container, "Cast", [name], to=proto_dtype)
        names.append(name)
    if len(names) == 1:
        return names[0]
    return _add_node(scope, container, "Concat", names, axis=1)


def _add_weights(scope, container, values, proto_dtype, dtype):
    name = scope.get_unique_variable_name("W" if values.ndim == 2 else "b")
    # C order, because add_initializer takes the values flattened row by row.
    values = np.ascontiguousarray(values, dtype=dtype)
    container.add_initializer(name, proto_dtype, list(values.shape), values.ravel())
    return name


def _add_node(scope, container, op_type, inputs, output=None, **attributes):
    output = output or scope.get_unique_variable_name(op_type.lower())
    container.add_node(
        op_type,
        inputs,
        output,
        name=scope.get_unique_operator_name(op_type),
        **attributes,
    )
    return output


# -- DenoisingAutoencoderImputer ----------------------------------------------


def _calculate_imputer_output_shapes(operator):
    """skl2onnx shape calculator of the imputer: ``[N, n_features_out]``."""
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    imputer = operator.raw_operator
    check_is_fitted(imputer)
    for variable in operator.inputs:
        _check_input_type(type(imputer).__name__, variable.type)
    n_features = _input_width(operator.inputs)
    if n_features is not None and n_features != imputer.n_features_in_:
        raise ValueError(
            f"{type(imputer).__name__} was fitted on {imputer.n_features_in_} "
            f"features, but its ONNX input has {n_features}."
        )
    width = len(imputer.get_feature_names_out())
    operator.outputs[0].type = _output_type(operator)(
        [operator.inputs[0].get_first_dimension(), width]
    )


def _convert_imputer(scope, operator, container):
    """skl2onnx converter of the imputer: ``transform`` as a graph.

    The missing entries are found (``IsNaN``, or ``Equal`` to a numeric
    placeholder); the kept features are standardized and filled with the
    autoencoder's means; each round encodes, decodes, clips to the range
    seen in fit, and writes the reconstructions into the missing entries;
    the result, back on the
    columns' scale, replaces the missing entries of X only (``Where``), so
    the observed ones come out bit for bit. Features empty in fit get 0.
    """
    imputer = operator.raw_operator
    graph = _Graph.of_operator(scope, operator, container)
    proto_dtype = graph.proto_dtype
    X = _joined_input(scope, operator, container, proto_dtype)
    missing = _missing_mask(graph, X, imputer.missing_values)
    kept = graph.node("Constant", [], value=_int64_tensor(imputer.observed_features_))
    Z, Z_missing = _standardized_kept(graph, X, missing, kept, imputer)
    fill = _layers(imputer.autoencoder_)[0].feature_means_
    Z_round = graph.node("Where", [Z_missing, graph.constant(fill), Z])
    low, high = (graph.constant(bound) for bound in standardized_range(imputer))
    for _ in range(imputer.n_rounds):
        codes = _encoded(graph, Z_round, imputer.autoencoder_)
        reconstruction = _decoded(graph, codes, imputer.autoencoder_)
        clipped = graph.node("Min", [graph.node("Max", [reconstruction, low]), high])
        Z_round = graph.node("Where", [Z_missing, clipped, Z])
    full = _rescaled_to_all_features(graph, Z_round, imputer)
    imputed = graph.node("Where", [missing, full, X])
    parts = [graph.node("Gather", [imputed, _output_columns(graph, imputer)], axis=1)]
    if imputer.indicator_ is not None:
        columns = graph.node(
            "Constant", [], value=_int64_tensor(imputer.indicator_.features_)
        )
        flags = graph.node("Gather", [missing, columns], axis=1)
        parts.append(graph.node("Cast", [flags], to=proto_dtype))
    graph.node("Concat", parts, output=operator.outputs[0].full_name, axis=1)


def _missing_mask(graph, X, missing_values):
    if is_nan_placeholder(missing_values):
        return graph.node("IsNaN", [X])
    return graph.node("Equal", [X, graph.constant(np.array([missing_values]))])


def _standardized_kept(graph, X, missing, kept, imputer):
    """The kept features of X, standardized, and their missing mask."""
    X_kept = graph.node("Gather", [X, kept], axis=1)
    columns = imputer.observed_features_
    centred = graph.node("Sub", [X_kept, graph.constant(imputer.mean_[columns])])
    Z = graph.node("Div", [centred, graph.constant(imputer.scale_[columns])])
    return Z, graph.node("Gather", [missing, kept], axis=1)


def _rescaled_to_all_features(graph, Z, imputer):
    """The kept features back on their scale, placed among all the features
    (0 in the empty ones): a product with a matrix of one scale per row."""
    columns = imputer.observed_features_
    placement = np.zeros((len(columns), imputer.n_features_in_))
    placement[np.arange(len(columns)), columns] = imputer.scale_[columns]
    spread = graph.node("MatMul", [Z, graph.constant(placement)])
    return graph.node("Add", [spread, graph.constant(np.nan_to_num(imputer.mean_))])


def _output_columns(graph, imputer):
    return graph.node("Constant", [], value=_int64_tensor(output_features(imputer)))


def _int64_tensor(values):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(values, dtype=np.int64))


# -- DenoisingAutoencoderOutlierDetector --------------------------------------


def _calculate_detector_output_shapes(operator):
    """skl2onnx shape calculator of the detector: a label and a score per row,
    ``[N, 1]`` each, as skl2onnx gives IsolationForest's."""
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=2
    )
    detector = operator.raw_operator
    name = type(detector).__name__
    check_is_fitted(detector)
    if detector.scaling == "quantile":
        raise ValueError(
            f"{name} with scaling='quantile' cannot be exported to ONNX: its "
            "QuantileTransformer has no converter here. Use 'standard' or "
            "'robust'."
        )
    for variable in operator.inputs:
        _check_input_type(name, variable.type)
    n_features = _input_width(operator.inputs)
    if n_features is not None and n_features != detector.n_features_in_:
        raise ValueError(
            f"{name} was fitted on {detector.n_features_in_} features, but its "
            f"ONNX input has {n_features}."
        )
    rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([rows, 1])
    operator.outputs[1].type = _output_type(operator)([rows, 1])


def _convert_detector(scope, operator, container):
    """skl2onnx converter of the detector: ``predict`` and
    ``decision_function``.

    The features are scaled (``Sub``, ``Div``); each member fills the
    missing entries, encodes and decodes, and sums half the squared errors
    of the observed entries (``ReduceSum``); the sums are standardized by
    ``error_means_`` and ``error_scales_`` and averaged; the decision is
    minus that, less ``offset_``, and the label is -1 where it is negative.
    """
    detector = operator.raw_operator
    scores = operator.outputs[1]
    proto_dtype = guess_proto_type(scores.type)
    dtype = np.float32 if type(scores.type) is FloatTensorType else np.float64
    graph = _Graph(scope, container, proto_dtype, dtype)
    X = _joined_input(scope, operator, container, proto_dtype)
    center, scale = _scaling_constants(detector.scaler_, detector.n_features_in_)
    centred = graph.node("Sub", [X, graph.constant(center)])
    Z = graph.node("Div", [centred, graph.constant(scale)])
    missing = graph.node("IsNaN", [Z])
    total = None
    for member, mean, spread in zip(
        detector.estimators_,
        detector.error_means_,
        detector.error_scales_,
        strict=True,
    ):
        errors = _member_errors(graph, Z, missing, member)
        centred = graph.node("Sub", [errors, graph.constant([mean])])
        standardized = graph.node("Div", [centred, graph.constant([spread])])
        total = (
            standardized if total is None else graph.node("Add", [total, standardized])
        )
    # decision = -total / n_estimators - offset_
    factor = graph.constant([-1.0 / len(detector.estimators_)])
    decision = graph.node(
        "Sub",
        [graph.node("Mul", [total, factor]), graph.constant([detector.offset_])],
        output=scores.full_name,
    )
    outlier = graph.node("Less", [decision, graph.constant([0.0])])
    flag = graph.node("Cast", [outlier], to=TensorProto.INT64)
    graph.node(
        "Sub",
        [
            _int64_constant(graph, 1),
            graph.node("Mul", [flag, _int64_constant(graph, 2)]),
        ],
        output=operator.outputs[0].full_name,
    )


def _scaling_constants(scaler, n_features):
    """The centre and scale of a fitted StandardScaler or RobustScaler (0 and
    1 where it neither centres nor scales)."""
    center = getattr(scaler, "mean_", getattr(scaler, "center_", None))
    scale = getattr(scaler, "scale_", None)
    return (
        np.zeros(n_features) if center is None else center,
        np.ones(n_features) if scale is None else scale,
    )


def _member_errors(graph, Z, missing, member):
    """Half the summed squared errors of a member's reconstruction of Z over
    its observed entries, ``[N, 1]``."""
    codes = _encoded(graph, _filled(graph, Z, member), member)
    difference = graph.node("Sub", [_decoded(graph, codes, member), Z])
    squares = graph.node("Mul", [difference, difference])
    observed = graph.node("Where", [missing, graph.constant([0.0]), squares])
    axes = graph.node("Constant", [], value=_int64_tensor([1]))
    summed = graph.node("ReduceSum", [observed, axes], keepdims=1)
    return graph.node("Mul", [summed, graph.constant([0.5])])


def _int64_constant(graph, value):
    return graph.node("Constant", [], value=_int64_tensor([value]))


def register_converters():
    """Register skdae's estimators with skl2onnx.

    Done once when :mod:`skdae.onnx` is imported; call it again only if
    something else has registered other converters for them since.
    """
    for estimator in (DenoisingAutoencoder, StackedDenoisingAutoencoder):
        update_registered_converter(
            estimator,
            f"Skdae{estimator.__name__}",
            _calculate_output_shapes,
            _convert,
        )
    update_registered_converter(
        DenoisingAutoencoderImputer,
        "SkdaeDenoisingAutoencoderImputer",
        _calculate_imputer_output_shapes,
        _convert_imputer,
    )
    update_registered_converter(
        DenoisingAutoencoderOutlierDetector,
        "SkdaeDenoisingAutoencoderOutlierDetector",
        _calculate_detector_output_shapes,
        _convert_detector,
    )


def to_onnx(estimator, X, *, dtype="float32", target_opset=None, options=None):
    """Convert a fitted estimator, or a pipeline holding one, to ONNX.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skdae.DenoisingAutoencoder`,
        :class:`~skdae.StackedDenoisingAutoencoder`, or a scikit-learn
        pipeline or composite that holds them and that skl2onnx converts.
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        A few rows of input, for the names, types and width of the ONNX
        inputs (one row is enough). A DataFrame gives one input per column,
        named after it; an array one input named ``"X"``.
    dtype : {"float32", "float64"} or numpy dtype, default="float32"
        The precision of the graph's input and computation: the sample is
        cast to it.
    target_opset : int, optional
        The ONNX opset to target; skl2onnx's latest tested one by default.
    options : dict, optional
        skl2onnx's converter options, e.g.
        ``{id(classifier): {"zipmap": False}}`` to get a classifier's
        probabilities as a plain tensor (needed for float64).

    Returns
    -------
    onnx_model : onnx.ModelProto
        The converted model; ``onnx_model.SerializeToString()`` is what
        ``onnxruntime.InferenceSession`` loads.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When an skdae estimator in ``estimator`` is not fitted.
    TypeError
        When ``X`` is sparse: ONNX inputs are dense.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skdae import DenoisingAutoencoder
    >>> from skdae.onnx import to_onnx
    >>> X = np.random.RandomState(0).uniform(size=(50, 6)).astype(np.float32)
    >>> dae = DenoisingAutoencoder(n_components=4, max_iter=5, random_state=0,
    ...                            device="cpu").fit(X)
    >>> onnx_model = to_onnx(dae, X[:1])
    >>> session = onnxruntime.InferenceSession(
    ...     onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> codes = session.run(None, {"X": X})[0]
    >>> bool(np.allclose(codes, dae.transform(X), atol=1e-5, rtol=1e-4))
    True
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    if scipy.sparse.issparse(X):
        raise TypeError(
            "ONNX inputs are dense, so the sample X cannot be sparse: pass "
            "X[:1].toarray() and densify the data given to the ONNX model."
        )
    # skl2onnx reads only the names, types and width of the sample.
    if hasattr(X, "columns"):
        sample = X.iloc[:1].astype(dtype)
    else:
        sample = np.asarray(X[:1], dtype=dtype)
    return _skl2onnx_to_onnx(
        estimator, sample, target_opset=target_opset, options=options
    )


register_converters()
