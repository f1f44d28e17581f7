"""Shared fixtures: seeded data and one tolerance table per dtype."""

import signal

import numpy as np
import pytest

# A process started in the background by a non-interactive shell (`cmd &` in a script, nohup)
# inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler: the Ctrl-C
# tests' SIGINT would be lost and their endless runs would never stop. Restore the handler.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: Relative tolerances of compiled-vs-twin comparisons, by the dtype of X.
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}


def assert_close(actual, expected, dtype=np.float64, scale=None):
    """Compare with the dtype's relative tolerance, relative to the size of `expected`."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    size = scale if scale is not None else max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL[np.dtype(dtype)] * size * 10)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def make_regression(n=300, d=6, seed=0, dtype=np.float64, order="C"):
    """A small well-conditioned least-squares problem with known coefficients."""
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, d))
    coef = r.normal(size=d)
    y = X @ coef + 0.1 * r.normal(size=n)
    return np.asarray(X, dtype=dtype, order=order), y, coef


def make_classification(n=300, d=6, seed=0, dtype=np.float64, order="C"):
    """A small binary problem with labels in {0, 1} that is not separable."""
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, d))
    coef = r.normal(size=d)
    p = 1.0 / (1.0 + np.exp(-(X @ coef)))
    y = (r.uniform(size=n) < p).astype(np.int64)
    return np.asarray(X, dtype=dtype, order=order), y, coef


@pytest.fixture
def sparse_intercept_share_everywhere(monkeypatch):
    """Solver "sgd" of the SGD estimators moves the intercept by 0.01 of each step on sparse X
    only (scikit-learn's rule). Tests that hold a sparse fit to the fit on its dense copy use
    this fixture: the dense fit then takes the same share (through the dense update paths, so
    the comparison checks those paths' share too)."""
    from descend.linear_model import _sgd

    def share(X, solver):
        return _sgd.SPARSE_INTERCEPT_SHARE if _sgd.SOLVERS[solver] == "gd" else 1.0

    monkeypatch.setattr(_sgd, "_intercept_share", share)
