//===- ParamsToArguments.cpp - kiln.param ops become func arguments -------===//
//
// Compiled code takes parameters as caller-owned buffers, like inputs, so
// the same kernel serves fresh, trained and loaded weights. Arguments are
// marked read-only for bufferization: they are the caller's buffers.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_PARAMSTOARGUMENTS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {
struct ParamsToArgumentsPass
    : kiln::impl::ParamsToArgumentsBase<ParamsToArgumentsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isDeclaration())
        continue;
      llvm::StringMap<BlockArgument> args;
      SmallVector<ParamOp> params;
      func.walk([&](ParamOp p) { params.push_back(p); });
      for (ParamOp p : params) {
        auto [it, fresh] = args.try_emplace(p.getName());
        if (fresh) {
          unsigned index = func.getNumArguments();
          func.insertArgument(
              index, p.getType(),
              DictionaryAttr::get(
                  &getContext(),
                  {NamedAttribute(StringAttr::get(&getContext(), kParamAttr),
                                  p.getNameAttr())}),
              p.getLoc());
          it->second = func.getArgument(index);
        }
        if (it->second.getType() != p.getType()) {
          p.emitOpError("parameter '")
              << p.getName() << "' is used with two types: "
              << it->second.getType() << " and " << p.getType();
          return signalPassFailure();
        }
        p.replaceAllUsesWith(it->second);
        p.erase();
      }
      // Inputs and parameters belong to the caller: never write into them.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        func.setArgAttr(i, "bufferization.writable",
                        BoolAttr::get(&getContext(), false));
    }
  }
};
} // namespace
