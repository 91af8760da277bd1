//===- Executor.h - Runs a model's steps --------------------------*- C++ -*-===//
//
// The loader resolves every step once into an ExecutionPlan: a kernel
// pointer and a slice of one argument array whose Param and Arena slots are
// already final. A run only writes the caller's input and output pointers
// into their slots and calls the kernels. The executor holds no model state,
// so a thread pool that runs independent steps side by side can replace it
// without touching the loader.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_EXECUTOR_H
#define KILN_RUNTIME_EXECUTOR_H

#include "kiln/runtime/SharedObject.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::rt {

struct ExecutionPlan {
  struct Step {
    KernelFn kernel;
    size_t firstArg; // the step's args are argv[firstArg, firstArg + numArgs)
    size_t numArgs;
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

/// Runs the steps in order on the calling thread.
class CpuExecutor {
public:
  /// `inputs` and `outputs` have been checked against the model's signature;
  /// the plan is not re-entrant (its argv is shared by all runs).
  void run(ExecutionPlan &plan, const void *const *inputs,
           void *const *outputs) const;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_EXECUTOR_H
