#pragma once
/// Fork-join over row ranges: split [0, n) into contiguous chunks and run them on the
/// process's pool of persistent workers (thread_pool.hpp), the calling thread included. Small
/// work is never split (chunks_for). A worker that cannot be started ends the call with
/// std::runtime_error before any chunk runs: never std::terminate.
///
/// The number of chunks fixes the order of the partial sums, so a pass gives the same bits
/// whichever threads run its chunks.

#include <algorithm>
#include <exception>
#include <vector>

#include "thread_count.hpp"
#include "thread_pool.hpp"
#include "types.hpp"

namespace descend {

/// The number of threads to use for `n_threads` requested, at most kMaxThreads; n_threads <= 0
/// means the default now in force (default_threads(): descend.set_num_threads or
/// threadpoolctl's limit, else OMP_NUM_THREADS, else the usable cores).
inline int resolve_threads(int n_threads) {
  if (n_threads > 0) return std::min(n_threads, kMaxThreads);
  return default_threads();
}

/// How many chunks to use for `work` units (e.g. matrix elements) with `max_threads` threads,
/// so that each chunk has at least `min_work_per_thread` units (131072 doubles are 1 MiB, a
/// few hundred microseconds of a pass, against a few microseconds to wake a sleeping worker).
inline int chunks_for(double work, int max_threads, double min_work_per_thread = 131072.0) {
  const int by_work = static_cast<int>(work / min_work_per_thread);
  return std::max(1, std::min(max_threads, by_work));
}

/// Calls fn(chunk, begin, end) for `chunks` contiguous chunks of [0, n), in parallel (one
/// chunk, or n < 2: on the calling thread, with no synchronisation at all). The first
/// exception thrown by any chunk is rethrown after every chunk has finished. If a worker
/// cannot be started the call throws std::runtime_error and no chunk runs.
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
  using Run = decltype(run);
  ThreadPool::instance().run(
      chunks, [](void* context, int c) { (*static_cast<Run*>(context))(c); }, &run);
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace descend
