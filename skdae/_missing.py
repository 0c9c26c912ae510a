"""Missing values (NaN): the one rule by which both estimators handle them.

A missing entry enters the encoder as its feature's mean over the observed
entries of the training data (``feature_means_``), and adds nothing to the
reconstruction loss. The rule is the same in training, where it applies after
the corruption (a corrupted entry that is still NaN is filled too), and in
``transform``, ``score_samples`` and ``score``. Sparse input stores a missing
entry as an explicit NaN; its implicit zeros are observed zeros.

The statistics of the observed entries that a fit needs (the weighted
means, the extremes that salt-and-pepper noise uses) are computed here too,
block by block of rows, so that no pass over X copies it.
"""

import numpy as np
import scipy.sparse as sp
import torch

from ._device import host_matmul, row_blocks, to_numpy


def column_means(X, weight=None):
    """The weighted mean of each column's observed (non-NaN) entries.

    X is read block by block of rows (:func:`~skdae._device.row_blocks`),
    in its own precision: the temporaries (a NaN mask, X without its NaN)
    are the size of a block, never of X, and each block's sums are
    accumulated in float64.

    Parameters
    ----------
    X : ndarray, scipy sparse matrix or torch.Tensor of shape \
            (n_samples, n_features)
        A tensor (a stack's codes, which have no NaN) is reduced on its
        device; only the means come back.
    weight : ndarray of shape (n_samples,), optional
        Weights of the rows; a row of weight zero plays no part.

    Returns
    -------
    means : ndarray of shape (n_features,), float64

    Raises
    ------
    ValueError
        When a column has no observed entry in a row of positive weight: its
        mean, hence the value its missing entries would take, is undefined.
    """
    weight = np.ones(X.shape[0]) if weight is None else np.asarray(weight, np.float64)
    if isinstance(X, torch.Tensor):
        row_weight = torch.as_tensor(weight, dtype=X.dtype).to(X.device)
        return (row_weight @ X).double().cpu().numpy() / weight.sum()
    totals = np.zeros(X.shape[1])
    observed_weight = np.zeros(X.shape[1])
    for rows in row_blocks(X):
        block_totals, block_observed = _weighted_sums(X[rows], weight[rows])
        totals += block_totals
        observed_weight += block_observed
    empty = np.flatnonzero(observed_weight <= 0)
    if len(empty):
        raise ValueError(
            f"{len(empty)} feature(s) have no observed value in the training "
            f"data (all NaN, or only in rows of zero weight), at column(s) "
            f"{empty[:10].tolist()}{'...' if len(empty) > 10 else ''}: nothing "
            "says what their missing entries stand for. Drop those columns, or "
            "use DenoisingAutoencoderImputer, which drops or zero-fills them "
            "(keep_empty_features)."
        )
    return totals / observed_weight


def _weighted_sums(block, weight):
    """Per column of a block of rows, the weighted sum of the observed
    entries and the weight of the rows in which the entry is observed, as
    float64; the products run in the block's precision."""
    row_weight = weight.astype(block.dtype)
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        missing = np.isnan(block.data)
        if not missing.any():
            totals = np.asarray(row_weight @ block, dtype=np.float64).ravel()
            return totals, np.full(block.shape[1], weight.sum())
        block = sp.csr_matrix(
            (np.where(missing, 0, block.data), block.indices, block.indptr),
            block.shape,
        )
        totals = np.asarray(row_weight @ block, dtype=np.float64).ravel()
        row_of_entry = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        missing_weight = np.bincount(
            block.indices[missing],
            weights=weight[row_of_entry[missing]],
            minlength=block.shape[1],
        )
        return totals, weight.sum() - missing_weight
    missing = np.isnan(block)
    if not missing.any():
        totals = host_matmul(row_weight, block)
        return totals.astype(np.float64), np.full(block.shape[1], weight.sum())
    totals = host_matmul(row_weight, np.where(missing, 0, block))
    observed = host_matmul(row_weight, (~missing).astype(block.dtype))
    return totals.astype(np.float64), observed.astype(np.float64)


def fill_missing_rows(block, means):
    """``block`` (rows of X, dense or sparse) with each NaN replaced by its
    column's mean, for numpy code (the initialisation). A sparse block stays
    sparse; the input is never written to."""
    if sp.issparse(block):
        block = sp.csr_matrix(block, copy=True)
        missing = np.isnan(block.data)
        block.data[missing] = means[block.indices[missing]]
        return block
    missing = np.isnan(block)
    return (
        np.where(missing, means.astype(block.dtype), block) if missing.any() else block
    )


def fill_missing(x, fill):
    """``x`` with each NaN replaced by the entry of ``fill`` for its column.

    Parameters
    ----------
    x : torch.Tensor of shape (n_samples, n_features)
    fill : torch.Tensor of shape (n_features,)

    Returns
    -------
    filled : torch.Tensor
        A new tensor; ``x`` is left as it is.
    """
    return torch.where(torch.isnan(x), fill, x)


def observed_entries(target):
    """The reconstruction target with its NaN set to 0, and the mask of its
    observed entries, so that a loss multiplied by the mask is finite and
    gets no gradient from a missing entry."""
    observed = ~torch.isnan(target)
    return torch.where(observed, target, 0.0), observed


def feature_extremes(X):
    """Per-feature minimum and maximum of X's observed values, as float32
    arrays: NaN only for a feature with no observed value.

    X is dense, sparse (read block by block of rows, so that scipy's
    reductions, which convert to CSC, copy a block at most), or a tensor (a
    stack's codes, reduced on their device: only the two vectors come back
    to the host).
    """
    if isinstance(X, torch.Tensor):
        low, high = (to_numpy(values) for values in torch.aminmax(X, dim=0))
    elif sp.issparse(X):
        extremes = [_sparse_extremes(X[rows]) for rows in row_blocks(X)]
        low = np.fmin.reduce([block_low for block_low, _ in extremes])
        high = np.fmax.reduce([block_high for _, block_high in extremes])
    else:
        # fmin and fmax skip NaN, where min and max would return it.
        low, high = np.fmin.reduce(X, axis=0), np.fmax.reduce(X, axis=0)
    return np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32)


def _sparse_extremes(X):
    """Per-column extremes of a sparse X whose stored values may be NaN:
    NaN for a column with no observed value."""
    missing = np.isnan(X.data)
    extremes = []
    for reduce, skipped in (("min", np.inf), ("max", -np.inf)):
        values = X
        if missing.any():
            values = X.copy()
            values.data[missing] = skipped
        extreme = getattr(values, reduce)(axis=0).toarray().ravel()
        extremes.append(np.where(np.isinf(extreme), np.nan, extreme))
    return extremes
