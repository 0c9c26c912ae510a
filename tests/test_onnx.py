"""skdae.onnx: onnxruntime's output against transform and predict_proba."""

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler

from skdae import DenoisingAutoencoderImputer

from .conftest import small_dae, small_sdae

MISSING_EXTRA = (
    "the ONNX export tests need the onnx extra (skl2onnx, onnx, onnxruntime): "
    'pip install -e ".[onnx]"'
)

# The tolerances. float32 needs an absolute part: ReLU and tanh codes
# near zero differ by up to 0.15 relative between torch and onnxruntime.
FLOAT32 = {"atol": 1e-5, "rtol": 1e-4}
FLOAT64 = {"atol": 1e-10, "rtol": 0}
TOLERANCES = {np.float32: FLOAT32, np.float64: FLOAT64}

# A learning rate high enough that two epochs move the biases well away from
# their zero start: a graph that dropped them would fail the tolerances.
QUICK = {"learning_rate_init": 1e-2, "max_iter": 2}


@pytest.fixture(scope="module")
def skdae_onnx():
    """skdae.onnx with its converters registered; a skip without the extra."""
    for module in ("skl2onnx", "onnx", "onnxruntime"):
        pytest.importorskip(module, reason=MISSING_EXTRA)
    return importlib.import_module("skdae.onnx")


@pytest.fixture(scope="module")
def data(digits):
    """500 training digits as float32, with labels, and 100 other digits."""
    X_train, X_test, y_train, _ = digits
    return X_train[:500], y_train[:500], X_test[:100]


@pytest.fixture(autouse=True)
def _short_fits():
    # The models are fitted for two epochs on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def run(onnx_model, feeds):
    """The outputs of onnxruntime's CPU session on ``feeds`` (a dict or array)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    if not isinstance(feeds, dict):
        feeds = {session.get_inputs()[0].name: feeds}
    return session.run(None, feeds)


def convert(model, X, options=None):
    """skl2onnx's own conversion, as a user of a Pipeline calls it."""
    import skl2onnx

    return skl2onnx.to_onnx(model, X[:1], options=options)


def column_feeds(frame):
    """onnxruntime feeds of a DataFrame: one (n, 1) input per column."""
    return {name: frame[[name]].to_numpy() for name in frame.columns}


def test_import_skdae_does_not_import_onnx():
    code = (
        "import sys, skdae; "
        "loaded = sorted({'skl2onnx', 'onnx', 'onnxruntime'} & set(sys.modules)); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("tied_weights", [True, False])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_dae_matches_transform(skdae_onnx, data, activation, tied_weights):
    X, _, X_new = data
    dae = small_dae(activation=activation, tied_weights=tied_weights, **QUICK).fit(X)
    assert np.abs(dae.intercept_hidden_).max() > 1e-3
    for dtype in (np.float32, np.float64):
        onnx_model = skdae_onnx.to_onnx(dae, X, dtype=dtype)
        (codes,) = run(onnx_model, X_new.astype(dtype))
        expected = dae.transform(X_new.astype(dtype))
        assert codes.dtype == expected.dtype == dtype
        np.testing.assert_allclose(codes, expected, **TOLERANCES[dtype])
    assert codes.std() > 0.01


@pytest.mark.parametrize(
    "tied_weights, activation",
    [(True, ("relu", "tanh")), (False, ("sigmoid", "identity"))],
)
@pytest.mark.parametrize("fine_tuning", [None, "unsupervised", "supervised"])
def test_stack_matches_transform(
    skdae_onnx, data, fine_tuning, tied_weights, activation
):
    X, y, X_new = data
    sdae = small_sdae(
        activation=activation,
        tied_weights=tied_weights,
        fine_tuning=fine_tuning,
        fine_tune_max_iter=2,
        **QUICK,
    ).fit(X, y)
    for dtype in (np.float32, np.float64):
        onnx_model = skdae_onnx.to_onnx(sdae, X, dtype=dtype)
        (codes,) = run(onnx_model, X_new.astype(dtype))
        expected = sdae.transform(X_new.astype(dtype))
        assert codes.shape == (len(X_new), 4)
        np.testing.assert_allclose(codes, expected, **TOLERANCES[dtype])


def test_graph_is_matmul_add_activation_per_layer(skdae_onnx, data):
    X, _, _ = data
    sdae = small_sdae(activation=("relu", "tanh"), **QUICK).fit(X)
    onnx_model = skdae_onnx.to_onnx(sdae, X)
    assert [node.op_type for node in onnx_model.graph.node] == [
        "IsNaN",
        "Where",
        "MatMul",
        "Add",
        "Relu",
        "MatMul",
        "Add",
        "Tanh",
    ]
    assert [value.name for value in onnx_model.graph.input] == ["X"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_classifier_matches_predict_proba(skdae_onnx, data, dtype):
    X, y, X_new = data
    classifier = LogisticRegression(max_iter=500)
    pipeline = make_pipeline(small_dae(**QUICK), StandardScaler(), classifier)
    pipeline.fit(X, y)
    # ZipMap (a list of dicts) is skipped: onnxruntime's refuses float64.
    onnx_model = convert(
        pipeline, X.astype(dtype), options={id(classifier): {"zipmap": False}}
    )
    labels, probabilities = run(onnx_model, X_new.astype(dtype))
    np.testing.assert_array_equal(labels, pipeline.predict(X_new.astype(dtype)))
    np.testing.assert_allclose(
        probabilities,
        pipeline.predict_proba(X_new.astype(dtype)),
        **TOLERANCES[dtype],
    )


def test_supervised_stack_in_pipeline_gives_codes_to_the_next_step(skdae_onnx, data):
    X, y, X_new = data
    sdae = small_sdae(fine_tuning="supervised", fine_tune_max_iter=2, **QUICK)
    pipeline = make_pipeline(sdae, LogisticRegression(max_iter=500)).fit(X, y)
    labels, probabilities = run(convert(pipeline, X, options={"zipmap": False}), X_new)
    np.testing.assert_array_equal(labels, pipeline.predict(X_new))
    np.testing.assert_allclose(probabilities, pipeline.predict_proba(X_new), **FLOAT32)


def test_feature_union_of_both_estimators(skdae_onnx, data):
    X, y, X_new = data
    union = make_union(
        small_dae(activation="relu", **QUICK),
        make_pipeline(StandardScaler(), small_sdae(tied_weights=False, **QUICK)),
    ).fit(X, y)
    (features,) = run(convert(union, X), X_new)
    assert features.shape == (len(X_new), 8 + 4)
    np.testing.assert_allclose(features, union.transform(X_new), **FLOAT32)


def pixel_frame(X):
    return pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])


def test_column_transformer_reads_pandas_columns_by_name(skdae_onnx, data):
    X, y, X_new = data
    frame, new_frame = pixel_frame(X), pixel_frame(X_new)
    columns = list(frame.columns)
    transformer = ColumnTransformer(
        [
            ("top", small_dae(**QUICK), columns[:32]),
            ("bottom", small_sdae(**QUICK), columns[32:]),
        ]
    ).fit(frame, y)
    onnx_model = convert(transformer, frame)
    assert [value.name for value in onnx_model.graph.input] == columns
    (features,) = run(onnx_model, column_feeds(new_frame))
    np.testing.assert_allclose(features, transformer.transform(new_frame), **FLOAT32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dataframe_columns_become_input_names(skdae_onnx, data, dtype):
    X, y, X_new = data
    frame, new_frame = pixel_frame(X), pixel_frame(X_new).astype(dtype)
    sdae = small_sdae(**QUICK).fit(frame, y)
    onnx_model = skdae_onnx.to_onnx(sdae, frame, dtype=dtype)
    assert [value.name for value in onnx_model.graph.input] == list(frame.columns)
    (codes,) = run(onnx_model, column_feeds(new_frame))
    np.testing.assert_allclose(codes, sdae.transform(new_frame), **TOLERANCES[dtype])


def test_integer_input_is_cast(skdae_onnx, data):
    X, _, X_new = data
    dae = small_dae(loss="mse", **QUICK).fit(X * 16)
    counts = np.rint(X_new * 16).astype(np.int64)
    (codes,) = run(convert(dae, counts), counts)
    np.testing.assert_allclose(codes, dae.transform(counts), **FLOAT32)


def test_exported_model_runs_without_torch_or_skdae(skdae_onnx, data, tmp_path):
    X, y, X_new = data
    pipeline = make_pipeline(small_sdae(**QUICK), LogisticRegression(max_iter=500))
    pipeline.fit(X, y)
    (tmp_path / "model.onnx").write_bytes(
        convert(pipeline, X, options={"zipmap": False}).SerializeToString()
    )
    np.save(tmp_path / "X.npy", X_new)
    code = (
        "import sys; sys.modules['torch'] = sys.modules['skdae'] = None; "
        "import numpy as np, onnxruntime; "
        "session = onnxruntime.InferenceSession('model.onnx', "
        "providers=['CPUExecutionProvider']); "
        "np.save('labels.npy', session.run(None, {'X': np.load('X.npy')})[0])"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    labels = np.load(tmp_path / "labels.npy")
    np.testing.assert_array_equal(labels, pipeline.predict(X_new))


@pytest.mark.parametrize("make", [small_dae, small_sdae])
def test_unfitted_estimator_is_refused(skdae_onnx, data, make):
    X, y, _ = data
    with pytest.raises(NotFittedError, match="not fitted"):
        skdae_onnx.to_onnx(make(), X)
    with pytest.raises(NotFittedError, match="not fitted"):
        convert(make_pipeline(make()), X)


def test_unsupported_activation_is_refused(skdae_onnx, data):
    X, _, _ = data
    dae = small_dae(max_iter=1).fit(X)
    # An activation a later skdae might add, unknown to this converter.
    dae.activation = "softplus"
    with pytest.raises(ValueError, match="activation='softplus' cannot be exported"):
        skdae_onnx.to_onnx(dae, X)


def test_sparse_sample_is_refused(skdae_onnx, data):
    X, _, _ = data
    dae = small_dae(max_iter=1).fit(scipy.sparse.csr_matrix(X))
    with pytest.raises(TypeError, match="ONNX inputs are dense"):
        skdae_onnx.to_onnx(dae, scipy.sparse.csr_matrix(X))


def test_input_of_the_wrong_width_is_refused(skdae_onnx, data):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    X, _, _ = data
    dae = small_dae(max_iter=1).fit(X)
    with pytest.raises(ValueError, match="fitted on 64 features.*has 10"):
        to_onnx(dae, initial_types=[("X", FloatTensorType([None, 10]))])


def test_unsupported_dtype_is_refused(skdae_onnx, data):
    X, _, _ = data
    dae = small_dae(max_iter=1).fit(X)
    with pytest.raises(ValueError, match="float32 or float64"):
        skdae_onnx.to_onnx(dae, X, dtype=np.float16)


# -- missing values and the imputer ---------------------------------------------


def _with_missing(X, share=0.2, seed=0):
    X = X.astype(np.float64)
    X[np.random.RandomState(seed).uniform(size=X.shape) < share] = np.nan
    return X


@pytest.mark.parametrize("make", [small_dae, small_sdae])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_missing_values_are_filled_as_transform_fills_them(
    skdae_onnx, data, make, dtype
):
    X, _, X_new = data
    model = make(**QUICK).fit(_with_missing(X))
    X_new = _with_missing(X_new, seed=1).astype(dtype)
    (codes,) = run(skdae_onnx.to_onnx(model, X_new, dtype=dtype), X_new)
    np.testing.assert_allclose(codes, model.transform(X_new), **TOLERANCES[dtype])


def _imputer(**params):
    options = {
        "autoencoder": small_dae(n_components=16, **QUICK),
        "random_state": 0,
        "device": "cpu",
    }
    return DenoisingAutoencoderImputer(**{**options, **params})


IMPUTERS = {
    "default": {},
    "indicator, two rounds": {"add_indicator": True, "n_rounds": 2},
    "stack": {"autoencoder": small_sdae(**QUICK, loss="mse")},
    "untied": {"autoencoder": small_dae(tied_weights=False, **QUICK, loss="mse")},
}


@pytest.mark.parametrize("params", IMPUTERS.values(), ids=IMPUTERS.keys())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_imputer_matches_transform(skdae_onnx, data, params, dtype):
    X, _, X_new = data
    imputer = _imputer(**params).fit(_with_missing(X))
    X_new = _with_missing(X_new, seed=1).astype(dtype)
    (imputed,) = run(skdae_onnx.to_onnx(imputer, X_new, dtype=dtype), X_new)
    expected = imputer.transform(X_new)
    assert imputed.shape == expected.shape
    np.testing.assert_allclose(imputed, expected, **TOLERANCES[dtype])
    observed = ~np.isnan(X_new)
    np.testing.assert_array_equal(imputed[:, :64][observed], X_new[observed])


@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_imputer_with_a_placeholder_and_an_empty_feature(
    skdae_onnx, data, keep_empty_features
):
    X, _, X_new = data
    X = np.where(np.isnan(_with_missing(X)), -1.0, X)
    X[:, 0] = -1.0  # never observed: dropped, or kept as zeros
    imputer = _imputer(
        missing_values=-1.0, keep_empty_features=keep_empty_features
    ).fit(X)
    X_new = np.where(np.isnan(_with_missing(X_new, seed=1)), -1.0, X_new)
    X_new = X_new.astype(np.float64)
    (imputed,) = run(skdae_onnx.to_onnx(imputer, X_new, dtype=np.float64), X_new)
    np.testing.assert_allclose(imputed, imputer.transform(X_new), **FLOAT64)


def test_imputer_in_a_pipeline_with_a_classifier(skdae_onnx, data):
    X, y, X_new = data
    classifier = LogisticRegression(max_iter=500)
    pipeline = make_pipeline(_imputer(), small_dae(**QUICK), classifier)
    pipeline.fit(_with_missing(X), y)
    X_new = _with_missing(X_new, seed=1).astype(np.float32)
    onnx_model = convert(pipeline, X_new, options={id(classifier): {"zipmap": False}})
    _, probabilities = run(onnx_model, X_new)
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(X_new), atol=1e-4, rtol=1e-3
    )


# -- DenoisingAutoencoderOutlierDetector ----------------------------------------


def _detector(**params):
    from skdae import DenoisingAutoencoderOutlierDetector

    options = {"n_estimators": 2, "max_steps": 60, "random_state": 0, "device": "cpu"}
    return DenoisingAutoencoderOutlierDetector(**{**options, **params})


def _outlier_rows(X_new):
    """X_new with a third of its rows pushed far from the training digits, so
    that both labels occur, and a few entries missing."""
    X_new = X_new.astype(np.float64).copy()
    X_new[::3] = X_new[::3] * 3 + 2
    X_new[1::7, 5] = np.nan
    return X_new


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"scaling": "robust", "contamination": 0.2},
        {"autoencoder": "stack"},
    ],
    ids=["default", "robust", "stack"],
)
def test_detector_matches_predict_and_decision_function(
    skdae_onnx, data, params, dtype
):
    from skdae import StackedDenoisingAutoencoder

    X, _, X_new = data
    if params.get("autoencoder") == "stack":
        params = {"autoencoder": StackedDenoisingAutoencoder((16, 8))}
    detector = _detector(**params).fit(X)
    X_new = _outlier_rows(X_new).astype(dtype)
    label, scores = run(skdae_onnx.to_onnx(detector, X_new, dtype=dtype), X_new)
    assert label.shape == scores.shape == (len(X_new), 1)
    expected = detector.decision_function(X_new)
    np.testing.assert_allclose(scores[:, 0], expected, **TOLERANCES[dtype])
    predicted = detector.predict(X_new)
    assert set(predicted) == {-1, 1}
    # A score within rounding of the threshold may fall either way.
    clear = np.abs(expected) > 1e-4
    np.testing.assert_array_equal(label[clear, 0], predicted[clear])


def test_detector_in_a_pipeline(skdae_onnx, data):
    X, _, X_new = data
    pipeline = make_pipeline(StandardScaler(), _detector()).fit(X)
    X_new = _outlier_rows(X_new).astype(np.float32)
    label, scores = run(convert(pipeline, X_new), X_new)
    np.testing.assert_allclose(
        scores[:, 0], pipeline.decision_function(X_new), **FLOAT32
    )
    clear = np.abs(pipeline.decision_function(X_new)) > 1e-4
    np.testing.assert_array_equal(label[clear, 0], pipeline.predict(X_new)[clear])


def test_detector_with_quantile_scaling_is_refused(skdae_onnx, data):
    X, _, X_new = data
    detector = _detector(scaling="quantile").fit(X)
    with pytest.raises(ValueError, match="scaling='quantile' cannot be exported"):
        skdae_onnx.to_onnx(detector, X_new)
