//===- CopyAliasedResults.cpp - every output owns its buffer --------------===//
//
// A returned argument, or a value returned twice, is copied before
// bufferization, so that each result becomes a caller buffer of its own.
// So is a returned view of an argument (a reshape, a slice): bufferization
// would copy it as well, but as a copy --kiln-tile-to-workgroups cannot
// share among threads.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_COPYALIASEDRESULTS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
/// An argument, or a view of one through reshapes and slices.
bool isViewOfArgument(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
             tensor::ExtractSliceOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return true;
}

struct CopyAliasedResultsPass
    : kiln::impl::CopyAliasedResultsBase<CopyAliasedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 4> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        if (!isViewOfArgument(v) && seen.insert(v).second)
          continue;
        auto type = cast<RankedTensorType>(v.getType());
        Value init = b.create<tensor::EmptyOp>(ret.getLoc(), type.getShape(),
                                               type.getElementType());
        operand.set(
            b.create<linalg::CopyOp>(ret.getLoc(), v, init).getResult(0));
      }
    });
  }
};
} // namespace
