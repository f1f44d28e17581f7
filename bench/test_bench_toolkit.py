"""The toolkit: a Python callable objective in descend's loop against scipy.optimize on the same
callable, and Lanczos l_max against numpy.linalg.eigvalsh on d = 2000."""

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
