"""descend.dask under faults: a worker killed mid-fit, a scheduler that goes away."""

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import make_classification

import descend

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import descend.dask as ddk  # noqa: E402


def _problem():
    X, y, _ = make_classification(n=400, d=5, seed=11)
    return X, y, dict(l2=0.05, fit_intercept=True)


@pytest.mark.parametrize("method,kill_at", [("lbfgs", 3), ("newton", 2)])
def test_a_worker_killed_mid_fit_gives_the_same_answer(method, kill_at):
    # Newton's look-ahead Hessian is on its way when the worker dies: it is recomputed too.
    from distributed import Client, LocalCluster

    X, y, opts = _problem()
    expected = descend.minimize(descend.Logistic(X, y, **opts), np.zeros(6), method=method)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="1GiB",
                      silence_logs=50) as cluster, Client(cluster) as client:
        f = ddk.Logistic(da.from_array(X, chunks=(100, 5)), y, scheduler=client, timeout=120,
                         **opts)
        killed = []

        def kill_one_worker(info):
            if info.nit == kill_at and not killed:
                victim = sorted(client.scheduler_info()["workers"])[0]
                pid = client.run(os.getpid, workers=[victim])[victim]
                os.kill(pid, 9)  # the worker process dies; its nanny starts a new one
                killed.append(pid)
                time.sleep(0.5)

        r = descend.minimize(f, np.zeros(6), method=method, callback=kill_one_worker)
        assert killed  # the fit went on after the kill, its chunks recomputed by Dask
    assert (r.status, r.nit) == (expected.status, expected.nit)
    np.testing.assert_allclose(r.x, expected.x, rtol=0, atol=1e-10 * np.abs(expected.x).max())


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_that_goes_away_is_a_clear_error_not_a_hang():
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    worker = None
    try:
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--no-nanny", "--no-dashboard"], **quiet)
        client = Client(address, timeout=30)
        try:
            client.wait_for_workers(1, timeout=60)
            X, y, opts = _problem()
            f = ddk.Logistic(da.from_array(X, chunks=(100, 5)), y, scheduler=client,
                             timeout=5, **opts)

            def kill_the_scheduler(info):
                if info.nit == 2:
                    scheduler.kill()
                    scheduler.wait()

            start = time.perf_counter()
            with pytest.raises(ddk.SchedulerError, match="went away"):
                descend.minimize(f, np.zeros(6), method="lbfgs", callback=kill_the_scheduler)
            assert time.perf_counter() - start < 60
        finally:
            # Closing a client whose scheduler was killed can itself raise from distributed's
            # internals (seen: "Cannot change state of expiring Timeout" from asyncio, a race
            # in its close); the fit's error above is what this test is about.
            try:
                client.close(timeout=2)
            except (RuntimeError, OSError, TimeoutError):
                pass
    finally:
        for process in (scheduler, worker):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def test_a_fit_on_data_larger_than_the_workers_memory_streams_its_chunks():
    from distributed import Client, LocalCluster

    # X (280,000 x 120 float64, 269 MB) is generated lazily and never fits in the worker's
    # 250 MiB: persist=False builds each chunk in the task that uses it, at every evaluation.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="250MiB",
                      silence_logs=50) as cluster, Client(cluster) as client:
        rs = da.random.RandomState(0)
        X = rs.standard_normal((280_000, 120), chunks=(5_000, 120))
        y = X[:, 0] - 0.5 * X[:, 1] + rs.standard_normal(280_000, chunks=5_000)
        assert X.nbytes > 250 * 2**20
        f = ddk.LeastSquares(X, y, l2=1e-3, persist=False, scheduler=client, timeout=120)
        before = set(client.scheduler_info()["workers"])
        r = descend.minimize(f, np.zeros(120), method="newton")
        after = set(client.scheduler_info()["workers"])
    assert r.status == "converged" and r.nit == 1  # least squares: one Newton step
    np.testing.assert_allclose(r.x[:2], [1.0, -0.5], atol=0.01)  # the noise's scale
    np.testing.assert_allclose(r.x[2:], 0.0, atol=0.01)
    assert before == after  # the worker was never restarted for exceeding its memory
