//===- FuseElementwise.cpp - Elementwise fusion, matmuls kept whole ------===//
//
// linalg's elementwise fusion (-linalg-fuse-elementwise-ops) with one rule
// more: nothing is fused into, or reshaped through, a matmul that
// --kiln-tile-matmul tiles. Fused with a producer (a layer norm's scaling,
// a bias and relu feeding the next layer) or with a reshape of its weight
// (a [512, 8, 64] view of the q projection), a matmul becomes a generic
// the tiles do not take, and it runs as plain loops several times slower.
// Everything else fuses as upstream does, with the same patterns.
//
// One thing more: a cheap elementwise producer with several elementwise
// users (a layer norm's x - mean, read by the variance and by the
// scaling) is cloned for each, so that each computes it again in its own
// loop instead of all reading a buffer written by a pass of its own.
// And a producer whose value also leaves the kernel is fused into its one
// elementwise user all the same, the fused loop yielding both values
// (yieldThroughConsumer).
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

bool isTiledMatmul(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && isTileableMatmul(linalgOp);
}

/// An elementwise generic of at most two arithmetic ops (sub, mul, ...;
/// the kiln ops FusionAnalysis.cpp's intermediatesOf counts as cheap;
/// no transcendental): cheaper to compute again than to store and load.
bool isCheapElementwise(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0 ||
      !op.hasPureTensorSemantics())
    return false;
  Block &body = op.getRegion().front();
  return body.getOperations().size() <= 3 &&
         llvm::all_of(body.without_terminator(), [](Operation &inner) {
           return isa<arith::ArithDialect>(inner.getDialect());
         });
}

/// Clones each cheap elementwise producer with several users, all of
/// them generics other than tiled matmuls, once per further use.
void cloneCheapProducers(func::FuncOp func) {
  // Users first: a producer of a cloned producer (a max pool's x == y,
  // read by the rank x (x == y) that the window's max and the mask both
  // read) gets a user per clone, and is cloned in turn.
  SmallVector<linalg::GenericOp> generics;
  func.walk([&](linalg::GenericOp op) { generics.push_back(op); });
  for (linalg::GenericOp op : llvm::reverse(generics)) {
    if (!isCheapElementwise(op) || op->getResult(0).use_empty() ||
        op->getResult(0).hasOneUse() ||
        !llvm::all_of(op->getResult(0).getUsers(), [](Operation *user) {
          return isa<linalg::GenericOp>(user) && !isTiledMatmul(user);
        }))
      continue;
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : op->getResult(0).getUses())
      uses.push_back(&use);
    for (OpOperand *use : ArrayRef(uses).drop_front()) {
      OpBuilder b(op);
      use->set(b.clone(*op)->getResult(0));
    }
  }
}

/// A producer whose value also leaves the kernel (its other users, after
/// `consumer`, are no linalg ops: the insert into a chunk of an output)
/// keeps its own loop under upstream's rule. So `consumer`, all parallel
/// and reading it element for element, yields that value as one more
/// result, which takes over those other uses: the producer then has one
/// use and fuses. Adam's new moments, returned and read by the parameter
/// update, so share one loop with it instead of being written and read
/// back by loops of their own.
bool yieldThroughConsumer(linalg::GenericOp consumer, OpOperand &fused) {
  auto producer = fused.get().getDefiningOp<linalg::GenericOp>();
  if (!producer || producer->getNumResults() != 1 ||
      producer->hasOneUse() || isTiledMatmul(producer) ||
      consumer.getNumReductionLoops() != 0 ||
      !consumer.getMatchingIndexingMap(&fused).isPermutation() ||
      !linalg::areElementwiseOpsFusable(&fused))
    return false;
  SmallVector<OpOperand *> others;
  for (OpOperand &use : fused.get().getUses()) {
    Operation *user = use.getOwner();
    // Read twice by the consumer, the producer would keep two uses and
    // not fuse.
    if (user == consumer && &use != &fused)
      return false;
    if (user == consumer)
      continue;
    if (isa<linalg::LinalgOp>(user) ||
        user->getBlock() != consumer->getBlock() ||
        !consumer->isBeforeInBlock(user))
      return false;
    others.push_back(&use);
  }
  if (others.empty())
    return false;
  OpBuilder b(consumer);
  SmallVector<Value> inits(consumer.getDpsInits());
  inits.push_back(producer.getDpsInits()[0]);
  SmallVector<AffineMap> maps = consumer.getIndexingMapsArray();
  maps.push_back(consumer.getMatchingIndexingMap(&fused));
  auto widened = b.create<linalg::GenericOp>(
      consumer.getLoc(), TypeRange(ValueRange(inits)),
      consumer.getDpsInputs(), inits, maps,
      consumer.getIteratorTypesArray());
  IRMapping map;
  consumer.getRegion().cloneInto(&widened.getRegion(), map);
  Block &body = widened.getRegion().front();
  body.addArgument(cast<ShapedType>(fused.get().getType()).getElementType(),
                   consumer.getLoc());
  Operation *yield = body.getTerminator();
  SmallVector<Value> values(yield->getOperands());
  values.push_back(body.getArgument(fused.getOperandNumber()));
  yield->setOperands(values);
  for (OpOperand *use : others)
    use->set(widened->getResults().back());
  consumer->replaceAllUsesWith(
      widened->getResults().take_front(consumer->getNumResults()));
  consumer->erase();
  return true;
}

/// yieldThroughConsumer where it applies; whether it did.
bool yieldThroughConsumers(func::FuncOp func) {
  SmallVector<linalg::GenericOp> consumers;
  func.walk([&](linalg::GenericOp op) {
    if (!isTiledMatmul(op))
      consumers.push_back(op);
  });
  for (linalg::GenericOp consumer : consumers)
    for (OpOperand *operand : consumer.getDpsInputOperands())
      if (yieldThroughConsumer(consumer, *operand))
        return true;
  return false;
}

struct FuseElementwisePass
    : kiln::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    cloneCheapProducers(getOperation());
    // Upstream's rule (a producer with one use, so nothing is computed
    // twice), and no matmul on either side: as the consumer it would take
    // in the producer; as the producer of a reshape, the reshape would be
    // folded into its loops.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             !isTiledMatmul(fused->getOwner()) && !isTiledMatmul(producer);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    FrozenRewritePatternSet frozen(std::move(patterns));
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    do {
      if (failed(applyPatternsAndFoldGreedily(getOperation(), frozen, config)))
        return signalPassFailure();
    } while (yieldThroughConsumers(getOperation()));
  }
};

} // namespace
