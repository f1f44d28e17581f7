"""The network benchmarks of bench/test_bench_mlp.py, the libraries alternating in one process.

On a shared machine the load moves from minute to minute; ratios of fits run one after the
other, round by round, are steadier than those of separate benchmark groups. Every round fits
each library once, in turn, on the same data and prints its wall and CPU seconds, its accuracy
and the one-minute load average read just before the fit. The fits are the benchmark file's own
(`_descend_fit`, `_sklearn_fit`, `_torch_fit`, `_torch_fit_fused`). Not a test: run it by hand.

    OPENBLAS_NUM_THREADS=1 nice python bench/sidebyside_mlp.py digits 5
    OPENBLAS_NUM_THREADS=1 nice python bench/sidebyside_mlp.py mnist 3
    OPENBLAS_NUM_THREADS=1 nice python bench/sidebyside_mlp.py mnist32 3   # float32 X
    ... digits 5 descend,sklearn,torch-fused-1t   # only these libraries
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_bench_mlp as b  # noqa: E402


def _load():
    return os.getloadavg()[0]


def _libraries():
    fits = {"descend": b._descend_fit, "sklearn": b._sklearn_fit}
    try:
        import torch  # noqa: F401

        fits["torch"] = b._torch_fit
        fits["torch-fused"] = b._torch_fit_fused
        # one thread: on a loaded machine torch's OpenMP threads wait for each other at every
        # operation (tens of times slower with two threads than with one, seen here)
        fits["torch-fused-1t"] = lambda *a: b._torch_fit(*a, fused=True, threads=1)
    except ImportError:
        pass
    return fits


def _round(fits, X, y, hidden, batch, epochs, score):
    row = {}
    for name, fit in fits.items():
        load = _load()
        start, cpu = time.perf_counter(), time.process_time()
        predict = fit(X, y, hidden, batch, epochs)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        row[name] = (wall, cpu, score(predict), load)
    return row


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "digits"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    fits = _libraries()
    if len(sys.argv) > 3:
        fits = {name: fits[name] for name in sys.argv[3].split(",")}
    if what == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25,
                                                            random_state=0)
        X_train = np.ascontiguousarray(X_train)
        args = (X_train, y_train, (100,), 32, 50)

        def score(predict):
            return float(np.mean(predict(X_test) == y_test))
    else:
        rng = np.random.default_rng(0)
        X = rng.uniform(size=(60_000, 784))
        y = np.argmax(X @ rng.normal(size=(784, 10)), axis=1)
        if what == "mnist32":
            X = X.astype(np.float32)
            if "sklearn" in fits:
                fits["sklearn-f64"] = b._sklearn_fit  # its float64 run, on float64 X below
        args = (X, y, (100, 100), 128, 1)

        def score(predict):
            return float(np.mean(predict(X[:5000]) == y[:5000]))
    X64 = args[0].astype(np.float64)
    for name, fit in fits.items():  # warm-up: imports, first calls
        fit(args[0][:256], args[1][:256], args[2], args[3], 1)
    print(f"{what}: {rounds} rounds, descend threads {b.descend.get_num_threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    table = {name: [] for name in fits}
    for r in range(rounds):
        row = {}
        for name, fit in fits.items():
            X = X64 if name == "sklearn-f64" else args[0]
            row.update(_round({name: fit}, X, *args[1:], score))
        for name, (wall, cpu, acc, load) in row.items():
            table[name].append((wall, cpu))
            ratio = wall / row["descend"][0]
            cratio = cpu / row["descend"][1]
            print(f"round {r} {name:12s} wall {wall:7.3f} s  cpu {cpu:7.3f} s  acc {acc:.4f}  "
                  f"load {load:5.2f}  x descend: wall {ratio:5.2f} cpu {cratio:5.2f}")
    print("minima:")
    best = {name: (min(w for w, _ in v), min(c for _, c in v)) for name, v in table.items()}
    for name, (wall, cpu) in best.items():
        print(f"  {name:12s} wall {wall:7.3f} s  cpu {cpu:7.3f} s  ratio of minima: "
              f"wall {wall / best['descend'][0]:5.2f} cpu {cpu / best['descend'][1]:5.2f}")
    if what != "digits":
        gflop = b._flops(60_000, (784, 100, 100, 10)) / 1e9
        print(f"  descend: {gflop / best['descend'][0]:.1f} GFLOP/s by the benchmark's count "
              f"({gflop:.1f} GFLOP per epoch)")


if __name__ == "__main__":
    main()
