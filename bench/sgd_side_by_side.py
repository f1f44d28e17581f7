"""descend's SGD estimators against scikit-learn's, alternating in one process, best of N.

The machine these figures come from is shared: a ratio of two runs made minutes apart holds
the load's changes as much as the libraries'. Here each round fits descend, then
scikit-learn (the order swapping every round), on the same data with the same parameters;
the ratio is of the two bests. Run from bench/:

    OPENBLAS_NUM_THREADS=1 nice python sgd_side_by_side.py [--rounds 5] [--only dense|sparse|p]

Prints, for each case, both bests (wall time, and in brackets the process's CPU time, which
the load disturbs less), the ratios, the epochs each ran (n_iter_), the scores and
the load average. "p" times one per-sample epoch at p = 2**12 and 2**22 (same non-zeros per
row) for descend and scikit-learn, as whole one-epoch fits; "epoch" times the epoch alone
(partial_fit's second call) at the same two widths.
"""

import argparse
import os
import time

from sklearn import datasets
from sklearn import linear_model as sk

from descend import linear_model as dl


def side_by_side(label, name, params, X, y, rounds):
    ours = lambda: getattr(dl, name)(random_state=0, **params).fit(X, y)  # noqa: E731
    theirs = lambda: getattr(sk, name)(random_state=0, **params).fit(X, y)  # noqa: E731
    t_ours, t_theirs, c_ours, c_theirs = [], [], [], []
    for r in range(rounds):
        pair = [(ours, t_ours, c_ours), (theirs, t_theirs, c_theirs)]
        for fit, times, cpu in pair if r % 2 == 0 else pair[::-1]:
            start, start_cpu = time.perf_counter(), time.process_time()
            model = fit()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            if fit is ours:
                mine = model
            else:
                peer = model
    a, b = min(t_ours), min(t_theirs)
    ca, cb = min(c_ours), min(c_theirs)
    ma, mb = sorted(t_ours)[len(t_ours) // 2], sorted(t_theirs)[len(t_theirs) // 2]
    print(f"{label:56s} descend {a:6.3f} s [cpu {ca:6.3f}] ({mine.n_iter_:3d} ep, "
          f"score {mine.score(X, y):.4f})  sklearn {b:6.3f} s [cpu {cb:6.3f}] "
          f"({peer.n_iter_:3d} ep, score {peer.score(X, y):.4f})  ratio {b / a:5.2f}x "
          f"[cpu {cb / ca:5.2f}x]  median {ma:6.3f} / {mb:6.3f} s = {mb / ma:5.2f}x  "
          f"load {os.getloadavg()[0]:.2f}", flush=True)


def dense(rounds):
    X, y = datasets.make_classification(n_samples=100_000, n_features=50, n_informative=25,
                                        random_state=0)
    Xr, yr = datasets.make_regression(n_samples=100_000, n_features=50, n_informative=25,
                                      noise=10.0, random_state=0)
    side_by_side("dense SGDClassifier()", "SGDClassifier", {}, X, y, rounds)
    side_by_side("dense SGDClassifier(loss='modified_huber')", "SGDClassifier",
                 {"loss": "modified_huber"}, X, y, rounds)
    side_by_side("dense SGDClassifier(average=True)", "SGDClassifier", {"average": True}, X, y,
                 rounds)
    side_by_side("dense SGDClassifier(max_iter=5, tol=None)", "SGDClassifier",
                 {"max_iter": 5, "tol": None}, X, y, rounds)
    side_by_side("dense SGDClassifier(penalty='elasticnet')", "SGDClassifier",
                 {"penalty": "elasticnet"}, X, y, rounds)
    side_by_side("dense SGDRegressor()", "SGDRegressor", {}, Xr, yr, rounds)


def sparse(rounds):
    from test_bench_sparse import N, P, sparse_labels, text_like

    X = text_like(N, P)
    labels, target = sparse_labels(X)
    side_by_side("text-like SGDClassifier()", "SGDClassifier", {}, X, labels, rounds)
    side_by_side("text-like SGDRegressor()", "SGDRegressor", {}, X, target, rounds)
    side_by_side("text-like SGDClassifier(log_loss, 1e-5, 5 ep, tol=None)", "SGDClassifier",
                 {"loss": "log_loss", "alpha": 1e-5, "max_iter": 5, "tol": None}, X, labels,
                 rounds)


def widths(rounds):
    from test_bench_sparse import sparse_labels, text_like

    n = 200_000
    for bits in (12, 18, 22):
        X = text_like(n, 1 << bits)
        labels, _ = sparse_labels(X)
        side_by_side(f"one epoch, p=2^{bits}", "SGDClassifier",
                     {"max_iter": 1, "tol": None}, X, labels, rounds)


def epochs_alone(rounds):
    """One epoch alone at p = 2**12 and 2**22: the time of partial_fit's second call on the
    whole set (the first call, not timed, builds the model), descend and scikit-learn
    alternating, SGDClassifier's defaults (hinge, "optimal")."""
    import numpy as np

    from test_bench_sparse import sparse_labels, text_like

    n = 200_000
    for bits in (12, 22):
        X = text_like(n, 1 << bits)
        labels, _ = sparse_labels(X)
        best = {}
        for r in range(rounds):
            pair = [("descend", dl), ("sklearn", sk)]
            for name, lib in pair if r % 2 == 0 else pair[::-1]:
                model = lib.SGDClassifier(random_state=0)
                model.partial_fit(X, labels, classes=np.array([0.0, 1.0]))
                start, start_cpu = time.perf_counter(), time.process_time()
                model.partial_fit(X, labels)
                wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
                best.setdefault(name, []).append((wall, cpu))
        (a, ca), (b, cb) = min(best["descend"]), min(best["sklearn"])
        med = lambda v: float(np.median([w for w, _ in v]))  # noqa: E731
        print(f"one epoch alone (partial_fit's 2nd call), p=2^{bits:<2d}  descend min {a:6.3f} s "
              f"[cpu {ca:6.3f}] median {med(best['descend']):6.3f}  sklearn min {b:6.3f} s "
              f"[cpu {cb:6.3f}] median {med(best['sklearn']):6.3f}  load "
              f"{os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["dense", "sparse", "p", "epoch"], action="append")
    args = parser.parse_args()
    only = args.only or ["dense", "sparse", "p"]
    import warnings

    warnings.simplefilter("ignore")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    if "dense" in only:
        dense(args.rounds)
    if "sparse" in only:
        sparse(args.rounds)
    if "p" in only:
        widths(args.rounds)
    if "epoch" in only:
        epochs_alone(args.rounds)
