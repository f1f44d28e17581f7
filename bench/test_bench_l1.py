"""LogisticRegression with an L1 part (l1_ratio=1 and the elastic net l1_ratio=0.5):
descend's orthant-wise L-BFGS against scikit-learn's saga (issue 16).

Data: 100,000 x 50 dense float64 from ``make_classification`` with 8 informative features
and 42 of noise, so that the L1 solution at C = 1e-3 (descend's l1 = 1 / (C n) = 0.01) is
genuinely sparse. Every fit is scored by descend's objective (the same function:
scikit-learn's objective divided by C n) as its gap to the optimum F*, found once by a tight
descend run (gtol 1e-12), and by its accuracy. Rows of one group:

- ``descend``: ``LogisticRegression(l1_ratio=r, C=C)``, descend's defaults.
- ``saga-default``: scikit-learn's ``solver="saga"`` at its defaults (tol 1e-4, max_iter 100).
- ``saga-same-gap``: saga at the loosest tol of 1e-4, 1e-5, ... that reaches descend's gap to
  F* (found once, outside the timing; max_iter 100,000).
- ``twin``: the numpy twin (``descend.reference.descent.owlqn``) on the first 10,000 rows, with
  descend's compiled run on the same rows as ``descend-10k``.

extra_info has the gap, the accuracy, the iterations and, on the saga rows, ``speedup``:
their time over descend's (the issue's target: at least 1.5x at the same gap). Skipped
without scikit-learn; DESCEND_BENCH_SMOKE=1 uses 20,000 rows.
"""

import os
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import datasets  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import descend  # noqa: E402
from descend import linear_model as dl  # noqa: E402
from descend import reference  # noqa: E402
from descend.reference.descent import owlqn  # noqa: E402

N = 20_000 if os.environ.get("DESCEND_BENCH_SMOKE") else 100_000
N_TWIN = 10_000
C = 1e-3 * 100_000 / N  # the same mean-form penalty (0.01) at every N
RATIOS = {"l1": 1.0, "elasticnet": 0.5}


@pytest.fixture(scope="module")
def data():
    X, y = datasets.make_classification(n_samples=N, n_features=50, n_informative=8,
                                        n_redundant=0, n_repeated=0, random_state=0)
    return X, y


def _objective(X, y, l1_ratio):
    strength = 1.0 / (C * len(y))
    return descend.Logistic(X, y, l1=l1_ratio * strength, l2=(1 - l1_ratio) * strength,
                            fit_intercept=True)


def _value(f, model):
    return f.value(np.r_[model.coef_.ravel(), model.intercept_])


_OPTIMUM: dict = {}
_TIMES: dict = {}


def _optimum(X, y, penalty):
    if penalty not in _OPTIMUM:
        f = _objective(X, y, RATIOS[penalty])
        r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", gtol=1e-12,
                             max_iter=10000)
        _OPTIMUM[penalty] = (f, r.fun)
    return _OPTIMUM[penalty]


def _saga(l1_ratio, tol=1e-4, max_iter=100):
    return sk.LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=tol,
                                 max_iter=max_iter, random_state=0)


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


_SAME_GAP: dict = {}


def _saga_tol_for(X, y, penalty, gap):
    """The loosest saga tol (1e-4, 1e-5, ...) whose fit is within descend's gap to F*."""
    if penalty not in _SAME_GAP:
        f, best = _optimum(X, y, penalty)
        chosen = None
        for tol in 10.0 ** -np.arange(4, 13):
            model = _fit_quietly(_saga(RATIOS[penalty], tol, 100_000), X, y)
            chosen = (tol, _value(f, model) - best)
            if chosen[1] <= max(gap, 1e-15 * abs(best)):
                break
        _SAME_GAP[penalty] = chosen
    return _SAME_GAP[penalty]


@pytest.mark.parametrize("library", ["descend", "saga-default", "saga-same-gap"])
@pytest.mark.parametrize("penalty", list(RATIOS))
def test_l1_fit(benchmark, data, penalty, library):
    X, y = data
    r = RATIOS[penalty]
    f, best = _optimum(X, y, penalty)
    benchmark.group = f"LogisticRegression(l1_ratio={r}, C={C:g}) fit, n={N:,} d=50 dense"
    if library == "descend":
        make = lambda: dl.LogisticRegression(l1_ratio=r, C=C)  # noqa: E731
    elif library == "saga-default":
        make = lambda: _saga(r)  # noqa: E731
    else:
        descend_gap = _value(f, dl.LogisticRegression(l1_ratio=r, C=C).fit(X, y)) - best
        tol, _ = _saga_tol_for(X, y, penalty, descend_gap)
        make = lambda: _saga(r, tol, 100_000)  # noqa: E731
        benchmark.extra_info["saga_tol"] = float(tol)
    model = benchmark.pedantic(lambda: _fit_quietly(make(), X, y), rounds=3, iterations=1)
    # None when benchmarks are disabled (CI's smoke run): no timings, the checks still run.
    seconds = benchmark.stats.stats.min if benchmark.stats else float("nan")
    gap = _value(f, model) - best
    benchmark.extra_info.update(gap=float(gap), accuracy=float(model.score(X, y)),
                                n_iter=int(np.max(model.n_iter_)),
                                zeros=int((model.coef_ == 0).sum()), seconds=seconds)
    if library == "descend":
        _TIMES[penalty] = seconds
        assert gap <= 1e-8 * abs(best)  # a fast wrong fit fails
        assert (model.coef_ == 0).sum() >= 20  # the solution is genuinely sparse
    elif penalty in _TIMES and np.isfinite(seconds):
        benchmark.extra_info["speedup"] = seconds / _TIMES[penalty]


@pytest.mark.parametrize("impl", ["descend-10k", "twin"])
@pytest.mark.parametrize("penalty", list(RATIOS))
def test_l1_twin(benchmark, data, penalty, impl):
    X, y = data[0][:N_TWIN], data[1][:N_TWIN]
    r = RATIOS[penalty]
    strength = 1.0 / (C * N_TWIN)
    f = descend.Logistic(X, y, l1=r * strength, l2=(1 - r) * strength, fit_intercept=True)
    twin = reference.Logistic(X, y, l1=r * strength, l2=(1 - r) * strength,
                              fit_intercept=True)
    benchmark.group = f"OWL-QN l1_ratio={r}, n={N_TWIN:,} d=50: compiled vs numpy twin"
    x0 = np.zeros(51)
    if impl == "twin":
        run = lambda: owlqn(twin, x0)["x"]  # noqa: E731
    else:
        run = lambda: descend.minimize(f, x0, method="lbfgs").x  # noqa: E731
    x = benchmark.pedantic(run, rounds=3, iterations=1)
    other = descend.minimize(f, x0, method="lbfgs").x if impl == "twin" else owlqn(twin, x0)["x"]
    np.testing.assert_allclose(x, other, atol=1e-8)
