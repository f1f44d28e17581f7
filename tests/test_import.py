"""Issue 14: `import descend` is light (numpy and one build of the core) and lazy (PEP 562)."""

import subprocess
import sys
import textwrap

import pytest

import descend

HEAVY = ("scipy", "sklearn", "matplotlib", "dask", "distributed", "threadpoolctl", "tqdm",
         "torch", "importlib.metadata", "logging")


def _run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def test_import_loads_no_optional_dependency_and_one_core():
    code = f"""
        import sys, descend
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        print(sorted(m for m in sys.modules if m.startswith("descend._core_")))
    """
    heavy, cores = _run(code)
    assert heavy == "[]"
    assert cores in ("['descend._core_avx2']", "['descend._core_generic']")


def test_import_loads_no_submodule_it_does_not_need():
    code = """
        import sys, descend
        print(sorted(m for m in sys.modules if m.startswith("descend.")))
    """
    (loaded,) = _run(code)
    for lazy in ("analysis", "plot", "demo", "reference", "linear_model", "objectives",
                 "_minimize", "_config", "problems"):
        assert f"'descend.{lazy}'" not in loaded


def test_every_public_name_loads_on_first_use():
    code = """
        import descend
        for name in descend.__all__:
            assert getattr(descend, name) is not None, name
        print("ok")
    """
    assert _run(code) == ["ok"]


def test_from_import_and_star_import_work_in_a_fresh_interpreter():
    code = """
        from descend import LeastSquares, minimize
        import numpy as np
        X = np.eye(3); y = np.array([1.0, 2.0, 3.0])
        r = minimize(LeastSquares(X, y), np.zeros(3), method="gd", lr=1.0)
        print(r.x.round(3).tolist())
        ns = {}
        exec("from descend import *", ns)
        import descend
        print(sorted(set(descend.__all__) - set(ns)))
    """
    assert _run(code) == ["[1.0, 2.0, 3.0]", "[]"]


def test_the_methods_are_registered_whichever_name_comes_first():
    for first in ("methods()", "minimize", "ConvergenceWarning"):
        code = f"""
            import descend
            descend.{first}
            print("gd" in descend.methods() and "newton" in descend.methods())
        """
        assert _run(code) == ["True"], first


def test_the_registry_is_filled_when_a_module_imports_it_directly():
    # neural_network, demo and dask use descend._minimize's registry without descend.minimize.
    code = """
        from descend._minimize import _METHODS
        print("gd" in _METHODS and "lbfgs" in _METHODS)
    """
    assert _run(code) == ["True"]


def test_a_private_submodule_loads_as_an_attribute():
    (value,) = _run("import descend; print(descend._config.PEERS[0])")
    assert value == "scipy"
    with pytest.raises(AttributeError, match="no attribute '_nope'"):
        descend._nope  # noqa: B018


def test_dir_lists_the_names_not_loaded_yet():
    (listed,) = _run("import descend; print(sorted(set(descend.__all__) - set(dir(descend))))")
    assert listed == "[]"
    assert {"linear_model", "neural_network", "dask", "demo"} <= set(dir(descend))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'descend' has no attribute 'nope'"):
        descend.nope  # noqa: B018
    assert not hasattr(descend, "nope")


def test_a_lazy_name_is_the_submodule_object():
    from descend import objectives

    assert descend.LeastSquares is objectives.LeastSquares
    assert descend.analysis is sys.modules["descend.analysis"]
