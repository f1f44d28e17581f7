"""The toolkit: a Python callable objective in descend's loop against scipy.optimize on the same
callable, and Lanczos l_max against numpy.linalg.eigvalsh on d = 2000.

Per-iteration figures (Rosenbrock d = 50, 200 iterations, gtol = 0): descend's BFGS, L-BFGS and
GD, whose C++ loops call back into Python, against scipy's BFGS and L-BFGS-B on the same
callables. Each run records in extra_info: nit, nfev, njev, us per iteration, and us overhead per
iteration (the time beyond nfev value calls and njev gradient calls, each timed alone), the
loops' own cost. For stable scipy figures on a shared machine set OPENBLAS_NUM_THREADS=1.

Run: python -m pytest bench/test_bench_toolkit.py --benchmark-only --benchmark-group-by=group
"""

import time

import numpy as np
import pytest

import descend
from descend import analysis, reference

ROSEN = reference.Rosenbrock(10)
X0 = np.full(10, -0.5)


def test_callable_bfgs_descend(benchmark):
    benchmark.group = "BFGS on a Python Rosenbrock (d=10), same callables"
    r = benchmark(lambda: descend.minimize(ROSEN.value, X0, jac=ROSEN.gradient, method="bfgs",
                                           gtol=1e-6))
    assert r.success
    benchmark.extra_info["iterations"] = r.nit
    benchmark.extra_info["function calls"] = r.nfev


def test_callable_bfgs_scipy(benchmark):
    optimize = pytest.importorskip("scipy.optimize")
    benchmark.group = "BFGS on a Python Rosenbrock (d=10), same callables"
    r = benchmark(lambda: optimize.minimize(ROSEN.value, X0, jac=ROSEN.gradient, method="BFGS",
                                            options={"gtol": 1e-6}))
    ours = descend.minimize(ROSEN.value, X0, jac=ROSEN.gradient, method="bfgs", gtol=1e-6)
    np.testing.assert_allclose(r.x, ours.x, atol=1e-5)
    benchmark.extra_info["iterations"] = r.nit
    benchmark.extra_info["function calls"] = r.nfev


@pytest.fixture(scope="module")
def big_quadratic():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((2000, 2000)))
    eig = np.geomspace(1e-2, 1e3, 2000)
    return descend.Quadratic((Q * eig) @ Q.T), eig


def test_lanczos_lmax(benchmark, big_quadratic):
    f, eig = big_quadratic
    benchmark.group = "largest Hessian eigenvalue, d=2000"
    lo, hi = benchmark(lambda: analysis.lanczos_extremes(lambda v: f.hvp(np.zeros(2000), v),
                                                         2000, steps=40))
    assert hi == pytest.approx(eig[-1], rel=1e-6)


def test_numpy_eigvalsh(benchmark, big_quadratic):
    f, eig = big_quadratic
    benchmark.group = "largest Hessian eigenvalue, d=2000"
    values = benchmark.pedantic(lambda: np.linalg.eigvalsh(f.A), rounds=2)
    assert values[-1] == pytest.approx(eig[-1], rel=1e-9)


D50 = 50
ITERS50 = 200
ROSEN50 = reference.Rosenbrock(D50)
X0_50 = np.full(D50, -1.0)
X0_50[1::2] = 1.0


@pytest.fixture(scope="module")
def call_costs():
    """Seconds per call of the user's value and gradient functions themselves."""
    def per_call(fn, calls=2000, repeat=7):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(calls):
                fn(X0_50)
            times.append(time.perf_counter() - start)
        return min(times) / calls

    return per_call(ROSEN50.value), per_call(ROSEN50.gradient)


def _per_iteration(benchmark, run, call_costs):
    result = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    nit = max(int(result.nit), 1)
    benchmark.extra_info["nit"] = nit
    if benchmark.stats is None:  # --benchmark-disable (the CI smoke run): nothing timed
        return result
    seconds = benchmark.stats.stats.min
    in_user_code = result.nfev * call_costs[0] + result.njev * call_costs[1]
    benchmark.extra_info["nfev"] = int(result.nfev)
    benchmark.extra_info["njev"] = int(result.njev)
    benchmark.extra_info["us per iteration"] = seconds / nit * 1e6
    # What the loop costs beyond the user's functions (timed alone): the overhead per iteration.
    benchmark.extra_info["us overhead per iteration"] = (seconds - in_user_code) / nit * 1e6
    return result


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
def test_python_callable_descend(benchmark, method, call_costs):
    if method not in descend.methods():
        pytest.skip(f"{method} not registered")
    benchmark.group = f"Per iteration, Python Rosenbrock d={D50}: {method}"

    def run():
        return descend.minimize(ROSEN50.value, X0_50, jac=ROSEN50.gradient, method=method,
                                max_iter=ITERS50, gtol=0.0)

    r = _per_iteration(benchmark, run, call_costs)
    assert np.isfinite(r.fun) and r.fun < ROSEN50.value(X0_50)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
def test_python_callable_scipy(benchmark, method, call_costs):
    optimize = pytest.importorskip("scipy.optimize")
    benchmark.group = f"Per iteration, Python Rosenbrock d={D50}: {method}"
    scipy_method = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B"}[method]

    def run():
        return optimize.minimize(ROSEN50.value, X0_50, jac=ROSEN50.gradient, method=scipy_method,
                                 options={"maxiter": ITERS50, "gtol": 0.0})

    r = _per_iteration(benchmark, run, call_costs)
    assert np.isfinite(r.fun) and r.fun < ROSEN50.value(X0_50)


def test_python_callable_gd_descend(benchmark, call_costs):
    # Plain GD has no scipy twin; its per-iteration figure is the adapter's floor
    # (one value-and-gradient call per step).
    benchmark.group = f"Per iteration, Python Rosenbrock d={D50}: gd"

    def run():
        return descend.minimize(ROSEN50.value, X0_50, jac=ROSEN50.gradient, method="gd", lr=1e-4,
                                max_iter=ITERS50, tol=0.0, gtol=0.0)

    r = _per_iteration(benchmark, run, call_costs)
    assert r.nit == ITERS50
