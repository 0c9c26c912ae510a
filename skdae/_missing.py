"""Missing values (NaN): the one rule by which both estimators handle them.

A missing entry enters the encoder as its feature's mean over the observed
entries of the training data (``feature_means_``), and adds nothing to the
reconstruction loss. The rule is the same in training, where it applies after
the corruption (a corrupted entry that is still NaN is filled too), and in
``transform``, ``score_samples`` and ``score``. Sparse input stores a missing
entry as an explicit NaN; its implicit zeros are observed zeros.
"""

import numpy as np
import scipy.sparse as sp
import torch


def column_means(X, weight=None):
    """The weighted mean of each column's observed (non-NaN) entries.

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
    totals, observed_weight = _weighted_sums(X, weight)
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


def _weighted_sums(X, weight):
    """Per column, the weighted sum of the observed entries and the weight of
    the rows in which the entry is observed."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        missing = np.isnan(X.data)
        values = sp.csr_matrix(
            (np.where(missing, 0.0, X.data), X.indices, X.indptr), X.shape
        )
        totals = np.asarray(weight @ values, dtype=np.float64).ravel()
        row_of_entry = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        missing_weight = np.bincount(
            X.indices[missing],
            weights=weight[row_of_entry[missing]],
            minlength=X.shape[1],
        )
        return totals, weight.sum() - missing_weight
    missing = np.isnan(X)
    if not missing.any():
        totals = np.asarray(weight @ X, dtype=np.float64)
        return totals, np.full(X.shape[1], weight.sum())
    totals = weight @ np.where(missing, 0.0, X)
    return totals, weight @ (~missing)


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
