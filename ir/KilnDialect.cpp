//===- KilnDialect.cpp - The kiln dialect: verifiers, types, folders ------===//
//
// Shape inference delegates to Shapes.h, so the DSL and the verifiers share
// one rule per op; this file turns those rules into MLIR types and errors.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/ParamInit.h"
#include "kiln/ir/Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;

#include "ir/KilnOpsDialect.cpp.inc"
#include "ir/KilnOpsInterfaces.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/KilnOps.cpp.inc"
      >();
}

Operation *KilnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}

//===----------------------------------------------------------------------===//
// Shape inference helpers
//===----------------------------------------------------------------------===//

static Shape toShape(ArrayRef<int64_t> a) { return Shape(a.begin(), a.end()); }

static Shape shapeOf(Value v) {
  return toShape(cast<RankedTensorType>(v.getType()).getShape());
}

static Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// Reports an inference failure the way a verifier would.
static LogicalResult fail(std::optional<Location> loc, StringRef op,
                          const Twine &msg) {
  return emitOptionalError(loc, "'kiln.", op, "' op ", msg);
}

static std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Appends a tensor type of `shapeOr`'s shape, or reports its error.
static LogicalResult result(std::optional<Location> loc, StringRef op,
                            const ShapeOr &shapeOr, Type elementType,
                            SmallVectorImpl<Type> &types) {
  if (!shapeOr.ok())
    return fail(loc, op, shapeOr.error);
  types.push_back(RankedTensorType::get(shapeOr.shape, elementType));
  return success();
}

/// All of `values` must share one element type.
static LogicalResult sameElementType(std::optional<Location> loc, StringRef op,
                                     ValueRange values) {
  for (Value v : values.drop_front())
    if (elementTypeOf(v) != elementTypeOf(values.front()))
      return fail(loc, op,
                  "operands must share one element type, got " +
                      typeString(values.front().getType()) + " and " +
                      typeString(v.getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError("needs a non-empty name");
  StringRef init = getInit();
  if (!isKnownInit(init))
    return emitOpError("init must be one of ")
           << kKnownInits << "; got \"" << init << "\"";
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult CastOp::verify() {
  Shape from = shapeOf(getInput()), to = shapeOf(getResult());
  if (from != to)
    return emitOpError("changes only the element type, but the shape changes "
                       "from ")
           << toString(from) << " to " << toString(to);
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferBinary(std::optional<Location> loc, StringRef op,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &types) {
  if (failed(sameElementType(loc, op, {adaptor.getLhs(), adaptor.getRhs()})))
    return failure();
  return result(loc, op,
                broadcastShapes(shapeOf(adaptor.getLhs()),
                                shapeOf(adaptor.getRhs())),
                elementTypeOf(adaptor.getLhs()), types);
}

#define KILN_BINARY_INFER(Op, name)                                            \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBinary(loc, name, adaptor, types);                             \
  }
KILN_BINARY_INFER(AddOp, "add")
KILN_BINARY_INFER(SubOp, "sub")
KILN_BINARY_INFER(MulOp, "mul")
KILN_BINARY_INFER(DivOp, "div")
KILN_BINARY_INFER(MaxOp, "max")
KILN_BINARY_INFER(MinOp, "min")
#undef KILN_BINARY_INFER

LogicalResult CompareOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferBinary(loc, "compare", adaptor, types);
}

LogicalResult CompareOp::verify() {
  static constexpr StringLiteral kPredicates[] = {"eq", "ne", "lt",
                                                  "le", "gt", "ge"};
  if (!llvm::is_contained(kPredicates, getPredicate()))
    return emitOpError("predicate must be one of eq, ne, lt, le, gt, ge; got '")
           << getPredicate() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(sameElementType(loc, "matmul",
                             {adaptor.getLhs(), adaptor.getRhs()})))
    return failure();
  return result(loc, "matmul",
                matmulShape(shapeOf(adaptor.getLhs()), shapeOf(adaptor.getRhs())),
                elementTypeOf(adaptor.getLhs()), types);
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(sameElementType(loc, "conv2d",
                             {adaptor.getInput(), adaptor.getFilter()})))
    return failure();
  return result(loc, "conv2d",
                conv2dShape(shapeOf(adaptor.getInput()),
                            shapeOf(adaptor.getFilter()),
                            toShape(adaptor.getStrides()),
                            toShape(adaptor.getPadding()),
                            toShape(adaptor.getDilations())),
                elementTypeOf(adaptor.getInput()), types);
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return result(loc, "max_pool2d",
                pool2dShape(shapeOf(adaptor.getInput()),
                            toShape(adaptor.getWindow()),
                            toShape(adaptor.getStrides()),
                            toShape(adaptor.getPadding())),
                elementTypeOf(adaptor.getInput()), types);
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

#define KILN_AXIS_INFER(Op, name)                                              \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return result(loc, name,                                                   \
                  axisShape(shapeOf(adaptor.getInput()), adaptor.getAxis()),   \
                  elementTypeOf(adaptor.getInput()), types);                   \
  }
KILN_AXIS_INFER(SoftmaxOp, "softmax")
KILN_AXIS_INFER(LogSoftmaxOp, "log_softmax")
#undef KILN_AXIS_INFER

#define KILN_REDUCE_INFER(Op, name)                                            \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return result(loc, name,                                                   \
                  reduceShape(shapeOf(adaptor.getInput()),                     \
                              toShape(adaptor.getAxes()),                      \
                              adaptor.getKeepDims()),                          \
                  elementTypeOf(adaptor.getInput()), types);                   \
  }
KILN_REDUCE_INFER(ReduceSumOp, "reduce_sum")
KILN_REDUCE_INFER(ReduceMeanOp, "reduce_mean")
KILN_REDUCE_INFER(ReduceMaxOp, "reduce_max")
#undef KILN_REDUCE_INFER

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(sameElementType(
          loc, "layer_norm",
          {adaptor.getInput(), adaptor.getGamma(), adaptor.getBeta()})))
    return failure();
  return result(loc, "layer_norm",
                layerNormShape(shapeOf(adaptor.getInput()),
                               shapeOf(adaptor.getGamma()),
                               shapeOf(adaptor.getBeta())),
                elementTypeOf(adaptor.getInput()), types);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getElementType() != getType().getElementType())
    return emitOpError("cannot change the element type: ")
           << getInput().getType() << " -> " << getType();
  ShapeOr s = reshapeShape(shapeOf(getInput()), shapeOf(getResult()));
  if (!s.ok())
    return emitOpError(s.error);
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return result(loc, "transpose",
                transposeShape(shapeOf(adaptor.getInput()),
                               toShape(adaptor.getPerm())),
                elementTypeOf(adaptor.getInput()), types);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if ((int64_t)i != p)
      return {};
  return getInput();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return fail(loc, "concat", "needs at least one operand");
  if (failed(sameElementType(loc, "concat", adaptor.getInputs())))
    return failure();
  std::vector<Shape> shapes;
  for (Value v : adaptor.getInputs())
    shapes.push_back(shapeOf(v));
  return result(loc, "concat", concatShape(shapes, adaptor.getAxis()),
                elementTypeOf(adaptor.getInputs().front()), types);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return result(loc, "slice",
                sliceShape(shapeOf(adaptor.getInput()),
                           toShape(adaptor.getStarts()),
                           toShape(adaptor.getLimits()),
                           toShape(adaptor.getStrides())),
                elementTypeOf(adaptor.getInput()), types);
}

LogicalResult PatchesOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return result(loc, "patches",
                patchesShape(shapeOf(adaptor.getInput()),
                             toShape(adaptor.getWindow()),
                             toShape(adaptor.getStrides()),
                             toShape(adaptor.getDilations())),
                elementTypeOf(adaptor.getInput()), types);
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return result(loc, "pad",
                padShape(shapeOf(adaptor.getInput()), toShape(adaptor.getLow()),
                         toShape(adaptor.getHigh()),
                         toShape(adaptor.getInterior())),
                elementTypeOf(adaptor.getInput()), types);
}

LogicalResult OneHotOp::verify() {
  ShapeOr expected = oneHotShape(shapeOf(getIndices()), getDepth());
  if (!expected.ok())
    return emitOpError(expected.error);
  if (expected.shape != shapeOf(getResult()))
    return emitOpError("result shape must be ")
           << toString(expected.shape) << ", got "
           << toString(shapeOf(getResult()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return result(loc, "gather",
                gatherShape(shapeOf(adaptor.getTable()),
                            shapeOf(adaptor.getIndices())),
                elementTypeOf(adaptor.getTable()), types);
}

#define GET_OP_CLASSES
#include "ir/KilnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

LogicalResult FusionOp::verify() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("has block arguments of types (")
           << body.getArgumentTypes() << ") but operands of types ("
           << getInputs().getTypes() << ")";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("must end in kiln.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields (")
           << yield.getValues().getTypes() << ") but has results of types ("
           << getResultTypes() << ")";
  if (getResults().empty())
    return emitOpError("must have at least one result");
  // Each result is a value an op of the region computes, and a distinct
  // one: a kernel computes its results (chunk by chunk when chunked) and has
  // nothing to compute for an operand passed through, a constant or a
  // second copy of one value. Such IR is never formed by --kiln-fusion; it
  // is refused here rather than deep in codegen.
  if (llvm::all_of(body.without_terminator(),
                   [](Operation &op) { return isa<ConstantOp>(op); }))
    return emitOpError("has no ops to compute its results: a fusion region "
                       "holds the ops of one kernel; use its operands (or "
                       "constants) directly instead of the region");
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return emitOpError("yields its block argument #")
             << arg.getArgNumber() << " unchanged as result #" << i
             << ": a region's results must be computed by its ops; use "
                "operand #"
             << arg.getArgNumber() << " itself where result #" << i
             << " is used";
    if (v.getDefiningOp<ConstantOp>())
      return emitOpError("yields a kiln.constant as result #")
             << i
             << ": a region's results must be computed by its ops; use a "
                "constant outside the region where the result is used";
    for (auto [j, w] : llvm::enumerate(yield.getValues().take_front(i)))
      if (w == v)
        return emitOpError("yields the same value as results #")
               << j << " and #" << i
               << ": yield it once and use that result in both places";
  }
  ArrayRef<int64_t> chunks = getChunks();
  if (chunks.empty() || llvm::any_of(chunks, [](int64_t c) { return c < 1; }))
    return emitOpError("chunks must be one count of at least 1 per grid "
                       "axis, got [")
           << chunks << "]";
  if (getGridDims().size() != getNumResults() * chunks.size())
    return emitOpError("has ")
           << getGridDims().size() << " grid_dims for " << getNumResults()
           << " results and " << chunks.size() << " grid axes";
  // Run whole (one chunk), a region has no grid to check: its results may
  // even be scalars.
  if (llvm::all_of(chunks, [](int64_t c) { return c == 1; }))
    return success();
  for (auto [i, type] : llvm::enumerate(getResultTypes())) {
    auto shape = cast<RankedTensorType>(type).getShape();
    SmallVector<int64_t> seen;
    for (auto [a, c] : llvm::enumerate(chunks)) {
      int64_t dim = getGridDims()[a * getNumResults() + i];
      if (dim < 0 || dim >= (int64_t)shape.size() || shape[dim] % c != 0)
        return emitOpError("cannot cut result type ")
               << type << " into " << c << " chunks along dim " << dim;
      if (llvm::is_contained(seen, dim))
        return emitOpError("cuts result type ")
               << type << " along dim " << dim << " by two grid axes";
      seen.push_back(dim);
    }
  }
  return success();
}
