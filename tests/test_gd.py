"""Batch gradient descent: parity with the numpy loop, the lectures' facts, stopping, callbacks."""

import numpy as np
import pytest
from conftest import assert_close, make_classification, make_regression

import descend
from descend import reference

# An ill-conditioned quadratic with known eigenvalues 1, 4 and 10 in a rotated basis.
EIGENVALUES = np.array([1.0, 4.0, 10.0])
Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
A = Q @ np.diag(EIGENVALUES) @ Q.T
A = 0.5 * (A + A.T)
B = np.array([1.0, -2.0, 0.5])
W_STAR = np.linalg.solve(A, B)


def quadratic():
    return descend.Quadratic(A, B)


def test_each_eigen_coordinate_follows_the_lecture_formula():
    # a_i(t) = (1 - lr * l_i)^t a_i(0) in the Hessian's eigenbasis, for every t.
    x0 = np.array([2.0, 1.0, -1.0])
    lr = 0.15
    a0 = Q.T @ (x0 - W_STAR)
    for t in [1, 2, 5, 17]:
        r = descend.minimize(quadratic(), x0, lr=lr, max_iter=t, tol=0.0, gtol=0.0)
        assert r.nit == t and r.status == "max_iter"
        a_t = Q.T @ (r.x - W_STAR)
        np.testing.assert_allclose(a_t, (1 - lr * EIGENVALUES) ** t * a0, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("factor", [0.5, 0.9, 0.99])
def test_lr_below_two_over_lmax_converges(factor):
    lr = factor * 2.0 / EIGENVALUES.max()
    r = descend.minimize(quadratic(), np.zeros(3), lr=lr, max_iter=20_000, gtol=1e-9, tol=0.0)
    assert r.success and r.status == "converged"
    np.testing.assert_allclose(r.x, W_STAR, atol=1e-6)


@pytest.mark.parametrize("factor", [1.01, 1.5, 3.0])
def test_lr_above_two_over_lmax_diverges_and_says_so(factor):
    lr = factor * 2.0 / EIGENVALUES.max()
    r = descend.minimize(quadratic(), np.zeros(3), lr=lr, max_iter=100_000)
    assert r.status == "diverged"
    assert not r.success
    assert "learning rate" in r.message and "too large" in r.message


def test_oscillation_where_one_minus_lr_l_is_negative():
    # Between 1/l_max and 2/l_max the top eigen-coordinate flips sign every step while
    # shrinking; the others (1 - lr*l_i > 0) keep their sign.
    lr = 1.5 / EIGENVALUES.max()
    x0 = W_STAR + Q @ np.array([1.0, 1.0, 1.0])
    signs = []
    for t in range(1, 8):
        r = descend.minimize(quadratic(), x0, lr=lr, max_iter=t, tol=0.0, gtol=0.0)
        signs.append(np.sign(Q.T @ (r.x - W_STAR)))
    signs = np.array(signs)
    assert (signs[:, 2] == [(-1) ** t for t in range(1, 8)]).all()
    assert (signs[:, :2] == 1).all()
    r = descend.minimize(quadratic(), x0, lr=lr, max_iter=10_000, gtol=1e-10, tol=0.0)
    assert r.success


def test_loss_decreases_monotonically_on_a_quadratic_below_the_threshold():
    r = descend.minimize(quadratic(), np.zeros(3), lr=0.19, max_iter=200, tol=0.0, gtol=0.0)
    assert (np.diff(r.history.loss) <= 1e-15).all()


@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_parity_with_the_numpy_loop(kind, dtype):
    if kind == "ls":
        X, y, _ = make_regression(dtype=dtype)
        f, twin = descend.LeastSquares(X, y, l2=0.01), reference.LeastSquares(X, y, l2=0.01)
    else:
        X, y, _ = make_classification(dtype=dtype)
        f, twin = descend.Logistic(X, y, fit_intercept=True), reference.Logistic(
            X, y, fit_intercept=True)
    x0 = np.zeros(f.n_params)
    # In float32 the stopping tests would compare rounding noise: run a fixed count instead.
    stop = dict(tol=1e-12, gtol=1e-8) if dtype == np.float64 else dict(tol=0.0, gtol=0.0)
    r = descend.minimize(f, x0, lr=0.3, max_iter=60, **stop)
    t = reference.gradient_descent(twin, x0, lr=0.3, max_iter=60, **stop)
    assert r.nit == t["nit"] and r.status == t["status"]
    assert_close(r.x, t["x"], dtype)
    assert_close(r.history.loss, t["history"]["loss"], dtype)
    assert_close(r.history.grad_norm, t["history"]["grad_norm"], dtype)


def test_lectures_stopping_rule_on_the_loss_change():
    # The lectures' absolute rule stops the run, but a loss change alone is no certificate
    # of a minimum: the status says the run stalled, and success is False.
    r = descend.minimize(descend.problems.parabola(), [10.0], lr=0.05, tol_abs=1e-6, gtol=0.0)
    assert r.status == "stalled" and not r.success and "tol_abs" in r.message
    loss = r.history.loss
    assert abs(loss[-1] - loss[-2]) <= 1e-6 < abs(loss[-2] - loss[-3])
    # With a gradient test that can be met, the same run converges before the loss rule.
    r = descend.minimize(descend.problems.parabola(), [10.0], lr=0.05, tol_abs=1e-6, gtol=1e-2)
    assert r.status == "converged" and r.success


def test_gtol_stops_and_max_iter_is_not_success():
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1, gtol=1e-3, tol=0.0)
    g0 = r.history.grad_norm[0]
    assert r.status == "converged" and r.grad_norm <= 1e-3 * g0 and "gtol" in r.message
    assert r.history.grad_norm[-2] > 1e-3 * g0  # relative to ||g0||: not one step early
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1, gtol=0.0, gtol_abs=1e-3)
    assert r.status == "converged" and r.grad_norm <= 1e-3 < r.history.grad_norm[-2]
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=1e-4, max_iter=5)
    assert r.status == "max_iter" and not r.success and r.nit == 5


def test_start_at_the_minimum_stops_at_once():
    r = descend.minimize(descend.problems.bowl(), [1.0, 2.0])
    assert r.nit == 0 and r.success and r.nfev == 1


def test_result_fields_and_history():
    r = descend.minimize(descend.problems.rosenbrock(), [-1.2, 1.0], lr=1e-3, max_iter=50)
    assert len(r.history) == r.nit + 1 == 51
    assert r.nfev == r.njev == r.nit + 1 and r.nhev == 0
    assert np.isnan(r.history.lr[0]) and (r.history.lr[1:] == 1e-3).all()
    assert (np.diff(r.history.time) >= 0).all()
    assert r.fun == r.history.loss[-1]
    assert r.method == "gd"
    assert "Result(" in repr(r) and "History(" in repr(r.history)
    # One name for the step-size column: "step" (lr stays as the same array, for old code).
    assert set(r.history.as_dict()) == {"iteration", "loss", "grad_norm", "step", "time"}
    assert r.history.lr is r.history.step
    assert (r.history.iteration == np.arange(r.nit + 1)).all()


def test_x0_is_not_modified():
    x0 = np.zeros(3)
    descend.minimize(quadratic(), x0, lr=0.1, max_iter=3)
    assert (x0 == 0).all()


def test_non_finite_loss_is_diverged_not_success():
    r = descend.minimize(descend.problems.double_well(), [3.0], lr=1.0, max_iter=1000)
    assert r.status == "diverged" and not r.success and "learning rate" in r.message


def test_callback_sees_each_iteration_and_can_stop():
    seen = []

    def record(info):
        seen.append((info.nit, info.loss, info.x.copy()))

    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1, max_iter=5, callback=record)
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5]
    assert_close([s[1] for s in seen], r.history.loss[1:])
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1,
                         callback=lambda info: info.nit >= 3)
    assert r.status == "callback" and r.success and r.nit == 3


def test_callback_stop_iteration_and_exceptions():
    def stop(info):
        raise StopIteration

    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], callback=stop)
    assert r.status == "callback" and r.nit == 1

    def boom(info):
        raise KeyError("from the callback")

    f = descend.problems.bowl()
    with pytest.raises(KeyError, match="from the callback"):
        descend.minimize(f, [0.0, 0.0], callback=boom)
    assert descend.minimize(f, [0.0, 0.0], lr=0.25).success  # still usable


def test_methods_lists_gd():
    assert "gd" in descend.methods()


def test_gd_trains_softmax_to_the_twins_answer():
    X, _, _ = make_classification(n=400, d=4)
    y = np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5])
    f = descend.Softmax(X, y, l2=0.01, fit_intercept=True)
    twin = reference.Softmax(X, y, l2=0.01, fit_intercept=True)
    x0 = np.zeros(f.n_params)
    r = descend.minimize(f, x0, lr=1.0, max_iter=40, tol=0.0, gtol=0.0)
    t = reference.gradient_descent(twin, x0, lr=1.0, max_iter=40, tol=0.0, gtol=0.0)
    assert_close(r.x, t["x"])
    accuracy = np.mean(np.argmax(X @ f.coef_matrix(r.x)[:, :4].T + f.coef_matrix(r.x)[:, 4], 1)
                       == y)
    assert accuracy > 0.9
