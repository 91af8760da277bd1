//===- ThreadPool.h - Runs one step's workgroups on several threads -*- C++ -*-===//
//
// A model's steps form a chain, so the pool runs one parallel job at a time
// and returns when all of its workgroups are done. Workgroup w belongs to
// worker w (0 to the calling thread), so that a thread works on the same
// part of the data from step to step and run to run; when the caller has
// finished its own, it takes over those no worker has started, so a worker
// slow to wake (asleep, or its CPU taken by another process) delays
// nothing. A waiting thread spins for a short while (steps follow each
// other in microseconds) and then blocks on a condition variable, so an
// idle pool costs no CPU. Nothing is allocated after start(): a run
// touches only atomics and, when a thread sleeps, a mutex.
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
  /// capped at workers() + 1. One run at a time: not re-entrant, not
  /// thread-safe.
  void run(Task task, void *context, size_t count);

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

  /// Takes workgroup `workgroup` of job `generation` for the calling
  /// thread; false when another thread has it, or the job is over.
  bool claim(size_t workgroup, uint64_t generation);

  // The current job, written before job_ announces it.
  Task task_ = nullptr;
  void *context_ = nullptr;
  uint64_t generation_ = 0;

  std::unique_ptr<Worker[]> workers_;
  size_t numWorkers_ = 0;
  // Per workgroup, the last job that claimed it: a claim raises it to the
  // current job's generation, once. One cache line each.
  struct alignas(64) Claim {
    std::atomic<uint64_t> generation{0};
  };
  std::unique_ptr<Claim[]> claimed_;

  // [generation:48][count:16] of the current job.
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
