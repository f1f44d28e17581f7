"""scipy.sparse input for the data objectives, without importing scipy.

A sparse X is used as CSR: a ``csr_matrix`` or ``csr_array`` of float32 or float64 values with
int32 or int64 indices is borrowed as it is (its ``data``, ``indices`` and ``indptr`` arrays,
which the objective keeps alive). Any other sparse format (CSC, COO, ...) is converted to CSR
once, which copies X (about 1.5x its stored entries, for the values and indices); integer or
boolean values are copied once to float64. Unsorted column indices and duplicate entries
(non-canonical CSR) are used as they are: every kernel sums a row's stored entries, as scipy
does. The contents are checked by the core, which refuses a corrupt matrix (indices out of
range, indptr not monotone, lengths that disagree) or NaN and infinity among the values.
"""

from __future__ import annotations

import numpy as np

_INDEX_TYPES = (np.dtype(np.int32), np.dtype(np.int64))


def is_sparse(X) -> bool:
    """Whether `X` is a scipy.sparse matrix or array (checked without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "tocsr")


def check_csr(X, name="X"):
    """Return (X as CSR, the tuple of its arrays the core borrows).

    Raises
    ------
    TypeError
        For complex or non-numeric values.
    ValueError
        For a matrix with no rows or no columns.
    """
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got {X.ndim}-D")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {X.shape}")
    kind = X.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.format != "csr":
        X = X.tocsr()
    if kind != "f" or X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    indices, indptr = X.indices, X.indptr
    if indices.dtype != indptr.dtype or indices.dtype not in _INDEX_TYPES:
        indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
    # The values (NaN, infinity, magnitude) and the indices are checked by the core, in one
    # pass over the arrays it borrows (CsrRows::check in cpp/include/descend/data/csr.hpp).
    data = np.ascontiguousarray(X.data)
    return X, (data, np.ascontiguousarray(indices), np.ascontiguousarray(indptr), X.shape[1])
