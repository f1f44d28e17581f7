#pragma once
/// A small pool of persistent worker threads, one per process, that runs the chunks of a
/// fork-join pass.
///
/// - The calling thread works too: it claims chunks of its own pass like any worker, so a pass
///   always finishes even when every worker is busy with another caller's pass (several Python
///   threads may run passes at once, the GIL released) or when a chunk itself starts a pass.
/// - Workers are started on demand, up to the most chunks a pass has asked for less one, and
///   then sleep on a condition variable between passes: no thread is started per pass.
/// - After fork() the child has none of the parent's workers, and the pool's mutex may have
///   been held by a thread that did not survive: a pthread_atfork handler makes the child
///   forget that pool (leaked on purpose: nothing in it may be touched) and start a new one at
///   its first pass.
/// - Workers block every signal, so a Ctrl-C reaches the interpreter's thread.
/// The pool is never destroyed (destroying it at exit would have to join threads that may be
/// blocked or already gone); its sleeping workers end with the process.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#define DESCEND_POSIX_THREADS 1
#endif

namespace descend {

class ThreadPool {
 public:
  /// A chunk of a pass: task(context, chunk). It must not throw.
  using Task = void (*)(void* context, int chunk);

  /// The process's pool (created at the first call, and again in a forked child).
  static ThreadPool& instance() {
    ThreadPool* pool = slot().load(std::memory_order_acquire);
    if (pool != nullptr) return *pool;
    register_fork_handler();
    ThreadPool* fresh = new ThreadPool();
    if (slot().compare_exchange_strong(pool, fresh, std::memory_order_acq_rel)) return *fresh;
    delete fresh;  // another thread installed one first (`fresh` has no workers yet)
    return *pool;
  }

  /// Runs task(context, c) for c in [0, chunks) on up to `chunks` threads (the caller and
  /// chunks - 1 workers) and returns when every chunk is done. Throws std::runtime_error,
  /// before any chunk runs, if a needed worker cannot be started.
  void run(int chunks, Task task, void* context) {
    Job job{task, context, chunks};
    std::unique_lock<std::mutex> lock(mutex_);
    grow(chunks - 1);
    queue_.push_back(&job);
    for (int k = 1; k < chunks; ++k) work_ready_.notify_one();
    while (job.next < job.chunks) {  // the caller claims chunks like a worker
      const int c = claim(job);
      lock.unlock();
      job.task(job.context, c);
      lock.lock();
      ++job.done;
    }
    job.finished.wait(lock, [&] { return job.done == job.chunks; });
  }

  /// The workers started so far (for tests and show_config).
  int workers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(workers_.size());
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

 private:
  struct Job {
    Job(Task t, void* ctx, int n) : task(t), context(ctx), chunks(n) {}
    Task task;
    void* context;
    int chunks;
    int next = 0;  ///< the next chunk to claim (guarded by the pool's mutex)
    int done = 0;  ///< chunks finished (guarded by the pool's mutex)
    std::condition_variable finished;
  };

  ThreadPool() = default;
  ~ThreadPool() = default;  // never called on a pool with workers (see above)

  static std::atomic<ThreadPool*>& slot() {
    static std::atomic<ThreadPool*> pool{nullptr};
    return pool;
  }

  static void register_fork_handler() {
#ifdef DESCEND_POSIX_THREADS
    static const bool registered = [] {
      // In the child only the forking thread exists: forget the parent's pool.
      pthread_atfork(nullptr, nullptr, [] { slot().store(nullptr, std::memory_order_release); });
      return true;
    }();
    (void)registered;
#endif
  }

  /// Takes the next chunk of `job` (the mutex held); the job leaves the queue with its last.
  int claim(Job& job) {
    const int c = job.next++;
    if (job.next == job.chunks) queue_.erase(std::find(queue_.begin(), queue_.end(), &job));
    return c;
  }

  /// Starts workers until there are `wanted` (the mutex held). The workers already started
  /// stay, so a later pass that needs no more of them runs.
  void grow(int wanted) {
    wanted = std::min(wanted, kMaxWorkers);
    if (static_cast<int>(workers_.size()) >= wanted) return;
    std::string why;
    try {
      workers_.reserve(static_cast<std::size_t>(wanted));
      while (static_cast<int>(workers_.size()) < wanted)
        workers_.emplace_back([this] { work(); });
      return;
    } catch (const std::system_error& e) {
      why = e.what();
    } catch (const std::bad_alloc&) {
      why = "out of memory";
    }
    throw std::runtime_error("could not start a worker thread (" + why +
                             "): the system is out of threads or memory; pass a smaller "
                             "n_threads");
  }

  void work() {
#ifdef DESCEND_POSIX_THREADS
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
#endif
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      work_ready_.wait(lock, [&] { return !queue_.empty(); });
      Job& job = *queue_.front();
      const int c = claim(job);
      lock.unlock();
      job.task(job.context, c);
      lock.lock();
      // The caller may return (and `job` die) as soon as the mutex is released.
      if (++job.done == job.chunks) job.finished.notify_one();
    }
  }

  static constexpr int kMaxWorkers = 1023;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<Job*> queue_;  ///< passes with chunks left to claim, oldest first
  std::vector<std::thread> workers_;
};

}  // namespace descend
