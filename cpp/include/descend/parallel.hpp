#pragma once
/// A minimal fork-join helper: split [0, n) into contiguous chunks, one per thread.
/// The calling thread runs the first chunk; std::thread runs the others. Small work is
/// never split (thread start-up costs tens of microseconds).

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

#include "types.hpp"

namespace descend {

/// The number of threads to use for `n_threads` requested (<= 0 means all cores).
inline int resolve_threads(int n_threads) {
  if (n_threads > 0) return n_threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

/// How many chunks to use for `work` units (e.g. matrix elements) with `max_threads` threads,
/// so that each chunk has at least `min_work_per_thread` units.
inline int chunks_for(double work, int max_threads, double min_work_per_thread = 262144.0) {
  const int by_work = static_cast<int>(work / min_work_per_thread);
  return std::max(1, std::min(max_threads, by_work));
}

/// Calls fn(chunk, begin, end) for `chunks` contiguous chunks of [0, n), in parallel.
/// The first exception thrown by any chunk is rethrown after every thread has joined.
template <class Fn>
void parallel_chunks(Index n, int chunks, Fn&& fn) {
  if (chunks <= 1 || n < 2) {
    fn(0, Index(0), n);
    return;
  }
  chunks = static_cast<int>(std::min<Index>(chunks, n));
  std::vector<std::exception_ptr> errors(chunks);
  auto run = [&](int c) {
    const Index begin = n * c / chunks;
    const Index end = n * (c + 1) / chunks;
    try {
      fn(c, begin, end);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(chunks - 1);
  for (int c = 1; c < chunks; ++c) workers.emplace_back(run, c);
  run(0);
  for (auto& t : workers) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace descend
