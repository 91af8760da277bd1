//===- Gradients.cpp - The vector-Jacobian product of every kiln op -------===//
//
// One `vjp` per differentiable op (GradientOpInterface): given the gradient
// G of a scalar loss with respect to the op's result, build the gradients
// with respect to its operands out of kiln ops, right after the op, at its
// location. The rules use only kiln ops, so that the gradient graph is
// checked by the interpreter and fused and compiled like the forward one.
// Broadcasting operands get their gradient summed back to their own shape
// (sumTo). Integer operands (ids) have no gradient: null.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
ArrayRef<int64_t> shapeOf(Value v) { return typeOf(v).getShape(); }

/// A splat constant of `type`.
Value splat(OpBuilder &b, Location loc, RankedTensorType type, double v) {
  Type et = type.getElementType();
  Attribute a = isa<FloatType>(et) ? Attribute(b.getFloatAttr(et, v))
                                   : Attribute(b.getIntegerAttr(et, (int64_t)v));
  return b.create<ConstantOp>(loc, type, DenseElementsAttr::get(type, a));
}

/// A rank-0 constant of `like`'s element type.
Value scalar(OpBuilder &b, Location loc, Value like, double v) {
  return splat(b, loc, RankedTensorType::get({}, typeOf(like).getElementType()),
               v);
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return b.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v);
}

/// `v` stretched to `shape` by numpy broadcasting.
Value broadcastTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return b.create<AddOp>(
      loc, v,
      splat(b, loc, RankedTensorType::get(shape, typeOf(v).getElementType()),
            0.0));
}

/// The gradient `g` of a broadcast result, summed over the dims that
/// `target` (an operand's shape) was stretched along.
Value sumTo(OpBuilder &b, Location loc, Value g, ArrayRef<int64_t> target) {
  ArrayRef<int64_t> shape = shapeOf(g);
  if (shape == target)
    return g;
  size_t lead = shape.size() - target.size();
  SmallVector<int64_t> axes;
  for (size_t i = 0; i < shape.size(); ++i)
    if (i < lead || (target[i - lead] == 1 && shape[i] != 1))
      axes.push_back(i);
  Value sum = b.create<ReduceSumOp>(loc, g, b.getDenseI64ArrayAttr(axes),
                                         b.getBoolAttr(false));
  return reshape(b, loc, sum, target);
}
Value sumTo(OpBuilder &b, Location loc, Value g, Value like) {
  return sumTo(b, loc, g, shapeOf(like));
}

/// The shape of a reduction's result with its reduced dims kept as 1.
SmallVector<int64_t> keptShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> kept(shape);
  for (int64_t a : axes)
    kept[a] = 1;
  return kept;
}

Value sumKept(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes) {
  return b.create<ReduceSumOp>(loc, v, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(true));
}
Value meanKept(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes) {
  return b.create<ReduceMeanOp>(loc, v, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(true));
}

Value compare(OpBuilder &b, Location loc, Value x, Value y, StringRef pred) {
  return b.create<CompareOp>(loc, x, y, pred);
}

/// A 0/1 mask of the forward pass that the backward pass reads, through i8:
/// where the forward pass stores it for the backward one (a ReLU's or a
/// pooling's mask, as large as the activation), it takes a quarter of the
/// bytes of a float mask; the values are exact either way.
Value storedMask(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  if (!type.getElementType().isF32())
    return mask;
  Value narrow = b.create<CastOp>(loc, type.clone(b.getI8Type()), mask);
  return b.create<CastOp>(loc, type, narrow);
}

/// Swaps the last two dims.
Value transposeLast2(OpBuilder &b, Location loc, Value v) {
  SmallVector<int64_t> perm(shapeOf(v).size());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return b.create<TransposeOp>(loc, v, perm);
}

Value pad(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> low,
          ArrayRef<int64_t> high, ArrayRef<int64_t> interior) {
  if (llvm::all_of(low, [](int64_t x) { return x == 0; }) &&
      llvm::all_of(high, [](int64_t x) { return x == 0; }) &&
      llvm::all_of(interior, [](int64_t x) { return x == 0; }))
    return v;
  return b.create<PadOp>(loc, v, low, high, interior);
}

Value slice(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> starts,
            ArrayRef<int64_t> limits, ArrayRef<int64_t> strides) {
  if (shapeOf(v) == limits && llvm::all_of(starts, [](int64_t x) {
        return x == 0;
      }) && llvm::all_of(strides, [](int64_t x) { return x == 1; }))
    return v;
  return b.create<SliceOp>(loc, v, starts, limits, strides);
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

void AddOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(sumTo(b, getLoc(), g[0], getLhs()));
  out.push_back(sumTo(b, getLoc(), g[0], getRhs()));
}

void SubOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(sumTo(b, getLoc(), g[0], getLhs()));
  out.push_back(sumTo(b, getLoc(), b.create<NegOp>(getLoc(), g[0]), getRhs()));
}

void MulOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], getRhs()), getLhs()));
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], getLhs()), getRhs()));
}

// y = a / b: dy/da = 1 / b, dy/db = -a / b^2 = -y / b.
void DivOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value da = b.create<DivOp>(loc, g[0], getRhs());
  out.push_back(sumTo(b, loc, da, getLhs()));
  Value db = b.create<NegOp>(loc, b.create<MulOp>(loc, da, getResult()));
  out.push_back(sumTo(b, loc, db, getRhs()));
}

// The larger operand takes the gradient; on a tie, the left one.
void MaxOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value lhsWins = compare(b, loc, getLhs(), getRhs(), "ge");
  Value rhsWins = compare(b, loc, getLhs(), getRhs(), "lt");
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], lhsWins), getLhs()));
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], rhsWins), getRhs()));
}

void MinOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value lhsWins = compare(b, loc, getLhs(), getRhs(), "le");
  Value rhsWins = compare(b, loc, getLhs(), getRhs(), "gt");
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], lhsWins), getLhs()));
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], rhsWins), getRhs()));
}

// A mask is piecewise constant.
void CompareOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &out) {
  out.append({Value(), Value()});
}

void NegOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(b.create<NegOp>(getLoc(), g[0]));
}

void ExpOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(b.create<MulOp>(getLoc(), g[0], getResult()));
}

void LogOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(b.create<DivOp>(getLoc(), g[0], getInput()));
}

// y = sqrt(x): dy/dx = 0.5 / y.
void SqrtOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value half = b.create<MulOp>(loc, g[0], scalar(b, loc, g[0], 0.5));
  out.push_back(b.create<DivOp>(loc, half, getResult()));
}

// y = x^-1/2: dy/dx = -0.5 y^3.
void RsqrtOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value y = getResult();
  Value y3 = b.create<MulOp>(loc, b.create<MulOp>(loc, y, y), y);
  Value scaled = b.create<MulOp>(loc, g[0], scalar(b, loc, y, -0.5));
  out.push_back(b.create<MulOp>(loc, scaled, y3));
}

// dy/dx = 1 - y^2.
void TanhOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value y = getResult();
  Value d = b.create<SubOp>(loc, scalar(b, loc, y, 1.0),
                            b.create<MulOp>(loc, y, y));
  out.push_back(b.create<MulOp>(loc, g[0], d));
}

// dy/dx = y (1 - y).
void SigmoidOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value y = getResult();
  Value d = b.create<MulOp>(
      loc, y, b.create<SubOp>(loc, scalar(b, loc, y, 1.0), y));
  out.push_back(b.create<MulOp>(loc, g[0], d));
}

// The gradient passes where x > 0 (none at 0, as in TensorFlow and PyTorch).
void ReluOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value mask = compare(b, loc, getInput(), scalar(b, loc, getInput(), 0.0), "gt");
  out.push_back(b.create<MulOp>(loc, g[0], storedMask(b, loc, mask)));
}

// d erf(x)/dx = 2 / sqrt(pi) exp(-x^2).
void ErfOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput();
  Value e = b.create<ExpOp>(loc, b.create<NegOp>(loc, b.create<MulOp>(loc, x, x)));
  Value d = b.create<MulOp>(loc, e, scalar(b, loc, x, 2.0 / std::sqrt(M_PI)));
  out.push_back(b.create<MulOp>(loc, g[0], d));
}

// gelu(x) = x Phi(x): d/dx = Phi(x) + x phi(x), with
// Phi(x) = (1 + erf(x / sqrt 2)) / 2 and phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
void GeluOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput();
  Value erf = b.create<ErfOp>(
      loc, b.create<MulOp>(loc, x, scalar(b, loc, x, M_SQRT1_2)));
  Value cdf = b.create<MulOp>(
      loc, b.create<AddOp>(loc, erf, scalar(b, loc, x, 1.0)),
      scalar(b, loc, x, 0.5));
  Value halfSquare = b.create<MulOp>(loc, b.create<MulOp>(loc, x, x),
                                     scalar(b, loc, x, -0.5));
  Value pdf = b.create<MulOp>(loc, b.create<ExpOp>(loc, halfSquare),
                              scalar(b, loc, x, 0.5 * M_2_SQRTPI * M_SQRT1_2));
  Value d = b.create<AddOp>(loc, cdf, b.create<MulOp>(loc, x, pdf));
  out.push_back(b.create<MulOp>(loc, g[0], d));
}

// Between float types the gradient converts back; integers have none.
void CastOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  if (!isa<FloatType>(typeOf(getInput()).getElementType()) ||
      !isa<FloatType>(typeOf(getResult()).getElementType())) {
    out.push_back(Value());
    return;
  }
  out.push_back(b.create<CastOp>(getLoc(), getInput().getType(), g[0]));
}

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

// Y = A B: dA = G B^T, dB = A^T G, each summed over the batch dims its
// operand was broadcast along. A [..., M, K] times a matrix B [K, N] (a
// dense layer on a sequence) folds the batch dims into the rows first, so
// that dB is one matrix product rather than a batch of them and a sum.
void MatmulOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value lhs = getLhs(), rhs = getRhs(), grad = g[0];
  ArrayRef<int64_t> a = shapeOf(lhs), gs = shapeOf(grad);
  // dLhs = G B^T. A weight B much larger than G and dLhs (a wide dense
  // layer at a small batch) is not transposed, each step, in full:
  // dLhs^T = B G^T transposes the two small ones instead.
  int64_t rows = typeOf(grad).getNumElements() / gs.back();
  Value dLhs;
  if (shapeOf(rhs).size() == 2 &&
      typeOf(rhs).getNumElements() > rows * (gs.back() + a.back())) {
    Value g2 = reshape(b, loc, grad, {rows, gs.back()});
    Value dT = b.create<MatmulOp>(loc, rhs, transposeLast2(b, loc, g2));
    SmallVector<int64_t> dShape(gs.drop_back());
    dShape.push_back(a.back());
    dLhs = reshape(b, loc, transposeLast2(b, loc, dT), dShape);
  } else {
    dLhs = b.create<MatmulOp>(loc, grad, transposeLast2(b, loc, rhs));
  }
  out.push_back(sumTo(b, loc, dLhs, lhs));
  if (shapeOf(rhs).size() == 2 && a.size() > 2) {
    lhs = reshape(b, loc, lhs, {rows, a.back()});
    grad = reshape(b, loc, grad, {rows, gs.back()});
  }
  Value dRhs = b.create<MatmulOp>(loc, transposeLast2(b, loc, lhs), grad);
  out.push_back(sumTo(b, loc, dRhs, rhs));
}

// x [N, H, W, C] (padded: xp [N, Hp, Wp, C]), w [KH, KW, C, F], stride s,
// dilation d; y[n, oh, ow, f] = sum xp[n, oh s + kh d, ow s + kw d, c] w.
//  dW[kh, kw, c, f] = sum_{n, oh, ow} xp[n, oh s + kh d, ...] G[n, oh, ow, f]
//    is one matmul over the P = N OH OW output pixels: G^T [F, P] times the
//    pixels' windows [P, KH KW C] (im2col: kiln.patches of xp), then
//    transposed to [KH KW C, F]. (As a
//    convolution of xp^T with G^T as the filter it would be a matmul of KW
//    rows per output row: far from the register tile.)
//  dxp = G dilated by s (interior zeros), padded by d (K - 1) on each side,
//    convolved with w flipped in space and with C and F swapped, dilation d;
//    rows and columns that no window covered get zeros, then the forward
//    padding is cut off.
void Conv2dOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput(), w = getFilter(), grad = g[0];
  ArrayRef<int64_t> s = getStrides(), p = getPadding(), d = getDilations();
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w);
  int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
  int64_t kh = ws[0], kw = ws[1], f = ws[3];
  int64_t hp = h + p[0] + p[1], wp = wd + p[2] + p[3];

  // Input.
  {
    SmallVector<int64_t> ids(kh * kw);
    for (int64_t i = 0; i < kh * kw; ++i)
      ids[i] = kh * kw - 1 - i;
    auto idsType = RankedTensorType::get({kh * kw}, b.getI32Type());
    SmallVector<int32_t> ids32(ids.begin(), ids.end());
    Value idsValue = b.create<ConstantOp>(
        loc, idsType, DenseElementsAttr::get(idsType, ArrayRef(ids32)));
    Value flat = reshape(b, loc, w, {kh * kw, c * f});
    Value flipped = reshape(b, loc, b.create<GatherOp>(loc, flat, idsValue),
                            {kh, kw, c, f});
    Value wT = b.create<TransposeOp>(loc, flipped, ArrayRef<int64_t>{0, 1, 3, 2});
    int64_t ph = d[0] * (kh - 1), pw = d[1] * (kw - 1);
    Value gp = pad(b, loc, grad, {0, ph, pw, 0}, {0, ph, pw, 0},
                   {0, s[0] - 1, s[1] - 1, 0});
    Value dxp = b.create<Conv2dOp>(loc, gp, wT, ArrayRef<int64_t>{1, 1},
                                   ArrayRef<int64_t>{0, 0, 0, 0}, d);
    ArrayRef<int64_t> covered = shapeOf(dxp);
    dxp = pad(b, loc, dxp, {0, 0, 0, 0},
              {0, hp - covered[1], wp - covered[2], 0}, {0, 0, 0, 0});
    out.push_back(slice(b, loc, dxp, {0, p[0], p[2], 0},
                        {n, p[0] + h, p[2] + wd, c}, {1, 1, 1, 1}));
  }

  // Filter.
  {
    ArrayRef<int64_t> gs = shapeOf(grad);
    int64_t pixels = n * gs[1] * gs[2];
    Value xp = pad(b, loc, x, {0, p[0], p[2], 0}, {0, p[1], p[3], 0},
                   {0, 0, 0, 0});
    Value cols = b.create<PatchesOp>(loc, xp, ArrayRef<int64_t>{kh, kw}, s, d);
    Value gT = transposeLast2(b, loc, reshape(b, loc, grad, {pixels, f}));
    Value dwT = b.create<MatmulOp>(loc, gT, cols);
    out.push_back(reshape(b, loc, transposeLast2(b, loc, dwT), {kh, kw, c, f}));
  }
}

// Each window element's gradient goes back to where it was read: for each
// window offset (i, j), the [N, OH, OW, C] slice of G at that offset, spread
// out by the strides (interior zeros) and shifted by the offset; the
// offsets' parts add up where windows overlap.
void PatchesOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  ArrayRef<int64_t> xs = shapeOf(getInput());
  ArrayRef<int64_t> win = getWindow(), s = getStrides(), d = getDilations();
  Shape ys = patchesPixels(Shape(xs), Shape(win), Shape(s), Shape(d)).shape;
  int64_t n = xs[0], c = xs[3];
  Value split = reshape(b, loc, g[0], {n, ys[1], ys[2], win[0] * win[1], c});
  Value sum;
  for (int64_t k = 0; k < win[0] * win[1]; ++k) {
    int64_t top = k / win[1] * d[0], left = k % win[1] * d[1];
    Value part = reshape(
        b, loc,
        slice(b, loc, split, {0, 0, 0, k, 0}, {n, ys[1], ys[2], k + 1, c},
              {1, 1, 1, 1, 1}),
        {n, ys[1], ys[2], c});
    int64_t bottom = xs[1] - (top + (ys[1] - 1) * s[0] + 1),
            right = xs[2] - (left + (ys[2] - 1) * s[1] + 1);
    part = pad(b, loc, part, {0, top, left, 0}, {0, bottom, right, 0},
               {0, s[0] - 1, s[1] - 1, 0});
    sum = sum ? Value(b.create<AddOp>(loc, sum, part)) : part;
  }
  out.push_back(sum);
}

// Each window's gradient goes to its maximum; on a tie, to the first in
// row-major window order (as TensorFlow's MaxPoolGrad). For each window
// offset, the elements at that offset of every window are one strided
// slice of the padded input: where it equals the result and no earlier
// offset took the window, the gradient is padded back into place.
void MaxPool2dOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput(), y = getResult(), grad = g[0];
  ArrayRef<int64_t> win = getWindow(), s = getStrides(), p = getPadding();
  ArrayRef<int64_t> xs = shapeOf(x), ys = shapeOf(y);
  int64_t n = xs[0], h = xs[1], w = xs[2], c = xs[3];
  int64_t hp = h + p[0] + p[1], wp = w + p[2] + p[3];
  bool padded = llvm::any_of(p, [](int64_t v) { return v != 0; });
  if (!padded && s[0] == win[0] && s[1] == win[1]) {
    // Windows that tile the input (a 2x2 pool of stride 2): each input
    // element is in one window, [N, OH, KH, OW, KW, C] as a reshape. The
    // first maximum in window order is the one of highest rank
    // KH KW - (i KW + j) among the elements equal to the result.
    int64_t th = ys[1] * win[0], tw = ys[2] * win[1];
    Value xt = th == h && tw == w
                   ? x
                   : slice(b, loc, x, {0, 0, 0, 0}, {n, th, tw, c},
                           {1, 1, 1, 1});
    SmallVector<int64_t> split{n, ys[1], win[0], ys[2], win[1], c},
        one{n, ys[1], 1, ys[2], 1, c};
    Value eq = compare(b, loc, reshape(b, loc, xt, split),
                       reshape(b, loc, y, one), "eq");
    auto rankType =
        RankedTensorType::get({1, 1, win[0], 1, win[1], 1}, typeOf(x).getElementType());
    SmallVector<float> ranks;
    for (int64_t i = 0; i < win[0] * win[1]; ++i)
      ranks.push_back(float(win[0] * win[1] - i));
    Value rank = b.create<MulOp>(
        loc, eq,
        b.create<ConstantOp>(loc, rankType,
                             DenseElementsAttr::get(rankType, ArrayRef(ranks))));
    Value best = b.create<ReduceMaxOp>(loc, rank, b.getDenseI64ArrayAttr({2, 4}),
                                       b.getBoolAttr(true));
    Value dx = b.create<MulOp>(
        loc, reshape(b, loc, grad, one),
        storedMask(b, loc, compare(b, loc, rank, best, "eq")));
    dx = reshape(b, loc, dx, {n, th, tw, c});
    if (th != h || tw != w)
      dx = pad(b, loc, dx, {0, 0, 0, 0}, {0, h - th, w - tw, 0}, {0, 0, 0, 0});
    out.push_back(dx);
    return;
  }
  Value xp = pad(b, loc, x, {0, p[0], p[2], 0}, {0, p[1], p[3], 0}, {0, 0, 0, 0});
  // Padded positions hold -inf in the forward pass and never win.
  Value valid;
  if (padded)
    valid = pad(b, loc, splat(b, loc, typeOf(x), 1.0), {0, p[0], p[2], 0},
                {0, p[1], p[3], 0}, {0, 0, 0, 0});
  Value taken, sum;
  for (int64_t i = 0; i < win[0]; ++i)
    for (int64_t j = 0; j < win[1]; ++j) {
      SmallVector<int64_t> starts{0, i, j, 0},
          limits{n, i + (ys[1] - 1) * s[0] + 1, j + (ys[2] - 1) * s[1] + 1, c},
          strides{1, s[0], s[1], 1};
      Value mask = compare(b, loc, slice(b, loc, xp, starts, limits, strides), y,
                           "eq");
      if (valid)
        mask = b.create<MulOp>(loc, mask,
                               slice(b, loc, valid, starts, limits, strides));
      if (taken) {
        mask = b.create<SubOp>(loc, mask, b.create<MulOp>(loc, mask, taken));
        taken = b.create<AddOp>(loc, taken, mask);
      } else {
        taken = mask;
      }
      Value part = pad(b, loc, b.create<MulOp>(loc, grad, mask), starts,
                       {0, hp - limits[1], wp - limits[2], 0},
                       {0, s[0] - 1, s[1] - 1, 0});
      sum = sum ? Value(b.create<AddOp>(loc, sum, part)) : part;
    }
  out.push_back(
      slice(b, loc, sum, {0, p[0], p[2], 0}, {n, p[0] + h, p[2] + w, c},
            {1, 1, 1, 1}));
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

// dx = y (G - sum(G y)) along the axis.
void SoftmaxOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value y = getResult();
  int64_t axis = getAxis();
  Value dot = sumKept(b, loc, b.create<MulOp>(loc, g[0], y), {axis});
  out.push_back(b.create<MulOp>(loc, y, b.create<SubOp>(loc, g[0], dot)));
}

// dx = G - softmax(x) sum(G) along the axis, softmax(x) = exp(y).
void LogSoftmaxOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value sum = sumKept(b, loc, g[0], {int64_t(getAxis())});
  Value p = b.create<ExpOp>(loc, getResult());
  out.push_back(b.create<SubOp>(loc, g[0], b.create<MulOp>(loc, p, sum)));
}

void ReduceSumOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  ArrayRef<int64_t> xs = shapeOf(getInput());
  Value kept = reshape(b, loc, g[0], keptShape(xs, getAxes()));
  out.push_back(broadcastTo(b, loc, kept, xs));
}

void ReduceMeanOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  ArrayRef<int64_t> xs = shapeOf(getInput());
  int64_t count = 1;
  for (int64_t a : getAxes())
    count *= xs[a];
  Value kept = reshape(b, loc, g[0], keptShape(xs, getAxes()));
  Value scaled = b.create<MulOp>(loc, kept, scalar(b, loc, kept, 1.0 / count));
  out.push_back(broadcastTo(b, loc, scaled, xs));
}

// The maxima share the gradient equally, as in TensorFlow.
void ReduceMaxOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput();
  SmallVector<int64_t> kept = keptShape(shapeOf(x), getAxes());
  Value mask = compare(b, loc, x, reshape(b, loc, getResult(), kept), "eq");
  Value count = sumKept(b, loc, mask, getAxes());
  Value share = b.create<DivOp>(loc, reshape(b, loc, g[0], kept), count);
  out.push_back(b.create<MulOp>(loc, mask, share));
}

// With xhat = (x - mean) rstd over the last dim and G' = G gamma:
//   dx = rstd (G' - mean(G') - xhat mean(G' xhat)),
//   dgamma = sum(G xhat), dbeta = sum(G) over the leading dims.
void LayerNormOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value x = getInput();
  int64_t last = shapeOf(x).size() - 1;
  Value centred = b.create<SubOp>(loc, x, meanKept(b, loc, x, {last}));
  Value var = meanKept(b, loc, b.create<MulOp>(loc, centred, centred), {last});
  Value eps = scalar(b, loc, x, getEpsilon().convertToDouble());
  Value rstd = b.create<RsqrtOp>(loc, b.create<AddOp>(loc, var, eps));
  Value xhat = b.create<MulOp>(loc, centred, rstd);
  Value gx = b.create<MulOp>(loc, g[0], getGamma());
  Value meanG = meanKept(b, loc, gx, {last});
  Value meanGx = meanKept(b, loc, b.create<MulOp>(loc, gx, xhat), {last});
  Value inner = b.create<SubOp>(loc, b.create<SubOp>(loc, gx, meanG),
                                b.create<MulOp>(loc, xhat, meanGx));
  out.push_back(b.create<MulOp>(loc, rstd, inner));
  out.push_back(sumTo(b, loc, b.create<MulOp>(loc, g[0], xhat), getGamma()));
  out.push_back(sumTo(b, loc, g[0], getBeta()));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

void ReshapeOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  out.push_back(reshape(b, getLoc(), g[0], shapeOf(getInput())));
}

void TransposeOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  out.push_back(b.create<TransposeOp>(getLoc(), g[0], inverse));
}

void ConcatOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  int64_t axis = getAxis(), offset = 0;
  for (Value in : getInputs()) {
    ArrayRef<int64_t> shape = shapeOf(in);
    SmallVector<int64_t> starts(shape.size(), 0), limits(shapeOf(g[0])),
        strides(shape.size(), 1);
    starts[axis] = offset;
    limits[axis] = offset + shape[axis];
    offset += shape[axis];
    out.push_back(slice(b, getLoc(), g[0], starts, limits, strides));
  }
}

// The gradient goes back to the sliced positions; zeros elsewhere.
void SliceOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  ArrayRef<int64_t> xs = shapeOf(getInput()), ys = shapeOf(getResult());
  ArrayRef<int64_t> starts = getStarts(), strides = getStrides();
  SmallVector<int64_t> high, interior;
  for (size_t i = 0; i < xs.size(); ++i) {
    int64_t end = ys[i] == 0 ? starts[i] : starts[i] + (ys[i] - 1) * strides[i] + 1;
    high.push_back(xs[i] - end);
    interior.push_back(strides[i] - 1);
  }
  out.push_back(pad(b, getLoc(), g[0], starts, high, interior));
}

void PadOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  ArrayRef<int64_t> xs = shapeOf(getInput());
  ArrayRef<int64_t> low = getLow(), interior = getInterior();
  SmallVector<int64_t> limits, strides;
  for (size_t i = 0; i < xs.size(); ++i) {
    int64_t inner = xs[i] == 0 ? 0 : xs[i] + (xs[i] - 1) * interior[i];
    limits.push_back(low[i] + inner);
    strides.push_back(interior[i] + 1);
  }
  out.push_back(slice(b, getLoc(), g[0], low, limits, strides));
}

// dTable = onehot(ids)^T G: each row of G added into its id's row. Ids are
// clamped into the table first, as the forward gather clamps them.
void GatherOp::vjp(OpBuilder &b, ValueRange g, SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value table = getTable(), ids = getIndices();
  ArrayRef<int64_t> ts = shapeOf(table);
  int64_t rows = ts[0], picks = typeOf(ids).getNumElements();
  int64_t width = typeOf(table).getNumElements() / rows;
  Value clamped = b.create<MaxOp>(
      loc, b.create<MinOp>(loc, ids, scalar(b, loc, ids, rows - 1)),
      scalar(b, loc, ids, 0));
  Value flatIds = reshape(b, loc, clamped, {picks});
  auto oneHotType =
      RankedTensorType::get({picks, rows}, typeOf(table).getElementType());
  Value oneHot = b.create<OneHotOp>(loc, oneHotType, flatIds, rows);
  Value flatG = reshape(b, loc, g[0], {picks, width});
  Value dTable =
      b.create<MatmulOp>(loc, transposeLast2(b, loc, oneHot), flatG);
  out.push_back(reshape(b, loc, dTable, ts));
  out.push_back(Value());
}

void OneHotOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &out) {
  out.push_back(Value());
}
