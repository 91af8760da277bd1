//===- StreamingStores.cpp - Non-temporal stores of a step's large outputs ===//
//
// A store to a line that is not in cache first reads it (write-allocate),
// though every byte of it is about to be overwritten. An optimizer update
// reads p, m, v and the gradient and writes p, m, v: with write-allocate it
// moves 3/2 of the bytes it needs to. Non-temporal stores (MOVNTPS) write
// whole lines past the caches without reading them: the cnn's dense update
// (3 x 76 MB out) ran 38 -> 27 ms in a C model of it on one thread.
//
// Only outputs that the step returns and no later kernel reads
// (kiln.step_output, set by --kiln-outline-kernels) are written so: a
// value read by the next kernel is better left in the cache.
//
// LLVM vectorises the loops convert-linalg-to-loops makes, but refuses a
// loop whose scalar stores are non-temporal (their vector form would need
// an alignment the scalars lack), so the generic becomes a vector loop
// here, on the vector dialect, under a check that the outputs are aligned.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/codegen/VectorBody.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_STREAMINGSTORES
#define GEN_PASS_DEF_ALIGNSTREAMINGSTORES
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The function argument `v` views, through subviews and reshapes.
BlockArgument rootArgument(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::SubViewOp, memref::CollapseShapeOp,
             memref::ExpandShapeOp>(def))
      return {};
    v = def->getOperand(0);
  }
  return dyn_cast<BlockArgument>(v);
}

/// f32 scalars and their comparisons.
bool isScalar(Type t) { return t.isF32() || t.isInteger(1); }

struct StreamingStoresPass
    : kiln::impl::StreamingStoresBase<StreamingStoresPass> {
  using StreamingStoresBase::StreamingStoresBase;

  /// Per output of `op`: whether it is streamed; empty when `op` is not
  /// rewritten.
  SmallVector<bool> streamedOutputs(linalg::GenericOp op, func::FuncOp func) {
    if (!op.hasPureBufferSemantics() ||
        op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() == 0)
      return {};
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic) ||
        ranges.back() % vectorWidth != 0)
      return {};
    unsigned rank = op.getNumLoops();
    for (OpOperand &operand : op->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (!type || !type.getElementType().isF32())
        return {};
      bool scalar = type.getRank() == 0 && map.getNumResults() == 0 &&
                    op.isDpsInput(&operand);
      if (!scalar && !map.isIdentity())
        return {};
      SmallVector<int64_t> strides;
      int64_t offset;
      if (!scalar && (failed(getStridesAndOffset(type, strides, offset)) ||
                      strides.back() != 1 || type.getRank() != rank))
        return {};
    }
    // Outputs are only written.
    for (OpOperand &init : op.getDpsInitsMutable())
      if (op.payloadUsesValueFromOperand(&init))
        return {};
    for (Operation &inner : op.getRegion().front().without_terminator())
      if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
          inner.getNumRegions() != 0 || inner.getNumResults() != 1 ||
          !isScalar(inner.getResult(0).getType()) ||
          !llvm::all_of(inner.getOperandTypes(), isScalar))
        return {};
    SmallVector<bool> streamed;
    for (Value out : op.getDpsInits()) {
      BlockArgument arg = rootArgument(out);
      auto type = arg ? dyn_cast<MemRefType>(arg.getType()) : MemRefType();
      streamed.push_back(arg && arg.getOwner() == &func.getBody().front() &&
                         func.getArgAttr(arg.getArgNumber(), kStepOutputAttr) &&
                         type && type.hasStaticShape() &&
                         type.getNumElements() * 4 >= minBytes);
    }
    if (llvm::none_of(streamed, [](bool s) { return s; }))
      return {};
    return streamed;
  }

  /// Whether the streamed outputs start on vector-aligned addresses and
  /// their rows are vector-aligned too.
  Value aligned(OpBuilder &b, Location loc, linalg::GenericOp op,
                ArrayRef<bool> streamed) {
    auto cst = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    Value ok = b.create<arith::ConstantIntOp>(loc, 1, 1);
    auto isMultiple = [&](Value v, int64_t n) {
      return b.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::eq,
          b.create<arith::RemUIOp>(loc, v, cst(n)), cst(0));
    };
    for (auto [out, s] : llvm::zip(op.getDpsInits(), streamed)) {
      if (!s)
        continue;
      auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, out);
      Value base = b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, out);
      Value address = b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, meta.getOffset(), cst(4)));
      ok = b.create<arith::AndIOp>(loc, ok,
                                   isMultiple(address, vectorWidth * 4));
      for (Value stride : meta.getStrides().drop_back())
        ok = b.create<arith::AndIOp>(loc, ok, isMultiple(stride, vectorWidth));
    }
    return ok;
  }

  /// The vector loop nest of `op`, its body on vectors.
  void vectorLoops(OpBuilder &b, Location loc, linalg::GenericOp op,
                   ArrayRef<bool> streamed) {
    auto vecOf = [&](Type t) { return VectorType::get({vectorWidth}, t); };
    // Rank-0 inputs and values from outside the body, broadcast once.
    IRMapping outside;
    auto splat = [&](Value scalar) {
      if (!outside.contains(scalar))
        outside.map(scalar, b.create<vector::BroadcastOp>(
                                loc, vecOf(scalar.getType()), scalar));
      return outside.lookup(scalar);
    };
    Block &body = op.getRegion().front();
    SmallVector<Value> scalars(op->getNumOperands());
    for (OpOperand *in : op.getDpsInputOperands())
      if (cast<MemRefType>(in->get().getType()).getRank() == 0)
        scalars[in->getOperandNumber()] =
            splat(b.create<memref::LoadOp>(loc, in->get()));
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<Value> ivs;
    std::function<void(unsigned)> nest = [&](unsigned d) {
      Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
      Value end = b.create<arith::ConstantIndexOp>(loc, ranges[d]);
      bool inner = d + 1 == ranges.size();
      Value step =
          b.create<arith::ConstantIndexOp>(loc, inner ? vectorWidth : 1);
      auto loop = b.create<scf::ForOp>(loc, zero, end, step);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      ivs.push_back(loop.getInductionVar());
      if (!inner)
        return nest(d + 1);
      IRMapping map;
      for (OpOperand *in : op.getDpsInputOperands()) {
        Value v = scalars[in->getOperandNumber()];
        if (!v)
          v = b.create<vector::LoadOp>(loc, vecOf(b.getF32Type()), in->get(),
                                       ivs);
        map.map(body.getArgument(in->getOperandNumber()), v);
      }
      SmallVector<Value> results =
          cloneOnVectors(b, body, vectorWidth, map, splat);
      for (auto [value, out, s] :
           llvm::zip(results, op.getDpsInits(), streamed))
        b.create<vector::StoreOp>(loc, value, out, ivs, /*nontemporal=*/s);
    };
    nest(0);
    // Non-temporal stores are weakly ordered: visible before the kernel
    // returns and another thread reads them.
    b.create<LLVM::FenceOp>(loc, LLVM::AtomicOrdering::seq_cst);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(checkVectorWidth(func, "kiln-streaming-stores", vectorWidth)))
      return signalPassFailure();
    SmallVector<std::pair<linalg::GenericOp, SmallVector<bool>>> found;
    func.walk([&](linalg::GenericOp op) {
      SmallVector<bool> streamed = streamedOutputs(op, func);
      if (!streamed.empty())
        found.emplace_back(op, std::move(streamed));
    });
    for (auto &[op, streamed] : found) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto branch = b.create<scf::IfOp>(loc, aligned(b, loc, op, streamed),
                                        /*withElseRegion=*/true);
      b.setInsertionPoint(branch.thenBlock()->getTerminator());
      vectorLoops(b, loc, op, streamed);
      op->moveBefore(branch.elseBlock()->getTerminator());
    }
  }
};

struct AlignStreamingStoresPass
    : kiln::impl::AlignStreamingStoresBase<AlignStreamingStoresPass> {
  void runOnOperation() override {
    getOperation().walk([](LLVM::StoreOp store) {
      auto type = dyn_cast<VectorType>(store.getValue().getType());
      if (!store.getNontemporal() || !type)
        return;
      store.setAlignment(type.getNumElements() *
                         type.getElementTypeBitWidth() / 8);
    });
  }
};

} // namespace
