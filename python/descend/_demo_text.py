"""The demo's text-like classification: per-sample SGD on sparse rows, beside scikit-learn."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def text_like(n, p=2**18, words_per_row=40, vocabulary=1 << 20, exponent=1.1, seed=0):
    """A CSR matrix of hashed word counts: Zipf-like words hashed to p columns, rows
    L2-normalised, and 0/1 labels from a linear model on a tenth of the columns."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocabulary + 1, dtype=np.float64)
    frequencies = ranks ** -exponent
    words = rng.choice(vocabulary, size=n * words_per_row, p=frequencies / frequencies.sum())
    hashed = (words.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    columns = (hashed % np.uint64(p)).astype(np.int32)
    rows = np.repeat(np.arange(n, dtype=np.int32), words_per_row)
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(n, p))
    X.sum_duplicates()
    X = sparse.csr_matrix(X.multiply(1.0 / np.sqrt(np.asarray(X.multiply(X).sum(axis=1)))))
    w = np.where(rng.random(p) < 0.1, rng.standard_normal(p), 0.0)
    z = X @ w
    y = (z / z.std() + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    return X, y


def text_classification(n=120_000, test=20_000):
    """descend's SGDClassifier against scikit-learn's on text-like sparse data."""
    try:
        import scipy.sparse  # noqa: F401
        from sklearn.linear_model import SGDClassifier as SkSGD
    except ImportError:
        return None, ("Skipped: this section uses scipy.sparse and scikit-learn "
                      "(pip install 'descend[demo]' scipy).")
    from .demo import _table
    from .linear_model import SGDClassifier
    from .objectives import Logistic

    X, y = text_like(n + test)
    X_train, y_train, X_test, y_test = X[:n], y[:n], X[n:], y[n:]
    alpha = 1e-5
    # The same loss on both sides: the default of both libraries is the hinge loss, and the
    # objective reported below is the log-loss.
    settings: dict[str, Any] = dict(loss="log_loss", alpha=alpha, max_iter=5, tol=None,
                                    random_state=0, learning_rate="optimal")
    objective = Logistic(X_train, y_train, l2=alpha, fit_intercept=True)
    rows = []
    for name, make in (("descend", lambda: SGDClassifier(**settings)),
                       ("scikit-learn", lambda: SkSGD(**settings))):
        make().fit(X_train[:1000], y_train[:1000])  # warm up (imports, first calls)
        start = time.perf_counter()
        model = make().fit(X_train, y_train)
        seconds = time.perf_counter() - start
        w = np.r_[np.ravel(model.coef_), np.ravel(model.intercept_)]
        rows.append([name, f"{seconds * 1e3:.0f} ms", f"{objective.value(w):.5f}",
                     f"{model.score(X_test, y_test):.3f}"])
    note = (f"{n:,} training rows of hashed word counts (p = 2^18 columns, "
            f"{X_train.nnz / n:.0f} non-zeros per row, CSR), {test:,} test rows; "
            "log-loss, alpha = 1e-5, 5 epochs of per-sample SGD with scikit-learn's 'optimal' "
            "schedule in both. descend's steps are lazy: each costs O(the row's non-zeros), "
            "with the iterates of the dense update. The objective is the training log-loss "
            "plus alpha/2 |w|^2 (lower is better); the shuffles differ.")
    return _table(["library", "fit time", "final objective", "test accuracy"], rows), note
