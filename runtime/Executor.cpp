//===- Executor.cpp - Runs a model's steps --------------------------------===//
//
// The hot path of a run: no allocation, no checks (the verifier and
// Model::run did them), one indirect call per step and workgroup.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/Executor.h"

#include <algorithm>
#include <chrono>

namespace kiln::rt {

namespace {

struct StepCall {
  KernelFn kernel;
  void **args;
};

void runWorkgroup(void *context, size_t workgroup, size_t count) {
  const StepCall &call = *static_cast<const StepCall *>(context);
  call.kernel(call.args, static_cast<int64_t>(workgroup),
              static_cast<int64_t>(count));
}

} // namespace

void CpuExecutor::run(ExecutionPlan &plan, ThreadPool &pool,
                      const void *const *inputs, void *const *outputs,
                      double *stepSeconds) const {
  if (stepSeconds) {
    // Profiled: the same steps, one at a time, each timed.
    ExecutionPlan one = plan;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      one.steps.assign(1, plan.steps[i]);
      auto start = std::chrono::steady_clock::now();
      run(one, pool, inputs, outputs, nullptr);
      stepSeconds[i] += std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    }
    return;
  }
  // Kernels never write their inputs; the const is the caller's promise
  // that the runtime keeps, not the kernels' signature.
  for (const ExecutionPlan::Binding &b : plan.inputBindings)
    plan.argv[b.slot] = const_cast<void *>(inputs[b.index]);
  for (const ExecutionPlan::Binding &b : plan.outputBindings)
    plan.argv[b.slot] = outputs[b.index];
  void **argv = plan.argv.data();
  size_t threads = pool.workers() + 1;
  // A few workgroups per thread: a thread that falls behind (its CPU taken
  // by another process) then leaves the rest of its share to the others.
  // Not where every workgroup reads all of a large operand: each more
  // workgroup reads it once more.
  size_t perStep = threads == 1 ? 1 : threads * kWorkgroupsPerThread;
  for (const ExecutionPlan::Step &step : plan.steps) {
    size_t workgroups = std::min(
        step.maxWorkgroups, step.oneWorkgroupPerThread ? threads : perStep);
    if (workgroups <= 1) {
      step.kernel(argv + step.firstArg, 0, 1);
      continue;
    }
    StepCall call{step.kernel, argv + step.firstArg};
    pool.run(runWorkgroup, &call, workgroups);
  }
}

} // namespace kiln::rt
