//===- ApproximateMath.cpp - Transcendentals as vectorisable polynomials --===//
//
// math.exp, math.erf, math.tanh, math.log, ... would become calls into
// libm, one element at a time: GELU alone took 6 ns per element that way,
// half of a memory-bound norm chain's time. MLIR's polynomial
// approximations (the ones IREE uses) turn them into plain arithmetic that
// LLVM vectorises with the loop around it, within a few float32 ulp.
//
// f32 erf, the heart of GELU, gets a cheaper one: upstream's splits the
// range into three intervals, each element choosing its coefficients with
// 18 selects; Eigen's (as XLA uses) is one odd-over-even rational function
// on [-4, 4], 13 multiply-adds and a divide, within 4.5e-7 of erf.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// erf(x) = x p(x^2) / q(x^2) on x clamped to [-4, 4] (erf is +-1 in f32
/// beyond), Eigen's generic_fast_erf_float.
struct RationalErf : OpRewritePattern<math::ErfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](float c) -> Value {
      Attribute attr = rewriter.getF32FloatAttr(c);
      if (auto vector = dyn_cast<VectorType>(type))
        attr = DenseElementsAttr::get(vector, c);
      return rewriter.create<arith::ConstantOp>(loc, type, cast<TypedAttr>(attr));
    };
    auto fma = [&](Value a, Value b, Value c) -> Value {
      return rewriter.create<math::FmaOp>(loc, a, b, c);
    };
    Value x = rewriter.create<arith::MaximumFOp>(
        loc, rewriter.create<arith::MinimumFOp>(loc, op.getOperand(),
                                                constant(4.0f)),
        constant(-4.0f));
    Value x2 = rewriter.create<arith::MulFOp>(loc, x, x);
    static constexpr float alpha[] = {
        -2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f,
        -5.69250639462346e-05f, -7.34990630326855e-04f, -2.95459980854025e-03f,
        -1.60960333262415e-02f};
    static constexpr float beta[] = {
        -1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f,
        -7.37332916720468e-03f, -1.42647390514189e-02f};
    Value p = constant(alpha[0]);
    for (float a : ArrayRef(alpha).drop_front())
      p = fma(x2, p, constant(a));
    Value q = constant(beta[0]);
    for (float b : ArrayRef(beta).drop_front())
      q = fma(x2, q, constant(b));
    rewriter.replaceOpWithNewOp<arith::DivFOp>(
        op, rewriter.create<arith::MulFOp>(loc, x, p), q);
    return success();
  }
};

struct ApproximateMathPass
    : kiln::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RationalErf>(&getContext(), /*benefit=*/2);
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
