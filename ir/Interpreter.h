//===- Interpreter.h - Reference interpreter for kiln modules ---*- C++ -*-===//
//
// Evaluates a kiln model on host tensors with plain loops, accumulating in
// double and rounding each op's result to its element type. It is the
// numerical oracle of every test, so it is kept obviously correct rather
// than fast, and independent of the passes and of codegen: composite ops
// (softmax, layer_norm, ...) are evaluated directly, not decomposed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_INTERPRETER_H
#define KILN_IR_INTERPRETER_H

#include "kiln/ir/HostTensor.h"
#include "kiln/ir/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

/// Runs `func` on `inputs` (one per argument, in order) with parameter
/// values from `params`; returns one tensor per result. Fails, naming the
/// op, on a missing parameter, an input of the wrong shape or dtype, or an
/// op the interpreter does not know.
llvm::Expected<std::vector<HostTensor>>
interpret(mlir::func::FuncOp func, const std::vector<HostTensor> &inputs,
          const ParamValues &params);

/// A tensor held in double, row-major.
struct DoubleTensor {
  Shape shape;
  std::vector<double> values;
};

/// The same as interpret with every float value kept in double, never
/// rounded to its element type (integers still are): for gradient checks
/// against finite differences, which single precision would swamp. Inputs
/// and parameters take the dtype the function declares for them.
llvm::Expected<std::vector<DoubleTensor>>
interpretInDouble(mlir::func::FuncOp func,
                  const std::vector<DoubleTensor> &inputs,
                  const std::map<std::string, DoubleTensor> &params);

} // namespace kiln

#endif // KILN_IR_INTERPRETER_H
