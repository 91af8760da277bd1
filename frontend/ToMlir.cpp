//===- ToMlir.cpp - DSL graph to kiln dialect -----------------------------===//
//
// Builds every node generically, by the op's name and its attributes,
// rather than through each op's C++ builder: a node already holds exactly
// what the op's generic form holds (operands, named attributes, result
// type), so one loop serves every op and a new op needs no code here. The
// dialect's verifier then re-derives each result type from Shapes.h, which
// cross-checks the DSL against the ODS.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/ToMlir.h"

#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {

namespace {

Attribute toAttr(Builder &b, const AttrValue &v) {
  return std::visit(
      llvm::makeVisitor(
          [&](int64_t i) -> Attribute { return b.getI64IntegerAttr(i); },
          [&](const std::vector<int64_t> &a) -> Attribute {
            return b.getDenseI64ArrayAttr(a);
          },
          [&](float f) -> Attribute { return b.getF32FloatAttr(f); },
          [&](const std::string &s) -> Attribute { return b.getStringAttr(s); },
          [&](bool flag) -> Attribute { return b.getBoolAttr(flag); }),
      v);
}

/// The node's values in its own element type; the DSL keeps them as floats
/// whatever the type, so they are rounded (floats) or truncated (integers).
DenseElementsAttr constantValue(RankedTensorType type,
                                const std::vector<float> &values) {
  Type element = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> out;
    for (float v : values) {
      APFloat f(v);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(f);
    }
    return DenseElementsAttr::get(type, out);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (float v : values)
    out.push_back(APInt(width, (int64_t)v, /*isSigned=*/true));
  return DenseElementsAttr::get(type, out);
}

} // namespace

OwningOpRef<ModuleOp> toModule(const Graph &g, MLIRContext &ctx) {
  ctx.loadDialect<KilnDialect, func::FuncDialect>();
  Builder builder(&ctx);
  const std::vector<Node> &nodes = g.nodes();

  auto typeOf = [&](const Node &n) {
    return RankedTensorType::get(n.shape, mlirType(n.dtype, &ctx));
  };
  // A layer's name is the location of its ops: diagnostics from any later
  // pass then say which layer of the model they are about.
  Location graphLoc = NameLoc::get(builder.getStringAttr(g.name()));
  auto locOf = [&](const Node &n) -> Location {
    if (n.scope.empty())
      return graphLoc;
    return NameLoc::get(builder.getStringAttr(n.scope), graphLoc);
  };

  SmallVector<Type> argTypes, resultTypes;
  for (const auto &[name, id] : g.inputs())
    argTypes.push_back(typeOf(nodes[id]));
  for (const auto &[name, id] : g.outputs())
    resultTypes.push_back(typeOf(nodes[id]));

  OwningOpRef<ModuleOp> module = ModuleOp::create(graphLoc);
  OpBuilder b(module->getBodyRegion());
  auto func = b.create<func::FuncOp>(
      graphLoc, g.name(), b.getFunctionType(argTypes, resultTypes));
  for (auto [i, input] : llvm::enumerate(g.inputs()))
    func.setArgAttr(i, kNameAttr, b.getStringAttr(input.first));
  for (auto [i, output] : llvm::enumerate(g.outputs()))
    func.setResultAttr(i, kNameAttr, b.getStringAttr(output.first));

  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  std::vector<Value> values(nodes.size());
  for (auto [i, input] : llvm::enumerate(g.inputs()))
    values[input.second] = entry->getArgument(i);

  for (auto [id, node] : llvm::enumerate(nodes)) {
    if (node.op == "input")
      continue;
    Location loc = locOf(node);
    OperationState state(loc, "kiln." + node.op);
    if (!state.name.isRegistered()) {
      emitError(loc) << "node %" << id << " is '" << state.name
                     << "', which the kiln dialect does not define";
      return nullptr;
    }
    for (int in : node.inputs)
      state.addOperands(values[in]);
    for (const auto &[name, value] : node.attrs)
      state.addAttribute(name, toAttr(b, value));
    RankedTensorType type = typeOf(node);
    if (node.op == "constant")
      state.addAttribute("value", constantValue(type, node.constant));
    state.addTypes(type);
    values[id] = b.create(state)->getResult(0);
  }

  SmallVector<Value> results;
  for (const auto &[name, id] : g.outputs())
    results.push_back(values[id]);
  b.create<func::ReturnOp>(graphLoc, results);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace kiln
