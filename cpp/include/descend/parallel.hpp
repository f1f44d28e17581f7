#pragma once
/// A minimal fork-join helper: split [0, n) into contiguous chunks, one per thread.
/// The calling thread runs the first chunk; std::thread runs the others. Small work is
/// never split (thread start-up costs tens of microseconds). A thread that cannot be started
/// (the system is out of threads or memory) ends the call with std::runtime_error after the
/// threads already started have joined: never std::terminate.

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "types.hpp"

namespace descend {

/// The most threads one pass may use; the Python layer refuses larger n_threads.
constexpr int kMaxThreads = 1024;

/// The number of threads to use for `n_threads` requested (<= 0 means all cores), at most
/// kMaxThreads.
inline int resolve_threads(int n_threads) {
  if (n_threads > 0) return std::min(n_threads, kMaxThreads);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min<unsigned>(hw, kMaxThreads));
}

/// How many chunks to use for `work` units (e.g. matrix elements) with `max_threads` threads,
/// so that each chunk has at least `min_work_per_thread` units.
inline int chunks_for(double work, int max_threads, double min_work_per_thread = 262144.0) {
  const int by_work = static_cast<int>(work / min_work_per_thread);
  return std::max(1, std::min(max_threads, by_work));
}

/// Calls fn(chunk, begin, end) for `chunks` contiguous chunks of [0, n), in parallel.
/// The first exception thrown by any chunk is rethrown after every thread has joined. If a
/// thread cannot be started, the chunks already started finish and join, and the call throws
/// std::runtime_error (no chunk is run twice, none is left half done).
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
  try {
    for (int c = 1; c < chunks; ++c) workers.emplace_back(run, c);
  } catch (const std::system_error& e) {
    for (auto& t : workers) t.join();
    throw std::runtime_error("could not start a worker thread (" + std::string(e.what()) +
                             "): the system is out of threads or memory; pass a smaller "
                             "n_threads");
  }
  run(0);
  for (auto& t : workers) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace descend
