"""Per-sample softmax SGD on CSR rows against p: the lazy steps for several outputs
(solvers/lazy_steps.hpp) and the peer, alternating in one process (bench/README.md, session 8).

    OPENBLAS_NUM_THREADS=1 nice python bench/lazy_outputs_side_by_side.py

Text-like rows (text_like of test_bench_sparse.py: about 40 non-zeros a row, L2-normalised),
K = 5 classes from a sparse linear model. For p = 2**12 and 2**20: one epoch of
``minimize(Softmax(X, y, l2=1e-5), method="sgd", batch_size=1, epoch_loss="running")`` (the
lazy steps: K weights per stored entry) and, as the peer, scikit-learn's
``SGDClassifier(loss="log_loss", alpha=1e-5, learning_rate="constant", max_iter=1, tol=None)``
(one-vs-rest: K binary SGD passes over the rows); then "lazy_adam" against "adam" (the dense
update, timed on a few hundred rows and scaled to the epoch). Best of three alternations each.
Every line ends with the load average.
"""

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_bench_sparse import text_like  # noqa: E402

import descend  # noqa: E402

N, K, ALPHA, LR = 20_000, 5, 1e-5, 0.5


def labels(X, seed=1):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(X.shape[1], K)) * (rng.random((X.shape[1], K)) < 0.05)
    return np.argmax(X @ W + 0.1 * rng.normal(size=(X.shape[0], K)), axis=1)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def epoch(f, method="sgd", **extra):
    return descend.minimize(f, np.zeros(f.n_params), method=method, lr=LR, batch_size=1,
                            epochs=1, epoch_loss="running", **extra)


def main():
    from sklearn.linear_model import SGDClassifier

    data = {p: text_like(N, p) for p in (2**12, 2**20)}
    ys = {p: labels(X) for p, X in data.items()}
    ours = {p: [] for p in data}
    theirs = {p: [] for p in data}
    for _ in range(3):
        for p, X in data.items():
            f = descend.Softmax(X, ys[p], l2=ALPHA, fit_intercept=True)
            seconds, r = timed(lambda: epoch(f))
            assert np.isfinite(r.x).all()
            ours[p].append(seconds)
            model = SGDClassifier(loss="log_loss", alpha=ALPHA, learning_rate="constant",
                                  eta0=LR, max_iter=1, tol=None, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seconds, _ = timed(lambda: model.fit(X, ys[p]))
            theirs[p].append(seconds)
    for p in data:
        print(f"p = 2**{p.bit_length() - 1}, K = {K}, {N} rows: descend softmax sgd epoch "
              f"min {min(ours[p]):.3f} s median {np.median(ours[p]):.3f} s; scikit-learn "
              f"SGDClassifier (OvR) min {min(theirs[p]):.3f} s median "
              f"{np.median(theirs[p]):.3f} s; ratio {min(theirs[p]) / min(ours[p]):.2f}, load "
              f"{os.getloadavg()[0]:.2f}", flush=True)
    small, large = min(ours[2**12]), min(ours[2**20])
    print(f"descend epoch at 2**20 / at 2**12: {large / small:.2f} (scikit-learn's "
          f"{min(theirs[2**20]) / min(theirs[2**12]):.2f}), load {os.getloadavg()[0]:.2f}")
    # Adam: the lazy variant (O(non-zeros) a step) against the dense update (O(K p) a step),
    # the dense one on the first 300 rows only, per step.
    X, y = data[2**20], ys[2**20]
    lazy, dense = [], []
    for _ in range(3):
        f = descend.Softmax(X, y, fit_intercept=True)
        seconds, _ = timed(lambda: descend.minimize(f, np.zeros(f.n_params), method="lazy_adam",
                                                    lr=1e-3, batch_size=1, epochs=1,
                                                    epoch_loss="running"))
        lazy.append(seconds / N)
        g = descend.Softmax(X[:300], y[:300], fit_intercept=True)
        seconds, _ = timed(lambda: descend.minimize(g, np.zeros(g.n_params), method="adam",
                                                    lr=1e-3, batch_size=1, epochs=1,
                                                    epoch_loss="running"))
        dense.append(seconds / 300)
    print(f"p = 2**20, K = {K}: lazy_adam per step min {min(lazy) * 1e6:.1f} us median "
          f"{np.median(lazy) * 1e6:.1f} us; adam (dense update) per step min "
          f"{min(dense) * 1e6:.0f} us median {np.median(dense) * 1e6:.0f} us; ratio "
          f"{min(dense) / min(lazy):.0f}, load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
