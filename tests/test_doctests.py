"""Every docstring example of the installed package runs, module by module.

The modules are found by walking the installed ``descend`` package (every module, private
ones too: ``descend._minimize`` holds ``minimize``'s examples), so a new module is covered
without being listed here. A module whose optional dependency is missing is skipped, with
the reason. The compiled core's modules are walked too (their docstrings are C++ strings).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import descend

#: Modules that need an optional dependency to import or to run their examples.
NEEDS = {
    "descend.linear_model": "sklearn",
    "descend.neural_network": "sklearn",
    "descend.dask": "dask",
    "descend.plot": "matplotlib",
    "descend.demo": "matplotlib",
}


def _modules():
    from descend import _core

    loaded = f"descend._core_{_core.build}"
    names = ["descend"]
    for info in pkgutil.walk_packages(descend.__path__, prefix="descend."):
        # Of the compiled cores only the one loaded here: the AVX2 one may not run on this CPU.
        if info.name.startswith("descend._core_") and info.name != loaded:
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_walk_finds_the_public_modules():
    public = {"descend.analysis", "descend.constraints", "descend.init", "descend.optimizers",
              "descend.plot", "descend.problems", "descend.schedules", "descend.objectives",
              "descend.reference", "descend.linear_model", "descend.neural_network",
              "descend.dask", "descend._minimize"}
    assert public <= set(MODULES), public - set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    for prefix, requirement in NEEDS.items():
        if module == prefix or module.startswith(prefix + "."):
            pytest.importorskip(requirement)
            if requirement == "dask":
                pytest.importorskip("distributed")
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE, report=True)
    if module.startswith(("descend.plot", "descend.demo")):
        import matplotlib.pyplot as plt

        plt.close("all")
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
