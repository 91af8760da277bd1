//===- TrainStep.cpp - The modules a training run compiles ----------------===//
#include "kiln/tools/TrainStep.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace kiln {

namespace {

llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Runs `pipeline` (a textual pass pipeline on func.func) on `module`,
/// returning its diagnostics as the error.
llvm::Error runPipeline(mlir::ModuleOp module, const std::string &pipeline) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(module.getContext(),
                                        [&](mlir::Diagnostic &d) {
    diagnostics += locationString(d.getLocation()) + ": " + d.str() + "\n";
    return mlir::success();
  });
  mlir::PassManager pm(module.getContext());
  std::string parseErrors;
  llvm::raw_string_ostream os(parseErrors);
  if (mlir::failed(mlir::parsePassPipeline(
          "builtin.module(func.func(" + pipeline + "))", pm, os)))
    return error("bad pass pipeline '" + pipeline + "': " + parseErrors);
  if (mlir::failed(pm.run(module)))
    return error("making the train step failed:\n" + diagnostics);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trainStepModule(const TrainGraph &t, mlir::MLIRContext &ctx,
                const std::string &remat) {
  auto module = toModule(t.graph, ctx);
  std::string pipeline = "kiln-autodiff{loss=" + t.lossName + " remat=" +
                         remat + "}, kiln-optimizer{" +
                         optim::passOptions(t.optimizer) + "}";
  if (llvm::Error err = runPipeline(*module, pipeline))
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
