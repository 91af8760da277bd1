//===- Interpreter.cpp - Reference interpreter for kiln modules -----------===//
//
// The numerical oracle of every kiln test. Each op is one small function of
// plain loops over a row-major array of doubles; every result is rounded to
// its element type before the next op reads it, so that the oracle sees the
// same intermediate precision a compiled model has. Speed is not a goal.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Shapes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace kiln {
namespace {

/// A value while the interpreter runs: row-major, held in double whatever
/// the dtype, but always holding values that the dtype can represent.
struct Array {
  Shape shape;
  DType dtype = DType::F32;
  std::vector<double> data;
};

llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string str(Type t) {
  std::string s;
  llvm::raw_string_ostream(s) << t;
  return s;
}

/// An error that starts with the op and where it is, so a failure deep in a
/// model can be found in the .mlir file.
llvm::Error opError(Operation *op, const llvm::Twine &msg) {
  return error("'" + op->getName().getStringRef() + "' at " +
               locationString(op->getLoc()) + ": " + msg);
}

/// NaN propagates through max and min, as in numpy and arith.maximumf;
/// std::max alone would drop it or not depending on the operand order.
double maxOf(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
}
double minOf(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
}

/// Rounds every element to `a.dtype` through HostTensor, so the interpreter
/// and the host I/O share one definition of f16 and bf16 rounding.
Array finish(Array a) {
  HostTensor t(a.dtype, a.shape);
  for (size_t i = 0; i < a.data.size(); ++i) {
    t.set(i, a.data[i]);
    a.data[i] = t.get(i);
  }
  return a;
}

Array fromHost(const HostTensor &t) {
  Array a{t.shape(), t.dtype(), std::vector<double>(t.size())};
  for (int64_t i = 0; i < t.size(); ++i)
    a.data[i] = t.get(i);
  return a;
}

HostTensor toHost(const Array &a) {
  HostTensor t(a.dtype, a.shape);
  for (size_t i = 0; i < a.data.size(); ++i)
    t.set(i, a.data[i]);
  return t;
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

/// Multi-index of row-major position `linear` in `shape`.
Shape unravel(int64_t linear, const Shape &shape) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = linear % shape[d];
    linear /= shape[d];
  }
  return idx;
}

/// Row-major position of `idx` in `shape`.
int64_t ravel(const Shape &idx, const Shape &shape) {
  int64_t linear = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    linear = linear * shape[d] + idx[d];
  return linear;
}

/// Row-major position of (i0, i1, i2, i3) in a rank-4 `shape`; the NHWC and
/// HWCF kernels use it in their inner loops, where building an index vector
/// for `ravel` would cost an allocation per multiply-add.
int64_t ravel4(const Shape &shape, int64_t i0, int64_t i1, int64_t i2,
               int64_t i3) {
  return ((i0 * shape[1] + i1) * shape[2] + i2) * shape[3] + i3;
}

/// Position in an operand of shape `in` that numpy broadcasting reads for
/// result index `outIdx`: shapes align on the right and dims of 1 stay at 0.
int64_t broadcastOffset(const Shape &outIdx, const Shape &in) {
  size_t lead = outIdx.size() - in.size();
  int64_t linear = 0;
  for (size_t d = 0; d < in.size(); ++d)
    linear = linear * in[d] + (in[d] == 1 ? 0 : outIdx[lead + d]);
  return linear;
}

Shape shapeOf(Type t) {
  auto shape = cast<ShapedType>(t).getShape();
  return Shape(shape.begin(), shape.end());
}

Shape toShape(ArrayRef<int64_t> a) { return Shape(a.begin(), a.end()); }

/// The product of the dims in [from, to).
int64_t product(const Shape &s, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t d = from; d < to; ++d)
    n *= s[d];
  return n;
}

/// The result's array, of the shape the op's shape rule gives; kernels fill
/// in `data`. The rule is applied again here, rather than trusting the
/// attributes, so that a kernel never indexes out of bounds.
llvm::Expected<Array> resultArray(Operation *op, const ShapeOr &rule) {
  if (!rule.ok())
    return opError(op, rule.error);
  Array out;
  out.shape = rule.shape;
  out.data.assign(numElements(out.shape), 0.0);
  return out;
}

//===----------------------------------------------------------------------===//
// Kernels, one per op family
//===----------------------------------------------------------------------===//

/// Values of the ops by the SSA value that holds them.
using Env = llvm::DenseMap<mlir::Value, Array>;
/// Parameter values by name.
using ParamArrays = std::map<std::string, Array>;

/// The value of an operand. Verified IR defines every operand before its use,
/// so it is always there; `find` rather than `operator[]` because an insert
/// would move the arrays that other references still point into.
const Array &lookup(const Env &env, mlir::Value v) {
  return env.find(v)->second;
}

llvm::Expected<Array> evalParam(ParamOp op, const ParamArrays &params) {
  auto it = params.find(op.getName().str());
  if (it == params.end())
    return opError(op, "no value given for parameter '" + op.getName() + "'");
  const Array &value = it->second;
  Shape want = shapeOf(op.getType());
  auto dtype = dtypeOf(op.getType().getElementType());
  if (!dtype)
    return opError(op, llvm::toString(dtype.takeError()));
  if (value.shape != want || value.dtype != *dtype)
    return opError(op, "parameter '" + op.getName() + "' must be " +
                           toString(want) + " " + dtypeName(*dtype) +
                           ", but its value is " + toString(value.shape) +
                           " " + dtypeName(value.dtype));
  return value;
}

llvm::Expected<Array> evalConstant(ConstantOp op) {
  ElementsAttr attr = op.getValue();
  Array out;
  out.shape = shapeOf(attr.getShapedType());
  if (isa<FloatType>(attr.getElementType())) {
    if (auto values = attr.tryGetValues<APFloat>())
      for (const APFloat &v : *values)
        out.data.push_back(v.convertToDouble());
  } else if (isa<IntegerType>(attr.getElementType())) {
    if (auto values = attr.tryGetValues<APInt>())
      for (const APInt &v : *values)
        out.data.push_back((double)v.getSExtValue());
  }
  if ((int64_t)out.data.size() != numElements(out.shape))
    return opError(op, "cannot read the elements of its value, of type " +
                           str(attr.getShapedType()));
  return out;
}

/// The element type conversion itself happens in `finish`.
llvm::Expected<Array> evalCast(CastOp op, const Env &env) {
  return lookup(env, op.getInput());
}

llvm::Expected<Array> evalBinary(Operation *op, const Env &env) {
  const Array &a = lookup(env, op->getOperand(0));
  const Array &b = lookup(env, op->getOperand(1));
  auto out = resultArray(op, broadcastShapes(a.shape, b.shape));
  if (!out)
    return out.takeError();
  bool ints = isInteger(a.dtype);
  double (*fn)(double, double) =
      llvm::TypeSwitch<Operation *, double (*)(double, double)>(op)
          .Case([](AddOp) { return +[](double x, double y) { return x + y; }; })
          .Case([](SubOp) { return +[](double x, double y) { return x - y; }; })
          .Case([](MulOp) { return +[](double x, double y) { return x * y; }; })
          .Case([](DivOp) { return +[](double x, double y) { return x / y; }; })
          .Case([](MaxOp) { return &maxOf; })
          .Case([](MinOp) { return &minOf; });
  bool intDiv = ints && isa<DivOp>(op);
  for (int64_t i = 0; i < (int64_t)out->data.size(); ++i) {
    Shape idx = unravel(i, out->shape);
    double x = a.data[broadcastOffset(idx, a.shape)];
    double y = b.data[broadcastOffset(idx, b.shape)];
    if (intDiv) {
      // Truncates toward zero; by zero it gives -1, as XLA defines it
      // (hardware would trap). The i32/i8 overflow of MIN / -1 wraps when the
      // result is rounded to the element type.
      out->data[i] = y == 0 ? -1.0 : (double)((int64_t)x / (int64_t)y);
    } else {
      out->data[i] = fn(x, y);
    }
  }
  return out;
}

/// 1 where `lhs predicate rhs` holds, else 0. The C++ comparisons are
/// IEEE's: false with a NaN operand, except != which is true.
llvm::Expected<Array> evalCompare(CompareOp op, const Env &env) {
  const Array &a = lookup(env, op.getLhs());
  const Array &b = lookup(env, op.getRhs());
  auto out = resultArray(op, broadcastShapes(a.shape, b.shape));
  if (!out)
    return out.takeError();
  StringRef predicate = op.getPredicate();
  auto holds = [&](double x, double y) {
    if (predicate == "eq")
      return x == y;
    if (predicate == "ne")
      return x != y;
    if (predicate == "lt")
      return x < y;
    if (predicate == "le")
      return x <= y;
    if (predicate == "gt")
      return x > y;
    return x >= y; // "ge": the verifier admits no other
  };
  for (int64_t i = 0; i < (int64_t)out->data.size(); ++i) {
    Shape idx = unravel(i, out->shape);
    out->data[i] = holds(a.data[broadcastOffset(idx, a.shape)],
                         b.data[broadcastOffset(idx, b.shape)])
                       ? 1.0
                       : 0.0;
  }
  return out;
}

llvm::Expected<Array> evalUnary(Operation *op, const Env &env) {
  Array out = lookup(env, op->getOperand(0));
  double (*fn)(double) =
      llvm::TypeSwitch<Operation *, double (*)(double)>(op)
          .Case([](NegOp) { return +[](double x) { return -x; }; })
          .Case([](ExpOp) { return +[](double x) { return std::exp(x); }; })
          .Case([](LogOp) { return +[](double x) { return std::log(x); }; })
          .Case([](SqrtOp) { return +[](double x) { return std::sqrt(x); }; })
          .Case([](RsqrtOp) {
            return +[](double x) { return 1.0 / std::sqrt(x); };
          })
          .Case([](TanhOp) { return +[](double x) { return std::tanh(x); }; })
          .Case([](SigmoidOp) {
            return +[](double x) { return 1.0 / (1.0 + std::exp(-x)); };
          })
          .Case([](ReluOp) { return +[](double x) { return maxOf(x, 0.0); }; })
          .Case([](ErfOp) { return +[](double x) { return std::erf(x); }; })
          .Case([](GeluOp) {
            return +[](double x) {
              return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
            };
          });
  for (double &x : out.data)
    x = fn(x);
  return out;
}

llvm::Expected<Array> evalMatmul(MatmulOp op, const Env &env) {
  const Array &a = lookup(env, op.getLhs());
  const Array &b = lookup(env, op.getRhs());
  auto out = resultArray(op, matmulShape(a.shape, b.shape));
  if (!out)
    return out.takeError();
  size_t ra = a.shape.size(), rb = b.shape.size(), ro = out->shape.size();
  int64_t m = a.shape[ra - 2], k = a.shape[ra - 1], n = b.shape[rb - 1];
  Shape batchA(a.shape.begin(), a.shape.end() - 2);
  Shape batchB(b.shape.begin(), b.shape.end() - 2);
  Shape batch(out->shape.begin(), out->shape.end() - 2);
  int64_t batches = product(out->shape, 0, ro - 2);
  for (int64_t bi = 0; bi < batches; ++bi) {
    Shape idx = unravel(bi, batch);
    const double *pa = a.data.data() + broadcastOffset(idx, batchA) * m * k;
    const double *pb = b.data.data() + broadcastOffset(idx, batchB) * k * n;
    double *po = out->data.data() + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += pa[i * k + p] * pb[p * n + j];
        po[i * n + j] = acc;
      }
  }
  return out;
}

llvm::Expected<Array> evalConv2d(Conv2dOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  const Array &w = lookup(env, op.getFilter());
  Shape strides = toShape(op.getStrides()), padding = toShape(op.getPadding()),
        dilations = toShape(op.getDilations());
  auto out = resultArray(
      op, conv2dShape(x.shape, w.shape, strides, padding, dilations));
  if (!out)
    return out.takeError();
  const Shape &os = out->shape;
  int64_t h = x.shape[1], wd = x.shape[2], c = x.shape[3];
  int64_t kh = w.shape[0], kw = w.shape[1], f = w.shape[3];
  for (int64_t b = 0; b < os[0]; ++b)
    for (int64_t oy = 0; oy < os[1]; ++oy)
      for (int64_t ox = 0; ox < os[2]; ++ox)
        for (int64_t oc = 0; oc < f; ++oc) {
          double acc = 0;
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t iy = oy * strides[0] - padding[0] + ky * dilations[0];
              int64_t ix = ox * strides[1] - padding[2] + kx * dilations[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                continue; // zero padding adds nothing
              for (int64_t ic = 0; ic < c; ++ic)
                acc += x.data[ravel4(x.shape, b, iy, ix, ic)] *
                       w.data[ravel4(w.shape, ky, kx, ic, oc)];
            }
          out->data[ravel4(os, b, oy, ox, oc)] = acc;
        }
  return out;
}

llvm::Expected<Array> evalMaxPool2d(MaxPool2dOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  Shape window = toShape(op.getWindow()), strides = toShape(op.getStrides()),
        padding = toShape(op.getPadding());
  auto out = resultArray(op, pool2dShape(x.shape, window, strides, padding));
  if (!out)
    return out.takeError();
  const Shape &os = out->shape;
  int64_t h = x.shape[1], wd = x.shape[2];
  for (int64_t b = 0; b < os[0]; ++b)
    for (int64_t oy = 0; oy < os[1]; ++oy)
      for (int64_t ox = 0; ox < os[2]; ++ox)
        for (int64_t c = 0; c < os[3]; ++c) {
          double best = -INFINITY; // what a padded position holds
          for (int64_t ky = 0; ky < window[0]; ++ky)
            for (int64_t kx = 0; kx < window[1]; ++kx) {
              int64_t iy = oy * strides[0] - padding[0] + ky;
              int64_t ix = ox * strides[1] - padding[2] + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                continue;
              double v = x.data[ravel4(x.shape, b, iy, ix, c)];
              best = maxOf(best, v);
            }
          out->data[ravel4(os, b, oy, ox, c)] = best;
        }
  return out;
}

/// softmax and log_softmax: the max is subtracted before exp so that large
/// logits do not overflow.
llvm::Expected<Array> evalSoftmax(Operation *op, int64_t axis, bool log,
                                  const Env &env) {
  const Array &x = lookup(env, op->getOperand(0));
  auto out = resultArray(op, axisShape(x.shape, axis));
  if (!out)
    return out.takeError();
  int64_t outer = product(x.shape, 0, axis), n = x.shape[axis],
          inner = product(x.shape, axis + 1, x.shape.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + in; };
      double mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j)
        mx = maxOf(mx, x.data[at(j)]);
      double sum = 0;
      for (int64_t j = 0; j < n; ++j)
        sum += std::exp(x.data[at(j)] - mx);
      for (int64_t j = 0; j < n; ++j) {
        double shifted = x.data[at(j)] - mx;
        out->data[at(j)] =
            log ? shifted - std::log(sum) : std::exp(shifted) / sum;
      }
    }
  return out;
}

enum class Reduction { Sum, Mean, Max };

llvm::Expected<Array> evalReduce(Operation *op, ArrayRef<int64_t> axes,
                                 bool keepDims, Reduction kind,
                                 const Env &env) {
  const Array &x = lookup(env, op->getOperand(0));
  auto out = resultArray(op, reduceShape(x.shape, toShape(axes), keepDims));
  if (!out)
    return out.takeError();
  // Accumulate into the keep_dims shape: reduced dims are 1 there, so the
  // broadcast index map sends each input element to its output element, and
  // dropping the 1s later does not move any data.
  Shape kept = x.shape;
  int64_t count = 1;
  for (int64_t a : axes) {
    count *= kept[a];
    kept[a] = 1;
  }
  std::vector<double> acc(numElements(kept),
                          kind == Reduction::Max ? -INFINITY : 0.0);
  for (int64_t i = 0; i < (int64_t)x.data.size(); ++i) {
    double &slot = acc[broadcastOffset(unravel(i, x.shape), kept)];
    double v = x.data[i];
    if (kind == Reduction::Max)
      slot = maxOf(slot, v);
    else
      slot += v;
  }
  if (kind == Reduction::Mean)
    for (double &v : acc)
      v /= (double)count;
  out->data = std::move(acc);
  return out;
}

llvm::Expected<Array> evalLayerNorm(LayerNormOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  const Array &gamma = lookup(env, op.getGamma());
  const Array &beta = lookup(env, op.getBeta());
  auto out = resultArray(op, layerNormShape(x.shape, gamma.shape, beta.shape));
  if (!out)
    return out.takeError();
  double epsilon = op.getEpsilon().convertToDouble();
  int64_t d = x.shape.back(), rows = d ? (int64_t)x.data.size() / d : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * d;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < d; ++j)
      mean += row[j];
    mean /= (double)d;
    for (int64_t j = 0; j < d; ++j)
      var += (row[j] - mean) * (row[j] - mean);
    var /= (double)d; // biased, as the op's definition says
    double scale = 1.0 / std::sqrt(var + epsilon);
    for (int64_t j = 0; j < d; ++j)
      out->data[r * d + j] =
          (row[j] - mean) * scale * gamma.data[j] + beta.data[j];
  }
  return out;
}

llvm::Expected<Array> evalReshape(ReshapeOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  auto out = resultArray(op, reshapeShape(x.shape, shapeOf(op.getType())));
  if (!out)
    return out.takeError();
  out->data = x.data;
  return out;
}

llvm::Expected<Array> evalTranspose(TransposeOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  ArrayRef<int64_t> perm = op.getPerm();
  auto out = resultArray(op, transposeShape(x.shape, toShape(perm)));
  if (!out)
    return out.takeError();
  Shape in(x.shape.size());
  for (int64_t i = 0; i < (int64_t)out->data.size(); ++i) {
    Shape idx = unravel(i, out->shape);
    for (size_t d = 0; d < perm.size(); ++d)
      in[perm[d]] = idx[d];
    out->data[i] = x.data[ravel(in, x.shape)];
  }
  return out;
}

llvm::Expected<Array> evalConcat(ConcatOp op, const Env &env) {
  std::vector<const Array *> xs;
  std::vector<Shape> shapes;
  for (mlir::Value v : op.getInputs()) {
    xs.push_back(&lookup(env, v));
    shapes.push_back(xs.back()->shape);
  }
  // getAxis() is unsigned; a negative axis must reach the shape rule as such.
  int64_t axis = (int64_t)op.getAxis();
  auto out = resultArray(op, concatShape(shapes, axis));
  if (!out)
    return out.takeError();
  int64_t outer = product(out->shape, 0, axis),
          inner = product(out->shape, axis + 1, out->shape.size());
  std::vector<double> data;
  for (int64_t o = 0; o < outer; ++o)
    for (const Array *x : xs) {
      int64_t block = x->shape[axis] * inner;
      data.insert(data.end(), x->data.begin() + o * block,
                  x->data.begin() + (o + 1) * block);
    }
  out->data = std::move(data);
  return out;
}

llvm::Expected<Array> evalSlice(SliceOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  Shape starts = toShape(op.getStarts()), strides = toShape(op.getStrides());
  auto out = resultArray(
      op, sliceShape(x.shape, starts, toShape(op.getLimits()), strides));
  if (!out)
    return out.takeError();
  for (int64_t i = 0; i < (int64_t)out->data.size(); ++i) {
    Shape idx = unravel(i, out->shape);
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] = starts[d] + idx[d] * strides[d];
    out->data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

llvm::Expected<Array> evalPatches(PatchesOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  Shape window = toShape(op.getWindow()), strides = toShape(op.getStrides()),
        dilations = toShape(op.getDilations());
  auto out = resultArray(op, patchesShape(x.shape, window, strides, dilations));
  if (!out)
    return out.takeError();
  int64_t c = x.shape[3];
  Shape wide = patchesPixels(x.shape, window, strides, dilations).shape;
  wide.push_back(out->shape[1]); // n, oh, ow, (kh KW + kw) C + ch
  for (int64_t i = 0; i < (int64_t)out->data.size(); ++i) {
    Shape idx = unravel(i, wide);
    int64_t k = idx[3] / c, kh = k / window[1], kw = k % window[1];
    out->data[i] = x.data[ravel({idx[0], idx[1] * strides[0] + kh * dilations[0],
                                 idx[2] * strides[1] + kw * dilations[1],
                                 idx[3] % c},
                                x.shape)];
  }
  return out;
}

/// Input element idx lands at low + idx * (interior + 1); the rest is 0.
llvm::Expected<Array> evalPad(PadOp op, const Env &env) {
  const Array &x = lookup(env, op.getInput());
  Shape low = toShape(op.getLow()), interior = toShape(op.getInterior());
  auto out = resultArray(
      op, padShape(x.shape, low, toShape(op.getHigh()), interior));
  if (!out)
    return out.takeError();
  for (int64_t i = 0; i < (int64_t)x.data.size(); ++i) {
    Shape idx = unravel(i, x.shape);
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] = low[d] + idx[d] * (interior[d] + 1);
    out->data[ravel(idx, out->shape)] = x.data[i];
  }
  return out;
}

llvm::Expected<Array> evalGather(GatherOp op, const Env &env) {
  const Array &table = lookup(env, op.getTable());
  const Array &indices = lookup(env, op.getIndices());
  auto out = resultArray(op, gatherShape(table.shape, indices.shape));
  if (!out)
    return out.takeError();
  int64_t rows = table.shape[0],
          rowSize = product(table.shape, 1, table.shape.size());
  if (rows == 0 && !indices.data.empty())
    return opError(op, "cannot gather rows from the empty table " +
                           toString(table.shape));
  for (int64_t i = 0; i < (int64_t)indices.data.size(); ++i) {
    // Out-of-range indices are clamped, as XLA does, not reported.
    int64_t row = std::clamp<int64_t>((int64_t)indices.data[i], 0, rows - 1);
    std::copy_n(table.data.begin() + row * rowSize, rowSize,
                out->data.begin() + i * rowSize);
  }
  return out;
}

/// A row of `depth` per id: 1 at the id, or all 0 for an id outside
/// [0, depth), as XLA and TensorFlow define it.
llvm::Expected<Array> evalOneHot(OneHotOp op, const Env &env) {
  const Array &indices = lookup(env, op.getIndices());
  int64_t depth = (int64_t)op.getDepth();
  auto out = resultArray(op, oneHotShape(indices.shape, depth));
  if (!out)
    return out.takeError();
  for (int64_t i = 0; i < (int64_t)indices.data.size(); ++i) {
    double id = indices.data[i];
    if (id >= 0 && id < (double)depth)
      out->data[i * depth + (int64_t)id] = 1.0;
  }
  return out;
}

llvm::Expected<Array> evalOp(Operation *op, const Env &env,
                             const ParamArrays &params) {
  return llvm::TypeSwitch<Operation *, llvm::Expected<Array>>(op)
      .Case([&](ParamOp p) { return evalParam(p, params); })
      .Case([&](ConstantOp c) { return evalConstant(c); })
      .Case([&](CastOp c) { return evalCast(c, env); })
      .Case<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp>(
          [&](auto) { return evalBinary(op, env); })
      .Case([&](CompareOp c) { return evalCompare(c, env); })
      .Case<NegOp, ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SigmoidOp, ReluOp,
            ErfOp, GeluOp>([&](auto) { return evalUnary(op, env); })
      .Case([&](MatmulOp m) { return evalMatmul(m, env); })
      .Case([&](Conv2dOp c) { return evalConv2d(c, env); })
      .Case([&](MaxPool2dOp p) { return evalMaxPool2d(p, env); })
      .Case([&](SoftmaxOp s) {
        return evalSoftmax(op, (int64_t)s.getAxis(), /*log=*/false, env);
      })
      .Case([&](LogSoftmaxOp s) {
        return evalSoftmax(op, (int64_t)s.getAxis(), /*log=*/true, env);
      })
      .Case([&](ReduceSumOp r) {
        return evalReduce(op, r.getAxes(), r.getKeepDims(), Reduction::Sum,
                          env);
      })
      .Case([&](ReduceMeanOp r) {
        return evalReduce(op, r.getAxes(), r.getKeepDims(), Reduction::Mean,
                          env);
      })
      .Case([&](ReduceMaxOp r) {
        return evalReduce(op, r.getAxes(), r.getKeepDims(), Reduction::Max,
                          env);
      })
      .Case([&](LayerNormOp l) { return evalLayerNorm(l, env); })
      .Case([&](ReshapeOp r) { return evalReshape(r, env); })
      .Case([&](TransposeOp t) { return evalTranspose(t, env); })
      .Case([&](ConcatOp c) { return evalConcat(c, env); })
      .Case([&](SliceOp s) { return evalSlice(s, env); })
      .Case([&](PatchesOp p) { return evalPatches(p, env); })
      .Case([&](PadOp p) { return evalPad(p, env); })
      .Case([&](GatherOp g) { return evalGather(g, env); })
      .Case([&](OneHotOp o) { return evalOneHot(o, env); })
      .Default([&](Operation *) -> llvm::Expected<Array> {
        return opError(op, "the interpreter does not know this op");
      });
}

/// Evaluates the ops of `block` in order and returns the operands of its
/// terminator (func.return, or kiln.yield of a fusion region, whose body
/// runs in an environment of its own). With `round` false, float values
/// stay in double (interpretInDouble).
llvm::Expected<std::vector<Array>> evalBlock(Block &block, Env &env,
                                             const ParamArrays &params,
                                             bool round) {
  for (Operation &op : block) {
    if (op.hasTrait<mlir::OpTrait::IsTerminator>()) {
      std::vector<Array> results;
      for (mlir::Value v : op.getOperands())
        results.push_back(lookup(env, v));
      return results;
    }
    std::vector<Array> values;
    if (auto fusion = dyn_cast<FusionOp>(op)) {
      Env inner;
      Block &body = fusion.getBody().front();
      for (auto [arg, operand] :
           llvm::zip(body.getArguments(), fusion.getInputs()))
        inner[arg] = lookup(env, operand);
      auto results = evalBlock(body, inner, params, round);
      if (!results)
        return results.takeError();
      values = std::move(*results);
    } else {
      if (op.getNumResults() != 1)
        return opError(&op, "the interpreter does not know this op");
      auto value = evalOp(&op, env, params);
      if (!value)
        return value.takeError();
      values.push_back(std::move(*value));
    }
    for (auto [result, value] : llvm::zip(op.getResults(), values)) {
      Type resultType = result.getType();
      auto dtype = dtypeOf(cast<ShapedType>(resultType).getElementType());
      if (!dtype)
        return opError(&op, llvm::toString(dtype.takeError()));
      // The kernels derive the shape from the operands; the IR must agree.
      if (value.shape != shapeOf(resultType))
        return opError(&op, "computed a result of shape " +
                                toString(value.shape) + " but the IR says " +
                                str(resultType));
      value.dtype = *dtype;
      env[result] = round || !isFloat(value.dtype) ? finish(std::move(value))
                                                   : std::move(value);
    }
  }
  return error("a block does not end in a terminator");
}

/// Runs the verifier and turns its diagnostics into the error's text, so
/// that malformed IR is reported rather than read out of bounds.
llvm::Error verifyFunc(func::FuncOp func) {
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(func.getContext(), [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error)
        diagnostics += locationString(d.getLocation()) + ": " + d.str() + "\n";
      return success();
    });
    if (succeeded(verify(func)))
      return llvm::Error::success();
  }
  return error("@" + func.getSymName() + " is not valid IR:\n" + diagnostics);
}

/// Runs `func` on `inputs`, each checked against its argument's type.
llvm::Expected<std::vector<Array>> run(func::FuncOp func,
                                       std::vector<Array> inputs,
                                       const ParamArrays &params, bool round) {
  if (func.isExternal())
    return error("@" + func.getSymName() + " has no body to interpret");
  if (llvm::Error err = verifyFunc(func))
    return err;
  if (!func.getBody().hasOneBlock())
    return error("@" + func.getSymName() +
                 " has several blocks; the interpreter runs one");

  Block &body = func.getBody().front();
  if (inputs.size() != body.getNumArguments())
    return error("@" + func.getSymName() + " takes " +
                 std::to_string(body.getNumArguments()) +
                 (body.getNumArguments() == 1 ? " input" : " inputs") +
                 ", got " + std::to_string(inputs.size()));

  Env env;
  for (unsigned i = 0; i < body.getNumArguments(); ++i) {
    BlockArgument arg = body.getArgument(i);
    std::string name = "input" + std::to_string(i);
    if (auto attr = func.getArgAttrOfType<StringAttr>(i, kNameAttr))
      name = attr.str();
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    auto dtype = type ? dtypeOf(type.getElementType())
                      : llvm::Expected<DType>(error("not a ranked tensor"));
    if (!dtype)
      return error("input '" + name + "' has type " + str(arg.getType()) +
                   ", which the interpreter cannot hold: " +
                   llvm::toString(dtype.takeError()));
    Shape want = shapeOf(type);
    const Array &given = inputs[i];
    if (given.shape != want || given.dtype != *dtype)
      return error("input '" + name + "' (argument " + std::to_string(i) +
                   " of @" + func.getSymName() + ") must be " + toString(want) +
                   " " + dtypeName(*dtype) + ", got " + toString(given.shape) +
                   " " + dtypeName(given.dtype));
    env[arg] = std::move(inputs[i]);
  }
  return evalBlock(body, env, params, round);
}

} // namespace

llvm::Expected<std::vector<HostTensor>>
interpret(func::FuncOp func, const std::vector<HostTensor> &inputs,
          const ParamValues &params) {
  std::vector<Array> arrays;
  for (const HostTensor &t : inputs)
    arrays.push_back(fromHost(t));
  ParamArrays paramArrays;
  for (const auto &[name, t] : params)
    paramArrays[name] = fromHost(t);
  auto results = run(func, std::move(arrays), paramArrays, /*round=*/true);
  if (!results)
    return results.takeError();
  std::vector<HostTensor> hosts;
  for (const Array &a : *results)
    hosts.push_back(toHost(a));
  return hosts;
}

llvm::Expected<std::vector<DoubleTensor>>
interpretInDouble(func::FuncOp func, const std::vector<DoubleTensor> &inputs,
                  const std::map<std::string, DoubleTensor> &params) {
  // Each value takes the dtype its argument or parameter is declared with.
  auto arrayOf = [](const DoubleTensor &t, Type type) {
    auto dtype = dtypeOf(cast<ShapedType>(type).getElementType());
    return Array{t.shape, dtype ? *dtype : (llvm::consumeError(dtype.takeError()),
                                            DType::F32),
                 t.values};
  };
  std::vector<Array> arrays;
  for (auto [t, type] : llvm::zip(inputs, func.getArgumentTypes()))
    arrays.push_back(arrayOf(t, type));
  if (inputs.size() != func.getNumArguments())
    arrays.resize(inputs.size()); // run() reports the count
  ParamArrays paramArrays;
  func.walk([&](ParamOp p) {
    auto it = params.find(p.getName().str());
    if (it != params.end())
      paramArrays[it->first] = arrayOf(it->second, p.getType());
  });
  auto results = run(func, std::move(arrays), paramArrays, /*round=*/false);
  if (!results)
    return results.takeError();
  std::vector<DoubleTensor> out;
  for (Array &a : *results)
    out.push_back({std::move(a.shape), std::move(a.data)});
  return out;
}

} // namespace kiln
