//===- Executor.cpp - Runs a model's steps --------------------------------===//
//
// The hot path of a run: no allocation, no checks (the verifier and
// Model::run did them), one indirect call per step.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/Executor.h"

namespace kiln::rt {

void CpuExecutor::run(ExecutionPlan &plan, const void *const *inputs,
                      void *const *outputs) const {
  // Kernels never write their inputs; the const is the caller's promise
  // that the runtime keeps, not the kernels' signature.
  for (const ExecutionPlan::Binding &b : plan.inputBindings)
    plan.argv[b.slot] = const_cast<void *>(inputs[b.index]);
  for (const ExecutionPlan::Binding &b : plan.outputBindings)
    plan.argv[b.slot] = outputs[b.index];
  void **argv = plan.argv.data();
  for (const ExecutionPlan::Step &step : plan.steps)
    step.kernel(argv + step.firstArg);
}

} // namespace kiln::rt
