"""Issue 14: the pool of persistent workers, and descend as a guest of GridSearchCV.

- A least-squares gradient at n = 10,000, d = 50 (4 MB: a pass of a few hundred microseconds,
  where starting threads per pass would show), descend on one thread and on the default
  threads, against numpy's two-pass expression (with OpenBLAS's own threads, and limited to one
  by threadpoolctl) and the numpy twin, in one group; each row also reports its fraction of
  one read of X (`read_bandwidth`, one core).
- GridSearchCV over descend's LogisticRegression with n_jobs=1, n_jobs=2 (joblib's workers get
  OMP_NUM_THREADS = cores // 2, which descend honours) and n_jobs=2 with each worker allowed
  every core (joblib's inner_max_num_threads: the oversubscription descend now avoids), side
  by side. Skipped when scikit-learn is missing.
"""

import numpy as np
import pytest

import descend
from descend import reference


@pytest.fixture(scope="module")
def small_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10_000, 50))
    y = X @ rng.standard_normal(50) + rng.standard_normal(10_000)
    return X, y


@pytest.mark.parametrize("impl", ["descend-1-thread", "descend-default-threads",
                                  "numpy-two-pass", "numpy-two-pass-blas-1-thread",
                                  "numpy-twin"])
def test_gradient_n10000_d50(benchmark, small_regression, read_bandwidth, impl):
    X, y = small_regression
    n = X.shape[0]
    w = np.random.default_rng(1).standard_normal(50) * 0.1
    benchmark.group = "least-squares gradient n=10,000 d=50 (pool dispatch)"
    if impl.startswith("descend"):
        f = descend.LeastSquares(X, y, n_threads=1 if impl == "descend-1-thread" else None)
        g = benchmark(f.gradient, w)
        benchmark.extra_info["threads"] = 1 if impl == "descend-1-thread" else \
            descend.get_num_threads()
    elif impl == "numpy-two-pass":
        g = benchmark(lambda: X.T @ (X @ w - y) / n)
    elif impl == "numpy-two-pass-blas-1-thread":
        threadpoolctl = pytest.importorskip("threadpoolctl")
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            g = benchmark(lambda: X.T @ (X @ w - y) / n)
    else:
        g = benchmark(reference.LeastSquares(X, y).gradient, w)
    twin = reference.LeastSquares(X, y).gradient(w)
    np.testing.assert_allclose(g, twin, rtol=0, atol=1e-10 * np.abs(twin).max())
    if benchmark.stats:
        seconds = benchmark.stats.stats.min
        benchmark.extra_info["fraction_of_one_read"] = round(
            (X.nbytes / read_bandwidth) / seconds, 3)


def _threads_in_worker(_):
    return descend.get_num_threads()


@pytest.mark.parametrize("setting", ["n_jobs=1", "n_jobs=2", "n_jobs=2-oversubscribed"])
def test_grid_search(benchmark, setting):
    pytest.importorskip("sklearn")
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV

    from descend.linear_model import LogisticRegression

    X, y = make_classification(n_samples=100_000, n_features=50, random_state=0)
    n_jobs = 1 if setting == "n_jobs=1" else 2
    inner = joblib.cpu_count() if setting.endswith("oversubscribed") else None
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    benchmark.group = "GridSearchCV(descend LogisticRegression, 4 C x 3 folds)"

    def search():
        with joblib.parallel_config(backend="loky", inner_max_num_threads=inner):
            return GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=n_jobs).fit(X, y)

    fitted = benchmark.pedantic(search, rounds=3, iterations=1, warmup_rounds=1)
    assert fitted.best_score_ > 0.8
    with joblib.parallel_config(backend="loky", inner_max_num_threads=inner):
        threads = joblib.Parallel(n_jobs=n_jobs)(
            joblib.delayed(_threads_in_worker)(k) for k in range(n_jobs))
    benchmark.extra_info["descend_threads_per_worker"] = threads
    if setting == "n_jobs=2":  # joblib's default: the cores shared out between the workers
        assert threads == [max(joblib.cpu_count() // 2, 1)] * 2
