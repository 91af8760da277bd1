//===- Optimizer.cpp - An optimizer's update as kiln ops ------------------===//
//
// The update of SGD, momentum or Adam written out as elementwise kiln ops
// after the gradients, so that it is fused and compiled with the rest of
// the train step rather than run by the host. State tensors travel as
// arguments and results of one name: the caller's buffers hold the state
// between steps.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_OPTIMIZER
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct OptimizerPass : kiln::impl::OptimizerBase<OptimizerPass> {
  using OptimizerBase::OptimizerBase;

  func::FuncOp func;
  SmallVector<Value> newResults;
  SmallVector<Attribute> newResultAttrs;

  Value scalar(OpBuilder &b, Location loc, double v) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return b.create<ConstantOp>(
        loc, type, DenseElementsAttr::get(type, b.getF32FloatAttr(v)));
  }

  /// A new argument `name` holding optimizer state (fresh: `init`), and
  /// its next value returned under the same name.
  BlockArgument addState(StringRef name, Type type, StringRef init,
                         Location loc) {
    MLIRContext *ctx = &getContext();
    unsigned index = func.getNumArguments();
    func.insertArgument(
        index, type,
        DictionaryAttr::get(
            ctx, {NamedAttribute(StringAttr::get(ctx, kNameAttr),
                                 StringAttr::get(ctx, name)),
                  NamedAttribute(StringAttr::get(ctx, kInitAttr),
                                 StringAttr::get(ctx, init))}),
        loc);
    return func.getArgument(index);
  }
  void addResult(StringRef name, Value v) {
    newResults.push_back(v);
    OpBuilder b(&getContext());
    newResultAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr(kNameAttr, b.getStringAttr(name))));
  }

  void runOnOperation() override {
    func = getOperation();
    if (func.isDeclaration() || func.isPrivate())
      return;
    if (kind != "sgd" && kind != "momentum" && kind != "adam") {
      func.emitError("--kiln-optimizer: kind must be sgd, momentum or adam, "
                     "got '")
          << kind << "'";
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    llvm::StringMap<BlockArgument> args;
    for (BlockArgument a : func.getArguments())
      if (auto name = func.getArgAttrOfType<StringAttr>(a.getArgNumber(),
                                                        kNameAttr))
        args[name.getValue()] = a;

    OpBuilder b(ret);
    Location loc = ret.getLoc();
    Value rate;
    if (lrInput) {
      MLIRContext *ctx = &getContext();
      unsigned index = func.getNumArguments();
      func.insertArgument(index, RankedTensorType::get({}, b.getF32Type()),
                          DictionaryAttr::get(ctx, {NamedAttribute(
                              StringAttr::get(ctx, kNameAttr),
                              StringAttr::get(ctx, "learning_rate"))}),
                          loc);
      rate = func.getArgument(index);
    } else {
      rate = scalar(b, loc, lr);
    }
    // Adam's beta^t, advanced once per step, shared by every parameter.
    Value beta1Power, beta2Power, beta1PowerNext, beta2PowerNext, adamRate,
        adamInvSqrtCorrection2;
    auto scalarType = RankedTensorType::get({}, b.getF32Type());
    SmallVector<std::pair<std::string, Value>> state;
    unsigned grads = 0;
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      Value result = ret.getOperand(i);
      auto nameAttr = func.getResultAttrOfType<StringAttr>(i, kNameAttr);
      StringRef name = nameAttr ? nameAttr.getValue() : "";
      if (!name.ends_with(".grad")) {
        addResult(name, result);
        continue;
      }
      StringRef param = name.drop_back(strlen(".grad"));
      BlockArgument p = args.lookup(param);
      if (!p || p.getType() != result.getType()) {
        func.emitError("gradient '")
            << name << "' has no argument '" << param << "' of type "
            << result.getType() << " to update";
        return signalPassFailure();
      }
      if (!cast<RankedTensorType>(p.getType()).getElementType().isF32()) {
        func.emitError("parameter '")
            << param << "' is " << p.getType()
            << "; the optimizers update f32 parameters";
        return signalPassFailure();
      }
      ++grads;
      Value g = result;
      if (weightDecay != 0)
        g = b.create<AddOp>(loc, g,
                            b.create<MulOp>(loc, p, scalar(b, loc, weightDecay)));
      Value step;        // what is subtracted from p, times `stepRate`
      Value stepRate = rate;
      if (kind == "sgd") {
        step = g;
      } else if (kind == "momentum") {
        BlockArgument v = addState((param + ".velocity").str(), p.getType(),
                                   "zeros", p.getLoc());
        step = b.create<AddOp>(loc, b.create<MulOp>(loc, v, scalar(b, loc, momentum)),
                               g);
        state.push_back({(param + ".velocity").str(), step});
      } else {
        if (!beta1Power) {
          beta1Power = addState("adam.beta1_power", scalarType, "ones", loc);
          beta2Power = addState("adam.beta2_power", scalarType, "ones", loc);
          beta1PowerNext =
              b.create<MulOp>(loc, beta1Power, scalar(b, loc, beta1));
          beta2PowerNext =
              b.create<MulOp>(loc, beta2Power, scalar(b, loc, beta2));
          // The bias corrections as two scalars of the step, as PyTorch's
          // Adam: lr m^ / (sqrt(v^) + eps) = lr / (1 - b1^t) m /
          // (sqrt(v) / sqrt(1 - b2^t) + eps). Per element, one division
          // and one square root instead of three and one.
          Value one = scalar(b, loc, 1.0);
          adamRate = b.create<DivOp>(
              loc, rate, b.create<SubOp>(loc, one, beta1PowerNext));
          adamInvSqrtCorrection2 = b.create<DivOp>(
              loc, one,
              b.create<SqrtOp>(loc,
                               b.create<SubOp>(loc, one, beta2PowerNext)));
        }
        BlockArgument m = addState((param + ".m").str(), p.getType(), "zeros",
                                   p.getLoc());
        BlockArgument v = addState((param + ".v").str(), p.getType(), "zeros",
                                   p.getLoc());
        Value mNext = b.create<AddOp>(
            loc, b.create<MulOp>(loc, m, scalar(b, loc, beta1)),
            b.create<MulOp>(loc, g, scalar(b, loc, 1 - beta1)));
        Value vNext = b.create<AddOp>(
            loc, b.create<MulOp>(loc, v, scalar(b, loc, beta2)),
            b.create<MulOp>(loc, b.create<MulOp>(loc, g, g),
                            scalar(b, loc, 1 - beta2)));
        step = b.create<DivOp>(
            loc, mNext,
            b.create<AddOp>(loc,
                            b.create<MulOp>(loc, b.create<SqrtOp>(loc, vNext),
                                            adamInvSqrtCorrection2),
                            scalar(b, loc, epsilon)));
        stepRate = adamRate;
        state.push_back({(param + ".m").str(), mNext});
        state.push_back({(param + ".v").str(), vNext});
      }
      Value next =
          b.create<SubOp>(loc, p, b.create<MulOp>(loc, step, stepRate));
      addResult(param, next);
    }
    if (grads == 0) {
      func.emitError("has no '<param>.grad' result to update (run "
                     "--kiln-autodiff first)");
      return signalPassFailure();
    }
    for (auto &[name, v] : state)
      addResult(name, v);
    if (beta1Power) {
      addResult("adam.beta1_power", beta1PowerNext);
      addResult("adam.beta2_power", beta2PowerNext);
    }
    b.create<func::ReturnOp>(loc, newResults);
    ret.erase();
    func.setFunctionType(FunctionType::get(&getContext(),
                                           func.getArgumentTypes(),
                                           ValueRange(newResults).getTypes()));
    func.setAllResultAttrs(newResultAttrs);
  }
};

} // namespace
