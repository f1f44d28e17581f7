"""The package as a user meets it: import cost, both core builds, the demo, the docs."""

import doctest
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

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
                                    "descend._config",
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


# --- one version, show_config, the sdist's configuration -------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    path = ROOT / "pyproject.toml"
    if not path.is_file():
        pytest.skip("not run from a source tree")
    return tomllib.loads(path.read_text())


def test_one_version_everywhere():
    from importlib.metadata import version

    from descend import _core
    from descend._version import __version__

    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", descend.__version__)
    assert descend.__version__ == __version__
    assert version("descend") == descend.__version__          # the wheel's metadata
    assert _core.build_info()["version"] == descend.__version__  # what CMake was given


def test_version_is_defined_only_in_version_py():
    config = _pyproject()
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    provider = config["tool"]["scikit-build"]["metadata"]["version"]
    assert provider["provider"] == "scikit_build_core.metadata.regex"
    source = (ROOT / provider["input"]).read_text()
    assert re.findall(r'^__version__ = "([^"]+)"$', source, re.M) == [descend.__version__]
    others = [p for p in (ROOT / "python" / "descend").rglob("*.py")
              if p.name != "_version.py" and re.search(r"^__version__ *=", p.read_text(), re.M)]
    assert others == []


def test_sdist_config_ships_eigen_and_no_build_output():
    config = _pyproject()
    exclude = config["tool"]["scikit-build"]["sdist"]["exclude"]
    for built in ("build", "dist", ".venv*", ".benchmarks", "**/__pycache__", "*.so",
                  "docs/_build"):
        assert built in exclude, built
    assert not any(p.startswith(("cpp", "python", "tests", "CMakeLists")) for p in exclude)
    assert config["tool"]["scikit-build"].get("sdist", {}).get("cmake", False) is False
    for needed in ("Eigen/Core", "COPYING.MPL2", "README.md"):
        assert (ROOT / "cpp" / "third_party" / "eigen" / needed).is_file(), needed
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python .ci/check_sdist.py" in ci and (ROOT / ".ci" / "check_sdist.py").is_file()


def test_cibuildwheel_builds_and_tests_cpython_3_9_to_3_14():
    cibw = _pyproject()["tool"]["cibuildwheel"]
    assert cibw["build"] == [f"cp3{minor}-*" for minor in range(9, 15)]
    assert "test" in cibw["test-extras"] and "pytest {project}/tests" in cibw["test-command"]
    assert set(cibw["linux"]["archs"]) == {"x86_64", "aarch64"}


def test_show_config_reports_the_loaded_build():
    from importlib.metadata import PackageNotFoundError, version

    from descend import _core

    config = descend.show_config(mode="dicts")
    assert list(config) == ["descend", "build", "cpu", "threads", "python", "dependencies"]
    build = config["build"]
    assert build["loaded"] == _core.build and build["module"] == f"descend._core_{_core.build}"
    assert build["core_version"] == descend.__version__
    assert re.fullmatch(r"3\.\d+\.\d+", build["eigen_version"])
    assert build["compiler"] and build["compiler"] != "unknown"
    # The AVX2 core really is compiled with AVX2 and FMA; the generic one without them.
    assert ({"avx2", "fma"} <= set(build["instruction_sets"])) == (_core.build == "avx2")
    if build["loaded"] == "avx2":
        assert {"avx2", "fma"} <= set(config["cpu"]["features_found"])
    threads = config["threads"]
    assert 1 <= threads["default"] <= threads["max"] == 1024
    # The default follows OMP_NUM_THREADS, threadpoolctl and the CPU affinity, not the
    # machine's core count: it is what a pass without n_threads uses.
    assert threads["default"] == descend._threads.get_num_threads()
    deps = config["dependencies"]
    assert deps["numpy"] == np.__version__
    for name in descend._config.PEERS:
        try:
            assert deps[name] == version(name)
        except PackageNotFoundError:
            assert deps[name] is None
    assert config["python"]["version"] == platform.python_version()


def test_show_config_prints_by_default(capsys):
    assert descend.show_config() is None
    out = capsys.readouterr().out
    assert out.startswith("descend:\n")
    assert re.search(rf"^  version +{re.escape(descend.__version__)}$", out, re.M)
    for section in ("build:", "cpu:", "threads:", "python:", "dependencies:"):
        assert f"\n{section}\n" in out
    assert re.search(rf"^  numpy +{re.escape(np.__version__)}$", out, re.M)
    with pytest.raises(ValueError, match="mode must be"):
        descend.show_config(mode="json")


def test_show_config_says_why_and_imports_no_peer():
    code = ("import sys, descend; c = descend.show_config(mode='dicts'); "
            "print(c['build']['loaded']); print(c['build']['why']); "
            "print(sorted(m for m in ('scipy', 'sklearn', 'matplotlib', 'dask', 'tqdm', 'torch')"
            " if m in sys.modules))")
    out = _run(code, DESCEND_CPU="generic")
    assert out.returncode == 0, out.stderr
    loaded, why, imported = out.stdout.splitlines()[:3]
    assert loaded == "generic" and "DESCEND_CPU=generic" in why and imported == "[]"
    auto = _run(code, DESCEND_CPU="")
    assert auto.returncode == 0, auto.stderr
    loaded, why = auto.stdout.splitlines()[:2]
    assert "DESCEND_CPU" not in why.split("(")[0]
    assert ("AVX2 and FMA" in why) == (loaded == "avx2")


def test_api_reference_lists_every_public_name():
    api = ROOT / "docs" / "api"
    if not api.is_dir():
        pytest.skip("not run from a source tree")
    index = (api / "index.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", index, re.M))
    modules = {p.stem for p in api.glob("*.rst")} - {"index"}
    for name in descend.__all__:
        if type(getattr(descend, name)).__name__ == "module":
            assert name in modules and f"automodule:: descend.{name}" in (
                api / f"{name}.rst").read_text(), name
        else:
            assert name in listed, name
    for lazy in ("linear_model", "neural_network", "dask"):
        assert lazy in modules and lazy in listed
