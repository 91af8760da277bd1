//===- TrainStep.cpp - The modules a training run compiles ----------------===//
#include "kiln/tools/TrainStep.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

namespace kiln {

namespace {

llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Runs `pm` on `module`, returning its diagnostics as the error.
llvm::Error run(mlir::PassManager &pm, mlir::ModuleOp module) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(module.getContext(),
                                        [&](mlir::Diagnostic &d) {
    diagnostics += locationString(d.getLocation()) + ": " + d.str() + "\n";
    return mlir::success();
  });
  if (mlir::failed(pm.run(module)))
    return error("making the train step failed:\n" + diagnostics);
  return llvm::Error::success();
}

OptimizerOptions optimizerOptions(const optim::Optimizer &o) {
  OptimizerOptions opts;
  opts.kind = optim::name(o);
  if (auto *s = std::get_if<optim::SGD>(&o)) {
    opts.lr = s->lr;
    opts.weightDecay = s->weightDecay;
  } else if (auto *m = std::get_if<optim::Momentum>(&o)) {
    opts.lr = m->lr;
    opts.momentum = m->momentum;
    opts.weightDecay = m->weightDecay;
  } else {
    const auto &a = std::get<optim::Adam>(o);
    opts.lr = a.lr;
    opts.beta1 = a.beta1;
    opts.beta2 = a.beta2;
    opts.epsilon = a.epsilon;
    opts.weightDecay = a.weightDecay;
  }
  return opts;
}

} // namespace

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trainStepModule(const TrainGraph &t, mlir::MLIRContext &ctx,
                const std::string &remat, bool learningRateInput) {
  auto module = toModule(t.graph, ctx);
  mlir::PassManager pm(&ctx);
  pm.addNestedPass<mlir::func::FuncOp>(
      createAutodiff(AutodiffOptions{t.lossName, remat}));
  OptimizerOptions opts = optimizerOptions(t.optimizer);
  opts.lrInput = learningRateInput;
  pm.addNestedPass<mlir::func::FuncOp>(createOptimizer(opts));
  if (llvm::Error err = run(pm, *module))
    return err;
  return module;
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
evalStepModule(const TrainGraph &t, mlir::MLIRContext &ctx) {
  auto module = toModule(t.graph, ctx);
  auto func = modelFunc(*module);
  if (!func)
    return func.takeError();
  paramsToInputs(*func);
  return module;
}

} // namespace kiln
