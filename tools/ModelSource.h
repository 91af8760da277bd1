//===- ModelSource.h - Where a tool's model comes from ----------*- C++ -*-===//
//
// The tools take a model either by built-in name (--model=NAME --batch=B) or
// as a .mlir file; this is the one place that turns either into a module.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_MODELSOURCE_H
#define KILN_TOOLS_MODELSOURCE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include "kiln/ir/Model.h"
#include "kiln/tools/Driver.h"
#include "kiln/tools/Files.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// A context with every dialect kiln uses registered.
std::unique_ptr<mlir::MLIRContext> makeContext();

/// The built-in model `name` at `batch` (none: its default batch), or the
/// module in `file` (whose shapes are fixed: no batch). An unknown name lists
/// the known ones; a malformed file gives the parser's diagnostics with line
/// and column.
/// With `train`, a built-in model's train step instead (tools/TrainStep.h:
/// its training loss and optimizer, the learning rate an input), at `batch`
/// or its training batch.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModel(const std::string &name, std::optional<int64_t> batch,
          const std::string &file, mlir::MLIRContext &ctx, bool train = false);

/// "linreg, house_mlp, ...".
std::string knownModelNames();

/// Every parameter drawn from `seed`, then those named in `paths` (NAME ->
/// .npy file) read from their files; an unknown name or a file of the wrong
/// shape or dtype is an error naming it.
llvm::Expected<ParamValues>
loadParams(const ModelSignature &sig, uint64_t seed,
           const std::map<std::string, std::string> &paths);

} // namespace kiln

#endif // KILN_TOOLS_MODELSOURCE_H
