import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skdae._device import (
    INFERENCE_CHUNK_ROWS,
    apply_in_chunks,
    as_tensor,
    resolve_device,
    rows_as_tensor,
    state_from_numpy,
    state_to_numpy,
)


def test_auto_and_cpu_resolve():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "tpu", "CPU", ""])
def test_unknown_device_names_the_choices(name):
    with pytest.raises(ValueError, match="not recognised.*available here: \\['cpu'"):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_missing_cuda_device_is_a_clear_error(name):
    with pytest.raises(ValueError, match="not available on this machine.*'cpu'"):
        resolve_device(name)


def test_float32_c_contiguous_array_is_shared_not_copied():
    X = np.ones((5, 3), dtype=np.float32)
    assert np.shares_memory(as_tensor(X, torch.device("cpu")).numpy(), X)


def test_read_only_array_is_shared_without_a_warning():
    X = np.ones((5, 3), dtype=np.float32)
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tensor = as_tensor(X, torch.device("cpu"))
    assert np.shares_memory(tensor.numpy(), X)


def test_sparse_rows_are_densified_alone():
    X = sp.random(50, 8, density=0.3, format="csr", random_state=0, dtype=np.float64)
    rows = np.array([4, 0, 7])
    dense = rows_as_tensor(X, rows, torch.device("cpu"))
    assert dense.dtype == torch.float32
    np.testing.assert_allclose(dense.numpy(), X[rows].toarray(), rtol=1e-6)


def test_apply_in_chunks_spans_several_chunks_in_order():
    X = np.arange(2 * INFERENCE_CHUNK_ROWS + 5, dtype=np.float32).reshape(-1, 1)
    out = apply_in_chunks(lambda x: 2 * x[:, 0], X, torch.device("cpu"))
    np.testing.assert_array_equal(out, 2 * X[:, 0])
    rows = np.array([9, 3])
    np.testing.assert_array_equal(
        apply_in_chunks(lambda x: x, X, torch.device("cpu"), rows), X[rows]
    )


def test_optimizer_state_round_trips_through_numpy():
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.Adam([param], lr=0.1)
    param.sum().backward()
    optimizer.step()
    state = pickle.loads(pickle.dumps(state_to_numpy(optimizer.state_dict())))
    assert isinstance(state["state"][0]["exp_avg"], np.ndarray)
    fresh = torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], lr=0.1)
    fresh.load_state_dict(state_from_numpy(state, torch.device("cpu")))
    restored = fresh.state_dict()["state"][0]
    assert torch.equal(
        restored["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"]
    )
    assert float(restored["step"]) == 1.0
