"""Gradients of LeastSquares and Logistic at n = 1,000,000, d = 50, and a 100-step GD run.

Each group holds descend, numpy's two-pass expression and the numpy twin, measured in the same
run; pytest-benchmark prints each row's ratio to the fastest. Every benchmark also checks
that descend agrees with the twin, so a fast wrong answer fails.
"""

import subprocess
import sys

import numpy as np
import pytest
from conftest import best_time

import descend
from descend import reference

LAYOUTS = [(np.float64, "C"), (np.float64, "F"), (np.float32, "C"), (np.float32, "F")]
IDS = ["f64-C", "f64-F", "f32-C", "f32-F"]


@pytest.fixture(scope="module")
def layouts(big_regression):
    X, y = big_regression
    cache = {}

    def get(dtype, order):
        key = (np.dtype(dtype), order)
        if key not in cache:
            cache[key] = np.asarray(X, dtype=dtype, order=order)
        return cache[key], y

    return get


def _w(d=50):
    return np.random.default_rng(1).standard_normal(d) * 0.1


@pytest.mark.parametrize("dtype, order", LAYOUTS, ids=IDS)
@pytest.mark.parametrize("impl", ["descend", "numpy-two-pass"])
def test_least_squares_gradient(benchmark, layouts, read_bandwidth, dtype, order, impl):
    X, y = layouts(dtype, order)
    n = X.shape[0]
    w = _w()
    benchmark.group = f"least-squares gradient n=1e6 d=50 {np.dtype(dtype).name} {order}"
    yt = y.astype(dtype)
    if impl == "descend":
        f = descend.LeastSquares(X, y)
        g = benchmark(f.gradient, w)
    else:
        wt = w.astype(dtype)
        g = benchmark(lambda: X.T @ (X @ wt - yt) / n)
    # Every implementation must agree with the numpy twin (float64 arithmetic).
    twin = reference.LeastSquares(X, y).gradient(w)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(np.asarray(g, np.float64), twin, rtol=0,
                               atol=tol * np.abs(twin).max())
    if benchmark.stats:
        seconds = benchmark.stats.stats.min
        benchmark.extra_info["GB/s read of X"] = X.nbytes / seconds / 1e9
        benchmark.extra_info["fraction of one-core numpy read bandwidth"] = (
            X.nbytes / seconds / read_bandwidth)


@pytest.mark.parametrize("impl", ["descend", "numpy-twin"])
def test_logistic_gradient(benchmark, big_regression, impl):
    X, y = big_regression
    labels = (y > 0).astype(np.float64)
    w = _w()
    benchmark.group = "logistic gradient n=1e6 d=50 f64 C"
    f = descend.Logistic(X, labels)
    if impl == "descend":
        g = benchmark(f.gradient, w)
    else:
        twin = reference.Logistic(X, labels)
        g = benchmark(twin.gradient, w)
    np.testing.assert_allclose(g, f.gradient(w), rtol=0, atol=1e-12 * np.abs(g).max())


@pytest.mark.parametrize("impl", ["descend", "numpy-twin"])
def test_gd_100_iterations(benchmark, big_regression, impl):
    X, y = big_regression
    X, y = X[:200_000], y[:200_000]
    benchmark.group = "GD, 100 iterations, least squares n=2e5 d=50"
    x0 = np.zeros(50)
    if impl == "descend":
        f = descend.LeastSquares(X, y)
        run = benchmark.pedantic(descend.minimize, args=(f, x0), rounds=3,
                                 kwargs=dict(lr=0.5, max_iter=100, tol=0.0, gtol=0.0))
        x = run.x
    else:
        twin = reference.LeastSquares(X, y)
        run = benchmark.pedantic(reference.gradient_descent, args=(twin, x0), rounds=3,
                                 kwargs=dict(lr=0.5, max_iter=100, tol=0.0, gtol=0.0))
        x = run["x"]
    exact = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(x, exact, atol=1e-6)


def test_import_time(benchmark):
    """`import descend` in a fresh interpreter, minus the interpreter's own start-up."""
    benchmark.group = "import descend"

    def fresh(code):
        return best_time(lambda: subprocess.run([sys.executable, "-c", code], check=True),
                         repeat=5)

    base = fresh("import numpy")
    benchmark.pedantic(lambda: subprocess.run([sys.executable, "-c", "import descend"],
                                              check=True), rounds=5)
    with_descend = fresh("import descend")
    benchmark.extra_info["import descend beyond numpy (ms)"] = (with_descend - base) * 1e3
    out = subprocess.run([sys.executable, "-c", "import sys, descend; print(sorted(m for m in "
                          "('scipy', 'sklearn', 'matplotlib', 'dask') if m in sys.modules))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
