//===- Contraction.cpp - matmul, conv2d, max_pool2d to linalg -------------===//
//
// 2-D matmul and the windowed ops map onto linalg's named ops, which later
// tiling and vectorisation recognise; batched matmul with broadcast batch
// dims has no named op and becomes a linalg.generic.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/KilnToLinalg/Patterns.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace kiln;

/// `input` padded by `padding` ([top, bottom, left, right]) with `value`.
static Value padNHWC(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> padding, TypedAttr value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[1] += padding[0] + padding[1];
  shape[2] += padding[2] + padding[3];
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(padding[0]),
                                   b.getIndexAttr(padding[2]), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(padding[1]),
                                    b.getIndexAttr(padding[3]),
                                    b.getIndexAttr(0)};
  Value pad = b.create<arith::ConstantOp>(loc, value);
  return b.create<tensor::PadOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), input, low,
      high, pad);
}

namespace {

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init = filledTensor(rewriter, loc, type,
                              zeroAttr(type.getElementType()));
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsShape = cast<RankedTensorType>(lhs.getType()).getShape();
    auto rhsShape = cast<RankedTensorType>(rhs.getType()).getShape();
    MLIRContext *ctx = op.getContext();
    // Loops (batch..., m, n, k); operands broadcast over the batch dims.
    ArrayRef<int64_t> out = type.getShape();
    unsigned rank = out.size(), batch = rank - 2;
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr, 2> lhsIdx{d(batch), d(rank)},
        rhsIdx{d(rank), d(batch + 1)};
    if (lhsShape.size() == 2 && rhsShape.size() == 2) {
      // An operand transposed in the same kernel is read as it is (no
      // transposed copy is made): A as A[k, m] (X^T G, a weight's
      // gradient), B as B[n, k] (W G^T into few columns, a wide dense
      // layer's input gradient). FusionAnalysis's readInPlace says when.
      bool inPlace = false;
      auto readTransposed = [&](Value operand, Value &read,
                                SmallVector<AffineExpr, 2> &idx) {
        if (!readInPlace(operand))
          return;
        read = rewriter.getRemappedValue(
            operand.getDefiningOp<TransposeOp>().getInput());
        std::swap(idx[0], idx[1]);
        inPlace = true;
      };
      readTransposed(op.getLhs(), lhs, lhsIdx);
      readTransposed(op.getRhs(), rhs, rhsIdx);
      if (!inPlace) {
        rewriter.replaceOpWithNewOp<linalg::MatmulOp>(op, ValueRange{lhs, rhs},
                                                      ValueRange{init});
        return success();
      }
    }
    auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr row,
                          AffineExpr col) {
      SmallVector<int64_t> batchShape(out.begin(), out.begin() + batch);
      AffineMap b = broadcastMap(shape.drop_back(2), batchShape, 0, ctx);
      SmallVector<AffineExpr> exprs(b.getResults());
      exprs.push_back(row);
      exprs.push_back(col);
      return AffineMap::get(rank + 1, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps = {
        operandMap(lhsShape, lhsIdx[0], lhsIdx[1]),
        operandMap(rhsShape, rhsIdx[0], rhsIdx[1]),
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    bool isFloat = isa<FloatType>(type.getElementType());
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{lhs, rhs}, ValueRange{init}, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod = isFloat ? b.create<arith::MulFOp>(l, args[0], args[1])
                                     .getResult()
                               : b.create<arith::MulIOp>(l, args[0], args[1])
                                     .getResult();
          Value sum = isFloat
                          ? b.create<arith::AddFOp>(l, args[2], prod).getResult()
                          : b.create<arith::AddIOp>(l, args[2], prod).getResult();
          b.create<linalg::YieldOp>(l, sum);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct Conv2dLowering : OpConversionPattern<Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    TypedAttr zero = zeroAttr(type.getElementType());
    Value input = padNHWC(rewriter, loc, adaptor.getInput(), op.getPadding(),
                          zero);
    Value init = filledTensor(rewriter, loc, type, zero);
    rewriter.replaceOpWithNewOp<linalg::Conv2DNhwcHwcfOp>(
        op, TypeRange{type}, ValueRange{input, adaptor.getFilter()},
        ValueRange{init}, rewriter.getI64TensorAttr(op.getStrides()),
        rewriter.getI64TensorAttr(op.getDilations()));
    return success();
  }
};

struct MaxPool2dLowering : OpConversionPattern<MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    TypedAttr lowest = lowestAttr(type.getElementType());
    Value input = padNHWC(rewriter, loc, adaptor.getInput(), op.getPadding(),
                          lowest);
    Value init = filledTensor(rewriter, loc, type, lowest);
    // The window operand only carries the window's shape.
    Value window = rewriter.create<tensor::EmptyOp>(loc, op.getWindow(),
                                                    type.getElementType());
    rewriter.replaceOpWithNewOp<linalg::PoolingNhwcMaxOp>(
        op, TypeRange{type}, ValueRange{input, window}, ValueRange{init},
        rewriter.getI64TensorAttr(op.getStrides()),
        rewriter.getI64TensorAttr({1, 1}));
    return success();
  }
};

} // namespace

void kiln::populateContractionPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, Conv2dLowering, MaxPool2dLowering>(
      patterns.getContext());
}
