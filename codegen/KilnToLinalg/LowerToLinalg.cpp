//===- LowerToLinalg.cpp - kiln to linalg on tensors ----------------------===//
//
// The pass and the helpers shared by the op families; the patterns live in
// one file per family beside this one.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/KilnToLinalg/Patterns.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   TypedAttr value) {
  Value empty =
      b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  Value scalar = b.create<arith::ConstantOp>(loc, value);
  return b.create<linalg::FillOp>(loc, scalar, empty).getResult(0);
}

AffineMap broadcastMap(ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape, unsigned extraDims,
                       MLIRContext *ctx) {
  unsigned offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape))
    exprs.push_back(size == 1 && resultShape[offset + i] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(offset + i, ctx));
  return AffineMap::get(resultShape.size() + extraDims, 0, exprs, ctx);
}

TypedAttr zeroAttr(Type t) {
  Builder b(t.getContext());
  if (isa<FloatType>(t))
    return b.getFloatAttr(t, 0.0);
  return b.getIntegerAttr(t, 0);
}

TypedAttr lowestAttr(Type t) {
  Builder b(t.getContext());
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(
        t, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true));
  return b.getIntegerAttr(
      t, APInt::getSignedMinValue(t.getIntOrFloatBitWidth()));
}

} // namespace kiln

namespace {
struct LowerToLinalgPass
    : kiln::impl::LowerToLinalgBase<LowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    kiln::populateElementwisePatterns(patterns);
    kiln::populateContractionPatterns(patterns);
    kiln::populateReductionPatterns(patterns);
    kiln::populateDataMovementPatterns(patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<kiln::KilnDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }

};
} // namespace
