//===- Executor.h - Runs a model's steps --------------------------*- C++ -*-===//
//
// The loader resolves every step once into an ExecutionPlan: a kernel
// pointer, its workgroup limit and a slice of one argument array whose Param
// and Arena slots are already final. A run only writes the caller's input
// and output pointers into their slots and calls the kernels, in order:
// each step's workgroups on the thread pool, joined before the next step.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_EXECUTOR_H
#define KILN_RUNTIME_EXECUTOR_H

#include "kiln/runtime/SharedObject.h"
#include "kiln/runtime/ThreadPool.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::rt {

struct ExecutionPlan {
  struct Step {
    KernelFn kernel;
    size_t firstArg; // the step's args are argv[firstArg, firstArg + numArgs)
    size_t numArgs;
    size_t maxWorkgroups; // >= 1
    bool oneWorkgroupPerThread = false;
  };
  /// argv[slot] becomes the caller's inputs[index] or outputs[index].
  struct Binding {
    size_t slot;
    uint32_t index;
  };

  std::vector<Step> steps;
  std::vector<void *> argv;
  std::vector<Binding> inputBindings;
  std::vector<Binding> outputBindings;
};

/// Runs the steps in order; a step whose kernel splits into workgroups runs
/// min(maxWorkgroups, kWorkgroupsPerThread * threads) of them (threads, for
/// oneWorkgroupPerThread) on the pool and the calling thread; on one
/// thread, every kernel runs whole.
class CpuExecutor {
public:
  static constexpr size_t kWorkgroupsPerThread = 4;

  /// `inputs` and `outputs` have been checked against the model's signature;
  /// the plan is not re-entrant (its argv is shared by all runs).
  /// With `stepSeconds`, each step's wall time is added to its entry.
  void run(ExecutionPlan &plan, ThreadPool &pool, const void *const *inputs,
           void *const *outputs, double *stepSeconds = nullptr) const;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_EXECUTOR_H
