//===- Ops.cpp - The op functions of the kiln DSL -------------------------===//
//
// One function per kiln dialect op. Each checks its operands with the very
// rule the dialect's verifier applies (ir/Shapes.h) plus the element types
// the ODS allows, so that a graph the DSL accepts always verifies as MLIR,
// and a bad one fails here, naming the op and the shapes, while the user's
// stack still points at the line that built it.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/kiln.h"

#include <algorithm>
#include <iterator>

namespace kiln {

namespace {

[[noreturn]] void fail(const Graph *g, const std::string &op,
                       const std::string &msg) {
  std::string text = "kiln." + op + ": " + msg;
  if (g && !g->scope().empty())
    text += " (in layer " + g->scope() + ")";
  throw ShapeError(text);
}

std::string describe(const Tensor &t) {
  return std::string(dtypeName(t.dtype())) + " " + toString(t.shape());
}

/// The one graph that all operands belong to.
Graph &graphOf(const std::string &op, const std::vector<Tensor> &xs) {
  for (const Tensor &x : xs)
    x.shape(); // rejects empty handles before graph() dereferences them
  Graph &g = xs.front().graph();
  for (const Tensor &x : xs)
    if (&x.graph() != &g)
      fail(&g, op, "operands belong to two graphs, '" + g.name() + "' and '" +
                       x.graph().name() + "'");
  return g;
}

Shape checked(const Graph &g, const std::string &op, const ShapeOr &s) {
  if (!s.ok())
    fail(&g, op, s.error);
  return s.shape;
}

void requireFloat(const Graph &g, const std::string &op, const Tensor &x) {
  if (!isFloat(x.dtype()))
    fail(&g, op, "expects a float tensor (f32, f16, bf16), got " + describe(x));
}

void requireSameType(const Graph &g, const std::string &op,
                     const std::vector<Tensor> &xs) {
  for (const Tensor &x : xs)
    if (x.dtype() != xs.front().dtype())
      fail(&g, op, "operands must share one element type, got " +
                       describe(xs.front()) + " and " + describe(x));
}

/// Negative axes count from the end, as in numpy. One that is out of range
/// even so is left alone for the shape rule to report as written.
int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 && axis >= -rank ? axis + rank : axis;
}

Tensor make(Graph &g, const std::string &op, const std::vector<Tensor> &ins,
            Shape shape, DType dtype,
            std::map<std::string, AttrValue> attrs = {}) {
  Node node;
  node.op = op;
  for (const Tensor &t : ins)
    node.inputs.push_back(t.id());
  node.attrs = std::move(attrs);
  node.shape = std::move(shape);
  node.dtype = dtype;
  return g.add(std::move(node));
}

Tensor binary(const std::string &op, Tensor a, Tensor b) {
  Graph &g = graphOf(op, {a, b});
  requireSameType(g, op, {a, b});
  return make(g, op, {a, b},
              checked(g, op, broadcastShapes(a.shape(), b.shape())), a.dtype());
}

/// A rank-0 constant of `a`'s element type, so that `x * 0.5f` works on f16.
Tensor scalarLike(Tensor a, float s) {
  Graph &g = graphOf("constant", {a});
  Node node;
  node.op = "constant";
  node.dtype = a.dtype();
  node.constant = {s};
  return g.add(std::move(node));
}

Tensor unary(const std::string &op, Tensor x, bool floatOnly = true) {
  Graph &g = graphOf(op, {x});
  if (floatOnly)
    requireFloat(g, op, x);
  return make(g, op, {x}, x.shape(), x.dtype());
}

Tensor axisOp(const std::string &op, Tensor x, int64_t axis) {
  Graph &g = graphOf(op, {x});
  requireFloat(g, op, x);
  axis = normalizeAxis(axis, x.rank());
  return make(g, op, {x}, checked(g, op, axisShape(x.shape(), axis)),
              x.dtype(), {{"axis", axis}});
}

Tensor reduce(const std::string &op, Tensor x, std::vector<int64_t> axes,
              bool keepDims, bool floatOnly) {
  Graph &g = graphOf(op, {x});
  if (floatOnly)
    requireFloat(g, op, x);
  for (int64_t &a : axes)
    a = normalizeAxis(a, x.rank());
  return make(g, op, {x}, checked(g, op, reduceShape(x.shape(), axes, keepDims)),
              x.dtype(), {{"axes", axes}, {"keep_dims", keepDims}});
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Tensor add(Tensor a, Tensor b) { return binary("add", a, b); }
Tensor sub(Tensor a, Tensor b) { return binary("sub", a, b); }
Tensor mul(Tensor a, Tensor b) { return binary("mul", a, b); }
Tensor div(Tensor a, Tensor b) { return binary("div", a, b); }
Tensor maximum(Tensor a, Tensor b) { return binary("max", a, b); }
Tensor minimum(Tensor a, Tensor b) { return binary("min", a, b); }
Tensor operator+(Tensor a, Tensor b) { return add(a, b); }
Tensor operator-(Tensor a, Tensor b) { return sub(a, b); }
Tensor operator*(Tensor a, Tensor b) { return mul(a, b); }
Tensor operator/(Tensor a, Tensor b) { return div(a, b); }
Tensor operator*(Tensor a, float s) { return mul(a, scalarLike(a, s)); }
Tensor operator+(Tensor a, float s) { return add(a, scalarLike(a, s)); }
Tensor operator-(Tensor a) { return neg(a); }

Tensor compare(Tensor a, Tensor b, const std::string &predicate) {
  Graph &g = graphOf("compare", {a, b});
  static const char *const kPredicates[] = {"eq", "ne", "lt",
                                            "le", "gt", "ge"};
  if (std::find(std::begin(kPredicates), std::end(kPredicates), predicate) ==
      std::end(kPredicates))
    fail(&g, "compare",
         "predicate must be one of eq, ne, lt, le, gt, ge; got '" + predicate +
             "'");
  requireSameType(g, "compare", {a, b});
  return make(g, "compare", {a, b},
              checked(g, "compare", broadcastShapes(a.shape(), b.shape())),
              a.dtype(), {{"predicate", predicate}});
}
Tensor equal(Tensor a, Tensor b) { return compare(a, b, "eq"); }
Tensor not_equal(Tensor a, Tensor b) { return compare(a, b, "ne"); }
Tensor less(Tensor a, Tensor b) { return compare(a, b, "lt"); }
Tensor less_equal(Tensor a, Tensor b) { return compare(a, b, "le"); }
Tensor greater(Tensor a, Tensor b) { return compare(a, b, "gt"); }
Tensor greater_equal(Tensor a, Tensor b) { return compare(a, b, "ge"); }

Tensor neg(Tensor x) { return unary("neg", x, /*floatOnly=*/false); }
Tensor exp(Tensor x) { return unary("exp", x); }
Tensor log(Tensor x) { return unary("log", x); }
Tensor sqrt(Tensor x) { return unary("sqrt", x); }
Tensor rsqrt(Tensor x) { return unary("rsqrt", x); }
Tensor tanh(Tensor x) { return unary("tanh", x); }
Tensor sigmoid(Tensor x) { return unary("sigmoid", x); }
Tensor relu(Tensor x) { return unary("relu", x); }
Tensor gelu(Tensor x) { return unary("gelu", x); }
Tensor erf(Tensor x) { return unary("erf", x); }

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

Tensor matmul(Tensor a, Tensor b) {
  Graph &g = graphOf("matmul", {a, b});
  requireSameType(g, "matmul", {a, b});
  return make(g, "matmul", {a, b},
              checked(g, "matmul", matmulShape(a.shape(), b.shape())),
              a.dtype());
}

Tensor conv2d(Tensor input, Tensor filter, std::vector<int64_t> strides,
              std::vector<int64_t> padding, std::vector<int64_t> dilations) {
  Graph &g = graphOf("conv2d", {input, filter});
  requireFloat(g, "conv2d", input);
  requireSameType(g, "conv2d", {input, filter});
  Shape shape = checked(g, "conv2d",
                        conv2dShape(input.shape(), filter.shape(), strides,
                                    padding, dilations));
  return make(g, "conv2d", {input, filter}, std::move(shape), input.dtype(),
              {{"strides", strides},
               {"padding", padding},
               {"dilations", dilations}});
}

Tensor max_pool2d(Tensor input, std::vector<int64_t> window,
                  std::vector<int64_t> strides, std::vector<int64_t> padding) {
  Graph &g = graphOf("max_pool2d", {input});
  requireFloat(g, "max_pool2d", input);
  Shape shape = checked(g, "max_pool2d",
                        pool2dShape(input.shape(), window, strides, padding));
  return make(g, "max_pool2d", {input}, std::move(shape), input.dtype(),
              {{"window", window}, {"strides", strides}, {"padding", padding}});
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

Tensor softmax(Tensor x, int64_t axis) { return axisOp("softmax", x, axis); }
Tensor log_softmax(Tensor x, int64_t axis) {
  return axisOp("log_softmax", x, axis);
}

Tensor reduce_sum(Tensor x, std::vector<int64_t> axes, bool keepDims) {
  return reduce("reduce_sum", x, std::move(axes), keepDims, false);
}
Tensor reduce_mean(Tensor x, std::vector<int64_t> axes, bool keepDims) {
  return reduce("reduce_mean", x, std::move(axes), keepDims, true);
}
Tensor reduce_max(Tensor x, std::vector<int64_t> axes, bool keepDims) {
  return reduce("reduce_max", x, std::move(axes), keepDims, false);
}

Tensor layer_norm(Tensor x, Tensor gamma, Tensor beta, float epsilon) {
  Graph &g = graphOf("layer_norm", {x, gamma, beta});
  requireFloat(g, "layer_norm", x);
  requireSameType(g, "layer_norm", {x, gamma, beta});
  Shape shape = checked(g, "layer_norm",
                        layerNormShape(x.shape(), gamma.shape(), beta.shape()));
  return make(g, "layer_norm", {x, gamma, beta}, std::move(shape), x.dtype(),
              {{"epsilon", epsilon}});
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

Tensor reshape(Tensor x, Shape shape) {
  Graph &g = graphOf("reshape", {x});
  return make(g, "reshape", {x},
              checked(g, "reshape", reshapeShape(x.shape(), shape)), x.dtype());
}

Tensor transpose(Tensor x, std::vector<int64_t> perm) {
  Graph &g = graphOf("transpose", {x});
  return make(g, "transpose", {x},
              checked(g, "transpose", transposeShape(x.shape(), perm)),
              x.dtype(), {{"perm", perm}});
}

Tensor concat(std::vector<Tensor> xs, int64_t axis) {
  if (xs.empty())
    fail(nullptr, "concat", "needs at least one operand");
  Graph &g = graphOf("concat", xs);
  requireSameType(g, "concat", xs);
  axis = normalizeAxis(axis, xs.front().rank());
  std::vector<Shape> shapes;
  for (const Tensor &x : xs)
    shapes.push_back(x.shape());
  return make(g, "concat", xs, checked(g, "concat", concatShape(shapes, axis)),
              xs.front().dtype(), {{"axis", axis}});
}

Tensor slice(Tensor x, std::vector<int64_t> starts, std::vector<int64_t> limits,
             std::vector<int64_t> strides) {
  Graph &g = graphOf("slice", {x});
  if (strides.empty())
    strides.assign(x.shape().size(), 1);
  Shape shape =
      checked(g, "slice", sliceShape(x.shape(), starts, limits, strides));
  return make(g, "slice", {x}, std::move(shape), x.dtype(),
              {{"starts", starts}, {"limits", limits}, {"strides", strides}});
}

Tensor pad(Tensor x, std::vector<int64_t> low, std::vector<int64_t> high,
           std::vector<int64_t> interior) {
  Graph &g = graphOf("pad", {x});
  if (interior.empty())
    interior.assign(x.shape().size(), 0);
  Shape shape = checked(g, "pad", padShape(x.shape(), low, high, interior));
  return make(g, "pad", {x}, std::move(shape), x.dtype(),
              {{"low", low}, {"high", high}, {"interior", interior}});
}

Tensor patches(Tensor x, std::vector<int64_t> window,
               std::vector<int64_t> strides, std::vector<int64_t> dilations) {
  Graph &g = graphOf("patches", {x});
  Shape shape = checked(g, "patches",
                        patchesShape(x.shape(), window, strides, dilations));
  return make(g, "patches", {x}, std::move(shape), x.dtype(),
              {{"window", window}, {"strides", strides}, {"dilations", dilations}});
}

Tensor gather(Tensor table, Tensor indices) {
  Graph &g = graphOf("gather", {table, indices});
  if (indices.dtype() != DType::I32)
    fail(&g, "gather", "indices must be i32, got " + describe(indices));
  return make(g, "gather", {table, indices},
              checked(g, "gather", gatherShape(table.shape(), indices.shape())),
              table.dtype());
}

Tensor one_hot(Tensor ids, int64_t depth, DType dtype) {
  Graph &g = graphOf("one_hot", {ids});
  if (ids.dtype() != DType::I32)
    fail(&g, "one_hot", "ids must be i32, got " + describe(ids));
  if (!isFloat(dtype))
    fail(&g, "one_hot",
         std::string("the result must be a float type (f32, f16, bf16), got ") +
             dtypeName(dtype));
  return make(g, "one_hot", {ids},
              checked(g, "one_hot", oneHotShape(ids.shape(), depth)), dtype,
              {{"depth", depth}});
}

Tensor cast(Tensor x, DType to) {
  Graph &g = graphOf("cast", {x});
  return make(g, "cast", {x}, x.shape(), to);
}

} // namespace kiln
