//===- Decompose.cpp - Expand composite kiln ops --------------------------===//
//
// Composite ops become primitives here, once, so that the lowering to linalg
// and the fusion pass handle a small closed set of ops. The interpreter still
// evaluates the composites directly, which is what makes it a check on this
// pass.
//
//===----------------------------------------------------------------------===//
#include "kiln/passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_DECOMPOSE
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

/// A rank-0 constant of `like`'s element type, which broadcasts against it.
static Value scalar(PatternRewriter &rewriter, Location loc, Value like,
                    double value) {
  Type et = cast<RankedTensorType>(like.getType()).getElementType();
  auto type = RankedTensorType::get({}, et);
  return rewriter.create<ConstantOp>(
      loc, DenseElementsAttr::get(type, rewriter.getFloatAttr(et, value)));
}

/// x - max(x, axis): the shifted logits both softmax forms start from.
static Value shiftedByMax(PatternRewriter &rewriter, Location loc, Value x,
                          int64_t axis) {
  Value max = rewriter.create<ReduceMaxOp>(loc, x, ArrayRef<int64_t>{axis},
                                           /*keep_dims=*/true);
  return rewriter.create<SubOp>(loc, x, max);
}

namespace {

struct DecomposeSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value e = rewriter.create<ExpOp>(
        loc, shiftedByMax(rewriter, loc, op.getInput(), axis));
    Value sum = rewriter.create<ReduceSumOp>(loc, e, ArrayRef<int64_t>{axis},
                                             true);
    rewriter.replaceOpWithNewOp<DivOp>(op, e, sum);
    return success();
  }
};

struct DecomposeLogSoftmax : OpRewritePattern<LogSoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value d = shiftedByMax(rewriter, loc, op.getInput(), axis);
    Value e = rewriter.create<ExpOp>(loc, d);
    Value sum = rewriter.create<ReduceSumOp>(loc, e, ArrayRef<int64_t>{axis},
                                             true);
    rewriter.replaceOpWithNewOp<SubOp>(op, d,
                                       rewriter.create<LogOp>(loc, sum));
    return success();
  }
};

struct DecomposeReduceMean : OpRewritePattern<ReduceMeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceMeanOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getInput().getType());
    int64_t count = 1;
    for (int64_t a : op.getAxes())
      count *= type.getDimSize(a);
    Value sum = rewriter.create<ReduceSumOp>(loc, op.getInput(), op.getAxes(),
                                             op.getKeepDims());
    rewriter.replaceOpWithNewOp<DivOp>(op, sum,
                                       scalar(rewriter, loc, sum, count));
    return success();
  }
};

struct DecomposeLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    SmallVector<int64_t, 1> last{cast<RankedTensorType>(x.getType()).getRank() - 1};
    Value mean = rewriter.create<ReduceMeanOp>(loc, x, last, true);
    Value d = rewriter.create<SubOp>(loc, x, mean);
    Value var = rewriter.create<ReduceMeanOp>(
        loc, rewriter.create<MulOp>(loc, d, d), last, true);
    Value eps = scalar(rewriter, loc, x, op.getEpsilon().convertToDouble());
    Value inv = rewriter.create<RsqrtOp>(loc,
                                         rewriter.create<AddOp>(loc, var, eps));
    Value scaled = rewriter.create<MulOp>(
        loc, rewriter.create<MulOp>(loc, d, inv), op.getGamma());
    rewriter.replaceOpWithNewOp<AddOp>(op, scaled, op.getBeta());
    return success();
  }
};

struct DecomposePass : kiln::impl::DecomposeBase<DecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeSoftmax, DecomposeLogSoftmax, DecomposeReduceMean,
                 DecomposeLayerNorm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
