"""Newton's method on L2-penalised logistic regression against scikit-learn and scipy.

make_classification(n_samples=200_000, n_features=100, n_informative=50, random_state=0),
C = 1 (descend's l2 = 1 / (C n)), to a gradient norm of 1e-8. Every run must reach the same
final objective. scikit-learn and scipy are optional: their rows skip when missing.
"""

import subprocess
import sys

import numpy as np
import pytest
from conftest import best_time

import descend
from descend import reference

N, D, C = 200_000, 100, 1.0


@pytest.fixture(scope="module")
def problem():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.make_classification(n_samples=N, n_features=D, n_informative=50,
                                        random_state=0)
    f = descend.Logistic(X, y, l2=1.0 / (C * N), fit_intercept=True)
    best = descend.minimize(f, np.zeros(D + 1), method="newton", gtol=1e-12).fun
    return X, y, f, best


def _check(f, w, best):
    assert f.value(w) == pytest.approx(best, rel=1e-9, abs=1e-12)


def test_descend_newton(benchmark, problem):
    X, y, f, best = problem
    benchmark.group = "logistic regression n=200k d=100 to gtol 1e-8"
    r = benchmark.pedantic(descend.minimize, args=(f, np.zeros(D + 1)),
                           kwargs=dict(method="newton", gtol=1e-8), rounds=3)
    assert r.success
    _check(f, r.x, best)
    benchmark.extra_info["iterations"] = r.nit


@pytest.mark.parametrize("solver", ["newton-cholesky", "lbfgs"])
def test_sklearn(benchmark, problem, solver):
    X, y, f, best = problem
    linear_model = pytest.importorskip("sklearn.linear_model")
    benchmark.group = "logistic regression n=200k d=100 to gtol 1e-8"
    tol = 1e-8 if solver == "newton-cholesky" else 1e-10
    model = benchmark.pedantic(
        lambda: linear_model.LogisticRegression(C=C, solver=solver, tol=tol,
                                                max_iter=10_000).fit(X, y), rounds=1)
    _check(f, np.r_[model.coef_.ravel(), model.intercept_], best)
    benchmark.extra_info["iterations"] = int(np.max(model.n_iter_))


@pytest.mark.parametrize("method", ["trust-exact", "Newton-CG"])
def test_scipy_with_numpy_derivatives(benchmark, problem, method):
    X, y, f, best = problem
    optimize = pytest.importorskip("scipy.optimize")
    twin = reference.Logistic(X, y, l2=1.0 / (C * N), fit_intercept=True)
    benchmark.group = "logistic regression n=200k d=100 to gtol 1e-8"
    result = benchmark.pedantic(
        lambda: optimize.minimize(twin.value, np.zeros(D + 1), jac=twin.gradient,
                                  hess=twin.hessian, method=method,
                                  options={"gtol": 1e-8} if method == "trust-exact"
                                  else {"xtol": 1e-12}), rounds=1)
    _check(f, result.x, best)


def test_hessian_rate(benchmark, problem):
    """Hessian assembly (a symmetric rank-k update: n p(p+1) flops) next to numpy's X'X."""
    X, y, f, best = problem
    benchmark.group = "Hessian X'DX, n=200k p=101"
    w = np.zeros(D + 1)
    H = benchmark(f.hessian, w)
    twin = reference.Logistic(X, y, l2=1.0 / (C * N), fit_intercept=True)
    np.testing.assert_allclose(H, twin.hessian(w), rtol=1e-10, atol=1e-14)
    p = D + 1
    flops = N * p * (p + 1)
    if benchmark.stats:
        benchmark.extra_info["descend GFLOP/s"] = flops / benchmark.stats.stats.min / 1e9
        numpy_seconds = best_time(lambda: X.T @ X, repeat=3)
        benchmark.extra_info["numpy X.T @ X seconds"] = numpy_seconds
        benchmark.extra_info["numpy X.T @ X GFLOP/s (symmetric count)"] = (
            N * D * (D + 1) / numpy_seconds / 1e9)


_MEMORY_SCRIPT = """
import sys
import numpy as np


def peak_bytes():
    # VmHWM: this process's peak resident memory (ru_maxrss would include the parent's peak,
    # which Linux carries over a fork and exec).
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024



X = np.load(sys.argv[2])
y = np.load(sys.argv[3])
which = sys.argv[1]
if which == "descend":
    import descend
    f = descend.Logistic(X, y, l2=1.0 / len(y), fit_intercept=True)
    f.value_and_gradient(np.zeros(X.shape[1] + 1))
    before = peak_bytes()
    descend.minimize(f, np.zeros(X.shape[1] + 1), method="newton", gtol=1e-8)
else:
    from sklearn.linear_model import LogisticRegression
    LogisticRegression(solver="newton-cholesky", max_iter=1).fit(X[:1000], y[:1000])
    before = peak_bytes()
    LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-8).fit(X, y)
print(peak_bytes() - before, X.nbytes)
"""


@pytest.mark.parametrize("library", ["descend", "sklearn"])
def test_peak_memory_above_x(library, problem, tmp_path, record_property):
    """Peak resident memory a fit adds above X (VmHWM of a fresh process that loads X from
    disk, so that nothing before the fit raised the peak; Linux only)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/status")
    X, y, f, best = problem
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, library,
                          str(tmp_path / "X.npy"), str(tmp_path / "y.npy")],
                         capture_output=True, text=True, check=True)
    extra, x_bytes = (int(v) for v in out.stdout.split())
    fraction = extra / x_bytes
    record_property(f"{library} peak extra memory / X", fraction)
    print(f"\n{library}: peak memory above X = {extra / 1e6:.1f} MB = {100 * fraction:.1f}% of X")
    if library == "descend":
        assert fraction <= 0.10
