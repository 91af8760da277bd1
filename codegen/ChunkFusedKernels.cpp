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

/// `type` as a chunk of `size` grid indices cut by `cut`.
RankedTensorType chunkType(Type type, const Cut &cut, int64_t size) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  shape[cut.dim] = size * cut.scale + cut.extra;
  return RankedTensorType::get(shape, t.getElementType());
}

/// Offsets, sizes and strides of the chunk of `size` grid indices at grid
/// index `at`, cut by `cut`.
struct Box {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
Box chunkBox(OpBuilder &b, Location loc, Type type, const Cut &cut, Value at,
             int64_t size) {
  Box box;
  ArrayRef<int64_t> chunk = chunkType(type, cut, size).getShape();
  for (auto [d, extent] : llvm::enumerate(chunk)) {
    Value offset = at;
    if ((int64_t)d == cut.dim && cut.scale != 1)
      offset = b.create<arith::MulIOp>(
          loc, at, b.create<arith::ConstantIndexOp>(loc, cut.scale));
    box.offsets.push_back((int64_t)d == cut.dim ? OpFoldResult(offset)
                                                : b.getIndexAttr(0));
    box.sizes.push_back(b.getIndexAttr(extent));
    box.strides.push_back(b.getIndexAttr(1));
  }
  return box;
}

struct ChunkFusedKernelsPass
    : kiln::impl::ChunkFusedKernelsBase<ChunkFusedKernelsPass> {
  void runOnOperation() override {
    func::FuncOp kernel = getOperation();
    auto chunksAttr = kernel->getAttrOfType<IntegerAttr>(kChunksAttr);
    auto dimsAttr = kernel->getAttrOfType<DenseI64ArrayAttr>(kGridDimsAttr);
    if (!chunksAttr || !dimsAttr || chunksAttr.getInt() < 2)
      return;
    if (failed(chunk(kernel, chunksAttr.getInt(), dimsAttr.asArrayRef())))
      signalPassFailure();
  }

  LogicalResult chunk(func::FuncOp kernel, int64_t chunks,
                      ArrayRef<int64_t> gridDims) {
    Block &body = kernel.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpSet set = OpSet::ofBlock(body);
    if (set.outputs.size() != ret.getNumOperands())
      return kernel.emitError("kernel @")
             << kernel.getSymName()
             << " returns a value twice or one it does not compute";
    std::optional<Grid> grid = propagateGrid(set, gridDims);
    if (!grid || grid->extent % chunks != 0)
      return kernel.emitError("kernel @")
             << kernel.getSymName() << " cannot be cut into " << chunks
             << " chunks along dims [" << gridDims
             << "] of its results";
    int64_t size = grid->extent / chunks;

    OpBuilder b(ret);
    Location loc = kernel.getLoc();
    SmallVector<Value> inits;
    for (Value v : set.outputs)
      inits.push_back(b.create<tensor::EmptyOp>(
          loc, cast<RankedTensorType>(v.getType()).getShape(),
          cast<RankedTensorType>(v.getType()).getElementType()));
    auto loop = b.create<scf::ForOp>(
        loc, b.create<arith::ConstantIndexOp>(loc, 0),
        b.create<arith::ConstantIndexOp>(loc, grid->extent),
        b.create<arith::ConstantIndexOp>(loc, size), inits);
    loop->setAttr(kChunkLoopAttr, b.getUnitAttr());

    b.setInsertionPointToStart(loop.getBody());
    Value offset = loop.getInductionVar();
    IRMapping map;
    // One slice per (value from outside, cut) pair.
    llvm::DenseMap<std::tuple<Value, int64_t, int64_t, int64_t>, Value> slices;
    auto slice = [&](Value v, const Cut &cut) -> Value {
      Value &s = slices[{v, cut.dim, cut.scale, cut.extra}];
      if (!s) {
        Box box = chunkBox(b, loc, v.getType(), cut, offset, size);
        s = b.create<tensor::ExtractSliceOp>(
            loc, chunkType(v.getType(), cut, size), v, box.offsets,
            box.sizes, box.strides);
      }
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
        auto it = grid->inputDims.find(&operand);
        if (it == grid->inputDims.end())
          continue; // made inside, mapped
        Value v = map.lookupOrDefault(operand.get());
        outside.push_back(
            {operand.getOperandNumber(),
             it->second.dim == kWhole ? v : slice(v, it->second)});
      }
      Operation *clone = b.clone(*op, map);
      for (auto [i, v] : outside)
        clone->setOperand(i, v);
      Value result = op->getResult(0);
      clone->getResult(0).setType(
          chunkType(result.getType(), grid->dims.lookup(result), size));
    }
    SmallVector<Value> yielded;
    for (auto [v, into] : llvm::zip(set.outputs, loop.getRegionIterArgs())) {
      Box box =
          chunkBox(b, loc, v.getType(), grid->dims.lookup(v), offset, size);
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
