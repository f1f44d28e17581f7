"""Loads the compiled core built for this CPU.

The package ships the core twice: ``_core_generic`` runs on any CPU of its architecture and,
on x86-64, ``_core_avx2`` uses AVX2 and FMA (about twice as fast on the kernels that are not
limited by memory bandwidth). The AVX2 build is chosen when the CPU reports both features.
Set the environment variable ``DESCEND_CPU=generic`` to force the generic build
(``DESCEND_CPU=avx2`` insists on the AVX2 one and fails if it cannot be loaded).
"""

from __future__ import annotations

import importlib
import os
import platform


def _cpu_has_avx2_fma():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:
        pass
    return False


def _load():
    choice = os.environ.get("DESCEND_CPU", "auto").strip().lower() or "auto"
    if choice not in ("auto", "generic", "avx2"):
        raise ImportError(f"DESCEND_CPU must be 'auto', 'generic' or 'avx2', got {choice!r}")
    if choice == "avx2" or (choice == "auto" and _cpu_has_avx2_fma()):
        try:
            return importlib.import_module("descend._core_avx2")
        except ImportError:
            if choice == "avx2":
                raise
    return importlib.import_module("descend._core_generic")


_impl = _load()
#: Which build of the core is loaded: "avx2" or "generic".
build = "avx2" if _impl.__name__.endswith("avx2") else "generic"
globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
