"""Input handling shared by both estimators: validation once, fit_transform,
sparse, pandas, array API."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import torch
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import FeatureUnion

from skdae import _validation
from skdae._base import BaseAutoencoder
from skdae._training import TrainingResult

from .conftest import requires_cuda, small_dae, small_sdae

pytestmark = pytest.mark.usefixtures("quiet_convergence")


ESTIMATORS = [small_dae, small_sdae]


@pytest.fixture
def validations(monkeypatch):
    """The estimators whose X went through scikit-learn's validate_data."""
    calls, validate = [], _validation._validate_data

    def counted(estimator, X, **kwargs):
        calls.append(type(estimator).__name__)
        return validate(estimator, X, **kwargs)

    monkeypatch.setattr(_validation, "_validate_data", counted)
    return calls


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_x_is_validated_once_per_call(make, early_stopping, small_data, validations):
    # Not again by a stack's layers, nor by fit_transform's transform step.
    params = {"fine_tuning": "supervised"} if make is small_sdae else {}
    model = make(early_stopping=early_stopping, **params)
    y = np.arange(len(small_data)) % 2
    calls = {
        "fit": lambda: model.fit(small_data, y),
        "transform": lambda: model.transform(small_data),
        "fit_transform": lambda: model.fit_transform(small_data, y),
        "partial_fit": lambda: model.partial_fit(small_data),
        "score": lambda: model.score(small_data),
    }
    for name, call in calls.items():
        validations.clear()
        call()
        assert validations == [type(model).__name__], name


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize(
    "convert",
    [
        lambda X: X,
        lambda X: X.astype(np.float64),
        lambda X: (X * 4).astype(np.int64),
        lambda X: sp.csr_matrix(X.astype(np.float64)),
    ],
    ids=["float32", "float64", "int64", "sparse"],
)
def test_fit_transform_equals_fit_then_transform(make, convert, small_data):
    X = convert(small_data)
    codes = make().fit_transform(X)
    expected = make().fit(X).transform(X)
    assert codes.dtype == expected.dtype
    np.testing.assert_array_equal(codes, expected)


@pytest.fixture
def sparse_data():
    X = sp.random(80, 30, density=0.2, format="csr", random_state=0, dtype=np.float64)
    return X.astype(np.float32)


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_matches_the_dense_path(make, to_sparse, sparse_data):
    dense = sparse_data.toarray()
    X = to_sparse(sparse_data)
    on_sparse, on_dense = make().fit(X), make().fit(dense)
    np.testing.assert_allclose(
        on_sparse.transform(X), on_dense.transform(dense), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        on_sparse.score_samples(X), on_dense.score_samples(dense), rtol=1e-5
    )
    assert on_sparse.score(X) == pytest.approx(on_dense.score(dense), rel=1e-5)
    on_sparse.partial_fit(X)
    on_dense.partial_fit(dense)
    np.testing.assert_allclose(
        on_sparse.transform(X), on_dense.transform(dense), rtol=1e-5, atol=1e-6
    )


def test_sparse_cross_entropy_range_counts_implicit_zeros():
    X = sp.csr_matrix(np.array([[0.5, 0.0], [0.0, 2.0]]))
    with pytest.raises(ValueError, match=r"values span \[0, 2\]"):
        small_dae(loss="cross_entropy").fit(X)


MEMORY_SCRIPT = textwrap.dedent("""
    import numpy as np, scipy.sparse as sp, warnings
    from skdae import DenoisingAutoencoder
    warnings.simplefilter("ignore")

    def megabytes(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) / 1024

    def peak_growth(action):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak (VmHWM) to the current RSS
        before = megabytes("VmRSS")
        result = action()
        return megabytes("VmHWM") - before, result

    X = sp.random(50_000, 20_000, density=0.001, format="csr", random_state=0,
                  dtype=np.float32)
    dae = DenoisingAutoencoder(16, max_iter=1, random_state=0, device="cpu")
    dae.fit(X[:300])  # loads torch's kernels, which are not X's cost
    fit_growth, _ = peak_growth(lambda: dae.fit(X))
    transform_growth, codes = peak_growth(lambda: dae.transform(X))
    print(fit_growth, transform_growth - codes.nbytes / 2**20)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_large_sparse_matrix_is_never_densified_whole():
    # 50,000 x 20,000 with 1,000,000 non-zeros: 3.8 GB if densified.
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.getcwd(),
    )
    fit_growth, transform_growth = map(float, out.stdout.split())
    assert fit_growth < 256
    assert transform_growth < 256


@pytest.mark.parametrize("make", ESTIMATORS)
def test_pandas_in_pandas_out(make, small_data):
    frame = pd.DataFrame(
        small_data, columns=[f"f{i}" for i in range(12)], index=np.arange(200, 260)
    )
    model = make().set_output(transform="pandas").fit(frame)
    codes = model.transform(frame)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == list(model.get_feature_names_out())
    assert codes.index.equals(frame.index)
    assert list(model.feature_names_in_) == list(frame.columns)


def test_column_transformer_and_feature_union(small_data):
    frame = pd.DataFrame(small_data, columns=[f"f{i}" for i in range(12)])
    columns = ColumnTransformer(
        [
            ("dae", small_dae(), ["f0", "f1", "f2", "f3"]),
            ("sdae", small_sdae(), ["f4", "f5", "f6", "f7", "f8"]),
        ]
    ).set_output(transform="pandas")
    out = columns.fit_transform(frame)
    assert out.shape == (60, 12)
    assert out.columns[0] == "dae__denoisingautoencoder0"
    assert out.columns[-1] == "sdae__stackeddenoisingautoencoder3"
    union = FeatureUnion([("dae", small_dae()), ("sdae", small_sdae())])
    assert union.fit_transform(small_data).shape == (60, 12)
    assert union.get_feature_names_out()[8] == "sdae__stackeddenoisingautoencoder0"


def _array_api_available():
    return os.environ.get("SCIPY_ARRAY_API") == "1"


array_api = pytest.mark.skipif(
    not _array_api_available(),
    reason="SCIPY_ARRAY_API=1 must be set before scipy is imported",
)


def _tensor_round_trip(make, device, small_data):
    model = make().fit(small_data)
    X = torch.as_tensor(small_data, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        codes = model.transform(X)
        decoded = model.inverse_transform(codes)
        scores = model.score_samples(X)
        score = model.score(X)
    for out in (codes, decoded, scores):
        assert isinstance(out, torch.Tensor) and out.device == X.device
        assert out.dtype == torch.float32
    np.testing.assert_allclose(
        codes.cpu().numpy(), model.transform(small_data), rtol=1e-5, atol=1e-6
    )
    assert score == pytest.approx(model.score(small_data), rel=1e-5)


@array_api
@pytest.mark.parametrize("make", ESTIMATORS)
def test_torch_tensors_in_torch_tensors_out(make, small_data):
    _tensor_round_trip(make, "cpu", small_data)


@array_api
@requires_cuda
@pytest.mark.parametrize("make", ESTIMATORS)
def test_cuda_tensors_stay_on_the_gpu(make, small_data):
    _tensor_round_trip(make, "cuda", small_data)


@array_api
def test_tensor_fit_and_validation_in_array_api_mode(small_data):
    X = torch.as_tensor(small_data, dtype=torch.float64)
    with sklearn.config_context(array_api_dispatch=True):
        model = small_dae().fit(X)
        assert model.transform(X).dtype == torch.float64
        with pytest.raises(ValueError, match="12 features"):
            model.transform(X[:, :5])
        with pytest.raises(ValueError, match="infinity"):
            model.transform(torch.full((2, 12), float("inf"), dtype=torch.float64))
        with pytest.raises(ValueError, match="8 columns"):
            model.inverse_transform(torch.zeros(2, 3))
    assert isinstance(model.components_, np.ndarray)


@array_api
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=requires_cuda)])
def test_scoring_tensors_checks_the_cross_entropy_range(small_data, device):
    model = small_dae(loss="cross_entropy").fit(small_data)
    X = torch.as_tensor(small_data, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        assert model.score_samples(X).device == X.device
        with pytest.raises(ValueError, match=r"needs X in the range \[0, 1\]"):
            model.score_samples(X * 2 + 1)


def test_tensors_without_array_api_mode_give_numpy(small_data):
    model = small_dae().fit(torch.as_tensor(small_data))
    assert isinstance(model.transform(torch.as_tensor(small_data)), np.ndarray)


class _Fitted:
    """Stands for an estimator with earlier curves."""

    loss_curve_ = [3.0, 2.0]
    n_iter_ = 2
    validation_scores_ = [-3.0, -2.0]
    best_validation_score_ = -2.0


def test_a_new_run_replaces_the_curves():
    estimator = _Fitted()
    BaseAutoencoder._record(estimator, TrainingResult(loss_curve=[1.0], n_iter=1))
    assert estimator.loss_curve_ == [1.0] and estimator.n_iter_ == 1
    assert estimator.validation_scores_ is None
    assert estimator.best_validation_score_ is None


def test_a_continued_run_appends_its_epochs_and_keeps_its_own_scores():
    estimator = _Fitted()
    scores = [-1.5]
    result = TrainingResult(
        loss_curve=[1.5],
        validation_scores=scores,
        best_validation_score=-1.5,
        n_iter=1,
    )
    BaseAutoencoder._record(estimator, result, continued=True)
    assert estimator.loss_curve_ == [3.0, 2.0, 1.5] and estimator.n_iter_ == 3
    assert estimator.validation_scores_ == [-1.5]
    assert estimator.best_validation_score_ == -1.5
    # The estimator's lists are its own: a later run cannot change them.
    assert estimator.validation_scores_ is not scores
    assert _Fitted.loss_curve_ == [3.0, 2.0]
