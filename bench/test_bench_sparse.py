"""Sparse (CSR) text-like data: gradients, logistic regression and per-sample SGD (issue 11).

Text-like data, generated once per module: n = 200,000 rows, p = 2**18 columns, about 40
non-zeros per row (hashed words drawn with Zipf-like frequencies, counts, rows L2-normalised),
CSR float64 with int32 indices; binary labels from a sparse linear model. Each group holds
descend and the peer a user would otherwise pick (scipy's expressions, scikit-learn), measured
in the same run; pytest-benchmark prints each row's ratio to the fastest. Every benchmark checks
its answer (gradients to 1e-10, objective values to 1e-6), so a fast wrong answer fails.
scipy and scikit-learn are optional: the file (or the row) skips when they are missing.
"""

import os

import numpy as np
import pytest

import descend

sparse = pytest.importorskip("scipy.sparse")

# CI's smoke run (DESCEND_BENCH_SMOKE=1, benchmarks disabled) checks the code on a tenth of the
# rows; the figures of bench/README.md are from the full size.
N = 20_000 if os.environ.get("DESCEND_BENCH_SMOKE") else 200_000
P, NNZ = 2**18, 40
C = 1.0                       # scikit-learn's LogisticRegression(C=1); descend's l2 = 1 / (C n)
ALPHA = 1e-5                  # SGDClassifier(alpha=1e-5); descend's l2 = alpha
# Per-sample SGD steps on CSR are lazy (O(non-zeros) each): the SGD runs use the full data.
N_EPOCH = N                   # rows of the one-epoch runs at p = 2**12 and 2**22

def text_like(n, p, nnz_per_row=NNZ, vocab=1 << 20, exponent=1.1, seed=0):
    """CSR (n, p) of hashed word counts, rows L2-normalised, canonical, int32 indices.

    Each row draws Poisson(1.2 * nnz_per_row) words from a vocabulary of `vocab` words with
    Zipf-like frequencies (rank ** -exponent, by the inverse CDF of the continuous power law);
    a multiplicative hash maps the words to the p = 2**k columns; repeated columns add up, which
    leaves about `nnz_per_row` distinct columns per row.
    """
    rng = np.random.default_rng(seed)
    bits = p.bit_length() - 1
    assert p == 1 << bits
    lengths = rng.poisson(1.2 * nnz_per_row, size=n).clip(1)
    m = int(lengths.sum())
    a = 1.0 - exponent
    words = ((((vocab + 1.0) ** a - 1.0) * rng.random(m) + 1.0) ** (1.0 / a)).astype(np.uint64)
    cols = (words * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)
    key = (np.repeat(np.arange(n, dtype=np.uint64), lengths) << np.uint64(bits)) | cols
    key.sort()                                   # by row, then column
    first = np.empty(m, bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    values = np.diff(starts, append=m).astype(np.float64)     # counts of repeated words
    key = key[starts]
    indices = (key & np.uint64(p - 1)).astype(np.int32)
    row_nnz = np.bincount((key >> np.uint64(bits)).astype(np.intp), minlength=n)
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(row_nnz, out=indptr[1:])
    values /= np.repeat(np.sqrt(np.add.reduceat(values ** 2, indptr[:-1])), row_nnz)
    return sparse.csr_matrix((values, indices, indptr), shape=(n, p))


def sparse_labels(X, seed=1):
    """Binary labels (0/1) and a real target from a sparse linear model (10% of the columns)."""
    rng = np.random.default_rng(seed)
    w = np.where(rng.random(X.shape[1]) < 0.1, rng.standard_normal(X.shape[1]), 0.0)
    z = X @ w
    z /= z.std()
    labels = (z + 0.5 * rng.standard_normal(X.shape[0]) > 0).astype(np.float64)
    target = z + 0.1 * rng.standard_normal(X.shape[0])
    return labels, target


@pytest.fixture(scope="module")
def text():
    X = text_like(N, P)
    labels, target = sparse_labels(X)
    return X, labels, target


# --- 1. gradients ------------------------------------------------------------------------

def _w(p, seed=2):
    return 0.1 * np.random.default_rng(seed).standard_normal(p)


def _scipy_gradient(kind, X, y, n):
    if kind == "least-squares":
        return lambda w: X.T @ (X @ w - y) / n
    t = np.where(y > 0, 1.0, -1.0)
    # d/dm log(1 + e^{-t m}) = -t / (1 + e^{t m})
    return lambda w: X.T @ (-t / (1.0 + np.exp(t * (X @ w)))) / n


@pytest.mark.parametrize("kind", ["least-squares", "logistic"])
@pytest.mark.parametrize("impl", ["descend", "descend-1-thread", "scipy-two-pass"])
def test_sparse_gradient(benchmark, text, kind, impl):
    # descend at its default threads (2 on the bench machine) and on one thread; scipy's
    # sparse products are single-threaded
    X, labels, target = text
    y = target if kind == "least-squares" else labels
    benchmark.group = f"sparse {kind} gradient n=200k p=2^18 nnz/row~40 (CSR f64 i32)"
    w = _w(P)
    make = descend.LeastSquares if kind == "least-squares" else descend.Logistic
    f = make(X, y, n_threads=1) if impl == "descend-1-thread" else make(X, y)
    assert f.X is X  # borrowed
    reference = _scipy_gradient(kind, X, y, N)
    if impl.startswith("descend"):
        g = benchmark.pedantic(f.gradient, args=(w,), rounds=20, warmup_rounds=1)
    else:
        g = benchmark.pedantic(reference, args=(w,), rounds=20, warmup_rounds=1)
    np.testing.assert_allclose(g, reference(w) if impl.startswith("descend") else f.gradient(w),
                               rtol=0, atol=1e-10 * np.abs(g).max())
    if benchmark.stats:
        benchmark.extra_info["GB/s of CSR arrays read once"] = (
            (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
            / benchmark.stats.stats.min / 1e9)


# --- 2. logistic regression to the same objective value ---------------------------------

@pytest.fixture(scope="module")
def logistic(text):
    X, labels, _ = text
    f = descend.Logistic(X, labels, l2=1.0 / (C * N), fit_intercept=True)
    best = descend.minimize(f, np.zeros(P + 1), method="newton-cg", gtol=1e-10,
                            max_iter=1000).fun
    return f, best


def _check_objective(f, w, best):
    assert f.value(w) == pytest.approx(best, rel=1e-6)


GROUP_LR = "logistic regression C=1 to the same objective (1e-6 rel), n=200k p=2^18"


@pytest.mark.parametrize("method, gtol", [("lbfgs", 1e-6), ("newton-cg", 1e-6)])
def test_logistic_regression_descend(benchmark, logistic, method, gtol):
    f, best = logistic
    benchmark.group = GROUP_LR
    r = benchmark.pedantic(descend.minimize, args=(f, np.zeros(P + 1)),
                           kwargs=dict(method=method, gtol=gtol, max_iter=10_000), rounds=1)
    _check_objective(f, r.x, best)
    benchmark.extra_info["iterations"] = int(r.nit)
    benchmark.extra_info["hessian-vector products"] = int(r.nhev)
    benchmark.extra_info["objective"] = float(r.fun)
    benchmark.extra_info["relative gap to best"] = float((r.fun - best) / best)


SKLEARN_TOL = 1e-6


def test_logistic_regression_sklearn_lbfgs(benchmark, text, logistic):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, labels, _ = text
    f, best = logistic
    benchmark.group = GROUP_LR
    model = benchmark.pedantic(
        lambda: linear_model.LogisticRegression(C=C, solver="lbfgs", tol=SKLEARN_TOL,
                                                max_iter=10_000).fit(X, labels), rounds=1)
    w = np.r_[model.coef_.ravel(), model.intercept_]
    _check_objective(f, w, best)
    benchmark.extra_info["iterations"] = int(np.max(model.n_iter_))
    benchmark.extra_info["objective"] = float(f.value(w))
    benchmark.extra_info["relative gap to best"] = float((f.value(w) - best) / best)


# --- 3. per-sample SGD: the cost of an epoch against p ------------------------------------

def _sgd_lr(X, alpha):
    """descend's SGDClassifier default: 1 / (L max ||x_i||^2 + alpha), L = 1/4 for log-loss."""
    return 1.0 / (0.25 * float(X.multiply(X).sum(axis=1).max()) + alpha)


def _sgd(f, lr, epochs):
    return descend.minimize(f, np.zeros(f.n_params), method="sgd", lr=lr,
                            batch_size=1, epochs=epochs, seed=0, epoch_loss="running")


@pytest.mark.parametrize("p", [2**12, 2**22], ids=["p=2^12", "p=2^22"])
def test_sgd_epoch_against_p(benchmark, p):
    """One epoch of per-sample SGD with the same ~40 non-zeros per row at p = 2**12 and 2**22.

    The issue wants both within 1.5x: the lazy steps cost O(non-zeros); what grows with p is
    the O(p) work per run (the start's full loss, the end-of-epoch flush), sequential, and the
    cache misses on a weight vector of 32 MB. The rate (an O(nnz) scipy expression) is
    computed once, outside the timing.
    """
    X = text_like(N_EPOCH, p, seed=3)
    labels, _ = sparse_labels(X, seed=4)
    benchmark.group = f"per-sample SGD, 1 epoch, n={N_EPOCH}, nnz/row~40, logistic l2=1e-5"
    f = descend.Logistic(X, labels, l2=ALPHA, fit_intercept=True)
    lr = _sgd_lr(X, ALPHA)
    r = benchmark.pedantic(_sgd, args=(f, lr, 1), rounds=3)
    # One epoch at the SGDClassifier's default rate on 200 rows need not lower the full loss;
    # what must hold is a finite run whose steps are those of the dense update (below).
    assert np.isfinite(f.value(r.x))
    # The same steps on the dense copy of a slice give the same iterate.
    small = slice(0, 100)
    dense_cols = np.unique(X[small].indices)
    Xs = X[small][:, dense_cols]
    a = _sgd(descend.Logistic(Xs, labels[small], l2=ALPHA, fit_intercept=True), lr, 1)
    b = _sgd(descend.Logistic(Xs.toarray(), labels[small], l2=ALPHA, fit_intercept=True), lr, 1)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-10)
    benchmark.extra_info["us per step"] = (benchmark.stats.stats.min / N_EPOCH * 1e6
                                           if benchmark.stats else None)


# --- 3b. SGDClassifier's problem: 5 epochs of per-sample SGD on the text-like data --------

GROUP_SGD = ("SGDClassifier(loss='log_loss', alpha=1e-5, max_iter=5, tol=None, "
             "learning_rate='optimal'), the text-like data, p=2^18")


@pytest.mark.parametrize("library", ["descend", "sklearn"])
def test_sgd_classifier(benchmark, text, library):
    """scikit-learn's SGDClassifier problem with its settings, and descend's estimator with
    the same schedule ("optimal"), penalty, epochs and shuffling (not the same permutation)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, labels, _ = text
    benchmark.group = GROUP_SGD
    settings = dict(alpha=ALPHA, max_iter=5, tol=None, random_state=0, learning_rate="optimal")
    if library == "descend":
        from descend.linear_model import SGDClassifier
        model = benchmark.pedantic(
            lambda: SGDClassifier(loss="log_loss", **settings).fit(X, labels), rounds=3)
    else:
        model = benchmark.pedantic(
            lambda: linear_model.SGDClassifier(loss="log_loss", **settings).fit(X, labels),
            rounds=3)
    w = np.r_[np.ravel(model.coef_), np.ravel(model.intercept_)]
    loss = descend.Logistic(X, labels, l2=ALPHA, fit_intercept=True).value(w)
    benchmark.extra_info["final objective (log-loss + alpha/2 |w|^2)"] = float(loss)
    # Both fit: well below log(2), the loss of the zero model.
    assert loss < 0.9 * np.log(2)
