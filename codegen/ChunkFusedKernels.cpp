//===- ChunkFusedKernels.cpp - Run a fused kernel chunk by chunk ----------===//
//
// A fused kernel whose region chose the chunked strategy (kiln.chunks > 1,
// see passes/FusionAnalysis.h) becomes a loop over the chunks of its grid:
// each iteration slices the kernel's inputs along their grid dims, runs
// every op of the region once on the slices, and inserts the results into
// the outputs. Intermediates are then chunk-sized and stay in cache, and no
// op is computed twice. Runs on kiln ops, before lowering to linalg, which
// lowers the ops inside the loop like any others.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_CHUNKFUSEDKERNELS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The cuts of a value along each grid axis.
using Cuts = SmallVector<Cut, 2>;

/// `type` as one chunk of `grid` cut by `cuts`.
RankedTensorType chunkType(Type type, ArrayRef<Cut> cuts, const Grid &grid) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  for (auto [cut, axis] : llvm::zip(cuts, grid.axes))
    if (cut.dim != kWhole)
      shape[cut.dim] = axis.size() * cut.scale + cut.extra;
  return RankedTensorType::get(shape, t.getElementType());
}

/// Offsets, sizes and strides of the chunk of `grid` at grid indices `at`
/// (one per axis), cut by `cuts`.
struct Box {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
Box chunkBox(OpBuilder &b, Location loc, Type type, ArrayRef<Cut> cuts,
             const Grid &grid, ArrayRef<Value> at) {
  Box box;
  ArrayRef<int64_t> chunk = chunkType(type, cuts, grid).getShape();
  for (auto [d, extent] : llvm::enumerate(chunk)) {
    OpFoldResult offset = b.getIndexAttr(0);
    for (auto [cut, index] : llvm::zip(cuts, at))
      if (cut.dim == (int64_t)d)
        offset = cut.scale == 1
                     ? index
                     : b.create<arith::MulIOp>(
                            loc, index,
                            b.create<arith::ConstantIndexOp>(loc, cut.scale))
                           .getResult();
    box.offsets.push_back(offset);
    box.sizes.push_back(b.getIndexAttr(extent));
    box.strides.push_back(b.getIndexAttr(1));
  }
  return box;
}

struct ChunkFusedKernelsPass
    : kiln::impl::ChunkFusedKernelsBase<ChunkFusedKernelsPass> {
  void runOnOperation() override {
    func::FuncOp kernel = getOperation();
    auto chunksAttr = kernel->getAttrOfType<DenseI64ArrayAttr>(kChunksAttr);
    auto dimsAttr = kernel->getAttrOfType<DenseI64ArrayAttr>(kGridDimsAttr);
    if (!chunksAttr || !dimsAttr ||
        llvm::all_of(chunksAttr.asArrayRef(), [](int64_t c) { return c < 2; }))
      return;
    if (failed(chunk(kernel, chunksAttr.asArrayRef(), dimsAttr.asArrayRef())))
      signalPassFailure();
  }

  LogicalResult chunk(func::FuncOp kernel, ArrayRef<int64_t> chunks,
                      ArrayRef<int64_t> gridDims) {
    Block &body = kernel.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpSet set = OpSet::ofBlock(body);
    if (set.outputs.size() != ret.getNumOperands())
      return kernel.emitError("kernel @")
             << kernel.getSymName()
             << " returns a value twice or one it does not compute";
    std::optional<Grid> grid = propagateGrid(set, gridDims);
    if (!grid || grid->axes.size() != chunks.size() ||
        llvm::any_of(llvm::zip(grid->axes, chunks), [](auto pair) {
          return std::get<0>(pair).extent % std::get<1>(pair) != 0;
        }))
      return kernel.emitError("kernel @")
             << kernel.getSymName() << " cannot be cut into [" << chunks
             << "] chunks along dims [" << gridDims << "] of its results";
    for (auto [axis, c] : llvm::zip(grid->axes, chunks))
      axis.chunks = c;

    // One loop over all chunks, the last axis fastest: threads share it as
    // they share any chunk loop.
    OpBuilder b(ret);
    Location loc = kernel.getLoc();
    SmallVector<Value> inits;
    for (Value v : set.outputs)
      inits.push_back(b.create<tensor::EmptyOp>(
          loc, cast<RankedTensorType>(v.getType()).getShape(),
          cast<RankedTensorType>(v.getType()).getElementType()));
    auto index = [&](int64_t i) {
      return b.create<arith::ConstantIndexOp>(loc, i);
    };
    auto loop = b.create<scf::ForOp>(loc, index(0), index(grid->chunks()),
                                     index(1), inits);
    loop->setAttr(kChunkLoopAttr, b.getUnitAttr());

    b.setInsertionPointToStart(loop.getBody());
    // The chunk's first grid index along each axis.
    SmallVector<Value> at;
    int64_t inner = grid->chunks();
    for (const GridAxis &axis : grid->axes) {
      Value i = loop.getInductionVar();
      if (inner != grid->chunks())
        i = b.create<arith::RemUIOp>(loc, i, index(inner));
      inner /= axis.chunks;
      if (inner != 1)
        i = b.create<arith::DivUIOp>(loc, i, index(inner));
      at.push_back(axis.size() == 1
                       ? i
                       : b.create<arith::MulIOp>(loc, i, index(axis.size()))
                             .getResult());
    }
    auto cutsOf = [&](auto lookup) {
      Cuts cuts;
      for (const GridAxis &axis : grid->axes)
        cuts.push_back(lookup(axis));
      return cuts;
    };
    IRMapping map;
    // One slice per (value from outside, cuts) pair.
    SmallVector<std::tuple<Value, Cuts, Value>> slices;
    auto slice = [&](Value v, const Cuts &cuts) -> Value {
      for (auto &[from, c, s] : slices)
        if (from == v && c == cuts)
          return s;
      Box box = chunkBox(b, loc, v.getType(), cuts, *grid, at);
      Value s = b.create<tensor::ExtractSliceOp>(
          loc, chunkType(v.getType(), cuts, *grid), v, box.offsets, box.sizes,
          box.strides);
      slices.push_back({v, cuts, s});
      return s;
    };
    for (Operation *op : set.ops) {
      if (isa<ConstantOp>(op)) {
        b.clone(*op, map);
        continue;
      }
      // Operands from outside: whole, or this chunk's slice, made first.
      SmallVector<std::pair<unsigned, Value>> outside;
      for (OpOperand &operand : op->getOpOperands()) {
        if (!grid->axes[0].inputDims.count(&operand))
          continue; // made inside, mapped
        Cuts cuts = cutsOf(
            [&](const GridAxis &axis) { return axis.inputDims.lookup(&operand); });
        Value v = map.lookupOrDefault(operand.get());
        bool whole = llvm::all_of(
            cuts, [](const Cut &c) { return c.dim == kWhole; });
        outside.push_back(
            {operand.getOperandNumber(), whole ? v : slice(v, cuts)});
      }
      Operation *clone = b.clone(*op, map);
      for (auto [i, v] : outside)
        clone->setOperand(i, v);
      Value result = op->getResult(0);
      clone->getResult(0).setType(chunkType(
          result.getType(),
          cutsOf([&](const GridAxis &axis) { return axis.dims.lookup(result); }),
          *grid));
    }
    SmallVector<Value> yielded;
    for (auto [v, into] : llvm::zip(set.outputs, loop.getRegionIterArgs())) {
      Box box = chunkBox(
          b, loc, v.getType(),
          cutsOf([&](const GridAxis &axis) { return axis.dims.lookup(v); }),
          *grid, at);
      yielded.push_back(b.create<tensor::InsertSliceOp>(
          loc, map.lookup(v), into, box.offsets, box.sizes, box.strides));
    }
    b.create<scf::YieldOp>(loc, yielded);

    ret->setOperands(loop.getResults());
    for (Operation *op : llvm::reverse(set.ops))
      op->erase();
    return success();
  }
};

} // namespace
