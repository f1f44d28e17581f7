"""Issue 14: what `import descend` costs over `import numpy`, in fresh interpreters.

Each round starts a fresh interpreter that times its own import with time.perf_counter (the
interpreter's start-up is left out): numpy alone, descend alone (which loads one build of the
core and, until an array is made, not even numpy) and numpy then descend, alternately, so all
see the same machine. The budget is numpy's import plus 10 ms by the median of 7 rounds;
the figure is reported in extra_info (a benchmark never asserts a time), with the same for the
CPU time of the import (time.process_time), steadier on a loaded machine.
"""

import statistics
import subprocess
import sys

import pytest

ROUNDS = 7
CODE = ("import time; t, c = time.perf_counter(), time.process_time(); import {module}; "
        "print(time.perf_counter() - t, time.process_time() - c)")


def _import_times(module):
    """(wall, CPU) seconds of `import module` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", CODE.format(module=module)],
                         capture_output=True, text=True, check=True, timeout=120)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def _import_seconds(module):
    return _import_times(module)[0]


@pytest.fixture(scope="module")
def medians():
    """Median (wall, CPU) import time of numpy and of descend over ROUNDS alternating rounds."""
    times = {"numpy": [], "descend": [], "numpy, descend": []}
    _import_times("descend")  # warm the file system caches
    for _ in range(ROUNDS):
        for module in times:
            times[module].append(_import_times(module))
    return {module: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for module, t in times.items()}


@pytest.mark.parametrize("module", ["numpy", "descend", "numpy, descend"])
def test_import_time(benchmark, medians, module):
    benchmark.group = "import in a fresh interpreter (numpy's + 10 ms budget)"
    benchmark.pedantic(_import_seconds, args=(module,), rounds=ROUNDS, iterations=1)
    wall, cpu = medians[module]
    benchmark.extra_info["median_wall_s"] = round(wall, 4)
    benchmark.extra_info["median_cpu_s"] = round(cpu, 4)
    extra_wall = medians["numpy, descend"][0] - medians["numpy"][0]
    extra_cpu = medians["numpy, descend"][1] - medians["numpy"][1]
    benchmark.extra_info["numpy_descend_minus_numpy_wall_ms"] = round(1e3 * extra_wall, 2)
    benchmark.extra_info["numpy_descend_minus_numpy_cpu_ms"] = round(1e3 * extra_cpu, 2)
    benchmark.extra_info["fraction_of_budget_wall"] = round(extra_wall / 0.010, 2)
