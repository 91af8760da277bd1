//===- ThreadPool.cpp - Runs one step's workgroups on several threads -----===//
//
// Waking a sleeper without losing the wake-up: the waiter sets its
// `sleeping` flag and then rereads what it waits for; the waker changes that
// and then reads the flag. Both sides use sequentially consistent atomics,
// so at least one of them sees the other's write: either the waiter does
// not sleep, or the waker takes the waiter's mutex (which the waiter holds
// from its check until it is inside the wait) and notifies it.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/ThreadPool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln::rt {

namespace {

/// How long a thread polls before it blocks: a few steps' worth, so that a
/// chain of short parallel steps never pays for a sleep and a wake-up,
/// while an idle pool stops using the CPU almost at once.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Polls `ready` for up to kSpin; true as soon as it holds.
template <typename Ready> bool spinUntil(Ready &&ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    // The clock costs more than a poll: look at it once in a while.
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return ready();
  }
}

} // namespace

ThreadPool::~ThreadPool() { stop(); }

Status ThreadPool::start(size_t workers) {
  if (numWorkers_ != 0 || workers == 0)
    return Status::ok();
  workers_.reset(new Worker[workers]);
  claimed_.reset(new Claim[workers + 1]);
  generation_ = 0;
  for (size_t w = 0; w < workers; ++w) {
    try {
      workers_[w].thread = std::thread([this, w] { workerLoop(w); });
    } catch (const std::system_error &e) {
      numWorkers_ = w;
      stop();
      return Status::error(KILN_ERROR_PLATFORM,
                           strCat("cannot start thread ", w + 1, " of ",
                                  workers + 1, ": ", e.what()));
    }
  }
  numWorkers_ = workers;
  return Status::ok();
}

void ThreadPool::stop() {
  for (size_t w = 0; w < numWorkers_; ++w) {
    Worker &k = workers_[w];
    k.stop.store(true);
    {
      std::lock_guard<std::mutex> lock(k.mutex);
      k.mailbox.fetch_add(1);
    }
    k.wake.notify_one();
  }
  for (size_t w = 0; w < numWorkers_; ++w)
    workers_[w].thread.join();
  workers_.reset();
  numWorkers_ = 0;
}

bool ThreadPool::claim(size_t workgroup, uint64_t generation) {
  std::atomic<uint64_t> &slot = claimed_[workgroup].generation;
  uint64_t last = slot.load();
  while (last < generation)
    if (slot.compare_exchange_weak(last, generation))
      return true;
  return false;
}

void ThreadPool::run(Task task, void *context, size_t count) {
  if (count <= 1 || numWorkers_ == 0) {
    for (size_t g = 0; g < count; ++g)
      task(context, g, count);
    return;
  }
  count = std::min(count, numWorkers_ + 1);
  // Every workgroup of the last job has finished (the wait below), so no
  // worker reads these while they change.
  task_ = task;
  context_ = context;
  finished_.store(0);
  uint64_t generation = ++generation_;
  job_.store(generation << 16 | count);
  // Workgroup w is worker w - 1's: a thread keeps the same part of each
  // step's data, and of the next run's, in its caches.
  for (size_t w = 0; w + 1 < count; ++w) {
    Worker &k = workers_[w];
    k.mailbox.fetch_add(1);
    if (k.sleeping.load()) {
      { std::lock_guard<std::mutex> lock(k.mutex); }
      k.wake.notify_one();
    }
  }
  task(context, 0, count);
  // Then the caller takes over the workgroups whose worker has not started
  // them yet: a worker slow to wake (asleep, or its CPU busy with another
  // process) delays the step only once it has begun its part.
  size_t mine = 1;
  for (size_t w = 1; w < count; ++w)
    if (claim(w, generation)) {
      task(context, w, count);
      ++mine;
    }
  auto finished = [&] { return finished_.load() == count - mine; };
  if (spinUntil(finished))
    return;
  std::unique_lock<std::mutex> lock(doneMutex_);
  callerSleeping_.store(true);
  done_.wait(lock, finished);
  callerSleeping_.store(false);
}

void ThreadPool::workerLoop(size_t index) {
  // Named for profilers and debuggers (at most 15 characters).
  pthread_setname_np(pthread_self(), strCat("kiln-worker-", index + 1)
                                          .substr(0, 15)
                                          .c_str());
  Worker &k = workers_[index];
  size_t workgroup = index + 1;
  uint64_t seen = 0;
  for (;;) {
    auto hasJob = [&] { return k.mailbox.load() != seen; };
    if (!spinUntil(hasJob)) {
      std::unique_lock<std::mutex> lock(k.mutex);
      k.sleeping.store(true);
      k.wake.wait(lock, hasJob);
      k.sleeping.store(false);
    }
    seen = k.mailbox.load();
    if (k.stop.load())
      return;
    // The current job, maybe a later one than the wake-up was for. Its
    // task_ and context_ are safe to read once the claim succeeds: the
    // caller changes them only after every claimed workgroup finished.
    uint64_t job = job_.load();
    size_t count = job & 0xffff;
    if (workgroup >= count || !claim(workgroup, job >> 16))
      continue;
    task_(context_, workgroup, count);
    finished_.fetch_add(1);
    if (callerSleeping_.load()) {
      { std::lock_guard<std::mutex> lock(doneMutex_); }
      done_.notify_one();
    }
  }
}

size_t defaultThreadCount() {
  size_t n = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    n = static_cast<size_t>(CPU_COUNT(&set));
  if (n == 0)
    n = std::thread::hardware_concurrency();
  return std::clamp<size_t>(n, 1, 64);
}

} // namespace kiln::rt
