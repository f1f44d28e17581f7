"""descend.dask's round trips on a cluster: one task per worker, the look-ahead Hessian, the
start's evaluation with the set-up. Counted and compared, not timed."""

import os
import time

import numpy as np
import pytest
from conftest import make_classification

import descend

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import descend.dask as ddk  # noqa: E402
from descend.dask import _objectives, _tasks  # noqa: E402

CHUNKS = (100, 17, 1, 183, 60, 39)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                           memory_limit="1GiB", silence_logs=50)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _objectives_on(scheduler, weighted=True):
    X, y, _ = make_classification(n=sum(CHUNKS), d=5, seed=4)
    sw = 2.0 ** np.random.default_rng(1).integers(-2, 3, size=len(y)) if weighted else None
    return ddk.Logistic(da.from_array(X, chunks=(CHUNKS, 5)), y, l2=0.05, fit_intercept=True,
                        sample_weight=sw, scheduler=scheduler)


def test_one_task_per_worker_gives_the_threaded_sums_bit_for_bit(client):
    # Each chunk's sums come back and are added in the chunks' order by the threaded
    # scheduler's tree: the same numbers whatever worker holds which chunk.
    f, t = _objectives_on(client), _objectives_on("threads")
    w = np.linspace(-0.5, 0.5, 6)
    value, gradient = f.value_and_gradient(w)
    workers = set(client.scheduler_info()["workers"])
    assert {address for address, _ in f._groups} <= workers
    assert sorted(i for _, indices in f._groups for i in indices) == list(range(len(CHUNKS)))
    expected_value, expected_gradient = t.value_and_gradient(w)
    assert value == expected_value
    np.testing.assert_array_equal(gradient, expected_gradient)
    np.testing.assert_array_equal(f.hessian(w), t.hessian(w))
    np.testing.assert_array_equal(f.hvp(w, np.ones(6)), t.hvp(w, np.ones(6)))


def test_large_hessians_are_added_on_the_workers(client, monkeypatch):
    monkeypatch.setattr(_objectives, "_PARTS_BYTES", 0)  # every Hessian counts as large
    f, t = _objectives_on(client), _objectives_on("threads")
    w = np.linspace(-0.5, 0.5, 6)
    f.value(w)
    assert f._presum("hess") and not f._presum("grad")
    np.testing.assert_allclose(f.hessian(w), t.hessian(w), rtol=1e-13, atol=1e-15)
    a = descend.minimize(f, np.zeros(6), method="newton")
    b = descend.minimize(t, np.zeros(6), method="newton")
    assert a.nit == b.nit
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-10 * np.abs(b.x).max())


def test_chunks_found_elsewhere_are_regrouped(client):
    f, t = _objectives_on(client), _objectives_on("threads")
    w = np.full(6, 0.1)
    f.value(np.zeros(6))
    # As if every chunk had been held by a worker that went away: the tasks run where the
    # chunks are, say so, and the next evaluation asks the scheduler where they are now.
    f._groups = [("tcp://127.0.0.1:9", list(range(len(CHUNKS))))]
    assert f.value_and_gradient(w)[0] == t.value_and_gradient(w)[0]
    assert f._groups is None
    np.testing.assert_array_equal(f.gradient(2 * w), t.gradient(2 * w))
    assert {address for address, _ in f._groups} <= set(client.scheduler_info()["workers"])


def test_a_dropped_look_ahead_stops_between_chunks(client, tmp_path):
    log = str(tmp_path / "chunks")

    class Slow:  # a chunk whose Hessian takes 0.1 s (pickled by value to the worker)
        def hessian_sum(self, w):
            with open(log, "a") as out:
                out.write("x")
            time.sleep(0.1)
            return np.zeros((1, 1))

    future = client.submit(_tasks.group_sums, [Slow() for _ in range(100)], "hess",
                           np.zeros(1), None, None, True, pure=False)
    deadline = time.monotonic() + 60
    while not os.path.exists(log) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(log)
    del future  # the driver lets go: the worker sees it between two chunks
    time.sleep(3.0)
    done = _count(log)
    time.sleep(1.0)
    assert _count(log) == done < 100


def _count(path):
    with open(path) as log:
        return len(log.read())


@pytest.mark.parametrize("where", ["threads", "cluster"])
def test_newton_takes_one_computation_per_point_from_the_start(client, where):
    f = _objectives_on(client if where == "cluster" else "threads")
    mem = _objectives_on("threads")
    r = descend.minimize(f, np.zeros(6), method="newton", gtol=1e-10)
    # The start's gradient and Hessian come with the set-up of the chunks; every later
    # point's Hessian with its gradient.
    assert r.success and r.nit >= 3
    assert f.n_evaluations == f.n_points == r.nfev
    expected = descend.minimize(mem, np.zeros(6), method="newton", gtol=1e-10)
    np.testing.assert_array_equal(r.x, expected.x)  # the same sums, the same iterates


def test_lbfgs_computes_its_start_with_the_set_up(client, monkeypatch):
    trips = []  # every round trip to the cluster: the set-up's and the evaluations'
    for name in ("_gather", "_results"):
        original = getattr(_objectives, name)
        monkeypatch.setattr(_objectives, name,
                            lambda *a, _f=original, **k: trips.append(1) or _f(*a, **k))
    counts, results = [], []
    for set_up_first in (False, True):
        f = _objectives_on(client)
        trips.clear()
        if set_up_first:
            f.parameter_scales()  # the chunks set up before minimize: the start on its own
        results.append(descend.minimize(f, np.zeros(6), method="lbfgs"))
        counts.append(len(trips))
        assert results[-1].success and f.n_points == results[-1].nfev
    np.testing.assert_array_equal(results[0].x, results[1].x)
    assert counts[0] == counts[1] - 1


def test_a_start_minimize_refuses_is_not_computed():
    f = _objectives_on("threads")
    with pytest.raises(ValueError, match="x0"):
        descend.minimize(f, np.zeros(3), method="newton")
    assert f.n_evaluations == 0
    f.__descend_start__(np.array([np.nan] * 6), "newton")
    assert f._start is None
    r = descend.minimize(f, np.zeros(6), method="newton")
    # The refused call set the chunks up: the start's gradient and Hessian on their own.
    assert r.success and f.n_evaluations == r.nfev + 1
