"""skdae with the rest of the PyData world: persistence, dask, progress."""

import pickle
import pickletools
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from .conftest import small_dae, small_sdae

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _fitted(digits):
    X, _, y, _ = digits
    return [
        small_dae(tied_weights=False).fit(X),
        small_sdae(fine_tuning="supervised").fit(X, y),
    ]


def _pickled_names(payload):
    """Module and class names (and other strings) that a pickle refers to."""
    modules = set()
    for opcode, argument, _ in pickletools.genops(payload):
        if opcode.name in ("GLOBAL", "INST"):
            modules.add(argument.split(" ")[0])
        elif opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            modules.add(argument)
    return modules


def test_pickle_holds_no_torch_object_so_gpu_models_load_anywhere(digits):
    # Fitted parameters and solver state are numpy arrays: a model fitted on
    # CUDA unpickles on a machine without a GPU, or without a CUDA build.
    for model in _fitted(digits):
        strings = _pickled_names(pickle.dumps(model))
        assert not any(s.startswith("torch") for s in strings)


def test_joblib_round_trip(digits, tmp_path):
    X = digits[1]
    for model in _fitted(digits):
        joblib.dump(model, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
        np.testing.assert_array_equal(restored.transform(X), model.transform(X))


def test_skops_trusts_only_skdae_types(digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    X = digits[1]
    for model in _fitted(digits):
        path = tmp_path / "model.skops"
        sio.dump(model, path)
        untrusted = sio.get_untrusted_types(file=path)
        assert all(name.startswith("skdae.") for name in untrusted)
        restored = sio.load(path, trusted=untrusted)
        np.testing.assert_array_equal(restored.transform(X), model.transform(X))
        np.testing.assert_array_equal(
            restored.inverse_transform(model.transform(X)),
            model.inverse_transform(model.transform(X)),
        )


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask_ml")
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        )
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("make", [small_dae, small_sdae])
def test_partial_fit_under_dask_ml_incremental(dask_client, make, digits):
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X = digits[0]
    blocks = da.from_array(X, chunks=300)
    incremental = Incremental(make()).fit(blocks)
    assert incremental.estimator_.n_iter_ == blocks.numblocks[0]
    codes = incremental.transform(blocks)
    assert isinstance(codes, da.Array)
    np.testing.assert_allclose(
        codes.compute(), incremental.estimator_.transform(X), rtol=1e-6
    )


def test_grid_search_through_joblib_dask_backend(dask_client, digits):
    from distributed import get_task_stream

    X, _, y, _ = digits
    search = GridSearchCV(
        make_pipeline(small_dae(), LogisticRegression(max_iter=300)),
        {"denoisingautoencoder__corruption_level": [0.1, 0.4]},
        cv=2,
    )
    with get_task_stream(dask_client) as tasks, joblib.parallel_backend("dask"):
        search.fit(X, y)
    assert len(tasks.data) >= 4  # 2 candidates x 2 folds ran on the cluster
    assert search.best_score_ > 0.5


def test_stack_sample_weight_zero_removes_samples(digits):
    X = digits[0][:300]
    rng = np.random.RandomState(0)
    weights = np.r_[np.ones(300), np.zeros(50)]
    models = [
        small_sdae().fit(
            np.vstack([X, rng.uniform(size=(50, 64))]), sample_weight=weights
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(models[0].transform(X), models[1].transform(X))


@pytest.mark.parametrize("make", [small_dae, small_sdae])
def test_verbose_two_prints_each_epoch_and_zero_is_silent(make, small_data, capsys):
    make(verbose=0).fit(small_data)
    assert capsys.readouterr() == ("", "")
    make(verbose=2).fit(small_data)
    lines = capsys.readouterr().out.strip().splitlines()
    assert sum("epoch 1, loss = " in line for line in lines) >= 1
    if make is small_sdae:
        prefixes = {line.split(":")[0] for line in lines}
        assert prefixes == {"layer 1/2", "layer 2/2", "fine-tuning"}
        assert len(lines) == 9


def test_verbose_one_shows_a_progress_bar_per_layer(small_data, capsys):
    small_sdae(verbose=1).fit(small_data)
    err = capsys.readouterr().err
    for name in ("layer 1/2", "layer 2/2", "fine-tuning"):
        assert name in err and "3/3" in err


def test_sparse_partial_fit_under_dask_ml_incremental(dask_client):
    # Sparse blocks, as a bag-of-words would arrive: each partial_fit takes
    # the sampled sparse path ("auto": more than 2,048 columns).
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X = sp.random(600, 3000, density=0.005, format="csr", random_state=0)
    X.data[:] = 1.0
    blocks = da.from_array(X, chunks=(200, 3000), asarray=False)
    incremental = Incremental(small_dae()).fit(blocks)
    estimator = incremental.estimator_
    assert estimator.n_iter_ == 3
    # The lazy Adam's state: one group of its three settings.
    groups = estimator._optimizer_state["param_groups"]
    assert [set(group) - {"params"} for group in groups] == [{"lr", "betas", "eps"}]
    np.testing.assert_allclose(
        estimator.transform(X), estimator.transform(X.toarray()), rtol=1e-5, atol=1e-6
    )
