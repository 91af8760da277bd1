//===- ThreadPool.h - Runs one step's workgroups on several threads -*- C++ -*-===//
//
// A model's steps form a chain, so the pool runs one parallel job at a time
// and returns when all of its workgroups are done. The workgroups are cut
// into one contiguous range per thread (the caller is thread 0); a thread
// claims from its own range first, so it works on the same part of the
// data from step to step and run to run, and then from the others' ranges
// what their threads have not begun. A thread slow to wake, or slowed by
// another process on its CPU, thus delays the step by at most the
// workgroup it is in: callers should give a job a few workgroups per
// thread. A waiting thread spins for a short while (steps follow each
// other in microseconds; a worker 250 us, a caller 1 ms) and then blocks on
// a condition variable, so an idle pool costs no CPU. Nothing is allocated
// after start(): a run touches only atomics and, when a thread sleeps, a
// mutex.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_THREADPOOL_H
#define KILN_RUNTIME_THREADPOOL_H

#include "kiln/runtime/Status.h"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace kiln::rt {

class ThreadPool {
public:
  /// One job: task(context, workgroup, count) for workgroup in [0, count).
  using Task = void (*)(void *context, size_t workgroup, size_t count);

  ThreadPool() = default;
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;
  /// Stops and joins the workers; no job may be running.
  ~ThreadPool();

  /// Starts `workers` threads (the caller of run() is one more). Only on a
  /// pool with none; KILN_ERROR_PLATFORM when the system refuses a thread,
  /// and then the pool has none again.
  Status start(size_t workers);
  /// Stops and joins the workers; the pool then has none. No job may be
  /// running.
  void stop();
  size_t workers() const { return numWorkers_; }

  /// Runs `task` for workgroups 0 .. count - 1, each once, on the calling
  /// thread and up to count - 1 workers, and returns when every one has
  /// returned; their writes are visible to the caller then. count is
  /// capped at kMaxWorkgroups. One run at a time: not re-entrant, not
  /// thread-safe.
  void run(Task task, void *context, size_t count);

  /// The most workgroups of one job.
  static constexpr size_t kMaxWorkgroups = 4095;

private:
  struct alignas(64) Worker {
    // Bumped by the caller for each job this worker is part of.
    std::atomic<uint64_t> mailbox{0};
    std::atomic<bool> sleeping{false};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable wake;
    std::thread thread;
  };
  void workerLoop(size_t index);

  /// Takes the next workgroup of thread `range`'s range of job
  /// `generation`; false when the range is done or the job is over.
  bool claim(size_t range, uint64_t generation, size_t &workgroup);
  /// Runs what thread `self` can claim of job `generation`, its own range
  /// first; the number of workgroups it ran.
  size_t work(size_t self, size_t threads, size_t count, uint64_t generation);

  // The current job, written before job_ announces it.
  Task task_ = nullptr;
  void *context_ = nullptr;
  uint64_t generation_ = 0;

  std::unique_ptr<Worker[]> workers_;
  size_t numWorkers_ = 0;
  // Per thread, its range of the current job: [generation:40][next:12]
  // [end:12], claimed one workgroup at a time by compare-and-swap, so a
  // claim made for an earlier job cannot succeed. One cache line each.
  struct alignas(64) Range {
    std::atomic<uint64_t> word{0};
  };
  std::unique_ptr<Range[]> ranges_;

  // [generation:40][threads:12][count:12] of the current job.
  alignas(64) std::atomic<uint64_t> job_{0};
  // Workgroups of the current job finished by workers.
  alignas(64) std::atomic<size_t> finished_{0};
  std::atomic<bool> callerSleeping_{false};
  std::mutex doneMutex_;
  std::condition_variable done_;
};

/// The number of threads a model runs on unless told otherwise: the CPUs
/// this process may run on (its affinity mask), at least 1, at most 64.
size_t defaultThreadCount();

} // namespace kiln::rt

#endif // KILN_RUNTIME_THREADPOOL_H
