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
#include "kiln/codegen/VectorBody.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_COLUMNREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Vectors of columns that a block keeps in registers: half of AVX2's
/// registers (a quarter of AVX-512's), the rest for the loads.
constexpr int64_t kBlockVectors = 8;

/// The buffer `v` views, through view ops.
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

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
    // Accumulated in registers, the output must not be read as input.
    if (rootOf(in->get()) == rootOf(out->get()))
      return 0;
    AffineMap inMap = op.getMatchingIndexingMap(in),
              outMap = op.getMatchingIndexingMap(out);
    // The output's dims are the input's last ones, in order, and every
    // other loop is a reduction.
    if (!inMap.isPermutation() || outMap.getNumResults() == 0 ||
        outMap.getNumResults() >= inMap.getNumResults())
      return 0;
    unsigned rows = inMap.getNumResults() - outMap.getNumResults();
    if (inMap.getResults().drop_front(rows) != outMap.getResults())
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
    // The body: f32 arith on f32 values.
    for (Operation &inner : op.getRegion().front().without_terminator())
      if (!isa<arith::ArithDialect>(inner.getDialect()) ||
          inner.getNumRegions() != 0 || inner.getNumResults() != 1 ||
          !inner.getResult(0).getType().isF32() ||
          !llvm::all_of(inner.getOperandTypes(),
                        [](Type t) { return t.isF32(); }))
        return 0;
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
    // A value from outside the body, the same in every lane.
    auto splat = [&](Value scalar) -> Value {
      return b.create<vector::BroadcastOp>(loc, vecType, scalar);
    };
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
              next.push_back(cloneOnVectors(b, body, vectorWidth, map, splat)
                                 .front());
            }
            b.create<scf::YieldOp>(loc, next);
          });
      // Each lane combines its rows in order, as the scalar loops did: no
      // reassociation of the chain.
      loop.getBody()->walk([&](arith::ArithFastMathInterface math) {
        if (arith::FastMathFlagsAttr flags = math.getFastMathFlagsAttr())
          math->setAttr(math.getFastMathAttrName(),
                        arith::FastMathFlagsAttr::get(
                            b.getContext(),
                            flags.getValue() & ~arith::FastMathFlags::reassoc));
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
    if (failed(checkVectorWidth(func, "kiln-column-reductions", vectorWidth)))
      return signalPassFailure();
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
