"""CI: build the sdist and check it holds exactly what an offline build needs.

Usage: python .ci/check_sdist.py [OUTDIR]

Builds the sdist with ``python -m build --sdist`` (about half a minute: no compilation), then
checks that its files are exactly the files git tracks, less .ci/, plus PKG-INFO; that the
build inputs are there (CMakeLists.txt, pyproject.toml, the C++ sources, the vendored Eigen
headers and licences); that nothing built (objects, extension modules, caches, venvs) slipped
in; and that PKG-INFO carries the version of python/descend/_version.py.
Building a wheel from that sdist offline takes a full compile, so CI does not do it here:
``pip wheel --no-build-isolation --no-deps descend-X.tar.gz`` does (see README.md).
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = (".ci/",)  # tracked, but not needed to build or test
REQUIRED = [
    "CMakeLists.txt", "pyproject.toml", "README.md", "LICENSE", "python/descend/__init__.py",
    "python/descend/_version.py", "python/descend/_core.pyi", "python/descend/py.typed",
    "cpp/bindings/module.cpp", "cpp/third_party/eigen/Eigen/Core",
    "cpp/third_party/eigen/COPYING.MPL2", "tests/conftest.py",
]
BUILT = ["*.o", "*.so", "*.pyd", "*.dll", "*.pyc", "*/__pycache__/*", "build/*", "dist/*",
         ".venv*", "*/.benchmarks/*", ".benchmarks/*", "*.egg-info/*", "CMakeCache.txt"]


def main(outdir: str | None = None) -> int:
    out = Path(outdir or tempfile.mkdtemp(prefix="descend-sdist-"))
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(ROOT)],
                   check=True, stdout=subprocess.DEVNULL)
    (sdist,) = out.glob("descend-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        top = names[0].split("/", 1)[0]
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()  # type: ignore[union-attr]
    files = {n.split("/", 1)[1] for n in names}
    problems = []

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0:
        expected = {f for f in tracked.stdout.splitlines() if not f.startswith(NOT_SHIPPED)}
        expected = {f for f in expected if (ROOT / f).is_file()}
        for f in sorted(expected - files):
            problems.append(f"tracked by git but missing from the sdist: {f}")
        for f in sorted(files - expected - {"PKG-INFO"}):
            problems.append(f"in the sdist but not tracked by git: {f}")
    for f in REQUIRED:
        if f not in files:
            problems.append(f"required to build offline but missing: {f}")
    for f in sorted(files):
        if any(fnmatch.fnmatch(f, p) for p in BUILT):
            problems.append(f"a build output or cache in the sdist: {f}")
    version = re.search(r'^__version__ = "([^"]+)"',
                        (ROOT / "python/descend/_version.py").read_text(), re.M)
    meta = re.search(r"^Version: (.+)$", pkg_info, re.M)
    if not (version and meta and version.group(1) == meta.group(1).strip()):
        problems.append(f"PKG-INFO's version {meta and meta.group(1)!r} is not _version.py's "
                        f"{version and version.group(1)!r}")

    for p in problems:
        print("check_sdist:", p, file=sys.stderr)
    print(f"check_sdist: {sdist.name}: {len(files)} files, "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
