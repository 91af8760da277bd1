//===- TrainStep.h - The modules a training run compiles --------*- C++ -*-===//
//
// A TrainGraph (frontend/kiln.h) becomes two model modules that compile
// like any other: the train step, made by --kiln-autodiff and
// --kiln-optimizer, and the evaluation step, the forward graph and its loss
// with the parameters as inputs. Both take their trained tensors
// (parameters, optimizer state: the inputs with a `kiln.init`) by name, so
// that one set of buffers serves both.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_TRAINSTEP_H
#define KILN_TOOLS_TRAINSTEP_H

#include "kiln/frontend/kiln.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln {

/// (inputs, labels, params, state) -> (loss, prediction, params, state).
/// `remat` is --kiln-autodiff's: "none" or "elementwise". With
/// `learningRateInput` the learning rate is an input, `learning_rate`
/// (--kiln-optimizer's lr-input), for a schedule.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trainStepModule(const TrainGraph &t, mlir::MLIRContext &ctx,
                const std::string &remat = "none",
                bool learningRateInput = false);

/// (inputs, labels, params) -> (prediction, loss).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
evalStepModule(const TrainGraph &t, mlir::MLIRContext &ctx);

} // namespace kiln

#endif // KILN_TOOLS_TRAINSTEP_H
