//===- OnlineSoftmax.cpp - Attention over blocks of keys ------------------===//
//
// O = softmax(Q K^T * c) V over a long sequence would hold a row's scores
// for every key. Run block of keys by block, with a running row max m, row
// sum l and output accumulator (the online softmax of flash attention):
//
//   for each block j of keys:
//     s = Q K^T[:, j] * c
//     m' = max(m, rowmax(s));  p = exp(s - m');  a = exp(m - m')
//     l = l * a + rowsum(p);   acc = acc * a + p V[j];  m = m'
//   O = acc / l
//
// the scores exist for one block of keys at a time; keys after the last
// whole block make one step more. The chain is matched
// by matchAttention (passes/FusionAnalysis.h), which the fusion cost model
// uses to size the chunks of a kernel holding it. Runs on kiln ops, after
// --kiln-chunk-fused-kernels (the chain may sit in a chunk loop) and
// before --kiln-lower-to-linalg.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_ONLINESOFTMAX
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// A splat constant of `shape` x f32.
Value splat(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, float v) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, v));
}

/// The block [at, at + size) of `v` along its dim `dim`.
Value keyBlock(OpBuilder &b, Location loc, Value v, int64_t dim,
               OpFoldResult at, int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)),
      sizes, strides(shape.size(), b.getIndexAttr(1));
  offsets[dim] = at;
  for (int64_t s : shape)
    sizes.push_back(b.getIndexAttr(s));
  return b.create<tensor::ExtractSliceOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), v, offsets,
      sizes, strides);
}

/// One step of the online softmax: the keys [at, at + size) update the
/// running max m, sum l and accumulator acc.
SmallVector<Value> step(OpBuilder &b, Location loc,
                        const AttentionChain &chain, ValueRange state,
                        OpFoldResult at, int64_t size) {
  Value q = chain.scores->getOperand(0), kt = chain.scores->getOperand(1);
  Value v = chain.output->getOperand(1);
  int64_t rank = cast<RankedTensorType>(q.getType()).getRank();
  Value m = state[0], l = state[1], acc = state[2];
  Value s = b.create<MatmulOp>(loc, q, keyBlock(b, loc, kt, rank - 1, at, size));
  if (chain.scale)
    s = b.create<MulOp>(loc, s, chain.scale->getOperand(1));
  SmallVector<int64_t, 1> last{rank - 1};
  Value mNew = b.create<MaxOp>(
      loc, m, b.create<ReduceMaxOp>(loc, s, last, /*keep_dims=*/true));
  Value p = b.create<ExpOp>(loc, b.create<SubOp>(loc, s, mNew));
  Value alpha = b.create<ExpOp>(loc, b.create<SubOp>(loc, m, mNew));
  Value lNew = b.create<AddOp>(
      loc, b.create<MulOp>(loc, l, alpha),
      b.create<ReduceSumOp>(loc, p, last, /*keep_dims=*/true));
  Value accNew = b.create<AddOp>(
      loc, b.create<MulOp>(loc, acc, alpha),
      b.create<MatmulOp>(loc, p, keyBlock(b, loc, v, rank - 2, at, size)));
  return {mNew, lNew, accNew};
}

void rewrite(const AttentionChain &chain) {
  Operation *out = chain.output;
  OpBuilder b(out);
  Location loc = out->getLoc();
  auto resultType = cast<RankedTensorType>(out->getResult(0).getType());
  SmallVector<int64_t> rowShape(resultType.getShape());
  rowShape.back() = 1; // [..., M, 1]
  int64_t keys = chain.keys(), whole = keys / kKeyBlock * kKeyBlock;

  Value init[] = {
      splat(b, loc, rowShape, std::numeric_limits<float>::lowest()), // m
      splat(b, loc, rowShape, 0.0f),                                  // l
      splat(b, loc, resultType.getShape(), 0.0f)};                    // acc
  auto index = [&](int64_t i) {
    return b.create<arith::ConstantIndexOp>(loc, i);
  };
  auto loop = b.create<scf::ForOp>(loc, index(0), index(whole),
                                   index(kKeyBlock), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> updated =
        step(b, loc, chain, loop.getRegionIterArgs(), loop.getInductionVar(),
             kKeyBlock);
    // Each new value goes into its loop-carried buffer, which it can take
    // the place of (one-shot bufferization requires it of a loop).
    SmallVector<Value> yielded;
    for (auto [value, into] : llvm::zip(updated, loop.getRegionIterArgs()))
      yielded.push_back(
          b.create<bufferization::MaterializeInDestinationOp>(loc, value, into)
              .getResult());
    b.create<scf::YieldOp>(loc, yielded);
  }
  // The keys after the last whole block, one step more.
  SmallVector<Value> state(loop.getResults());
  if (whole != keys)
    state = step(b, loc, chain, state, b.getIndexAttr(whole), keys - whole);
  Value o = b.create<DivOp>(loc, state[2], state[1]);
  out->getResult(0).replaceAllUsesWith(o);
  SmallVector<Operation *> ops = chain.ops();
  for (Operation *op : llvm::reverse(ops))
    op->erase();
}

struct OnlineSoftmaxPass : kiln::impl::OnlineSoftmaxBase<OnlineSoftmaxPass> {
  void runOnOperation() override {
    SmallVector<AttentionChain> chains;
    getOperation().walk([&](MatmulOp op) {
      if (auto chain = matchAttention(op); chain && chain->blocked())
        chains.push_back(*chain);
    });
    for (const AttentionChain &chain : chains)
      rewrite(chain);
  }
};

} // namespace
