//===- ColumnReductions.cpp - Reductions over leading dims in registers ---===//
//
// A reduction over an input's leading dims into its trailing ones (a bias
// gradient: G [N, H, W, C] summed to [C]) becomes, through
// convert-linalg-to-loops, a loop nest whose innermost loop loads, adds and
// stores the output row once per input row. LLVM keeps that scalar (the
// output may alias the input), and the output's loads and stores bound it:
// cnn's [8, 148, 148, 32] -> [32] took 4 ms on one core, 4x its memory
// time. Here the output's columns go in blocks of up to 8 vectors, which
// stay in registers (the iter_args of the loop over the rows) from the
// first row to the last: one vector load and one vector op per input
// vector.
//
// Each output element still combines the rows in order, one op each, as
// the loops did: the result is bitwise the same.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_COLUMNREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Vectors of columns that a block keeps in registers: half the vector
/// registers, the rest for the loads.
constexpr int64_t kBlockVectors = 8;

/// A static f32 buffer with rows one after the other.
bool isDenseF32(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32() &&
         memref::isStaticShapeAndContiguousRowMajor(type);
}

struct ColumnReductionsPass
    : kiln::impl::ColumnReductionsBase<ColumnReductionsPass> {
  using ColumnReductionsBase::ColumnReductionsBase;

  /// The number of leading input dims that `op` reduces, or 0 when `op`
  /// is not a column reduction this pass rewrites.
  unsigned reducedDims(linalg::GenericOp op) {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
      return 0;
    OpOperand *in = op.getDpsInputOperand(0), *out = op.getDpsInitOperand(0);
    if (!isDenseF32(in->get()) || !isDenseF32(out->get()))
      return 0;
    AffineMap inMap = op.getMatchingIndexingMap(in),
              outMap = op.getMatchingIndexingMap(out);
    // The output's dims are the input's last ones, in order, and every
    // other loop is a reduction.
    unsigned rows = inMap.getNumResults() - outMap.getNumResults();
    if (!inMap.isPermutation() || outMap.getNumResults() == 0 ||
        inMap.getResults().drop_front(rows) != outMap.getResults())
      return 0;
    // The rows in the loops' order, so that each output element takes them
    // in the same order as before.
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t previous = -1;
    for (AffineExpr e : inMap.getResults().take_front(rows)) {
      int64_t loop = cast<AffineDimExpr>(e).getPosition();
      if (!linalg::isReductionIterator(iterators[loop]) || loop < previous)
        return 0;
      previous = loop;
    }
    int64_t columns = cast<MemRefType>(out->get().getType()).getNumElements();
    if (columns < vectorWidth)
      return 0;
    // The body: f32 arith on its two arguments and constants.
    for (Operation &inner : op.getRegion().front().without_terminator()) {
      if (!isa<arith::ArithDialect>(inner.getDialect()) ||
          inner.getNumRegions() != 0 || inner.getNumResults() != 1 ||
          !inner.getResult(0).getType().isF32())
        return 0;
      for (Value operand : inner.getOperands())
        if (operand.getParentRegion() != &op.getRegion())
          return 0;
    }
    return rows;
  }

  void rewrite(linalg::GenericOp op, unsigned rows) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto cst = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    Value in = op.getDpsInputOperand(0)->get(),
          out = op.getDpsInitOperand(0)->get();
    auto inType = cast<MemRefType>(in.getType());
    auto outType = cast<MemRefType>(out.getType());
    // As [R, T] and [T].
    ReassociationIndices lead, trail, all;
    for (int64_t d = 0; d < inType.getRank(); ++d)
      (d < rows ? lead : trail).push_back(d);
    for (int64_t d = 0; d < outType.getRank(); ++d)
      all.push_back(d);
    Value matrix = b.create<memref::CollapseShapeOp>(
        loc, in, SmallVector<ReassociationIndices>{lead, trail});
    Value row = b.create<memref::CollapseShapeOp>(
        loc, out, SmallVector<ReassociationIndices>{all});
    int64_t r = 1, t = outType.getNumElements();
    for (int64_t d = 0; d < rows; ++d)
      r *= inType.getDimSize(d);

    auto vecType = VectorType::get({vectorWidth}, b.getF32Type());
    auto maskType = VectorType::get({vectorWidth}, b.getI1Type());
    Value zero = b.create<arith::ConstantOp>(
        loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    Block &body = op.getRegion().front();
    // One block of `width` columns from `c0`: accumulators loaded from
    // the output, combined with every row, stored back.
    auto block = [&](Value c0, int64_t width) {
      int64_t vectors = (width + vectorWidth - 1) / vectorWidth;
      Value mask;
      if (width % vectorWidth)
        mask = b.create<vector::CreateMaskOp>(
            loc, maskType, ValueRange{cst(width % vectorWidth)});
      auto columnOf = [&](int64_t v) {
        return v ? b.create<arith::AddIOp>(loc, c0, cst(v * vectorWidth))
                       .getResult()
                 : c0;
      };
      auto load = [&](Value mem, ValueRange at, int64_t v) -> Value {
        if (mask && v + 1 == vectors)
          return b.create<vector::MaskedLoadOp>(loc, vecType, mem, at, mask,
                                                zero);
        return b.create<vector::LoadOp>(loc, vecType, mem, at);
      };
      SmallVector<Value> acc;
      for (int64_t v = 0; v < vectors; ++v)
        acc.push_back(load(row, columnOf(v), v));
      auto loop = b.create<scf::ForOp>(
          loc, cst(0), cst(r), cst(1), acc,
          [&](OpBuilder &nested, Location, Value i, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nested.getInsertionBlock(),
                                nested.getInsertionPoint());
            SmallVector<Value> next;
            for (int64_t v = 0; v < vectors; ++v) {
              IRMapping map;
              map.map(body.getArgument(0),
                      load(matrix, ValueRange{i, columnOf(v)}, v));
              map.map(body.getArgument(1), carried[v]);
              for (Operation &inner : body.without_terminator()) {
                if (auto c = dyn_cast<arith::ConstantOp>(inner)) {
                  map.map(c.getResult(), b.create<vector::BroadcastOp>(
                                             loc, vecType,
                                             b.clone(inner)->getResult(0)));
                  continue;
                }
                OperationState state(inner.getLoc(), inner.getName());
                for (Value operand : inner.getOperands())
                  state.addOperands(map.lookup(operand));
                state.addTypes(vecType);
                state.addAttributes(inner.getAttrs());
                map.map(inner.getResult(0), b.create(state)->getResult(0));
              }
              next.push_back(map.lookup(body.getTerminator()->getOperand(0)));
            }
            b.create<scf::YieldOp>(loc, next);
          });
      for (int64_t v = 0; v < vectors; ++v) {
        Value at = columnOf(v);
        if (mask && v + 1 == vectors)
          b.create<vector::MaskedStoreOp>(loc, row, at, mask,
                                          loop.getResult(v));
        else
          b.create<vector::StoreOp>(loc, loop.getResult(v), row, at);
      }
    };
    int64_t blockColumns = kBlockVectors * vectorWidth;
    int64_t whole = t / blockColumns * blockColumns;
    if (whole) {
      auto loop = b.create<scf::ForOp>(loc, cst(0), cst(whole),
                                       cst(blockColumns));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      block(loop.getInductionVar(), blockColumns);
    }
    if (t > whole)
      block(cst(whole), t - whole);
    op->erase();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (vectorWidth != 8 && vectorWidth != 16) {
      func.emitError("--kiln-column-reductions: vector-width must be 8 (AVX2) "
                     "or 16 (AVX-512), got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, unsigned>> found;
    func.walk([&](linalg::GenericOp op) {
      if (unsigned rows = reducedDims(op))
        found.emplace_back(op, rows);
    });
    for (auto [op, rows] : found)
      rewrite(op, rows);
  }
};

} // namespace
