#pragma once
/// How many threads a pass uses when the caller does not say (n_threads=None in Python):
/// the limit set at run time (descend.set_num_threads, or threadpoolctl's threadpool_limits
/// through the controller descend registers), else OMP_NUM_THREADS (the variable
/// scikit-learn's OpenMP code, BLAS libraries, joblib's workers and Dask's nannies honour),
/// else the cores this process may run on (its CPU affinity on Linux).

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace descend {

/// The most threads one pass may use; the Python layer refuses larger n_threads.
constexpr int kMaxThreads = 1024;

/// The cores this process may run on: its affinity mask on Linux (a container or `taskset`
/// may allow fewer than the machine has), else std::thread::hardware_concurrency; >= 1.
inline int usable_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return std::min(count, kMaxThreads);
  }
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min<unsigned>(hw, kMaxThreads));
}

/// The first entry of OMP_NUM_THREADS ("4", or "4,2" for nested levels) when it is a
/// positive integer, else 0 (not set, or not understood: then it is ignored, as libgomp does).
inline int omp_num_threads_from_env() {
  const char* text = std::getenv("OMP_NUM_THREADS");
  if (text == nullptr) return 0;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (end == text || errno != 0 || value < 1) return 0;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end != '\0' && *end != ',') return 0;
  return static_cast<int>(std::min<long>(value, kMaxThreads));
}

/// The host's default, read once (at the first pass that needs it, as an OpenMP runtime reads
/// its variables once): OMP_NUM_THREADS when set, else usable_cores().
inline int host_default_threads() {
  static const int value = [] {
    const int omp = omp_num_threads_from_env();
    return omp > 0 ? omp : usable_cores();
  }();
  return value;
}

/// The run-time limit (0: none set). One per process, as OpenBLAS's and MKL's are.
inline std::atomic<int>& thread_limit_slot() {
  static std::atomic<int> limit{0};
  return limit;
}

/// Sets the default thread count for passes whose n_threads is not given: n in
/// [1, kMaxThreads] (larger is clamped); n <= 0 returns to the host's default.
inline void set_default_threads(int n) {
  thread_limit_slot().store(n <= 0 ? 0 : std::min(n, kMaxThreads), std::memory_order_relaxed);
}

/// The default thread count now: the run-time limit, else host_default_threads(); >= 1.
inline int default_threads() {
  const int limit = thread_limit_slot().load(std::memory_order_relaxed);
  return limit > 0 ? limit : host_default_threads();
}

}  // namespace descend
