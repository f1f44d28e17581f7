"""``descend.show_config()``: which build is loaded, on what CPU, with which peers."""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from importlib import metadata
from typing import Any

#: The optional peers show_config reports, as distribution names (read from the installed
#: metadata, so none of them is imported).
PEERS = ("scipy", "scikit-learn", "matplotlib", "dask", "distributed", "torch", "tqdm",
         "threadpoolctl")

#: The CPU features show_config looks for (those the two core builds depend on, and a few more).
CPU_FEATURES = ("sse2", "avx", "avx2", "fma", "avx512f", "asimd", "neon")


def _cpu_features() -> list[str] | None:
    """The features of CPU_FEATURES that /proc/cpuinfo lists, or None where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    flags = set(line.split(":", 1)[1].split())
                    return [f for f in CPU_FEATURES if f in flags]
    except OSError:
        pass
    return None


def _probed_features(probe: dict[str, bool] | None) -> list[str] | None:
    """Return the features of CPU_FEATURES the probe (descend._cpu) found, or None without it."""
    if probe is None:
        return None
    return [f for f in CPU_FEATURES if probe.get(f, False)]


def _build_choice(loaded: str, probe: dict[str, bool] | None) -> str:
    """Why _core.py loaded the build it did (mirrors its rules)."""
    choice = os.environ.get("DESCEND_CPU", "auto").strip().lower() or "auto"
    if choice == "generic":
        return "DESCEND_CPU=generic forces the generic build"
    if choice == "avx2":
        return "DESCEND_CPU=avx2 insists on the AVX2 build"
    if loaded == "avx2":
        return ("the CPU probe (cpuid, xgetbv) found AVX2 and FMA, enabled by the OS "
                "(set DESCEND_CPU=generic to force the generic build)")
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"only the generic build exists for {platform.machine() or 'this machine'}"
    if probe is None:
        return "the CPU probe (descend._cpu) could not be loaded: generic is the safe choice"
    if not (probe.get("avx2") and probe.get("fma")):
        return "the CPU probe (cpuid, xgetbv) found no AVX2 or FMA usable with this OS"
    if importlib.util.find_spec("descend._core_avx2") is None:
        return "the AVX2 build is not part of this installation"
    return "the AVX2 build failed to load"


def _threads_source(info: dict[str, Any]) -> str:
    """Where the default thread count comes from."""
    if info["thread_limit"] > 0:
        return ("the limit set at run time (descend.set_num_threads or threadpoolctl's "
                "threadpool_limits)")
    if info["omp_num_threads"] > 0:
        return "OMP_NUM_THREADS"
    return "the cores this process may run on (its CPU affinity); OMP_NUM_THREADS is not set"


def _threadpoolctl_registered() -> bool:
    threadpoolctl = sys.modules.get("threadpoolctl")
    return bool(getattr(threadpoolctl, "_descend_registered", False))


def _version_of(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _config() -> dict[str, Any]:
    import numpy as np

    from . import _core
    from ._version import __version__

    info = _core.build_info()
    probe = _core._cpu_features
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    gil = getattr(sys, "_is_gil_enabled", None)
    omp = os.environ.get("OMP_NUM_THREADS")
    return {
        "descend": {
            "version": __version__,
            "location": os.path.dirname(os.path.abspath(__file__)),
        },
        "build": {
            "loaded": _core.build,
            "module": f"descend._core_{_core.build}",
            "why": _build_choice(_core.build, probe),
            "DESCEND_CPU": os.environ.get("DESCEND_CPU"),
            "core_version": info["version"],
            "compiler": info["compiler"],
            "build_type": info["build_type"],
            "cxx_flags": info["cxx_flags"],
            "instruction_sets": list(info["instruction_sets"]),
            "eigen_version": info["eigen_version"],
            "eigen_simd": info["eigen_simd"],
        },
        "cpu": {
            "machine": platform.machine(),
            "probe": "descend._cpu (cpuid, xgetbv)" if probe is not None else None,
            "features_found": _probed_features(probe),
            "features_in_proc_cpuinfo": _cpu_features(),
        },
        "threads": {
            "default": info["default_threads"],
            "source": _threads_source(info),
            "max": info["max_threads"],
            "pool_workers": info["pool_workers"],
            "os.cpu_count": os.cpu_count(),
            "usable_by_this_process": affinity,
            "OMP_NUM_THREADS": omp,
            "threadpoolctl": ("registered (user_api 'descend')" if _threadpoolctl_registered()
                              else "registers on import" if _version_of("threadpoolctl")
                              else None),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "gil_enabled": True if gil is None else bool(gil()),
        },
        "dependencies": {
            "numpy": np.__version__,
            **{name: _version_of(name) for name in PEERS},
        },
    }


def _format(config: dict[str, Any]) -> str:
    lines = []
    for section, values in config.items():
        lines.append(f"{section}:")
        width = max(len(k) for k in values)
        for key, value in values.items():
            if value is None:
                value = "(not installed)" if section == "dependencies" else "(unknown)"
                if section == "build" and key == "DESCEND_CPU":
                    value = "(not set: auto)"
                if section == "threads" and key == "OMP_NUM_THREADS":
                    value = "(not set)"
                if section == "threads" and key == "threadpoolctl":
                    value = "(not installed)"
            elif isinstance(value, list):
                value = " ".join(value) if value else "(none)"
            elif value == "":
                value = "(none)"
            lines.append(f"  {key:<{width}}  {value}")
    return "\n".join(lines)


def show_config(mode: str = "stdout") -> dict[str, Any] | None:
    """Show how descend was built and what it found at run time (as numpy's show_config).

    Reports the version; which build of the compiled core is loaded (generic or AVX2) and why
    (the CPU's features or the ``DESCEND_CPU`` override); the compiler, build type, flags,
    instruction sets and Eigen version the core was compiled with; the CPU features the probe
    ``descend._cpu`` found by asking the CPU (cpuid, xgetbv: what the CPU has and the operating
    system enables), beside those /proc/cpuinfo lists where it exists; the default thread
    count, where it comes from (``descend.set_num_threads`` or threadpoolctl's limit,
    ``OMP_NUM_THREADS``, the usable cores) and the pool's workers started so far; and the
    versions of Python, numpy and each optional peer (scipy, scikit-learn, matplotlib, dask,
    distributed, torch, tqdm, threadpoolctl). The peers' versions are read from their
    installed metadata: none of them is imported.

    Parameters
    ----------
    mode : {"stdout", "dicts"}, default "stdout"
        ``"stdout"`` prints the report and returns None; ``"dicts"`` prints nothing and
        returns it as a dict of sections (``"descend"``, ``"build"``, ``"cpu"``,
        ``"threads"``, ``"python"``, ``"dependencies"``), each a dict of plain values
        (str, int, list of str, or None where a value is unknown or a peer is not installed).

    Returns
    -------
    dict or None
        The report when ``mode="dicts"``, otherwise None.

    Raises
    ------
    ValueError
        If `mode` is neither ``"stdout"`` nor ``"dicts"``.

    Examples
    --------
    >>> import descend
    >>> config = descend.show_config(mode="dicts")
    >>> config["descend"]["version"] == descend.__version__
    True
    >>> config["build"]["loaded"] in ("generic", "avx2")
    True
    >>> descend.show_config()  # doctest: +ELLIPSIS
    descend:
      version ...
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f"mode must be 'stdout' or 'dicts', got {mode!r}")
    config = _config()
    if mode == "dicts":
        return config
    print(_format(config))
    return None
