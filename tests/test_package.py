"""The package as a user meets it: import cost, both core builds, the demo, the docs."""

import doctest
import os
import subprocess
import sys

import numpy as np
import pytest

import descend


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_import_loads_no_optional_dependency():
    out = _run("import sys, descend; "
               "print(sorted(m for m in ('scipy', 'sklearn', 'matplotlib', 'dask', 'tqdm', 'torch')"
               " if m in sys.modules))")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_generic_and_avx2_builds_agree():
    code = ("import numpy as np, descend; r = np.random.default_rng(0); "
            "X = r.normal(size=(3000, 9)); y = (X[:, 0] > 0).astype(int); "
            "f = descend.Logistic(X, y, l2=0.1, fit_intercept=True); w = r.normal(size=10); "
            "print(descend._core.build); print(repr(float(f.value(w)))); "
            "print(' '.join(repr(float(v)) for v in f.gradient(w)))")
    outs = {}
    for build in ("generic", "auto"):
        out = _run(code, DESCEND_CPU=build)
        assert out.returncode == 0, out.stderr
        name, value, grad = out.stdout.split("\n")[:3]
        outs[build] = (name, float(value), np.array(grad.split(), dtype=float))
    assert outs["generic"][0] == "generic"
    np.testing.assert_allclose(outs["auto"][1], outs["generic"][1], rtol=1e-13)
    np.testing.assert_allclose(outs["auto"][2], outs["generic"][2], rtol=1e-11, atol=1e-15)


def test_bad_core_choice_is_a_clear_import_error():
    out = _run("import descend", DESCEND_CPU="gpu")
    assert out.returncode != 0 and "DESCEND_CPU must be" in out.stderr


def test_demo_runs_and_writes_its_report(tmp_path):
    out = subprocess.run([sys.executable, "-m", "descend", "demo", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Learning-rate regimes" in out.stdout
    report = (tmp_path / "report.md").read_text()
    assert "least-squares" in report.lower() and "diverged" in report


def test_cli_without_a_command_fails_with_usage():
    out = subprocess.run([sys.executable, "-m", "descend"], capture_output=True, text=True)
    assert out.returncode == 2 and "usage" in out.stderr


@pytest.mark.parametrize("module", ["descend", "descend.objectives", "descend.problems",
                                    "descend._minimize", "descend._result", "descend.optimizers",
                                    "descend.schedules", "descend.plot", "descend.init",
                                    "descend.analysis", "descend._check_grad",
                                    "descend.constraints", "descend.reference.lazy",
                                    "descend.linear_model"])
def test_docstring_examples_run(module):
    if module in ("descend.plot", "descend.linear_model"):
        pytest.importorskip("matplotlib" if module == "descend.plot" else "sklearn")
    mod = sys.modules.get(module) or __import__(module, fromlist=["_"])
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_names_have_docstrings():
    for name in descend.__all__:
        obj = getattr(descend, name)
        assert (obj.__doc__ or "").strip(), name
