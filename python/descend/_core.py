"""Loads the compiled core built for this CPU, and only that one.

The package ships the core twice: ``_core_generic`` runs on any CPU of its architecture and,
on x86-64, ``_core_avx2`` uses AVX2 and FMA (about twice as fast on the kernels that are not
limited by memory bandwidth). The choice is asked of the CPU itself by ``descend._cpu``, a
tiny module of the Python C API alone (cpuid and xgetbv, ``cpp/include/descend/cpu_features.hpp``):
the AVX2 build is loaded when the CPU has AVX2 and FMA and the operating system saves their
registers, on Linux, macOS and Windows alike. Set the environment variable
``DESCEND_CPU=generic`` to force the generic build (``DESCEND_CPU=avx2`` insists on the AVX2
one and fails if it cannot be loaded).
"""

from __future__ import annotations

import importlib


def _probe() -> dict[str, bool] | None:
    """Return the CPU features descend._cpu finds, or None if the probe cannot be loaded."""
    try:
        from ._cpu import features
    except ImportError:
        return None
    return features()


def _load(cpu_features: dict[str, bool] | None):
    import os

    choice = os.environ.get("DESCEND_CPU", "auto").strip().lower() or "auto"
    if choice not in ("auto", "generic", "avx2"):
        raise ImportError(f"DESCEND_CPU must be 'auto', 'generic' or 'avx2', got {choice!r}")
    has_avx2_fma = bool(cpu_features and cpu_features["avx2"] and cpu_features["fma"])
    if choice == "avx2" or (choice == "auto" and has_avx2_fma):
        try:
            return importlib.import_module("descend._core_avx2")
        except ImportError:
            if choice == "avx2":
                raise
    return importlib.import_module("descend._core_generic")


#: What descend._cpu found (feature name to bool), or None without the probe.
_cpu_features = _probe()
_impl = _load(_cpu_features)
#: Which build of the core is loaded: "avx2" or "generic".
build = "avx2" if _impl.__name__.endswith("avx2") else "generic"
globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
