#!/usr/bin/env bash
# Build descend with AddressSanitizer + UndefinedBehaviorSanitizer (CMake option
# DESCEND_SANITIZE=ON) into a throwaway virtual environment and build directory, and run the
# whole pytest suite under it. Any sanitizer report fails the run, as does a failing test.
#
#   scripts/sanitize.sh                 # the whole suite
#   scripts/sanitize.sh tests/test_gd.py -k momentum   # arguments go to pytest
#
# Environment:
#   SANITIZE_DIR    keep the venv, build dir and reports here (default: a fresh temporary
#                   directory, removed at the end unless something was reported); reusing a
#                   directory skips the dependency install and rebuilds incrementally.
#   SANITIZE_NATIVE ON (default) builds the single -march=native core, OFF the two CPU
#                   builds (generic and AVX2; twice the compile time).
#
# How it works: the Python interpreter is not instrumented, so libasan must be the first
# library loaded (LD_PRELOAD), and libstdc++ right after it: the interpreter does not link
# libstdc++, and ASan resolves the real __cxa_throw when it starts (without it, the first
# C++ exception aborts with "CHECK failed: ... real___cxa_throw"). Leak detection is off because CPython does not free everything
# at exit. allocator_may_return_null=1 keeps the normal build's behaviour for a huge
# allocation (std::bad_alloc, seen in Python as MemoryError) instead of an ASan abort.
# PYTHONMALLOC=malloc routes Python's own objects through the instrumented allocator, so a
# use-after-free of a borrowed buffer is caught. Reports go to files (log_path), because
# pytest captures the test process's stderr and an aborted process would lose them.
# CI does not run this script; its build stays the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ -n "${SANITIZE_DIR:-}" ]; then
  work=$SANITIZE_DIR
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/descend-sanitize.XXXXXX")
  keep=0
fi
mkdir -p "$work/reports"
rm -f "$work"/reports/*

libasan=$(${CXX:-c++} -print-file-name=libasan.so)
libstdcxx=$(${CXX:-c++} -print-file-name=libstdc++.so)
if [ ! -e "$libasan" ]; then
  echo "sanitize: the compiler has no libasan.so (install the sanitizer runtime)" >&2
  exit 2
fi

start=$(date +%s)
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/python" -m pip install --quiet --upgrade pip
  "$work/venv/bin/python" -m pip install --quiet scikit-build-core pybind11 ninja cmake \
    pytest hypothesis matplotlib scikit-learn scipy tqdm threadpoolctl
fi
# shellcheck disable=SC1091
. "$work/venv/bin/activate"

echo "sanitize: building into $work/build"
python -m pip install --quiet --no-build-isolation --force-reinstall --no-deps "$repo" \
  -Cbuild-dir="$work/build" -Ccmake.build-type=RelWithDebInfo \
  -Ccmake.define.DESCEND_SANITIZE=ON -Ccmake.define.DESCEND_NATIVE="${SANITIZE_NATIVE:-ON}"
built=$(date +%s)

# Test the installed package, from outside the source tree's python/ directory.
export LD_PRELOAD="$libasan:$libstdcxx${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:log_path=$work/reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$work/reports/ubsan"
export PYTHONMALLOC=malloc
export MPLBACKEND=Agg
status=0
python -m pytest -q -p no:cacheprovider "$@" || status=$?
unset LD_PRELOAD
end=$(date +%s)

reports=$(find "$work/reports" -type f | sort)
echo "sanitize: build $((built - start)) s, tests $((end - built)) s"
if [ -n "$reports" ]; then
  echo "sanitize: $(echo "$reports" | wc -l) sanitizer report(s):" >&2
  for f in $reports; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  echo "sanitize: reports kept in $work/reports" >&2
  exit 1
fi
if [ "$keep" -eq 0 ]; then
  rm -rf "$work"
fi
if [ "$status" -ne 0 ]; then
  echo "sanitize: no sanitizer report, but pytest exited with status $status" >&2
  exit "$status"
fi
echo "sanitize: no sanitizer report"
