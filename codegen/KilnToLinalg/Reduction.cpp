//===- Reduction.cpp - kiln reductions to linalg.generic ------------------===//
//
// A reduction is a linalg.generic over the input's dims, with the reduced
// dims as reduction iterators and the output map dropping them (or reading
// them at 0 when keep_dims holds them as size-1 dims).
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/KilnToLinalg/Patterns.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace kiln;

namespace {

template <typename OpTy>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  static constexpr bool isMax = std::is_same_v<OpTy, ReduceMaxOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Type et = type.getElementType();
    unsigned rank =
        cast<RankedTensorType>(adaptor.getInput().getType()).getRank();
    SmallVector<bool> reduced(rank, false);
    for (int64_t a : op.getAxes())
      reduced[a] = true;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters;
    for (unsigned i = 0; i < rank; ++i) {
      iters.push_back(reduced[i] ? utils::IteratorType::reduction
                                 : utils::IteratorType::parallel);
      if (!reduced[i])
        outExprs.push_back(getAffineDimExpr(i, ctx));
      else if (op.getKeepDims())
        outExprs.push_back(getAffineConstantExpr(0, ctx));
    }
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, outExprs, ctx)};
    Value init = filledTensor(rewriter, loc, type,
                              isMax ? lowestAttr(et) : zeroAttr(et));
    bool isFloat = isa<FloatType>(et);
    // Reassociation lets LLVM vectorise a sum or max along a contiguous
    // dim (several partial results, combined at the end). The order is
    // still fixed by the code, so results do not depend on threads.
    auto reassoc = arith::FastMathFlags::reassoc;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{adaptor.getInput()}, ValueRange{init}, maps,
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value v;
          if (isMax)
            v = isFloat ? b.create<arith::MaximumFOp>(l, args[0], args[1],
                                                      reassoc)
                              .getResult()
                        : b.create<arith::MaxSIOp>(l, args[0], args[1])
                              .getResult();
          else
            v = isFloat
                    ? b.create<arith::AddFOp>(l, args[0], args[1], reassoc)
                          .getResult()
                    : b.create<arith::AddIOp>(l, args[0], args[1]).getResult();
          b.create<linalg::YieldOp>(l, v);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void kiln::populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMaxOp>>(
      patterns.getContext());
}
