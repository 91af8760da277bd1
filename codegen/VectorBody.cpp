//===- VectorBody.cpp - Helpers of the passes that emit f32 vector loops --===//
#include "kiln/codegen/VectorBody.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

SmallVector<Value> kiln::cloneOnVectors(OpBuilder &b, Block &body,
                                        int64_t width, IRMapping &map,
                                        function_ref<Value(Value)> splat) {
  auto vectorOf = [&](Value v) {
    return map.contains(v) ? map.lookup(v) : splat(v);
  };
  for (Operation &inner : body.without_terminator()) {
    Type scalar = inner.getResult(0).getType();
    auto type = VectorType::get({width}, scalar);
    if (auto c = dyn_cast<arith::ConstantOp>(inner)) {
      map.map(c.getResult(),
              b.create<vector::BroadcastOp>(inner.getLoc(), type,
                                            b.clone(inner)->getResult(0)));
      continue;
    }
    OperationState state(inner.getLoc(), inner.getName());
    for (Value operand : inner.getOperands())
      state.addOperands(vectorOf(operand));
    state.addTypes(type);
    state.addAttributes(inner.getAttrs());
    map.map(inner.getResult(0), b.create(state)->getResult(0));
  }
  SmallVector<Value> yielded;
  for (Value v : body.getTerminator()->getOperands())
    yielded.push_back(vectorOf(v));
  return yielded;
}

LogicalResult kiln::checkVectorWidth(Operation *op, StringRef pass,
                                     int64_t width) {
  if (width == 8 || width == 16)
    return success();
  return op->emitError("--")
         << pass << ": vector-width must be 8 (AVX2) or 16 (AVX-512), got "
         << width;
}
