//===- VectorBody.h - A scalar loop body cloned onto vectors --------------===//
//
// Part of kiln. The body of an elementwise (or per-lane) linalg.generic,
// scalar arith and math ops, cloned onto vectors: what
// --kiln-streaming-stores and --kiln-column-reductions emit for a generic
// they turn into vector loops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_VECTORBODY_H
#define KILN_CODEGEN_VECTORBODY_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {

/// The vector values of `body`'s terminator operands, its other ops (each
/// of one scalar result, no regions) cloned onto vectors of `width` lanes
/// with their attributes: a constant becomes its broadcast. `map` gives the
/// vector of each block argument and may give others; `splat` gives that of
/// any other value the body reads from outside.
llvm::SmallVector<mlir::Value>
cloneOnVectors(mlir::OpBuilder &b, mlir::Block &body, int64_t width,
               mlir::IRMapping &map,
               llvm::function_ref<mlir::Value(mlir::Value)> splat);

} // namespace kiln

#endif // KILN_CODEGEN_VECTORBODY_H
