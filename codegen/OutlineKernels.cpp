//===- OutlineKernels.cpp - Each op of a model becomes a kernel function --===//
//
// Ahead-of-time artifacts run a model as an ordered list of kernel calls
// over planned buffers. This pass makes that structure explicit: every op of
// the model function moves into a private function of its own (a kernel) and
// the model function keeps only the calls, which is the step list. Constants
// are cloned into the kernels that use them rather than becoming buffers.
// One op per kernel is what --fusion=none means; a kiln.fusion region
// becomes one kernel with the region's ops.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/ir/Model.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// "matmul_add_relu": the names of the ops in a fusion region, up to four.
std::string fusionName(FusionOp fusion) {
  SmallVector<StringRef> names;
  for (Operation &op : fusion.getBody().front().without_terminator())
    if (!isa<ConstantOp>(op))
      names.push_back(op.getName().stripDialect());
  std::string name = llvm::join(ArrayRef(names).take_front(4), "_");
  if (names.size() > 4)
    name += "_and_" + std::to_string(names.size() - 4) + "_more";
  return name;
}

} // namespace

bool kiln::isView(Operation *op) {
  auto reshape = dyn_cast<ReshapeOp>(op);
  return reshape && !reshape.getInput().getDefiningOp<ConstantOp>();
}

namespace {

struct OutlineKernelsPass
    : kiln::impl::OutlineKernelsBase<OutlineKernelsPass> {
  /// A chunked region's ops must follow its grid (the op's verifier checks
  /// only the results): said here, at the region, rather than by codegen
  /// about the kernel it became.
  static LogicalResult checkGrid(FusionOp fusion) {
    ArrayRef<int64_t> chunks = fusion.getChunks();
    if (llvm::all_of(chunks, [](int64_t c) { return c == 1; }))
      return success();
    std::optional<Grid> grid =
        propagateGrid(OpSet::ofBlock(fusion.getBody().front()),
                      fusion.getGridDims());
    if (grid && grid->axes.size() == chunks.size())
      return success();
    return fusion.emitOpError("cannot be cut into [")
           << chunks << "] chunks along dims [" << fusion.getGridDims()
           << "] of its results: some op of the region cannot be cut "
              "that way (a reduced dim, a padded window, a value needed "
              "whole); choose other grid_dims or chunks = [1]";
  }

  /// The region's body becomes the kernel's; its grid goes along for
  /// codegen (kiln.grid_dims, kiln.chunks).
  template <typename MakeKernel>
  void outlineFusion(FusionOp fusion, MakeKernel &makeKernel) {
    // Constants are cloned in, as for single ops; the rest are arguments.
    SmallVector<Value> inputs;
    for (Value v : fusion.getInputs())
      if (!v.getDefiningOp<ConstantOp>() && !llvm::is_contained(inputs, v))
        inputs.push_back(v);
    Block &body = fusion.getBody().front();
    func::FuncOp kernel = makeKernel(
        fusionName(fusion), inputs, fusion.getResultTypes(), fusion.getLoc(),
        [&](OpBuilder &b, IRMapping &map) -> SmallVector<Value> {
          IRMapping inner;
          for (auto [arg, input] : llvm::zip(body.getArguments(),
                                             fusion.getInputs())) {
            if (auto c = input.template getDefiningOp<ConstantOp>())
              inner.map(arg, b.clone(*c)->getResult(0));
            else
              inner.map(arg, map.lookup(input));
          }
          for (Operation &op : body.without_terminator())
            b.clone(op, inner);
          SmallVector<Value> results;
          for (Value v : body.getTerminator()->getOperands())
            results.push_back(inner.lookup(v));
          return results;
        });
    kernel->setAttr(kGridDimsAttr, fusion.getGridDimsAttr());
    kernel->setAttr(kChunksAttr, fusion.getChunksAttr());
    kernel->setAttr(kFusionKindAttr, fusion.getKindAttr());
    OpBuilder b(fusion);
    auto call = b.create<func::CallOp>(fusion.getLoc(), kernel, inputs);
    fusion->replaceAllUsesWith(call.getResults());
    fusion->erase();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = modelFunc(module);
    if (!model) {
      module.emitError(llvm::toString(model.takeError()));
      return signalPassFailure();
    }
    func::FuncOp func = *model;
    SymbolTable symbols(module);
    OpBuilder moduleBuilder(module.getBodyRegion());
    moduleBuilder.setInsertionPointToEnd(module.getBody());
    unsigned count = 0;

    // A kernel computing `body` from `inputs`, placed at the module's end.
    auto makeKernel = [&](StringRef what, ValueRange inputs,
                          TypeRange results, Location loc,
                          function_ref<SmallVector<Value>(OpBuilder &,
                                                          IRMapping &)>
                              body) {
      std::string name = (func.getSymName() + "_k" + Twine(count++) + "_" +
                          what)
                             .str();
      auto kernel = moduleBuilder.create<func::FuncOp>(
          loc, name,
          FunctionType::get(&getContext(), TypeRange(inputs), results));
      kernel.setPrivate();
      kernel->setAttr(kKernelAttr, UnitAttr::get(&getContext()));
      Block *entry = kernel.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockEnd(entry);
      IRMapping map;
      for (auto [from, to] : llvm::zip(inputs, entry->getArguments()))
        map.map(from, to);
      b.create<func::ReturnOp>(loc, body(b, map));
      // Kernel arguments are buffers other steps may still read.
      for (unsigned i = 0; i < kernel.getNumArguments(); ++i)
        kernel.setArgAttr(i, "bufferization.writable",
                          BoolAttr::get(&getContext(), false));
      symbols.insert(kernel);
      return kernel;
    };

    SmallVector<Operation *> ops;
    for (Operation &op : func.getBody().front().without_terminator()) {
      // A parameter is a buffer the caller passes, not something a step
      // computes.
      if (isa<ParamOp>(op)) {
        op.emitOpError("is still an op; run --kiln-params-to-arguments "
                       "before --kiln-outline-kernels");
        return signalPassFailure();
      }
      if (!isa<ConstantOp>(op) && !isView(&op))
        ops.push_back(&op);
    }
    for (Operation *op : ops) {
      if (auto fusion = dyn_cast<FusionOp>(op)) {
        if (failed(checkGrid(fusion)))
          return signalPassFailure();
        outlineFusion(fusion, makeKernel);
        continue;
      }
      SmallVector<Value> inputs;
      for (Value v : op->getOperands())
        if (!v.getDefiningOp<ConstantOp>() && !llvm::is_contained(inputs, v))
          inputs.push_back(v);
      StringRef what = op->getName().stripDialect();
      func::FuncOp kernel = makeKernel(
          what, inputs, op->getResultTypes(), op->getLoc(),
          [&](OpBuilder &b, IRMapping &map) -> SmallVector<Value> {
            for (Value v : op->getOperands())
              if (auto c = v.getDefiningOp<ConstantOp>())
                if (!map.contains(v))
                  map.map(v, b.clone(*c, map)->getResult(0));
            return SmallVector<Value>(b.clone(*op, map)->getResults());
          });
      OpBuilder b(op);
      auto call = b.create<func::CallOp>(op->getLoc(), kernel, inputs);
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }

    // Every output is written by a step of its own: an argument returned as
    // is, or one value returned twice, gets a copy kernel.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    llvm::SmallPtrSet<Value, 4> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      bool needsCopy = isa<BlockArgument>(v) || v.getDefiningOp<ConstantOp>() ||
                       v.getDefiningOp<ReshapeOp>() || !seen.insert(v).second;
      if (!needsCopy)
        continue;
      Value input = v.getDefiningOp<ConstantOp>() ? Value() : v;
      SmallVector<Value> inputs;
      if (input)
        inputs.push_back(input);
      func::FuncOp kernel = makeKernel(
          "copy", inputs, v.getType(), ret.getLoc(),
          [&](OpBuilder &b, IRMapping &map) -> SmallVector<Value> {
            if (auto c = v.getDefiningOp<ConstantOp>())
              return {b.clone(*c)->getResult(0)};
            return {map.lookup(v)};
          });
      OpBuilder b(ret);
      operand.set(
          b.create<func::CallOp>(ret.getLoc(), kernel, inputs).getResult(0));
    }

    // Results only the caller reads: returned, and read by no later step.
    for (OpOperand &operand : ret->getOpOperands()) {
      auto result = dyn_cast<OpResult>(operand.get());
      auto call = result ? dyn_cast<func::CallOp>(result.getOwner())
                         : func::CallOp();
      if (!call || !result.hasOneUse())
        continue;
      symbols.lookup<func::FuncOp>(call.getCallee())
          .setResultAttr(result.getResultNumber(), kStepOutputAttr,
                         UnitAttr::get(&getContext()));
    }

    // Constants now live inside the kernels.
    for (Operation &op : llvm::make_early_inc_range(
             func.getBody().front().without_terminator()))
      if (isa<ConstantOp>(op) && op.use_empty())
        op.erase();
  }
};

} // namespace
