"""scipy.sparse X: the CSR data policy of the empirical-risk skeleton, against X.toarray()."""

import pickle
import re

import numpy as np
import pytest
from conftest import assert_close

import descend

sparse = pytest.importorskip("scipy.sparse")


def _sparse_problem(n=300, d=40, density=0.1, seed=0, kind="ls", dtype=np.float64,
                    index=np.int32, fmt="csr"):
    r = np.random.default_rng(seed)
    X = sparse.random(n, d, density=density, random_state=seed, format="csr", dtype=np.float64)
    X = X.astype(dtype)
    X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    z = X.toarray() @ r.normal(size=d)
    if kind == "ls":
        y = z + 0.1 * r.normal(size=n)
    elif kind == "logistic":
        y = (z > 0).astype(float)
    else:
        y = np.digitize(z, [-0.5, 0.0, 0.5])
    return X.asformat(fmt), y


CLASSES = {"ls": descend.LeastSquares, "logistic": descend.Logistic, "softmax": descend.Softmax}


@pytest.mark.parametrize("kind", list(CLASSES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("index", [np.int32, np.int64], ids=["i32", "i64"])
@pytest.mark.parametrize("fit_intercept", [False, True], ids=["no_b", "b"])
def test_csr_matches_the_dense_objective(kind, dtype, index, fit_intercept):
    X, y = _sparse_problem(kind=kind, dtype=dtype, index=index)
    sw = np.random.default_rng(3).uniform(0.2, 3.0, size=X.shape[0])
    options = dict(l2=0.2, fit_intercept=fit_intercept, sample_weight=sw)
    f = CLASSES[kind](X, y, **options)
    dense = CLASSES[kind](X.toarray(), y, **options)
    assert f.X is X  # borrowed, not copied
    r = np.random.default_rng(7)
    w, v = 0.3 * r.normal(size=f.n_params), r.normal(size=f.n_params)
    assert_close(f.value(w), dense.value(w), dtype)
    assert_close(f.gradient(w), dense.gradient(w), dtype)
    assert_close(f.hessian(w), dense.hessian(w), dtype)
    assert_close(f.hvp(w, v), dense.hvp(w, v), dtype)
    rows = np.array([5, 0, 299, 17, 17])
    for a, b in zip(f.batch_value_and_gradient(w, rows), dense.batch_value_and_gradient(w, rows)):
        assert_close(a, b, dtype)
    assert_close(f.loss_sum(w, 10, 200)[1], dense.loss_sum(w, 10, 200)[1], dtype)


@pytest.mark.parametrize("kind", list(CLASSES))
def test_threads_give_the_same_answer_on_csr(kind):
    X, y = _sparse_problem(n=60_000, d=200, density=0.05, kind=kind)
    one, two = CLASSES[kind](X, y, n_threads=1), CLASSES[kind](X, y, n_threads=2)
    w = np.linspace(-1, 1, one.n_params)
    assert_close(two.gradient(w), one.gradient(w))
    assert_close(two.value(w), one.value(w))


@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("shape, density", [((50_000, 60), 0.1), ((40, 5000), 0.01)],
                         ids=["tall", "wide"])
@pytest.mark.parametrize("threads", [1, 2])
def test_both_fused_layouts_match_the_dense_objective(kind, shape, density, threads):
    # A pass over at least d stored entries keeps w, v and the sums interleaved in one
    # buffer (models/linear.hpp); a shorter one (the wide shape) adds into the vectors
    # directly (the tall shape on two threads: one buffer per chunk). Both must be the dense
    # objective's gradient and Hessian-vector product, with repeated columns adding up.
    n, d = shape
    X, y = _sparse_problem(n=n, d=d, density=density, kind=kind)
    last = slice(X.indptr[-2], X.indptr[-2] + 2)  # the last row's first two entries, again
    X = sparse.csr_matrix((np.r_[X.data, X.data[last]], np.r_[X.indices, X.indices[last]],
                           np.r_[X.indptr[:-1], X.indptr[-1] + 2]), shape=X.shape)
    assert X.indptr[-1] - X.indptr[-2] >= 4
    sw = np.random.default_rng(4).uniform(0.5, 2.0, size=n)
    options = dict(l2=0.1, fit_intercept=True, sample_weight=sw, n_threads=threads)
    f = CLASSES[kind](X, y, **options)
    dense = CLASSES[kind](X.toarray(), y, **options)
    r = np.random.default_rng(8)
    w, v = 0.3 * r.normal(size=f.n_params), r.normal(size=f.n_params)
    np.testing.assert_allclose(f.gradient(w), dense.gradient(w), rtol=0, atol=1e-12)
    np.testing.assert_allclose(f.hvp(w, v), dense.hvp(w, v), rtol=0, atol=1e-12)
    np.testing.assert_allclose(f.value(w), dense.value(w), rtol=1e-13)


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil"])
def test_other_formats_are_converted_once(fmt):
    X, y = _sparse_problem(fmt=fmt)
    f = descend.LeastSquares(X, y)
    assert f.X.format == "csr" and "CSR" in repr(f)
    w = np.ones(40)
    assert_close(f.gradient(w), descend.LeastSquares(X.toarray(), y).gradient(w))


def test_csr_arrays_work_like_csr_matrices():
    X, y = _sparse_problem()
    f = descend.LeastSquares(sparse.csr_array(X), y)
    assert_close(f.gradient(np.ones(40)), descend.LeastSquares(X, y).gradient(np.ones(40)))


def test_non_canonical_csr_sums_duplicates_and_ignores_the_order():
    # Row 0 stores column 2 twice (1 + 2) and its columns out of order.
    data = np.array([1.0, 5.0, 2.0, 4.0])
    indices = np.array([2, 0, 2, 1], dtype=np.int32)
    indptr = np.array([0, 3, 4], dtype=np.int32)
    X = sparse.csr_matrix((data, indices, indptr), shape=(2, 3))
    assert not X.has_canonical_format
    dense = np.array([[5.0, 0.0, 3.0], [0.0, 4.0, 0.0]])
    w = np.array([0.5, -1.0, 2.0, 0.3])
    for cls, y in [(descend.LeastSquares, [1.0, 2.0]), (descend.Logistic, [0, 1])]:
        f = cls(X, y, fit_intercept=True)
        g = cls(dense, y, fit_intercept=True)
        assert_close(f.value(w), g.value(w))
        assert_close(f.gradient(w), g.gradient(w))
        assert_close(f.hessian(w), g.hessian(w))
    s = descend.Softmax(X, [0, 1], fit_intercept=True)
    t = descend.Softmax(dense, [0, 1], fit_intercept=True)
    w = np.linspace(-1, 1, 8)
    assert_close(s.hessian(w), t.hessian(w))
    assert_close(s.gradient(w), t.gradient(w))


@pytest.mark.parametrize("method, options", [
    ("gd", dict(lr=0.5, max_iter=50)),
    ("momentum", dict(lr=0.1, max_iter=50)),
    ("adam", dict(lr=0.05, max_iter=50)),
    ("newton", dict(max_iter=3, gtol=0.0)),
    ("newton-cg", dict(max_iter=3, gtol=0.0)),
    ("lbfgs", dict(max_iter=10, gtol=0.0)),
    ("bfgs", dict(max_iter=10, gtol=0.0)),
    ("sgd", dict(lr=0.1, batch_size=16, epochs=3, seed=2)),
])
def test_every_method_gives_the_dense_iterates(method, options):
    X, y = _sparse_problem(kind="logistic", d=20)
    f = descend.Logistic(X, y, l2=0.01, fit_intercept=True)
    g = descend.Logistic(X.toarray(), y, l2=0.01, fit_intercept=True)
    a = descend.minimize(f, np.zeros(21), method=method, **options)
    b = descend.minimize(g, np.zeros(21), method=method, **options)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-10)
    assert a.status == b.status and a.nit == b.nit


@pytest.mark.parametrize("method", ["newton", "newton-cg", "lbfgs", "bfgs"])
def test_converged_runs_agree_with_the_dense_ones(method):
    # Iterates agree to rounding until the loss reaches its floating-point floor; there a line
    # search's accept-or-shrink decision compares differences of 1e-17 and may go either way,
    # so the last step may differ at the level of the gradient tolerance (both converged).
    X, y = _sparse_problem(kind="logistic", d=20)
    a = descend.minimize(descend.Logistic(X, y, l2=0.01, fit_intercept=True), np.zeros(21),
                         method=method)
    b = descend.minimize(descend.Logistic(X.toarray(), y, l2=0.01, fit_intercept=True),
                         np.zeros(21), method=method)
    assert a.success and b.success
    np.testing.assert_allclose(a.x, b.x, rtol=1e-6, atol=1e-7)


def test_l1_and_constraints_on_csr():
    X, y = _sparse_problem(d=20)
    f = descend.LeastSquares(X, y, l1=0.02)
    g = descend.LeastSquares(X.toarray(), y, l1=0.02)
    box = descend.constraints.Box(-0.5, 0.5)
    a = descend.minimize(f, np.zeros(20), lr=1.0, max_iter=200, constraint=box)
    b = descend.minimize(g, np.zeros(20), lr=1.0, max_iter=200, constraint=box)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_a_sparse_objective_pickles():
    X, y = _sparse_problem()
    f = descend.LeastSquares(X, y, l2=0.5)
    g = pickle.loads(pickle.dumps(f))
    assert_close(g.gradient(np.ones(40)), f.gradient(np.ones(40)))


def test_integer_and_boolean_values_are_copied_to_float64():
    X = sparse.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], dtype=np.int64))
    f = descend.LeastSquares(X, [1.0, 2.0])
    assert f.X.dtype == np.float64
    b = descend.LeastSquares(X.astype(bool), [1.0, 2.0])
    assert_close(b.gradient(np.ones(3)), descend.LeastSquares(np.array([[1.0, 0, 1], [0, 1, 0]]),
                                                              [1.0, 2.0]).gradient(np.ones(3)))


def _raw(data, indices, indptr, shape):
    # scipy would refuse some of these itself: build the matrix, then corrupt its arrays.
    X = sparse.csr_matrix(shape, dtype=np.float64)
    X.data, X.indices, X.indptr = (np.asarray(data, np.float64), np.asarray(indices, np.int32),
                                   np.asarray(indptr, np.int32))
    return X


@pytest.mark.parametrize("X, match", [
    (lambda: _raw([1.0, 2.0], [0, 7], [0, 1, 2], (2, 3)), "column indices in \\[0, 3\\)"),
    (lambda: _raw([1.0, 2.0], [0, -1], [0, 1, 2], (2, 3)), "column indices in \\[0, 3\\)"),
    (lambda: _raw([1.0, 2.0], [0, 1], [0, 2, 1], (2, 3)), "indptr must be non-decreasing|indptr"),
    (lambda: _raw([1.0, 2.0], [0, 1], [1, 1, 2], (2, 3)), "indptr must start at 0"),
    (lambda: _raw([1.0, 2.0], [0, 1], [0, 1, 5], (2, 3)), "indptr\\[-1\\] must equal"),
    (lambda: _raw([1.0], [0, 1], [0, 1, 2], (2, 3)), "same length"),
    (lambda: _raw([1.0, np.nan], [0, 1], [0, 1, 2], (2, 3)), "NaN or infinity"),
    (lambda: _raw([1.0, np.inf], [0, 1], [0, 1, 2], (2, 3)), "NaN or infinity"),
    (lambda: sparse.csr_matrix((0, 3)), "must not be empty"),
    (lambda: sparse.csr_matrix((3, 0)), "must not be empty"),
])
def test_corrupt_or_empty_csr_is_refused(X, match):
    with pytest.raises(ValueError, match=match):
        descend.LeastSquares(X(), np.ones(X().shape[0] or 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
@pytest.mark.parametrize("where", [0, 1_234_567, -1])  # entries of either thread's rows
def test_the_core_finds_a_bad_value_or_index_anywhere(dtype, index, where):
    # The core checks the values (finite, magnitude) and the indices in one pass, its rows
    # split over the threads from 2**21 entries: a fault in the first, a middle or the last
    # entry is found, with the same messages as the dense checks.
    n, per_row = 100_000, 22  # 2.2 million entries, 22 increasing columns a row
    indptr = np.arange(0, n * per_row + 1, per_row)
    indices = np.tile(np.arange(per_row) * 13, n)
    values = np.linspace(-1.0, 1.0, n * per_row)
    y = np.ones(n)

    def copy():  # the arrays set after construction: scipy would narrow int64 indices
        Z = sparse.csr_matrix((n, 300), dtype=dtype)
        Z.data, Z.indices, Z.indptr = (values.astype(dtype), indices.astype(index),
                                       indptr.astype(index))
        return Z

    X = copy()
    descend.LeastSquares(X, y)  # clean: accepted
    big = 1e20 if dtype == np.float32 else 1e200
    for value, match in [(np.nan, "X contains NaN or infinity"),
                         (-np.inf, "X contains NaN or infinity"),
                         (-big, f"X has entries of magnitude {re.escape(f'{big:.3g}')}, "
                                f"above .* for {np.dtype(dtype).name}: .* rescale X")]:
        Z = copy()
        Z.data[where] = value
        with pytest.raises(ValueError, match=match):
            descend.LeastSquares(Z, y)
        dense = np.ones((2, 3), dtype=dtype)
        dense[1, 2] = value
        with pytest.raises(ValueError, match=match):  # the dense check's very words
            descend.LeastSquares(dense, [1.0, 2.0])
    for column in (-1, 300, np.iinfo(index).max, np.iinfo(index).min):
        Z = copy()
        Z.indices[where] = column
        with pytest.raises(ValueError, match=rf"column indices in \[0, 300\), got {column}"):
            descend.LeastSquares(Z, y)


def test_unsorted_rows_found_by_the_check_give_the_canonical_results():
    X = sparse.random(3000, 50, density=0.2, format="csr", random_state=1)
    shuffled = X.copy()
    rng = np.random.default_rng(0)
    for i in (0, 1500, 2999):  # rows of either thread's share
        start, end = shuffled.indptr[i], shuffled.indptr[i + 1]
        order = rng.permutation(end - start)[::-1]
        shuffled.indices[start:end] = shuffled.indices[start:end][order]
        shuffled.data[start:end] = shuffled.data[start:end][order]
    w = np.linspace(-1, 1, 50)
    y = np.arange(3000) % 2
    for make in (descend.LeastSquares, descend.Logistic):
        assert_close(make(shuffled, y).gradient(w), make(X, y).gradient(w))


def test_complex_values_and_sparse_targets_are_refused():
    X = sparse.csr_matrix(np.eye(3) * (1 + 1j))
    with pytest.raises(TypeError, match="real numbers"):
        descend.LeastSquares(X, np.ones(3))
    with pytest.raises(TypeError):
        descend.LeastSquares(sparse.csr_matrix(np.eye(3)), sparse.csr_matrix(np.ones((3, 1))))


def test_an_all_zero_matrix_is_fine():
    X = sparse.csr_matrix((4, 3))
    f = descend.LeastSquares(X, np.ones(4), fit_intercept=True)
    np.testing.assert_allclose(f.gradient(np.zeros(4)), [0.0, 0.0, 0.0, -1.0])


def test_import_descend_does_not_import_scipy():
    import subprocess
    import sys

    code = "import sys, descend; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_dense_hessian_too_large_for_memory_is_refused_with_the_way_out():
    # p = 2**18 features: a dense p x p Hessian would take 550 GB.
    X = sparse.random(100, 2**18, density=1e-4, format="csr", random_state=0)
    f = descend.Logistic(X, np.arange(100) % 2)
    with pytest.raises(ValueError, match="use hvp\\(w, v\\) instead"):
        f.hessian(np.zeros(f.n_params))
    for method in ["newton", "bfgs"]:
        with pytest.raises(ValueError, match="more than half of this machine's memory.*newton-cg"):
            descend.minimize(f, np.zeros(f.n_params), method=method)
    r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", max_iter=5)
    assert r.nit <= 5  # the matrix-free methods run


def test_newton_cg_is_preconditioned_by_the_parameter_scales():
    # Columns whose scales differ by orders of magnitude (as a frequent word's and a rare
    # one's): conjugate gradients preconditioned by the inverse of the parameter scales need
    # far fewer Hessian-vector products for the same residual, and descend's newton-cg follows
    # its twin (which uses the same metric) step for step.
    from descend import reference
    from descend.reference.descent import newton_cg_direction
    X, y = _sparse_problem(n=400, d=30, density=0.3, kind="logistic")
    X = X @ sparse.diags(np.logspace(-2, 2, 30))
    f = descend.Logistic(X, y, l2=1e-3, fit_intercept=True)
    twin = reference.Logistic(X.toarray(), y, l2=1e-3, fit_intercept=True)
    x = np.zeros(f.n_params)
    g = f.gradient(x)
    products = {"plain": 0, "preconditioned": 0}

    def counted(key):
        def hvp(v):
            products[key] += 1
            return f.hvp(x, v)
        return hvp

    P = 1.0 / np.asarray(twin.parameter_scales())
    tight = 1e12 * np.linalg.norm(g)  # g0norm: a residual target of 1e-6 ||g||
    for key, metric in (("plain", None), ("preconditioned", P)):
        p = newton_cg_direction(counted(key), g, 200, tight, metric)
        residual = f.hvp(x, p) + g
        assert np.linalg.norm(residual) <= 1e-6 * np.linalg.norm(g)
    assert products["preconditioned"] < 0.5 * products["plain"]
    r = descend.minimize(f, x, method="newton-cg", gtol=1e-8)
    t = reference.descent(twin, x, direction="newton-cg", gtol=1e-8)
    assert r.success and r.status == t["status"] and r.nit == t["nit"]
    np.testing.assert_allclose(r.x, t["x"], rtol=1e-9, atol=1e-9)
