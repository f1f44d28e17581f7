"""Shared benchmark helpers: the machine's memory bandwidth measured with numpy, and data."""

import time

import numpy as np
import pytest


def best_time(fn, repeat=7):
    """Minimum wall time of fn() over `repeat` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.fixture(scope="session")
def read_bandwidth():
    """Bytes per second numpy reads from memory in one sum over a 400 MB array (one core)."""
    a = np.ones(50_000_000)
    seconds = best_time(a.sum, repeat=5)
    return a.nbytes / seconds


@pytest.fixture(scope="session")
def big_regression():
    """n = 1,000,000, d = 50 float64 data, C-ordered (400 MB)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1_000_000, 50))
    y = X @ rng.standard_normal(50) + rng.standard_normal(1_000_000)
    return X, y
