"""Parity of the compiled objectives with their numpy twins, for every layout and dtype of X."""

import pickle

import numpy as np
import pytest
from conftest import RTOL, assert_close, make_classification, make_regression

import descend
from descend import reference

DTYPES = [np.float64, np.float32]
ORDERS = ["C", "F"]


CLASSES = {
    "ls": (descend.LeastSquares, reference.LeastSquares),
    "logistic": (descend.Logistic, reference.Logistic),
    "softmax": (descend.Softmax, reference.Softmax),
}


def _pair(kind, dtype, order, fit_intercept, weighted, l2):
    maker = make_regression if kind == "ls" else make_classification
    X, y, _ = maker(n=257, d=7, dtype=dtype, order=order)
    if kind == "softmax":
        y = np.digitize(X[:, 0] + X[:, 1], [-1.0, 0.0, 1.0])  # four classes
    sw = np.random.default_rng(1).uniform(0.2, 2.0, size=len(y)) if weighted else None
    compiled_cls, twin_cls = CLASSES[kind]
    compiled = compiled_cls(X, y, l2=l2, fit_intercept=fit_intercept, sample_weight=sw)
    twin = twin_cls(X.astype(np.float64), y, l2=l2, fit_intercept=fit_intercept,
                    sample_weight=sw)
    return compiled, twin


@pytest.mark.parametrize("kind", ["ls", "logistic", "softmax"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("fit_intercept", [False, True], ids=["no_b", "b"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_glm_parity(kind, dtype, order, fit_intercept, weighted):
    f, twin = _pair(kind, dtype, order, fit_intercept, weighted, l2=0.3)
    r = np.random.default_rng(7)
    w = 0.5 * r.normal(size=f.n_params)
    v = r.normal(size=f.n_params)
    assert f.n_params == twin.n_params
    assert f.n_samples == 257
    assert_close(f.value(w), twin.value(w), dtype)
    assert_close(f.gradient(w), twin.gradient(w), dtype)
    value, grad = f.value_and_gradient(w)
    assert_close(value, twin.value(w), dtype)
    assert_close(grad, twin.gradient(w), dtype)
    assert_close(f.hessian(w), twin.hessian(w), dtype)
    assert_close(f.hvp(w, v), twin.hvp(w, v), dtype)
    rows = np.array([3, 0, 256, 17, 17, 100])
    bv, bg = f.batch_value_and_gradient(w, rows)
    tv, tg = twin.batch_value_and_gradient(w, rows)
    assert_close(bv, tv, dtype)
    assert_close(bg, tg, dtype)


@pytest.mark.parametrize("kind", ["ls", "logistic", "softmax"])
def test_threads_give_the_same_answer(kind):
    maker = make_regression if kind == "ls" else make_classification
    X, y, _ = maker(n=40_000, d=12)
    cls = CLASSES[kind][0]
    one, two = cls(X, y, n_threads=1), cls(X, y, n_threads=2)
    w = np.linspace(-1, 1, one.n_params)
    v = np.cos(np.arange(one.n_params))
    assert_close(two.gradient(w), one.gradient(w))
    assert_close(two.hessian(w), one.hessian(w))
    assert_close(two.hvp(w, v), one.hvp(w, v))
    assert_close(two.value(w), one.value(w))


def test_softmax_with_two_classes_matches_logistic():
    # With W = [[0], [w]] the softmax over two classes is the logistic loss of w.
    X, y, _ = make_classification(n=100, d=3)
    w = np.array([0.4, -0.3, 0.8])
    soft = descend.Softmax(X, y)
    assert_close(soft.value(np.r_[np.zeros(3), w]), descend.Logistic(X, y).value(w))
    assert soft.n_classes == 2 and soft.n_params == 6
    assert soft.coef_matrix(np.arange(6.0)).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_softmax_is_stable_for_huge_scores():
    f = descend.Softmax(np.array([[1000.0], [-1000.0]]), [0, 2], n_classes=3)
    w = np.array([5.0, 0.0, -5.0])
    value, grad = f.value_and_gradient(w)
    assert np.isfinite(value) and np.isfinite(grad).all() and value == 0.0
    assert_close(grad, reference.Softmax(f.X, f.y, n_classes=3).gradient(w))


def test_hessian_is_symmetric_and_matches_finite_differences():
    X, y, _ = make_classification(n=200, d=4)
    f = descend.Logistic(X, y, l2=0.1, fit_intercept=True)
    w = np.array([0.3, -0.2, 0.1, 0.5, -0.4])
    H = f.hessian(w)
    np.testing.assert_array_equal(H, H.T)
    eps = 1e-6
    fd = np.column_stack([(f.gradient(w + eps * e) - f.gradient(w - eps * e)) / (2 * eps)
                          for e in np.eye(5)])
    np.testing.assert_allclose(H, fd, atol=1e-7)


def test_x_is_borrowed_not_copied():
    for order in ORDERS:
        for dtype in DTYPES:
            X, y, _ = make_regression(dtype=dtype, order=order)
            f = descend.LeastSquares(X, y)
            assert f.X is X
    X, y, _ = make_regression()
    f = descend.LeastSquares(X, y)
    before = f.value(np.ones(6))
    X *= 2.0  # the objective sees the caller's memory
    assert f.value(np.ones(6)) != before


def test_objective_keeps_its_arrays_alive():
    X, y, _ = make_regression()
    f = descend.LeastSquares(X, y)
    expected = f.gradient(np.ones(6))
    del X, y
    import gc

    gc.collect()
    assert_close(f.gradient(np.ones(6)), expected)


def test_strided_and_integer_inputs_are_copied_once_and_work():
    X, y, _ = make_regression(n=100, d=4)
    Xs = np.repeat(X, 2, axis=1)[:, ::2]  # a non-contiguous view of X's values
    f = descend.LeastSquares(Xs, y)
    assert f.X.flags.c_contiguous
    g = reference.LeastSquares(X, y).gradient(np.ones(4))
    assert_close(f.gradient(np.ones(4)), g)
    fi = descend.LeastSquares(np.arange(12).reshape(6, 2), np.arange(6))
    assert fi.X.dtype == np.float64


def test_logistic_labels_minus_one_plus_one_equal_zero_one():
    X, y, _ = make_classification()
    w = np.linspace(-1, 1, 6)
    a = descend.Logistic(X, y).value(w)
    b = descend.Logistic(X, 2 * y - 1).value(w)
    c = descend.Logistic(X, y.astype(bool)).value(w)
    assert a == b == c


def test_logistic_is_stable_for_huge_margins():
    X = np.array([[1000.0], [-1000.0], [800.0]])
    y = np.array([1, 1, 0])
    f = descend.Logistic(X, y)
    w = np.array([10.0])  # margins of +-1e4: exp would overflow
    value, grad = f.value_and_gradient(w)
    assert np.isfinite(value) and np.isfinite(grad).all()
    twin = reference.Logistic(X, y)
    assert_close(value, twin.value(w))
    assert_close(grad, twin.gradient(w))
    assert np.isfinite(f.hessian(w)).all()
    # A correctly classified point with a huge margin contributes ~0, never log(0) = -inf.
    g = descend.Logistic(np.array([[1000.0]]), [1])
    assert g.value(np.array([10.0])) == 0.0


def test_penalty_skips_the_intercept():
    X, y, _ = make_regression(n=50, d=3)
    f = descend.LeastSquares(X, y, l2=2.0, fit_intercept=True)
    f0 = descend.LeastSquares(X, y, l2=0.0, fit_intercept=True)
    w = np.array([1.0, 2.0, 3.0, 100.0])
    assert_close(f.value(w) - f0.value(w), 0.5 * 2.0 * 14.0)
    assert_close(f.gradient(w) - f0.gradient(w), [2.0, 4.0, 6.0, 0.0])


def test_sample_weights_equal_repeated_rows():
    X, y, _ = make_regression(n=20, d=3)
    sw = np.arange(1, 21) % 3 + 0.0  # 0, 1 or 2 copies of each row
    rows = np.repeat(np.arange(20), sw.astype(int))
    w = np.array([0.5, -1.0, 2.0])
    weighted = descend.LeastSquares(X, y, sample_weight=sw)
    repeated = descend.LeastSquares(X[rows], y[rows])
    assert_close(weighted.value(w), repeated.value(w))
    assert_close(weighted.gradient(w), repeated.gradient(w))


@pytest.mark.parametrize("make", [
    lambda: descend.Quadratic(np.array([[3.0, 1.0], [1.0, 2.0]]), [1.0, -1.0], 0.5),
    descend.problems.parabola, descend.problems.double_well, descend.problems.bowl,
    descend.problems.dome, descend.problems.saddle,
    lambda: descend.problems.rosenbrock(2), lambda: descend.problems.rosenbrock(5),
], ids=["quadratic", "parabola", "double_well", "bowl", "dome", "saddle", "rosen2", "rosen5"])
def test_small_objectives_match_twins(make):
    f = make()
    if isinstance(f, descend.Quadratic):
        twin = reference.Quadratic(f.A, f.b, f.c)
    elif isinstance(f, descend.problems.Polynomial1D):
        twin = reference.Polynomial1D(f.coefficients)
    else:
        twin = reference.Rosenbrock(f.n_params)
    r = np.random.default_rng(3)
    for _ in range(3):
        w = r.normal(size=f.n_params)
        v = r.normal(size=f.n_params)
        assert_close(f.value(w), twin.value(w))
        assert_close(f.gradient(w), twin.gradient(w))
        assert_close(f.hessian(w), twin.hessian(w))
        assert_close(f.hvp(w, v), twin.hvp(w, v))


def test_lecture_functions_have_the_stated_critical_points():
    p = descend.problems
    assert p.parabola().value([1.5]) == 1.75
    assert_close(p.parabola().gradient([1.5]), [0.0])
    for f, kind in [(p.bowl(), 1), (p.dome(), -1), (p.saddle(), 0)]:
        assert_close(f.gradient([1.0, 2.0]), [0.0, 0.0])
        eig = np.linalg.eigvalsh(f.hessian([1.0, 2.0]))
        assert np.sign(eig).sum() == 2 * kind
    assert p.bowl().value([1.0, 2.0]) == 1.0
    assert p.dome().value([1.0, 2.0]) == -1.0
    assert p.saddle().value([1.0, 2.0]) == 1.0
    assert p.saddle().value([0.0, 2.0]) == 0.0  # down along w0
    assert p.saddle().value([1.0, 3.0]) == 2.0  # up along w1
    dw = p.double_well()
    roots = np.roots([4.0, 0.0, -10.0, 1.0])  # R'(w) = 4w^3 - 10w + 1
    for root in roots.real:
        assert abs(dw.gradient([root])[0]) < 1e-9
    assert sorted(np.sign([dw.hessian([r])[0, 0] for r in roots.real])) == [-1, 1, 1]
    assert p.rosenbrock(4).value(np.ones(4)) == 0.0
    assert_close(p.rosenbrock(4).gradient(np.ones(4)), np.zeros(4))


@pytest.mark.parametrize("make", [
    lambda: descend.LeastSquares(*make_regression(n=30, d=3)[:2], l2=0.1, fit_intercept=True),
    lambda: descend.Logistic(*make_classification(n=30, d=3)[:2]),
    lambda: descend.Softmax(make_classification(n=30, d=3)[0], np.arange(30) % 3, l2=0.5),
    descend.problems.bowl, descend.problems.double_well, lambda: descend.problems.rosenbrock(3),
], ids=["ls", "logistic", "softmax", "quadratic", "polynomial", "rosenbrock"])
def test_objectives_pickle(make):
    f = make()
    g = pickle.loads(pickle.dumps(f))
    assert type(g) is type(f)
    w = np.full(f.n_params, 0.3)
    assert g.value(w) == f.value(w)
    assert repr(g) == repr(f)


def test_float32_tolerance_table_is_what_we_claim():
    assert RTOL[np.dtype(np.float32)] == 1e-5 and RTOL[np.dtype(np.float64)] == 1e-12
