//===- VectorBody.h - Helpers of the passes that emit f32 vector loops ----===//
//
// Part of kiln. --kiln-tile-matmul, --kiln-streaming-stores and
// --kiln-column-reductions emit vector code of a given width; the last two
// clone the body of an elementwise (or per-lane) linalg.generic, scalar
// arith and math ops, onto vectors.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_VECTORBODY_H
#define KILN_CODEGEN_VECTORBODY_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {

/// Success when `width` is 8 (AVX2) or 16 (AVX-512) f32 lanes; otherwise
/// an error on `op` naming the pass's flag `pass`.
mlir::LogicalResult checkVectorWidth(mlir::Operation *op, llvm::StringRef pass,
                                     int64_t width);

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
