"""A status is a promise: success only at a minimum, on any scale (issue 9).

Each test here failed on the main of 2026-11-30: absolute tolerances, the loss-change rule
giving success on a 2-cycle, first-order methods reporting success at a maximum or a saddle.
"""

import os
import pickle
import signal
import threading

import numpy as np
import pytest

import descend
from descend import problems, reference

SCALES = [1e-12, 1e-6, 1.0, 1e6, 1e12]
EQUIVARIANT = ["gd", "momentum", "nesterov", "newton", "newton-cg", "bfgs", "lbfgs"]
ALL_METHODS = EQUIVARIANT + ["adagrad", "rmsprop", "adam", "adamw"]
TRUTH = np.array([1.0, 2.0, 3.0])


def least_squares(scale, n=200, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    return descend.LeastSquares(X, X @ TRUTH * scale)


@pytest.mark.parametrize("method", EQUIVARIANT)
def test_status_iterations_and_accuracy_do_not_depend_on_the_scale_of_y(method):
    # y -> s y scales the solution and every iterate by s: the run must not notice.
    runs = [descend.minimize(least_squares(s), np.zeros(3), method=method, max_iter=5000)
            for s in SCALES]
    errors = [np.linalg.norm(r.x / s - TRUTH) / np.linalg.norm(TRUTH)
              for r, s in zip(runs, SCALES)]
    assert {r.status for r in runs} == {"converged"}
    assert len({r.nit for r in runs}) == 1
    np.testing.assert_allclose(errors, errors[2], rtol=1e-3, atol=1e-13)
    assert max(errors) < 1e-5
    for r, s in zip(runs, SCALES):  # the iterates themselves scale with s
        reference_loss = runs[2].history.loss
        np.testing.assert_allclose(r.history.loss / s**2, reference_loss, rtol=1e-9,
                                   atol=1e-12 * reference_loss[0])


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("scale", SCALES)
def test_success_means_an_accurate_minimum_whatever_the_rule(method, scale):
    # Adam, RMSProp and AdaGrad are not scale-equivariant (eps, steps of size lr): they may
    # need more steps or fail, but a success must be an accurate minimum.
    r = descend.minimize(least_squares(scale), np.zeros(3), method=method, max_iter=3000)
    if r.success:
        assert np.linalg.norm(r.x / scale - TRUTH) <= 1e-4 * np.linalg.norm(TRUTH)
    else:
        assert r.status in ("max_iter", "stalled", "diverged", "line_search_failed")


def test_adam_on_small_scale_data_is_not_called_converged_far_from_the_truth():
    X = np.random.default_rng(1).normal(size=(100, 3))
    f = descend.LeastSquares(X, X @ TRUTH * 1e-6)
    r = descend.minimize(f, np.zeros(3), method="adam")
    assert not r.success or np.allclose(r.x, TRUTH * 1e-6, rtol=1e-4)
    g = descend.minimize(f, np.zeros(3), method="gd")
    assert g.success and g.nit > 1 and np.allclose(g.x, TRUTH * 1e-6, rtol=1e-5)


def test_the_two_cycle_at_lr_two_over_lmax_is_not_success():
    # The lectures' boundary case: at lr = 2/l_max the top eigen-coordinate flips sign forever.
    f = descend.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    r = descend.minimize(f, [1.0, 1.0], lr=0.5)
    assert r.status == "stalled" and not r.success
    assert "oscillate" in r.message and "2/l_max" in r.message
    assert r.grad_norm == pytest.approx(4.0)


def test_a_vanishing_learning_rate_is_not_success():
    f = descend.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    r = descend.minimize(f, [1.0, 1.0], lr=1e-300)
    assert r.status == "stalled" and not r.success and "too small" in r.message


def test_a_subgradient_run_is_never_certified_by_its_subgradient():
    f = problems.absolute_deviation([1.0, 2.0])
    for schedule in (None, "inverse"):
        r = descend.minimize(f, [0.0, 0.0], lr=0.1, schedule=schedule)
        assert not r.success and "not differentiable" in r.message


def test_the_lectures_absolute_rule_is_kept_under_its_own_name():
    f = problems.parabola()
    r = descend.minimize(f, [10.0], lr=0.05, tol_abs=1e-6, gtol=0.0)
    loss = r.history.loss
    assert abs(loss[-1] - loss[-2]) <= 1e-6 < abs(loss[-2] - loss[-3])
    assert r.status == "stalled" and not r.success


def test_a_loss_at_its_rounding_floor_does_not_stop_gradient_descent_early():
    # With a large constant in the loss, its changes drown in rounding long before the
    # gradient is small; the gradient still shrinks, so the run goes on to converge.
    f = descend.Quadratic(np.diag([1.0, 3.0]), np.array([1.0, 1.0]), c=1e10)
    r = descend.minimize(f, [0.0, 0.0], lr=0.3)
    assert r.status == "converged"
    np.testing.assert_allclose(r.x, [1.0, 1.0 / 3.0], rtol=1e-5)


STATIONARY = {
    # name: (objective, start, expected status)
    "maximum": (lambda: descend.Quadratic(-np.eye(3), np.zeros(3)), np.zeros(3), "maximum"),
    "dome": (problems.dome, np.array([1.0, 2.0]), "maximum"),
    "tiny maximum": (lambda: descend.Quadratic(-1e-9 * np.eye(3), np.zeros(3)), np.zeros(3),
                     "maximum"),
    "saddle": (problems.saddle, np.array([1.0, 2.0]), "saddle"),
    "minimum": (problems.bowl, np.array([1.0, 2.0]), "converged"),
    "tiny minimum": (lambda: descend.Quadratic(1e-9 * np.eye(2), np.zeros(2)), np.zeros(2),
                     "converged"),
}


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("point", sorted(STATIONARY))
def test_every_method_names_the_stationary_point_it_starts_on(method, point):
    make, x0, expected = STATIONARY[point]
    f = make()
    r = descend.minimize(f, x0, method=method)
    assert r.status == expected and r.success == (expected == "converged")
    if expected != "converged":
        # The solvers and analysis.curvature share one rule: they never disagree.
        assert descend.analysis.curvature(f, r.x).kind == expected.replace("converged",
                                                                           "minimum")


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov", "newton", "bfgs", "lbfgs",
                                    "newton-cg"])
def test_a_run_that_ends_on_a_saddle_says_so(method):
    # Started on the saddle's stable line (w0 = 1), every method converges to it.
    r = descend.minimize(problems.saddle(), [1.0, 5.0], method=method)
    assert r.status == "saddle" and not r.success
    np.testing.assert_allclose(r.x, [1.0, 2.0], atol=1e-5)


def test_large_problems_use_lanczos_with_a_bounded_cost():
    d = np.linspace(-1.0, 10.0, 400)
    r = descend.minimize(descend.Quadratic(np.diag(d), np.zeros(400)), np.zeros(400))
    assert r.status == "saddle" and "Lanczos" in r.message and r.nhev <= 30
    r = descend.minimize(descend.Quadratic(np.diag(np.abs(d) + 1), np.ones(400)),
                         np.zeros(400), method="lbfgs")
    assert r.status == "converged" and r.nhev <= 31  # the first step's hvp and the test


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
def test_an_objective_unbounded_below_is_diverged_not_a_line_search_failure(method):
    f = descend.Quadratic(np.zeros((2, 2)), np.array([1.0, 0.0]))  # R = -x0
    r = descend.minimize(f, np.zeros(2), method=method)
    assert r.status == "diverged" and "unbounded below" in r.message


@pytest.mark.parametrize("constraint", [descend.constraints.Box(-10.0, 10.0),
                                        descend.constraints.Ball(10.0, center=[1.0, 2.0])],
                         ids=["box", "ball"])
def test_a_constrained_run_at_an_interior_maximum_or_saddle_says_so(constraint):
    # No bound is active, so the plain gradient vanishes and the second-derivative test applies.
    assert descend.minimize(problems.dome(), [1.0, 2.0], constraint=constraint).status == \
        "maximum"
    assert descend.minimize(problems.saddle(), [1.0, 5.0], constraint=constraint).status == \
        "saddle"
    # At an active bound the gradient does not vanish: a constrained minimum, a success.
    r = descend.minimize(problems.bowl(), [0.0, 0.0], constraint=descend.constraints.Ball(0.5))
    assert r.status == "converged"


def test_float32_data_gets_a_default_gtol_float32_can_reach():
    X = np.random.default_rng(0).normal(size=(200, 3)).astype(np.float32)
    f = descend.LeastSquares(X, X @ TRUTH.astype(np.float32))
    for method in ("newton", "bfgs", "lbfgs"):
        r = descend.minimize(f, np.zeros(3), method=method)
        assert r.success and np.allclose(r.x, TRUTH, rtol=1e-4)


def test_a_rank_deficient_least_squares_minimum_is_a_success():
    # d > n: the Hessian is singular but positive semi-definite: a valley of minima.
    X = np.random.default_rng(3).normal(size=(5, 8))
    r = descend.minimize(descend.LeastSquares(X, X @ np.arange(8.0)), np.zeros(8), method="gd",
                         lr=0.05, max_iter=20000)
    assert r.status == "converged" and r.success


def test_newton_on_a_tiny_negative_quadratic_agrees_with_curvature():
    f = descend.Quadratic(-1e-9 * np.eye(3), np.zeros(3))
    r = descend.minimize(f, np.zeros(3), method="newton")
    assert r.status == "maximum" == descend.analysis.curvature(f, r.x).kind


def test_python_functions_without_a_hessian_are_checked_by_gradient_differences():
    r = descend.minimize(lambda x: -x @ x, np.zeros(2), jac=lambda x: -2 * x)
    assert r.status == "maximum" and "differences of the gradient" in r.message
    # A finite-difference gradient is not differenced again: second differences of the value.
    r = descend.minimize(lambda x: -x @ x, np.zeros(2), jac="3-point")
    assert r.status == "maximum" and "second differences of the value" in r.message
    r = descend.minimize(lambda x: -x @ x, np.zeros(2), jac=lambda x: -2 * x,
                         hess=lambda x: -2 * np.eye(2))
    assert r.status == "maximum"


def test_minibatch_runs_are_not_success_without_a_certificate():
    X = np.random.default_rng(0).normal(size=(400, 3))
    f = descend.LeastSquares(X, X @ TRUTH + np.random.default_rng(1).normal(size=400))
    r = descend.minimize(f, np.zeros(3), method="sgd", lr=0.01, epochs=3)
    assert r.status == "completed" and not r.success and "certified" in r.message
    r = descend.minimize(f, np.zeros(3), method="sgd", lr=0.01, epochs=3, epoch_loss="running")
    assert not r.success and "not evaluated" in r.message
    # A run that does reach a small full gradient is a success, and is certified.
    r = descend.minimize(f, np.zeros(3), method="momentum", batch_size=400, epochs=500,
                         lr=0.1)
    assert r.status == "converged" and r.success


def test_minibatch_tol_zero_warns_only_with_the_users_method_name():
    X = np.random.default_rng(0).normal(size=(100, 3))
    f = descend.LeastSquares(X, X @ TRUTH)
    with pytest.warns(descend.ConvergenceWarning, match="^sgd: "):
        descend.minimize(f, np.zeros(3), method="sgd", lr=1e-5, epochs=2, tol=0.0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no tol asked: no warning
        descend.minimize(f, np.zeros(3), method="sgd", lr=1e-5, epochs=2)


def test_constrained_and_l1_runs_converge_on_the_gradient_mapping():
    A = np.random.default_rng(2).normal(size=(60, 5))
    f = descend.LeastSquares(A, 4.0 * A @ np.ones(5))
    r = descend.minimize(f, np.zeros(5), lr=0.3, constraint=descend.constraints.Ball(0.5),
                         max_iter=100_000)
    assert r.status == "converged" and np.linalg.norm(r.x) == pytest.approx(0.5)
    lasso = descend.LeastSquares(A, A @ np.array([1.0, 0, 0, 0, 2.0]), l1=0.1)
    r = descend.minimize(lasso, np.zeros(5), lr=0.3, max_iter=100_000)
    assert r.status == "converged" and (r.x[1:4] == 0).all()


def test_weight_decay_converges_on_the_penalised_gradient():
    f = least_squares(1.0)
    r = descend.minimize(f, np.zeros(3), method="momentum", lr=0.05, weight_decay=0.1,
                         max_iter=5000)
    assert r.status == "converged"
    np.testing.assert_allclose(f.gradient(r.x) + 0.1 * r.x, 0.0, atol=1e-5)


@pytest.mark.parametrize("method", ["gd", "adam"])
def test_weight_decay_moving_towards_its_minimum_is_not_divergence(method):
    # R rises as the penalised minimum pulls x away from R's own minimum: not a divergence.
    r = descend.minimize(problems.bowl(), [1.0, 2.0], method=method, weight_decay=0.1,
                         max_iter=20000)
    assert r.status != "diverged"
    if method == "gd":
        assert r.status == "converged"
        np.testing.assert_allclose(r.x, [1.0, 2.0] / np.float64(1.05), rtol=1e-5)


def test_cosine_by_name_anneals_over_the_whole_run():
    # The default cosine period (100) would reach a rate of zero at step 100 of a longer run.
    r = descend.minimize(problems.bowl(), [0.0, 0.0], schedule="cosine", lr=0.01, max_iter=500)
    assert r.status in ("converged", "max_iter") and len(r.history) > 101
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    noisy = descend.LeastSquares(X, X @ TRUTH + rng.normal(size=50))  # SGD cannot converge
    r = descend.minimize(noisy, np.zeros(3), method="sgd", schedule="cosine", epochs=150,
                         lr=0.01)
    assert r.nit == 150 and (r.history.lr[1:] > 0).all()


def test_the_twin_reproduces_the_stop_monitor():
    f = descend.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    twin = reference.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    for lr in (0.5, 0.3, 1e-300):
        r = descend.minimize(f, [1.0, 1.0], lr=lr)
        t = reference.gradient_descent(twin, [1.0, 1.0], lr=lr)
        assert (r.status, r.nit) == (t["status"], t["nit"])


def test_history_is_bounded_and_keeps_the_last_iterate():
    f = descend.Quadratic(np.array([[1.0]]), np.array([0.0]))
    r = descend.minimize(f, [1.0], lr=1e-6, max_iter=250_000, gtol=0.0, tol=None)
    assert r.nit == 250_000 and len(r.history) <= 100_001
    assert r.history.iteration[0] == 0 and r.history.iteration[-1] == r.nit
    assert (np.diff(r.history.iteration) > 0).all()
    assert r.history.loss[-1] == r.fun


def test_ctrl_c_interrupts_a_long_compiled_run():
    f = problems.rosenbrock()
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            descend.minimize(f, [-1.2, 1.0], lr=1e-12, max_iter=10**12, gtol=0.0, tol=None)
    finally:
        timer.cancel()
    # The interpreter is fine afterwards.
    assert descend.minimize(problems.bowl(), [0.0, 0.0], lr=0.5).success


def test_ctrl_c_interrupts_a_long_minibatch_epoch():
    X = np.random.default_rng(0).normal(size=(2000, 3))
    f = descend.LeastSquares(X, X @ TRUTH)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            descend.minimize(f, np.zeros(3), method="sgd", lr=1e-9, epochs=10**9)
    finally:
        timer.cancel()


@pytest.mark.parametrize("value", [1, 0.5, "yes", [True], np.array([True, False])])
def test_a_callback_must_return_a_bool_or_none(value):
    with pytest.raises(TypeError, match="callback must return None, True or False"):
        descend.minimize(problems.bowl(), [0.0, 0.0], callback=lambda info: value)


def test_a_callback_may_return_numpy_booleans():
    r = descend.minimize(problems.bowl(), [0.0, 0.0], lr=0.01,
                         callback=lambda info: np.bool_(info.nit >= 3))
    assert r.status == "callback" and r.nit == 3


@pytest.mark.parametrize("option, value", [("seed", 2**64), ("seed", -1), ("max_iter", 2**70),
                                           ("epochs", 2**70), ("n_iter_no_change", 2**64)])
def test_out_of_range_integers_are_value_errors_naming_the_option(option, value):
    X = np.random.default_rng(0).normal(size=(20, 3))
    f = descend.LeastSquares(X, X @ TRUTH)
    with pytest.raises(ValueError, match=option):
        descend.minimize(f, np.zeros(3), method="sgd", **{option: value})


def test_a_permutation_too_large_to_allocate_is_a_clear_error():
    # numpy refuses the array before the core writes a byte (no vector::_M_default_append).
    with pytest.raises((MemoryError, ValueError), match="too big|allocate"):
        descend.permutation(2**62, 0, 0)


def test_results_pickle():
    r = descend.minimize(problems.bowl(), [0.0, 0.0], lr=0.5)
    again = pickle.loads(pickle.dumps(r))
    assert again.status == r.status and (again.x == r.x).all()
