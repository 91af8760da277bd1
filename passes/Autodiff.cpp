//===- Autodiff.cpp - Reverse-mode gradients of a scalar loss -------------===//
//
// The forward graph stays as it is; the backward graph is appended after
// it, before the return: ops are visited last to first, and each op whose
// result has a gradient asks its GradientOpInterface rule for its operands'
// gradients, which are summed where a value has several uses. Parameters
// become arguments first, so that the gradients are of arguments and the
// result is a plain model function the rest of kiln compiles.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

SmallVector<BlockArgument> kiln::paramsToInputs(func::FuncOp func) {
  llvm::StringMap<BlockArgument> byName;
  SmallVector<BlockArgument> args;
  SmallVector<ParamOp> ops;
  func.walk([&](ParamOp p) { ops.push_back(p); });
  MLIRContext *ctx = func.getContext();
  for (ParamOp p : ops) {
    auto [it, fresh] = byName.try_emplace(p.getName());
    if (fresh) {
      unsigned index = func.getNumArguments();
      func.insertArgument(
          index, p.getType(),
          DictionaryAttr::get(
              ctx, {NamedAttribute(StringAttr::get(ctx, kNameAttr),
                                   p.getNameAttr()),
                    NamedAttribute(StringAttr::get(ctx, kInitAttr),
                                   p.getInitAttr())}),
          p.getLoc());
      it->second = func.getArgument(index);
      args.push_back(it->second);
    }
    p.replaceAllUsesWith(it->second);
    p.erase();
  }
  return args;
}

namespace {

bool isFloatTensor(Value v) {
  return isa<FloatType>(cast<RankedTensorType>(v.getType()).getElementType());
}

/// Erases ops without uses and effects, last to first.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (op.use_empty() && isPure(&op) && !op.hasTrait<mlir::OpTrait::IsTerminator>())
      op.erase();
}

struct AutodiffPass : kiln::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration() || func.isPrivate())
      return;
    if (remat != "none" && remat != "elementwise") {
      func.emitError("--kiln-autodiff: remat must be none or elementwise, "
                     "got '")
          << remat << "'";
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    std::optional<unsigned> lossIndex;
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (auto name = func.getResultAttrOfType<StringAttr>(i, kNameAttr))
        if (name.getValue() == loss)
          lossIndex = i;
    if (!lossIndex) {
      func.emitError("has no result named '") << loss << "' to differentiate";
      return signalPassFailure();
    }
    Value lossValue = ret.getOperand(*lossIndex);
    auto lossType = cast<RankedTensorType>(lossValue.getType());
    if (lossType.getRank() != 0 || !isFloatTensor(lossValue)) {
      func.emitError("the loss '")
          << loss << "' must be a float scalar (tensor<f32>), got "
          << lossType;
      return signalPassFailure();
    }

    SmallVector<BlockArgument> params = paramsToInputs(func);
    if (params.empty()) {
      func.emitError("has no kiln.param to differentiate with respect to");
      return signalPassFailure();
    }
    DenseSet<Value> varies = dependOnParams(func, params);

    OpBuilder b(ret);
    DenseMap<Value, Value> grads;
    auto accumulate = [&](Value v, Value g) {
      Value &sum = grads[v];
      sum = sum ? b.create<AddOp>(g.getLoc(), sum, g).getResult() : g;
    };
    auto one = RankedTensorType::get({}, lossType.getElementType());
    accumulate(lossValue,
               b.create<ConstantOp>(lossValue.getLoc(), one,
                                    DenseElementsAttr::get(
                                        one, b.getFloatAttr(
                                                 one.getElementType(), 1.0))));

    SmallVector<Operation *> forward;
    for (Operation &op : func.getBody().front().without_terminator())
      forward.push_back(&op);
    for (Operation *op : llvm::reverse(forward)) {
      if (op->getNumResults() != 1)
        continue;
      Value g = grads.lookup(op->getResult(0));
      if (!g || !llvm::any_of(op->getOperands(), [&](Value v) {
            return varies.contains(v);
          }))
        continue;
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule) {
        op->emitOpError("has no gradient rule, but the loss '")
            << loss << "' depends on a parameter through it";
        return signalPassFailure();
      }
      SmallVector<Value> operandGrads;
      rule.vjp(b, g, operandGrads);
      for (auto [operand, og] : llvm::zip(op->getOperands(), operandGrads))
        if (og && varies.contains(operand))
          accumulate(operand, og);
    }

    SmallVector<Value> results(ret.getOperands());
    results.erase(results.begin() + *lossIndex);
    results.insert(results.begin(), lossValue);
    SmallVector<DictionaryAttr> resultAttrs;
    func.getAllResultAttrs(resultAttrs);
    DictionaryAttr lossAttrs = resultAttrs[*lossIndex];
    resultAttrs.erase(resultAttrs.begin() + *lossIndex);
    resultAttrs.insert(resultAttrs.begin(), lossAttrs);
    for (BlockArgument p : params) {
      Value g = grads.lookup(p);
      if (!g) {
        auto type = cast<RankedTensorType>(p.getType());
        g = b.create<ConstantOp>(
            p.getLoc(), type,
            DenseElementsAttr::get(
                type, b.getFloatAttr(type.getElementType(), 0.0)));
      }
      results.push_back(g);
      auto name = func.getArgAttrOfType<StringAttr>(p.getArgNumber(), kNameAttr);
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          kNameAttr, b.getStringAttr(name.getValue() + ".grad"))));
    }
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();
    func.setFunctionType(FunctionType::get(
        &getContext(), func.getArgumentTypes(), ValueRange(results).getTypes()));
    func.setAllResultAttrs(resultAttrs);
    if (remat == "elementwise")
      recomputeElementwise(forward);
    eraseDeadOps(func.getBody().front());
  }

  /// The float values that depend on a parameter: the only ones whose
  /// gradient is wanted.
  static DenseSet<Value> dependOnParams(func::FuncOp func,
                                        ArrayRef<BlockArgument> params) {
    DenseSet<Value> varies(params.begin(), params.end());
    for (Operation &op : func.getBody().front().without_terminator())
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return varies.contains(v); }))
        for (Value r : op.getResults())
          if (isFloatTensor(r))
            varies.insert(r);
    return varies;
  }

  /// With remat=elementwise: a forward elementwise op whose value the
  /// backward ops read is cloned before its first backward use, and the
  /// backward ops read the clone; the forward value then dies with its
  /// last forward use.
  static void recomputeElementwise(ArrayRef<Operation *> forward) {
    DenseSet<Operation *> forwardOps(forward.begin(), forward.end());
    for (Operation *op : forward) {
      if (!op->hasTrait<kiln::OpTrait::Elementwise>())
        continue;
      Value v = op->getResult(0);
      SmallVector<OpOperand *> backwardUses;
      for (OpOperand &use : v.getUses())
        if (!forwardOps.contains(use.getOwner()) &&
            !isa<func::ReturnOp>(use.getOwner()))
          backwardUses.push_back(&use);
      if (backwardUses.empty())
        continue;
      Operation *first = backwardUses.front()->getOwner();
      for (OpOperand *use : backwardUses)
        if (use->getOwner()->isBeforeInBlock(first))
          first = use->getOwner();
      OpBuilder b(first);
      Operation *clone = b.clone(*op);
      for (OpOperand *use : backwardUses)
        use->set(clone->getResult(0));
    }
  }
};

} // namespace
