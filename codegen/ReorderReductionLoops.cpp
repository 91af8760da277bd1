//===- ReorderReductionLoops.cpp - contiguous innermost loop in reductions ===//
//
// linalg's loop order puts the reduction dims last, so the loops that
// convert-linalg-to-loops emits for matmul, conv and pooling run a scalar
// reduction innermost, with strided loads of B (or of the filter). LLVM
// vectorises none of it. Putting the reduction dims outside the loop that
// walks the output's last dim makes the innermost loop parallel and every
// access in it unit-stride or invariant (C[i, j] += A[i, k] * B[k, j] along
// j), which LLVM's loop vectoriser handles on its own.
//
// This is the cheap fix for naive loops, not a GEMM schedule: no tiling, no
// packing, no register blocking.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_REORDERREDUCTIONLOOPS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

/// The loop order that puts `op`'s reduction loops right outside the loop
/// that walks its outputs' last dim, or an empty vector when there is no
/// such loop, moving it would make some access strided, or the order is
/// already that one.
static SmallVector<unsigned> contiguousInnerOrder(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() == 0)
    return {};
  // The candidate: the loop that indexes the last dim of every output.
  std::optional<unsigned> inner;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (map.getNumResults() == 0)
      return {};
    auto dim = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!dim || (inner && *inner != dim.getPosition()))
      return {};
    inner = dim.getPosition();
  }
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (!linalg::isParallelIterator(iters[*inner]))
    return {};
  // Innermost, it must leave each operand either invariant or walked along
  // its last dim: anywhere else it would trade one strided access for
  // another (a row sum, whose output's last dim is its input's row).
  for (AffineMap map : op.getIndexingMapsArray()) {
    for (unsigned r = 0, e = map.getNumResults(); r < e; ++r) {
      AffineExpr expr = map.getResult(r);
      if (!expr.isFunctionOfDim(*inner))
        continue;
      if (r + 1 != e || !isa<AffineDimExpr>(expr))
        return {};
    }
  }
  // The other parallel loops keep their order outside, so each output
  // element is still finished by one sweep over the reduction.
  SmallVector<unsigned> order;
  for (unsigned i = 0, e = iters.size(); i < e; ++i)
    if (i != *inner && linalg::isParallelIterator(iters[i]))
      order.push_back(i);
  for (unsigned i = 0, e = iters.size(); i < e; ++i)
    if (!linalg::isParallelIterator(iters[i]))
      order.push_back(i);
  order.push_back(*inner);
  bool identity = true;
  for (unsigned i = 0, e = order.size(); i < e; ++i)
    identity &= order[i] == i;
  if (identity)
    return {};
  return order;
}

namespace {
struct ReorderReductionLoopsPass
    : kiln::impl::ReorderReductionLoopsBase<ReorderReductionLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<unsigned>>> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      // --kiln-conv-to-matmul takes these, in their named form.
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op.getOperation());
          conv && convertsToMatmuls(conv))
        return;
      SmallVector<unsigned> order = contiguousInnerOrder(op);
      if (!order.empty())
        work.emplace_back(op, std::move(order));
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, order] : work) {
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        // Named ops have a fixed loop order; their generic form does not.
        // Generalisation fails, untouched, only for a named op without a
        // region builder: such an op keeps its loops.
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized))
          continue;
        generic = *generalized;
      }
      // `order` is a permutation of the loops, the one precondition.
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitOpError("could not reorder its loops");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
