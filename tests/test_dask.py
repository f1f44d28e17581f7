"""descend.dask: the chunked objectives give the in-memory iterates, on both schedulers."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import make_classification, make_regression

import descend

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import descend.dask as ddk  # noqa: E402

#: Iterates of the chunked and the in-memory objective agree to this (relative to max |x|).
ITERATE_RTOL = 1e-10


def _softmax_data(n, d, seed=3, dtype=np.float64):
    X, _, _ = make_classification(n=n, d=d, seed=seed, dtype=dtype)
    y = np.digitize(X[:, 0] - X[:, 1], [-0.8, 0.0, 0.8])  # four classes
    return X, y


def _data(kind, n, d=5, dtype=np.float64):
    if kind == "ls":
        X, y, _ = make_regression(n=n, d=d, seed=2, dtype=dtype)
    elif kind == "logistic":
        X, y, _ = make_classification(n=n, d=d, seed=2, dtype=dtype)
    else:
        X, y = _softmax_data(n, d, dtype=dtype)
    return X, y


IN_MEMORY = {"ls": descend.LeastSquares, "logistic": descend.Logistic,
             "softmax": descend.Softmax}
CHUNKED = {"ls": ddk.LeastSquares, "logistic": ddk.Logistic, "softmax": ddk.Softmax}

#: Every deterministic method of minimize, with options that keep the runs short.
METHODS = {
    "gd": dict(method="gd", lr=0.3, max_iter=40),
    "gd-armijo": dict(method="gd", line_search="armijo", lr=1.0, max_iter=30),
    "gd-wolfe": dict(method="gd", line_search="wolfe", lr=1.0, max_iter=30),
    "gd-grid": dict(method="gd", line_search="grid", lr=1.0, max_iter=15),
    "gd-exact": dict(method="gd", line_search="exact", lr=1.0, max_iter=20),
    "newton": dict(method="newton"),
    "newton-cg": dict(method="newton-cg"),
    "bfgs": dict(method="bfgs"),
    "lbfgs": dict(method="lbfgs"),
}


#: float32 kernels add a block of rows in float32 (then the blocks in float64): these chunks
#: are whole numbers of the kernels' blocks (16384 bytes of rows for the GLMs, 819 rows of 5
#: float32; 65536 bytes for softmax, at most 2048 rows) so that both objectives add the same
#: blocks. Other chunkings agree to float32 rounding.
FLOAT32_CHUNKS = {"ls": (1638, 819, 300), "logistic": (1638, 819, 300),
                  "softmax": (2048, 4096, 300)}


def _weights(n):
    # Powers of two: every chunk's normalisation by its largest weight is exact, as is the
    # in-memory objective's, so the float32 weights agree bit for bit too.
    return 2.0 ** np.random.default_rng(7).integers(-2, 3, size=n)


def _pair(kind, chunks, dtype=np.float64, weighted=False, scheduler="threads", **kw):
    n = sum(chunks)
    X, y = _data(kind, n, dtype=dtype)
    sw = _weights(n) if weighted else None
    # Softmax intercepts are fixed only up to a common shift (a singular Hessian even with
    # l2 > 0): rounding moves the runs apart along it, so the softmax runs fit none.
    opts = dict(l2=0.05, fit_intercept=kind != "softmax", sample_weight=sw)
    dX = da.from_array(X, chunks=(chunks, X.shape[1]))
    return (IN_MEMORY[kind](X, y, **opts),
            CHUNKED[kind](dX, y, scheduler=scheduler, **opts, **kw))


#: float32 runs: the iterates agree to this (relative to max |x|), the final values to
#: FLOAT32_VALUE_RTOL. The two objectives add the same float32 blocks, but their float64 totals
#: associate differently (the chunks' tree against the kernel's left-to-right sum): a last-bit
#: difference of an iterate can flip the float32 rounding of the weights, and a quasi-Newton
#: run carries that on. Which runs meet such a flip depends on the CPU's core (FMA or not), so
#: the float32 runs are held to float32's precision, not to the same bits.
FLOAT32_ITERATE_RTOL = 1e-5
FLOAT32_VALUE_RTOL = 1e-6


def _assert_same_run(mem, chunked, **options):
    x0 = np.zeros(mem.n_params)
    a = descend.minimize(mem, x0, **options)
    b = descend.minimize(chunked, x0, **options)
    scale = max(1.0, float(np.abs(a.x).max()))
    if chunked.dtype == np.float32:
        assert b.status == a.status, (a.message, b.message)
        assert abs(b.nit - a.nit) <= 1, (a.nit, b.nit)
        np.testing.assert_allclose(b.x, a.x, rtol=0, atol=FLOAT32_ITERATE_RTOL * scale)
        np.testing.assert_allclose(b.fun, a.fun, rtol=FLOAT32_VALUE_RTOL)
        return a, b
    assert (b.status, b.nit) == (a.status, a.nit), (a.message, b.message)
    np.testing.assert_allclose(b.x, a.x, rtol=0, atol=ITERATE_RTOL * scale)
    np.testing.assert_allclose(b.fun, a.fun, rtol=1e-12)
    np.testing.assert_allclose(b.history.loss, a.history.loss, rtol=1e-11)
    return a, b


# ---- the threaded scheduler ----
@pytest.mark.parametrize("kind", list(IN_MEMORY))
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_gives_the_in_memory_iterates_on_uneven_chunks(kind, method):
    mem, chunked = _pair(kind, (100, 17, 1, 183))
    _assert_same_run(mem, chunked, **METHODS[method])


@pytest.mark.parametrize("kind", list(IN_MEMORY))
@pytest.mark.parametrize("method", ["gd-armijo", "newton", "newton-cg", "bfgs", "lbfgs"])
@pytest.mark.parametrize("variant", ["one-chunk", "weighted", "float32", "float32-weighted",
                                     "streamed"])
def test_variants_give_the_in_memory_iterates(kind, method, variant):
    options = METHODS[method]
    if variant == "one-chunk":
        pair = _pair(kind, (301,))
    elif variant == "weighted":
        pair = _pair(kind, (50, 150, 101), weighted=True)
    elif variant == "streamed":
        pair = _pair(kind, (50, 150, 101), weighted=True, persist=False)
    else:
        pair = _pair(kind, FLOAT32_CHUNKS[kind], dtype=np.float32,
                     weighted=variant == "float32-weighted")
        # The sums over chunks associate differently from the sums over the kernel's blocks
        # (a rounding of float64 sums): runs that reach float32's floor of precision end
        # where rounding decides; gtol stops them above it.
        options = {**options, "gtol": 1e-5}
    _assert_same_run(*pair, **options)


def test_float32_chunks_at_any_boundary_agree_to_float32_rounding():
    mem, chunked = _pair("logistic", (100, 17, 184), dtype=np.float32)
    w = np.linspace(-0.5, 0.5, mem.n_params)
    np.testing.assert_allclose(chunked.value(w), mem.value(w), rtol=1e-6)
    np.testing.assert_allclose(chunked.gradient(w), mem.gradient(w), rtol=1e-5, atol=1e-6)
    assert chunked.dtype == np.float32


def test_values_derivatives_and_evaluation_count():
    X, y = _data("softmax", 181)
    sw = _weights(181)
    mem = descend.Softmax(X, y, l2=0.05, fit_intercept=True, sample_weight=sw)
    chunked = ddk.Softmax(da.from_array(X, chunks=(60, 5)), y, l2=0.05, fit_intercept=True,
                          sample_weight=sw, scheduler="threads")
    w = np.random.default_rng(0).normal(size=mem.n_params) * 0.3
    v = np.random.default_rng(1).normal(size=mem.n_params)
    np.testing.assert_allclose(chunked.value(w), mem.value(w), rtol=1e-13)
    np.testing.assert_allclose(chunked.gradient(w), mem.gradient(w), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked.hessian(w), mem.hessian(w), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked.hvp(w, v), mem.hvp(w, v), rtol=1e-12, atol=1e-14)
    assert chunked.n_evaluations == 3  # value and gradient at one point: one computation
    assert chunked.n_params == mem.n_params and chunked.n_classes == 4
    assert "chunks=4" in repr(chunked)


def test_column_chunked_X_is_rechunked_into_whole_rows():
    X, y = _data("ls", 120)
    dX = da.from_array(X, chunks=(40, 2))
    f = ddk.LeastSquares(dX, y, scheduler="sync")
    assert f.X.numblocks == (3, 1)
    w = np.ones(5)
    np.testing.assert_allclose(f.gradient(w), descend.LeastSquares(X, y).gradient(w),
                               rtol=1e-13)


def test_misaligned_y_is_rechunked_and_numpy_inputs_accepted():
    X, y = _data("logistic", 120)
    dX = da.from_array(X, chunks=(40, 5))
    f = ddk.Logistic(dX, da.from_array(y, chunks=70), sample_weight=np.ones(120),
                     scheduler="sync")
    assert f.y.chunks == ((40, 40, 40),) and f.sample_weight.chunks == ((40, 40, 40),)
    g = ddk.Logistic(X, y, scheduler="sync")  # a numpy X is one chunk
    assert g.chunks == (120,)
    np.testing.assert_allclose(f.value(np.ones(5)), g.value(np.ones(5)), rtol=1e-13)


@pytest.mark.parametrize("module", ["descend.dask", "descend.dask._objectives",
                                    "descend.dask._minibatch", "descend.dask._estimators"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    if module.endswith("_estimators"):
        pytest.importorskip("sklearn")
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_csr_chunks_give_the_in_memory_sparse_iterates(method):
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.random(301, 8, density=0.3, format="csr", random_state=0)
    y = (X @ np.linspace(-1.0, 1.0, 8) > 0).astype(float)
    mem = descend.Logistic(X, y, l2=0.05, fit_intercept=True)
    dX = da.from_array(X, chunks=((100, 17, 1, 183), 8), asarray=False)
    chunked = ddk.Logistic(dX, y, l2=0.05, fit_intercept=True, scheduler="threads")
    _assert_same_run(mem, chunked, **METHODS[method])


# ---- bad input ----
def test_bad_inputs_are_refused_clearly():
    X, y = _data("ls", 120)
    dX = da.from_array(X, chunks=(40, 2))
    with pytest.raises(ValueError, match="chunked along its columns"):
        ddk.LeastSquares(dX, y, rechunk=False)
    unknown = da.from_array(X, chunks=(40, 5))
    unknown = unknown[unknown[:, 0] > -10]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        ddk.LeastSquares(unknown, y)
    with pytest.raises(ValueError, match="one entry per row of X"):
        ddk.LeastSquares(da.from_array(X, chunks=40), y[:-1])
    with pytest.raises(ValueError, match="must be 2-D"):
        ddk.LeastSquares(da.from_array(y, chunks=40), y)
    with pytest.raises(ValueError, match="must be 1-D"):
        ddk.LeastSquares(da.from_array(X, chunks=40), X)
    with pytest.raises(ValueError, match="l2"):
        ddk.LeastSquares(da.from_array(X, chunks=40), y, l2=-1.0)
    with pytest.raises(ValueError, match="'processes' scheduler"):
        ddk.LeastSquares(da.from_array(X, chunks=40), y, scheduler="processes")
    with pytest.raises(TypeError, match="scheduler"):
        ddk.LeastSquares(da.from_array(X, chunks=40), y, scheduler=3)
    with pytest.raises(TypeError, match="dask array or an array-like"):
        ddk.LeastSquares(object(), y)
    f = ddk.LeastSquares(da.from_array(X, chunks=40), y, scheduler="sync")
    with pytest.raises(ValueError, match="length 5"):
        f.value(np.zeros(4))


def test_nan_and_bad_labels_name_the_chunk():
    X, y = _data("logistic", 120)
    X = X.copy()
    X[75, 2] = np.nan
    f = ddk.Logistic(da.from_array(X, chunks=(40, 5)), y, scheduler="sync")
    with pytest.raises(ValueError, match=r"chunk 1 \(rows 40:80\).*NaN"):
        f.value(np.zeros(5))
    X, y = _data("logistic", 120)
    labels = y.astype(float)
    labels[:40] = np.where(labels[:40] > 0, 1.0, -1.0)  # {-1, 1} in one chunk, {0, 1} after
    f = ddk.Logistic(da.from_array(X, chunks=(40, 5)), labels, scheduler="sync")
    with pytest.raises(ValueError, match="same in every chunk"):
        f.value(np.zeros(5))
    f = ddk.Logistic(da.from_array(X, chunks=(40, 5)), y + 1, scheduler="sync")
    with pytest.raises(ValueError, match="binary labels"):
        f.value(np.zeros(5))
    with pytest.raises(ValueError, match="not be all zero"):
        ddk.LeastSquares(da.from_array(X, chunks=40), y, sample_weight=np.zeros(120),
                         scheduler="sync").value(np.zeros(5))


def test_a_chunk_of_zero_weights_contributes_nothing():
    X, y = _data("ls", 120)
    sw = np.ones(120)
    sw[40:80] = 0.0
    f = ddk.LeastSquares(da.from_array(X, chunks=(40, 5)), y, sample_weight=sw,
                         scheduler="sync")
    mem = descend.LeastSquares(X, y, sample_weight=sw)
    w = np.ones(5)
    np.testing.assert_allclose(f.value_and_gradient(w)[1], mem.gradient(w), rtol=1e-13)
    np.testing.assert_allclose(f.hessian(w), mem.hessian(w), rtol=1e-13)


def test_minimize_refuses_what_the_dask_objective_cannot_do():
    _, f = _pair("ls", (150, 151))
    with pytest.raises(ValueError, match="batch_size needs"):
        descend.minimize(f, np.zeros(f.n_params), method="sgd", batch_size=10)


def test_import_descend_never_imports_dask_and_the_extra_is_named():
    code = "import sys, descend; print('dask' in sys.modules, 'distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
    code = "import sys; sys.modules['dask'] = None; import descend.dask"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ})
    assert out.returncode != 0 and "pip install 'descend[dask]'" in out.stderr


# ---- a LocalCluster of two single-threaded worker processes ----
@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0", memory_limit="1GiB",
                           silence_logs=50)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("kind", list(IN_MEMORY))
@pytest.mark.parametrize("method", ["gd-wolfe", "newton", "newton-cg", "lbfgs"])
def test_local_cluster_gives_the_in_memory_iterates(client, kind, method):
    mem, chunked = _pair(kind, (100, 17, 1, 183), weighted=kind != "ls", scheduler=client)
    _assert_same_run(mem, chunked, **METHODS[method])


def test_local_cluster_as_the_default_scheduler_streamed_and_float32(client):
    # No scheduler given: the active Client is Dask's default.
    mem, chunked = _pair("logistic", FLOAT32_CHUNKS["logistic"], dtype=np.float32, scheduler=None,
                         persist=False)
    assert chunked._client() is client
    _assert_same_run(mem, chunked, **METHODS["newton"])


def test_local_cluster_caps_the_kernel_threads(client):
    _, f = _pair("ls", (100, 201), scheduler=client)
    caps = f._threads(client)
    cores = client.run(os.cpu_count)
    assert set(caps) == set(cores)
    for addr, cap in caps.items():
        assert 1 <= cap and cap * 2 <= max(2, cores[addr])  # 2 single-threaded workers


def test_local_cluster_refuses_bad_data_clearly(client):
    X, y = _data("ls", 120)
    X = X.copy()
    X[5, 0] = np.inf
    f = ddk.LeastSquares(da.from_array(X, chunks=(40, 5)), y, scheduler=client)
    with pytest.raises(ValueError, match=r"chunk 0 \(rows 0:40\)"):
        f.value(np.zeros(5))


def test_local_cluster_runs_minibatch_where_the_chunks_are(client):
    from descend import reference

    X, y = _data("logistic", 301)
    f = ddk.Logistic(da.from_array(X, chunks=((100, 17, 1, 183), 5)), y, l2=0.01,
                     fit_intercept=True, scheduler=client)
    r = ddk.minibatch(f, np.zeros(6), "adam", lr=0.01, batch_size=16, epochs=2, seed=4)
    twin = reference.Logistic(X, y, l2=0.01, fit_intercept=True)
    x, losses = ddk.replay(twin, np.zeros(6), reference.Rule("adam", 0.01, eps=1e-8,
                                                             betas=(0.9, 0.999)),
                           f.chunks, 16, 2, seed=4)
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.history.loss, losses, rtol=1e-10)
