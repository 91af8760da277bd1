//===- FuseLinalgElementwise.cpp - Elementwise fusion that spares contractions
//
// linalg's elementwise fusion (as upstream's --linalg-fuse-elementwise-ops
// runs it), with one difference: a reshape is never propagated through a
// linalg op with reduction loops. Upstream expands a matmul whose result is
// reshaped ([64, 512] -> [64, 8, 64]) into a 5-D contraction; its output's
// innermost loop then runs 64 long instead of 512 and the weights are
// walked once per head, which made a projection followed by a head split
// twice as slow as the projection alone.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FUSELINALGELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool hasReduction(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

struct FuseLinalgElementwisePass
    : kiln::impl::FuseLinalgElementwiseBase<FuseLinalgElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // A producer is fused into its consumer's loop only when nothing else
    // reads it: otherwise it would be computed twice.
    linalg::ControlFusionFn singleUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::ControlFusionFn reshapeSparesReductions = [&](OpOperand *fused) {
      return singleUse(fused) && !hasReduction(fused->getOwner()) &&
             !hasReduction(fused->get().getDefiningOp());
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, singleUse);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, reshapeSparesReductions);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, singleUse);
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      signalPassFailure();
  }
};

} // namespace
