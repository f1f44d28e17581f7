"""Issue 14: the CPU probe (descend._cpu) that picks the build, and what show_config reports."""

import os
import platform
import subprocess
import sys

import pytest

import descend
from descend import _core, _cpu

X86 = platform.machine().lower() in ("x86_64", "amd64")
FEATURES = ("sse2", "avx", "avx2", "fma", "avx512f", "neon")


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def test_the_probe_reports_each_feature_as_a_bool():
    found = _cpu.features()
    assert sorted(found) == sorted(FEATURES)
    assert all(isinstance(v, bool) for v in found.values())
    # What needs AVX needs its register state: the probe never reports one without the other.
    assert not (found["avx2"] or found["fma"] or found["avx512f"]) or found["avx"]
    if X86:
        assert found["sse2"] and not found["neon"]  # SSE2 is part of x86-64


@pytest.mark.skipif(not (X86 and os.path.exists("/proc/cpuinfo")), reason="x86-64 Linux")
def test_the_probe_agrees_with_proc_cpuinfo():
    found = _cpu.features()
    from descend._config import _cpu_features

    listed = _cpu_features()
    for feature in ("avx", "avx2", "fma"):
        # Linux lists a feature only when the kernel enables its state: the two agree.
        assert found[feature] == (feature in listed), feature


def test_auto_loads_the_build_the_probe_allows():
    expected = "avx2" if (X86 and _cpu.features()["avx2"] and _cpu.features()["fma"]) \
        else "generic"
    code = "import descend; print(descend._core.build)"
    assert _run(code, DESCEND_CPU="auto") == [expected]
    assert _run(code, DESCEND_CPU="generic") == ["generic"]


def test_show_config_reports_the_probe_and_the_thread_sources():
    config = descend.show_config(mode="dicts")
    cpu = config["cpu"]
    assert cpu["probe"].startswith("descend._cpu")
    assert cpu["features_found"] == [f for f in FEATURES if _cpu.features()[f]]
    assert _core._cpu_features == _cpu.features()
    threads = config["threads"]
    assert threads["default"] == descend.get_num_threads()
    assert isinstance(threads["pool_workers"], int) and threads["pool_workers"] >= 0
    assert threads["source"]


@pytest.mark.parametrize("env, source", [
    ({"OMP_NUM_THREADS": "1"}, "OMP_NUM_THREADS"),
    ({}, "the cores this process may run on"),
])
def test_show_config_says_where_the_default_comes_from(env, source):
    code = ("import descend; t = descend.show_config(mode='dicts')['threads']; "
            "print(t['default']); print(t['source'])")
    environ = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**environ, **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    default, said = out.stdout.strip().splitlines()
    assert said.startswith(source)
    if env:
        assert default == "1"


def test_show_config_says_a_limit_set_at_run_time():
    code = ("import descend; descend.set_num_threads(1); "
            "print(descend.show_config(mode='dicts')['threads']['source'])")
    (said,) = _run(code)
    assert "set_num_threads" in said
