//===- ModelSource.cpp - Where a tool's model comes from ------------------===//
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/TrainStep.h"
#include "kiln/examples/Models.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"
#include "kiln/tools/InitAll.h"
#include "kiln/tools/Npy.h"

#include "mlir/IR/MLIRContext.h"

#include <cstdio>

namespace kiln {

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  auto ctx = std::make_unique<mlir::MLIRContext>(registry);
  ctx->loadDialect<KilnDialect, mlir::func::FuncDialect>();
  return ctx;
}

llvm::Expected<ParamValues>
loadParams(const ModelSignature &sig, uint64_t seed,
           const std::map<std::string, std::string> &paths) {
  std::string bad = checkNames("param", "parameter", paths, sig.params);
  if (!bad.empty())
    return error(bad);
  ParamValues params = initParams(sig, seed);
  for (auto &[name, path] : paths) {
    auto it = params.find(name);
    HostTensor t;
    std::string message;
    if (!readNpy(path, t, message))
      return error(message);
    message = checkTensor(t, "parameter '" + name + "'", it->second.dtype(),
                          it->second.shape());
    if (!message.empty())
      return error(message);
    it->second = std::move(t);
  }
  return params;
}

std::string knownModelNames() {
  std::string names;
  for (const ModelInfo &m : builtinModels())
    names += (names.empty() ? "" : ", ") + m.name;
  return names;
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModel(const std::string &name, std::optional<int64_t> batch,
          const std::string &file,
          mlir::MLIRContext &ctx, bool train) {
  if (!name.empty() && !file.empty())
    return error("give either --model=NAME or a .mlir file, not both");
  if (batch && *batch < 1)
    return error("--batch=" + llvm::Twine(*batch) +
                 ": a batch must be at least 1");
  if (train && !file.empty())
    return error("--train applies to built-in models (--model=NAME)");
  if (!file.empty()) {
    if (batch)
      return error("--batch applies to built-in models (--model=NAME); the "
                   "shapes of '" + file + "' are fixed");
    return parseModelFile(file, ctx);
  }
  if (name.empty())
    return error("no model: give --model=NAME or a .mlir file");
  const ModelInfo *info = findModel(name);
  if (!info)
    return error("unknown model '" + name + "'; the built-in models are: " +
                 knownModelNames());
  if (train && !info->training)
    return error("model '" + name + "' has no training setup");
  int64_t b = batch.value_or(train ? info->training->batch : info->defaultBatch);
  if (train)
    return modelTrainStepModule(*info, b, trainOptimizer(*info->training),
                                ctx);
  try {
    Graph g = info->build(b);
    auto module = toModule(g, ctx);
    if (!module)
      return error("model '" + name + "' did not verify");
    return module;
  } catch (const ShapeError &e) {
    return error("model '" + name + "' at batch " + llvm::Twine(b) + ": " +
                 e.what());
  }
}

} // namespace kiln
