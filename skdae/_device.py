"""Device resolution and the passage of arrays between numpy and torch.

Everything that knows which device a tensor lives on is here, so that the
estimators only ever hold numpy arrays (portable, picklable anywhere) and the
training loop only ever sees tensors.
"""

import re
import warnings

import numpy as np
import scipy.sparse as sp
import torch

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")

# Rows per chunk at inference: large enough to keep matrix products efficient,
# small enough that a densified chunk stays a few tens of MB however wide X is.
INFERENCE_CHUNK_ROWS = 8192
INFERENCE_CHUNK_ELEMENTS = 2**22
# ... and for sparse rows served as their stored entries (the sparse path's
# batches), at most this many entries per chunk: 5 MB of indices and values.
INFERENCE_CHUNK_ENTRIES = 2**18

_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def available_devices():
    """List the device strings that can be used on this machine.

    Returns
    -------
    devices : list of str
        ``"cpu"`` first, then ``"cuda:N"`` for each visible GPU and ``"mps"``
        when Apple's Metal backend is available.
    """
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` or ``"mps"``.

    Returns
    -------
    device : torch.device

    Raises
    ------
    ValueError
        If the string is not a device name, or names a device that this
        machine does not have.
    """
    name = str(device)
    if not _DEVICE_PATTERN.match(name):
        raise ValueError(
            f"device={device!r} is not recognised. Use 'auto', 'cpu', 'cuda', "
            f"'cuda:N' or 'mps'; available here: {available_devices()}."
        )
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda") and _cuda_device_exists(name):
        return torch.device(name)
    if name == "mps" and torch.backends.mps.is_available():
        return torch.device("mps")
    raise ValueError(
        f"device={device!r} is not available on this machine; available "
        f"devices: {available_devices()}. Use device='auto' to pick the best one."
    )


def _cuda_device_exists(name):
    if not torch.cuda.is_available():
        return False
    index = int(name.split(":")[1]) if ":" in name else 0
    return index < torch.cuda.device_count()


def as_tensor(array, device, dtype=np.float32):
    """Put a dense array on ``device`` as a tensor of ``dtype``.

    On the CPU a C-contiguous array of the requested dtype is shared, not
    copied, and so is a tensor already on ``device`` in that dtype.

    Parameters
    ----------
    array : ndarray or torch.Tensor
        Dense array; it is never written to.
    device : torch.device
    dtype : numpy dtype or the torch equivalent, default=numpy.float32

    Returns
    -------
    tensor : torch.Tensor
    """
    dtype = _NUMPY_DTYPES.get(dtype, dtype)
    if isinstance(array, torch.Tensor):
        return array.to(device, _torch_dtype(dtype))
    array = np.ascontiguousarray(array, dtype=dtype)
    if array.flags.writeable:
        tensor = torch.from_numpy(array)
    else:
        # torch warns that writing to a read-only buffer is undefined; nothing
        # here writes to inputs, so sharing the memory is safe.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not writable.*")
            tensor = torch.from_numpy(array)
    return tensor.to(device, non_blocking=True)


def _torch_dtype(dtype):
    return torch.from_numpy(np.empty(0, dtype=dtype)).dtype


def rows_as_tensor(X, rows, device, dtype=np.float32):
    """Gather ``X[rows]`` as a dense tensor of ``dtype`` on ``device``.

    Parameters
    ----------
    X : ndarray, scipy sparse matrix/array or torch.Tensor
        The full data. A sparse matrix is densified only for the requested
        rows; a tensor keeps its dtype.
    rows : slice or ndarray of int
    device : torch.device
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32

    Returns
    -------
    tensor : torch.Tensor of shape (n_rows, n_features)
    """
    block = X[rows]
    if isinstance(block, torch.Tensor):
        return block.to(device)
    if sp.issparse(block):
        block = block.toarray()
    return as_tensor(block, device, dtype)


# Rows per block of a reduction over X (means, extremes, NaN scans): a block
# of about 2**18 values (1 MiB in float32, whatever X's width) bounds the
# temporaries of a reduction, so that no pass over X ever copies it whole,
# and is still large enough that the per-block overhead stays negligible.
REDUCTION_BLOCK_ELEMENTS = 2**18


def row_blocks(X, max_elements=REDUCTION_BLOCK_ELEMENTS):
    """Slices of consecutive rows of X, each holding about ``max_elements``
    values (stored entries, for a sparse X), together covering every row.

    A reduction that works block by block keeps its temporaries (a mask, a
    float64 cast, a copy without NaN) to the size of a block: the promise
    that a fit never copies X holds for the passes made before training too.
    """
    n_rows = X.shape[0]
    values_per_row = X.nnz / max(n_rows, 1) if sp.issparse(X) else X.shape[1]
    step = max(1, int(max_elements // max(values_per_row, 1)))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def host_matmul(a, b):
    """``a @ b`` of two dense numpy arrays on the CPU, computed by torch.

    What a fit computes on the host (means, initial weights) goes through
    torch rather than numpy's BLAS: that BLAS keeps a thread pool of its
    own, whose workers spin for a while after each call and then compete
    with torch's for the cores. On 2 cores they made a fit's first epoch
    take 1.6x as long as its second.
    """
    return (torch.as_tensor(a) @ torch.as_tensor(b)).numpy()


def to_numpy(tensor):
    """Copy a tensor to a numpy array (of the same dtype) on the host."""
    return tensor.detach().cpu().numpy()


def to_host(X):
    """X as host data: a tensor copied to a numpy array, anything else as it
    is (training keeps its parameters as numpy arrays, so a tensor given to
    fit is read once into host memory)."""
    return to_numpy(X) if isinstance(X, torch.Tensor) else X


def inference_precision(X, device):
    """X in the precision inference runs in: its own, float32 or float64.

    Training is always float32, but inference follows the input, so float64
    users get float64 results whose rows do not depend on their position in
    a batch beyond float64 rounding. MPS has no float64: there it is float32.
    """
    if X.dtype == np.float64 and device.type == "mps":
        return X.astype(np.float32)
    return X


def params_to_numpy(tensors):
    """Convert a mapping of tensors to a mapping of numpy arrays."""
    return {
        name: to_numpy(value).astype(np.float32, copy=False)
        for name, value in tensors.items()
    }


def state_to_numpy(state):
    """Convert a (nested) torch state dict into numpy arrays and Python scalars.

    Used for optimizer state, so that a fitted estimator holds no torch
    object: it pickles on any machine and loads without a GPU.
    """
    if isinstance(state, torch.Tensor):
        return state.detach().cpu().numpy()
    if isinstance(state, dict):
        return {key: state_to_numpy(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(state_to_numpy(value) for value in state)
    return state


def state_from_numpy(state, device):
    """Inverse of :func:`state_to_numpy`, placing tensors on ``device``.

    Scalar ``step`` counters stay on the CPU, where torch's optimizers keep
    them unless they run in capturable mode.
    """
    if isinstance(state, np.ndarray):
        tensor = torch.from_numpy(np.array(state))
        return tensor if tensor.ndim == 0 else tensor.to(device)
    if isinstance(state, dict):
        return {key: state_from_numpy(value, device) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(state_from_numpy(value, device) for value in state)
    return state


def make_generator(seed, device):
    """A torch random generator on ``device``, seeded from ``seed``.

    Never touches torch's global generator.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def apply_in_chunks(function, X, device, rows=None, to_host=None, gather=None):
    """Apply a row-wise tensor function to X in large chunks, for inference.

    Writes into one preallocated output, so the peak memory beyond the result
    is one chunk, densified if X is sparse. A result copied to the host is
    computed under :func:`torch.inference_mode` (thread-local, so safe from
    several threads); one kept on the device under :func:`torch.no_grad`, as
    the caller may still use it in autograd (array API mode, or a stack's
    codes that the next layer trains on).

    Parameters
    ----------
    function : callable
        Maps a ``(n_rows, n_features)`` tensor to a tensor with ``n_rows``
        rows (or a vector of length ``n_rows``).
    X : ndarray, scipy sparse matrix or torch.Tensor of shape \
            (n_samples, n_features)
    device : torch.device
    rows : ndarray of int, optional
        Only these rows of X, in this order.
    to_host : bool, optional
        Return a numpy array (True) or a tensor on ``device`` (False).
        Default: a tensor for tensor input, an array otherwise.
    gather : callable, optional
        ``(X, rows, device, dtype) -> batch``: how the chunks of a sparse X
        are served to ``function`` when not densified (as their stored
        entries, by the sparse path); their chunks are then bounded by
        stored entries, not by rows, and may hold many more rows.

    Returns
    -------
    out : ndarray or torch.Tensor
        ``n_samples`` (or ``len(rows)``) rows, computed in X's dtype.
    """
    n_rows = X.shape[0] if rows is None else len(rows)
    by_entries = gather is not None and sp.issparse(X)
    if by_entries:
        # A stored entry travels as two int64 indices and its value.
        entries_per_row = max(1.0, X.nnz / max(X.shape[0], 1))
        rows_fitting = int(INFERENCE_CHUNK_ENTRIES // entries_per_row)
    else:
        rows_fitting = INFERENCE_CHUNK_ELEMENTS // X.shape[1]
    chunk = max(1, min(INFERENCE_CHUNK_ROWS, rows_fitting))
    gather = gather if by_entries else rows_as_tensor
    if to_host is None:
        to_host = not isinstance(X, torch.Tensor)
    out = None
    with torch.inference_mode() if to_host else torch.no_grad():
        for start in range(0, n_rows, chunk):
            stop = min(start + chunk, n_rows)
            selection = slice(start, stop) if rows is None else rows[start:stop]
            result = function(gather(X, selection, device, X.dtype))
            if to_host:
                result = to_numpy(result)
            if out is None:
                out = _empty_like_rows(result, n_rows)
            out[start:stop] = result
    return out


def _empty_like_rows(result, n_rows):
    shape = (n_rows, *result.shape[1:])
    if isinstance(result, torch.Tensor):
        return torch.empty(shape, dtype=result.dtype, device=result.device)
    return np.empty(shape, dtype=result.dtype)
