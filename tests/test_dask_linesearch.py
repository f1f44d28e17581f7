"""A steepest-descent line search on a dask objective: its trial steps in one round trip.

Counted, not timed: ``n_evaluations`` is the number of Dask computations, ``n_points`` the
points at which the chunks computed the loss and the gradient. The iterates must not move.
"""

import numpy as np
import pytest
from conftest import make_classification, make_regression

import descend

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import descend.dask as ddk  # noqa: E402

CHUNKS = (100, 17, 1, 183)


def _pair(kind, line_points, scheduler="threads"):
    if kind == "ls":
        X, y, _ = make_regression(n=sum(CHUNKS), d=5, seed=2)
        mem_cls, cls = descend.LeastSquares, ddk.LeastSquares
    else:
        X, y, _ = make_classification(n=sum(CHUNKS), d=5, seed=2)
        mem_cls, cls = descend.Logistic, ddk.Logistic
    opts = dict(l2=0.05, fit_intercept=True)
    return mem_cls(X, y, **opts), cls(da.from_array(X, chunks=(CHUNKS, 5)), y,
                                      scheduler=scheduler, line_points=line_points, **opts)


@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("search,lr,saving", [("armijo", 64.0, 2.0), ("grid", 1.0, 5.0)])
def test_gd_line_search_takes_fewer_round_trips(kind, search, lr, saving):
    # lr well above 1 / L: Armijo halves it a few times at every iteration.
    options = dict(method="gd", line_search=search, lr=lr, max_iter=25)
    mem, one = _pair(kind, line_points=1)
    _, many = _pair(kind, line_points=16)
    r_mem = descend.minimize(mem, np.zeros(6), **options)
    r_one = descend.minimize(one, np.zeros(6), **options)
    r_many = descend.minimize(many, np.zeros(6), **options)
    # The same iterates: the batched values are those of separate evaluations, bit for bit.
    np.testing.assert_array_equal(r_many.x, r_one.x)
    assert r_many.nit == r_one.nit and r_many.nfev == r_one.nfev
    np.testing.assert_allclose(r_one.x, r_mem.x, rtol=1e-10, atol=1e-12)
    assert r_one.nfev > 1.5 * r_one.nit  # the searches did backtrack
    # One computation per point without batching; several points per computation with it.
    assert one.n_evaluations - one.n_points <= 2  # the parameters' scales, once or twice
    assert many.n_evaluations * saving <= one.n_evaluations, (many.n_evaluations,
                                                             one.n_evaluations)
    # The batch guesses well: few points computed that the search did not ask for.
    assert many.n_points <= 1.5 * one.n_points


def test_other_directions_are_evaluated_one_point_at_a_time():
    _, f = _pair("logistic", line_points=16)
    r = descend.minimize(f, np.zeros(6), method="lbfgs")
    assert r.success and f.n_points == r.nfev  # one point per computation


def test_a_point_off_the_line_is_simply_evaluated():
    _, f = _pair("ls", line_points=16)
    x = np.zeros(6)
    _, g = f.value_and_gradient(x)
    f._width = 4  # as if the last search had taken four trials
    f.value_and_gradient(x - 0.5 * g)  # on the line: four points at once
    assert f.n_points == 1 + 4 and f.n_evaluations == 2
    v, _ = f.value_and_gradient(x - 0.25 * g)  # a cached trial
    assert f.n_evaluations == 2
    mem, _ = _pair("ls", line_points=1)
    assert np.isclose(v, mem.value(x - 0.25 * g), rtol=1e-12)
    f.value_and_gradient(np.ones(6))  # off the line
    assert f.n_evaluations == 3 and f.n_points == 6


def test_local_cluster_line_search_in_fewer_round_trips():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="1GiB",
                      silence_logs=50) as cluster, Client(cluster) as client:
        options = dict(method="gd", line_search="armijo", lr=64.0, max_iter=10)
        mem, one = _pair("logistic", 1, scheduler=client)
        _, many = _pair("logistic", 16, scheduler=client)
        r_one = descend.minimize(one, np.zeros(6), **options)
        r_many = descend.minimize(many, np.zeros(6), **options)
    np.testing.assert_array_equal(r_many.x, r_one.x)
    np.testing.assert_allclose(r_one.x, descend.minimize(mem, np.zeros(6), **options).x,
                               rtol=1e-10, atol=1e-12)
    assert 2 * many.n_evaluations <= one.n_evaluations


def _check_newton(mem, f, min_iterations):
    options = dict(method="newton", gtol=1e-10)
    r_mem = descend.minimize(mem, np.zeros(6), **options)
    r = descend.minimize(f, np.zeros(6), **options)
    assert r.success and r.nit == r_mem.nit and r.nit >= min_iterations
    np.testing.assert_allclose(r.x, r_mem.x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.history.loss, r_mem.history.loss, rtol=1e-12)
    # The parameters' scales (once or twice), the start's gradient and Hessian, then one
    # computation per evaluated point: no Hessian computed on its own after the start.
    assert f.n_points == r.nfev
    assert f.n_evaluations - f.n_points <= 3, (f.n_evaluations, f.n_points)


@pytest.mark.parametrize("kind", ["ls", "logistic"])
def test_newton_takes_the_hessian_with_the_gradient(kind):
    # After the first iteration, each point's Hessian sums come in the same computation as
    # its gradient: one round trip per iteration instead of two, the same iterates.
    _check_newton(*_pair(kind, line_points=16), min_iterations=1 if kind == "ls" else 3)


def test_newton_takes_the_hessian_with_the_gradient_on_a_local_cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="1GiB",
                      silence_logs=50) as cluster, Client(cluster) as client:
        _check_newton(*_pair("logistic", 16, scheduler=client), min_iterations=3)


def test_an_unused_hessian_stops_the_look_ahead():
    _, f = _pair("logistic", line_points=1)
    x = np.zeros(6)
    f.value_and_gradient(x)
    f.hessian(x)  # Newton's pattern: the next point brings its Hessian
    n = f.n_evaluations
    f.value_and_gradient(np.full(6, 0.1))  # with its Hessian
    f.value_and_gradient(np.full(6, 0.05))  # the first was rejected: no Hessian now
    H = f.hessian(np.full(6, 0.05))  # computed on its own
    assert f.n_evaluations == n + 3
    mem, _ = _pair("logistic", line_points=1)
    np.testing.assert_allclose(H, mem.hessian(np.full(6, 0.05)), rtol=1e-12)
    H1 = f.hessian(np.full(6, 0.1))  # a point whose Hessian is no longer kept: computed
    np.testing.assert_allclose(H1, mem.hessian(np.full(6, 0.1)), rtol=1e-12)
