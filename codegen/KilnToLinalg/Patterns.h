//===- Patterns.h - kiln to linalg, one file per op family ------*- C++ -*-===//
//
// Shared helpers of the kiln -> linalg lowering and the entry point of each
// op family's patterns.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_KILNTOLINALG_PATTERNS_H
#define KILN_CODEGEN_KILNTOLINALG_PATTERNS_H

#include "kiln/codegen/Passes.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {

void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateContractionPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);

/// tensor.empty of `type`, filled with `value` by linalg.fill.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::TypedAttr value);

/// The map reading `operand` at the iteration point of a loop nest over
/// `resultShape` (plus `extraDims` trailing loop dims it ignores), with numpy
/// broadcasting: leading dims missing from the operand are skipped and its
/// size-1 dims are read at 0.
mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape,
                             unsigned extraDims, mlir::MLIRContext *ctx);

/// Neutral starting values of reductions, for the element type.
mlir::TypedAttr zeroAttr(mlir::Type elementType);
mlir::TypedAttr lowestAttr(mlir::Type elementType); // -inf or INT_MIN

} // namespace kiln

#endif // KILN_CODEGEN_KILNTOLINALG_PATTERNS_H
