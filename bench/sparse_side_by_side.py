"""Side-by-side timings on the text-like data of test_bench_sparse.py, descend and the peer
alternating in one process (the ratios of bench/README.md's session-7 sparse section).

    OPENBLAS_NUM_THREADS=1 nice python bench/sparse_side_by_side.py gradient
    OPENBLAS_NUM_THREADS=1 nice python bench/sparse_side_by_side.py logistic

`gradient`: descend's gradient and value_and_gradient (least squares, logistic; 1 and 2
threads) against scipy's two-pass expression (with the mean loss from the same margins for
value_and_gradient), 5 calls of each in each of three alternations: min and median of the
15. `logistic`: newton-cg to gtol 1e-6 against scikit-learn's lbfgs to tol 1e-6, twice each,
both scored against the optimum of a newton-cg run to gtol 1e-10. Every line ends with the
load average.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_bench_sparse import _scipy_gradient, _w, sparse_labels, text_like  # noqa: E402

import descend  # noqa: E402

N, P = 200_000, 2**18


def times(fn, reps=5):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _scipy_value_and_gradient(kind, X, y, n):
    if kind == "least-squares":
        def vg(w):
            r = X @ w - y
            return 0.5 * (r @ r) / n, X.T @ r / n
        return vg
    t = np.where(y > 0, 1.0, -1.0)

    def vg(w):
        m = t * (X @ w)
        return np.logaddexp(0.0, -m).mean(), X.T @ (-t / (1.0 + np.exp(m))) / n
    return vg


def gradients(X, labels, target):
    w = _w(P)
    for kind in ("least-squares", "logistic"):
        y = target if kind == "least-squares" else labels
        make = descend.LeastSquares if kind == "least-squares" else descend.Logistic
        peers = {"gradient": _scipy_gradient(kind, X, y, N),
                 "value_and_gradient": _scipy_value_and_gradient(kind, X, y, N)}
        for call, reference in peers.items():
            for threads in (1, 2):
                f = make(X, y, n_threads=threads)
                ours_fn = getattr(f, call)
                if call == "gradient":
                    g, r = ours_fn(w), reference(w)
                else:
                    (v, g), (rv, r) = ours_fn(w), reference(w)
                    assert abs(v - rv) <= 1e-10 * abs(rv)
                assert np.abs(g - r).max() <= 1e-10 * np.abs(r).max()
                ours, theirs = [], []
                for _ in range(3):
                    ours += times(lambda: ours_fn(w))
                    theirs += times(lambda: reference(w))
                d, s = min(ours), min(theirs)
                dm, sm = np.median(ours), np.median(theirs)
                print(f"{kind} {call}, threads={threads}: descend min {d * 1e3:.1f} ms, median "
                      f"{dm * 1e3:.1f} ms; scipy two-pass min {s * 1e3:.1f} ms, median "
                      f"{sm * 1e3:.1f} ms; ratio min {s / d:.2f}, median {sm / dm:.2f}; load "
                      f"{os.getloadavg()[0]:.2f}", flush=True)


def logistic(X, labels):
    from sklearn.linear_model import LogisticRegression
    f = descend.Logistic(X, labels, l2=1.0 / N, fit_intercept=True)
    best_value = descend.minimize(f, np.zeros(P + 1), method="newton-cg", gtol=1e-10,
                                  max_iter=1000).fun
    for _ in range(2):
        t0 = time.perf_counter()
        r = descend.minimize(f, np.zeros(P + 1), method="newton-cg", gtol=1e-6,
                             max_iter=10_000)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        m = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-6, max_iter=10_000).fit(X, labels)
        theirs = time.perf_counter() - t0
        value = f.value(np.r_[m.coef_.ravel(), m.intercept_])
        print(f"newton-cg {ours:.2f} s ({r.nit} iterations, {r.nfev} evaluations, {r.nhev} "
              f"Hessian-vector products, gap {(r.fun - best_value) / best_value:.1e}, "
              f"{r.status}); scikit-learn lbfgs {theirs:.2f} s ({int(m.n_iter_.max())} "
              f"iterations, gap {(value - best_value) / best_value:.1e}); ratio "
              f"{theirs / ours:.2f}, load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    X = text_like(N, P)
    labels, target = sparse_labels(X)
    which = sys.argv[1:] or ["gradient", "logistic"]
    if "gradient" in which:
        gradients(X, labels, target)
    if "logistic" in which:
        logistic(X, labels)
