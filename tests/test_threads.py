"""Issue 14: the pool of persistent workers, the default thread count and its limits.

Each check of a process-wide setting runs in a fresh interpreter, so that no test sees another's
limit or pool.
"""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import descend


def _run(code, timeout=120, **env):
    environ = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=environ, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


def _usable_cores():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


# --- the default thread count ------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("1", 1), ("3", 3), ("3,2", 3), (" 2 ", 2),
                                             ("junk", None), ("0", None), ("-4", None),
                                             ("5000", 1024)],
                         ids=["1", "3", "nested", "spaces", "junk", "zero", "negative", "huge"])
def test_the_default_follows_omp_num_threads(value, expected):
    (got,) = _run("import descend; print(descend.get_num_threads())", OMP_NUM_THREADS=value)
    assert int(got) == (min(_usable_cores(), 1024) if expected is None else expected)


def test_without_omp_num_threads_the_default_is_the_usable_cores():
    (got,) = _run("import descend; print(descend.get_num_threads())")
    assert int(got) == min(_usable_cores(), 1024)


def test_set_num_threads_sets_and_resets_the_default():
    code = """
        import descend
        before = descend.get_num_threads()
        descend.set_num_threads(3)
        print(descend.get_num_threads(), descend.show_config(mode="dicts")["threads"]["default"])
        descend.set_num_threads(None)
        print(descend.get_num_threads() == before)
    """
    assert _run(code, OMP_NUM_THREADS="2") == ["3", "3", "True"]


@pytest.mark.parametrize("bad, error", [(0, ValueError), (1025, ValueError), (2.0, TypeError),
                                        ("2", TypeError)])
def test_set_num_threads_refuses_bad_values(bad, error):
    before = descend.get_num_threads()
    with pytest.raises(error, match="n_threads"):
        descend.set_num_threads(bad)
    assert descend.get_num_threads() == before


def test_an_objective_keeps_the_count_it_was_built_with_and_gives_the_same_bits():
    code = """
        import numpy as np, descend
        X = np.random.default_rng(0).normal(size=(20000, 40)); y = X[:, 0].copy()
        w = np.full(40, 0.1)
        descend.set_num_threads(4)
        four = descend.LeastSquares(X, y)
        descend.set_num_threads(1)
        one = descend.LeastSquares(X, y)
        descend.set_num_threads(None)
        explicit = descend.LeastSquares(X, y, n_threads=4)
        print(np.array_equal(four.gradient(w), explicit.gradient(w)))
        print(np.allclose(four.gradient(w), one.gradient(w), rtol=1e-12, atol=0))
    """
    assert _run(code) == ["True", "True"]


# --- threadpoolctl -----------------------------------------------------------------------------

def test_threadpool_limits_limits_descend():
    pytest.importorskip("threadpoolctl")
    code = """
        import descend
        from threadpoolctl import threadpool_info, threadpool_limits
        info = [i for i in threadpool_info() if i["user_api"] == "descend"]
        print(len(info), info[0]["internal_api"], info[0]["num_threads"] == descend.get_num_threads())
        print(info[0]["version"] == descend.__version__)
        with threadpool_limits(1):
            print(descend.get_num_threads())
        with threadpool_limits(limits=2, user_api="descend"):
            print(descend.get_num_threads())
        print(descend.get_num_threads())
    """
    assert _run(code, OMP_NUM_THREADS="3") == ["1", "descend", "True", "True", "1", "2", "3"]


def test_threadpoolctl_imported_before_descend_sees_it_too():
    pytest.importorskip("threadpoolctl")
    code = """
        import threadpoolctl
        import descend
        with threadpoolctl.threadpool_limits(1):
            print(descend.get_num_threads())
        print([i["user_api"] for i in threadpoolctl.threadpool_info()].count("descend"))
    """
    assert _run(code, OMP_NUM_THREADS="2") == ["1", "1"]


def test_the_import_hook_leaves_after_registering_and_never_imports_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    code = """
        import sys, descend
        from descend._on_import import OnImport
        hooks = lambda: sum(isinstance(f, OnImport) and f.name == "threadpoolctl"
                            for f in sys.meta_path)
        print("threadpoolctl" in sys.modules, hooks())
        import threadpoolctl
        print(hooks(), threadpoolctl._descend_registered)
    """
    assert _run(code) == ["False", "1", "0", "True"]


# --- the pool ----------------------------------------------------------------------------------

def test_small_passes_start_no_worker_and_large_ones_reuse_the_same_workers():
    code = """
        import numpy as np, descend
        from descend import _core
        r = np.random.default_rng(0)
        small = descend.LeastSquares(r.normal(size=(200, 5)), r.normal(size=200), n_threads=8)
        for _ in range(100):
            small.gradient(np.zeros(5))
        print(_core.build_info()["pool_workers"])
        X = r.normal(size=(20000, 50))
        large = descend.LeastSquares(X, X[:, 0].copy(), n_threads=3)
        for _ in range(100):
            large.gradient(np.zeros(50))
        print(_core.build_info()["pool_workers"])
    """
    assert _run(code) == ["0", "2"]


def test_passes_from_several_python_threads_at_once_agree():
    r = np.random.default_rng(0)
    X = r.normal(size=(8000, 40))
    f = descend.LeastSquares(X, X[:, 1].copy(), n_threads=3)
    w = r.normal(size=40)
    expected = f.gradient(w)
    results, errors = [], []

    def work():
        try:
            for _ in range(30):
                results.append(np.array_equal(f.gradient(w), expected))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 180 and all(results)


def test_an_error_in_a_pass_leaves_the_pool_usable():
    r = np.random.default_rng(1)
    X = r.normal(size=(8000, 40))
    f = descend.LeastSquares(X, X[:, 0].copy(), n_threads=2)
    with pytest.raises(ValueError):
        f.gradient(np.zeros(3))
    assert np.isfinite(f.gradient(np.zeros(40))).all()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_passes_on_a_pool_of_its_own():
    code = """
        import os, threading, warnings
        import numpy as np, descend
        from descend import _core
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, 3.12+
        X = np.random.default_rng(0).normal(size=(20000, 50))
        f = descend.LeastSquares(X, X[:, 0].copy(), n_threads=3)
        w = np.full(50, 0.1)
        expected = f.gradient(w)
        stop = False
        def busy():  # the parent's pool is mid-pass, its mutex taken, at some forks
            while not stop:
                f.gradient(w)
        t = threading.Thread(target=busy); t.start()
        statuses = []
        for _ in range(10):
            pid = os.fork()
            if pid == 0:
                ok = all(np.array_equal(f.gradient(w), expected) for _ in range(5))
                os._exit(0 if ok and _core.build_info()["pool_workers"] == 2 else 1)
            statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        stop = True; t.join()
        print(statuses == [0] * 10)
    """
    assert _run(code, timeout=120) == ["True"]


def test_a_multiprocessing_fork_pool_computes_gradients():
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    code = """
        import multiprocessing, warnings
        import numpy as np, descend
        warnings.simplefilter("ignore", DeprecationWarning)
        X = np.random.default_rng(0).normal(size=(20000, 50))
        f = descend.LeastSquares(X, X[:, 0].copy(), n_threads=2)
        w = np.full(50, 0.1)
        expected = f.gradient(w)  # the parent's pool is started before the fork
        def grad(scale):
            return f.gradient(w * scale)
        with multiprocessing.get_context("fork").Pool(2) as pool:
            got = pool.map(grad, [1.0, 1.0, 1.0, 1.0])
        print(all(np.array_equal(g, expected) for g in got))
    """
    assert _run(code, timeout=120) == ["True"]

