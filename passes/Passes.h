//===- Passes.h - kiln graph passes -----------------------------*- C++ -*-===//
#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "kiln/ir/KilnDialect.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

/// Replaces each kiln.param of `func` by an argument named after it (with
/// its `kiln.init`), appended after the inputs in order of first use, and
/// returns those arguments: a train or evaluation step takes the parameters
/// as inputs.
llvm::SmallVector<mlir::BlockArgument> paramsToInputs(mlir::func::FuncOp func);

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_PASSES_H
