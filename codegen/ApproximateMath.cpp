//===- ApproximateMath.cpp - Transcendentals as vectorisable polynomials --===//
//
// math.exp, math.erf, math.tanh, math.log, ... would become calls into
// libm, one element at a time: GELU alone took 6 ns per element that way,
// half of a memory-bound norm chain's time. MLIR's polynomial
// approximations (the ones IREE uses) turn them into plain arithmetic that
// LLVM vectorises with the loop around it, within a few float32 ulp.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

struct ApproximateMathPass
    : kiln::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
