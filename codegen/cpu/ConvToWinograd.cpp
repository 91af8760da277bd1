//===- ConvToWinograd.cpp - 3x3 convolutions by Winograd's F(2x2, 3x3) ---===//
//
// A 3x3 convolution of stride 1 spends 9 multiplies per input channel on
// each output element. Winograd's minimal filtering (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2015) computes a tile of
// m x m outputs from an a x a input tile (a = m + 2) with a^2 multiplies
// per channel pair instead of 9 m^2: 2.25x fewer for F(2x2, 3x3), the one
// this pass uses (F(4x4, 3x3), 4x fewer, needs U of 36 x C x F, beyond L2
// for cnn's 64 x 128 filters, and rows in fours):
//
//   Y = A^T [ sum_c (G g_cf G^T) .* (B^T d_c B) ] A
//
// Per (channel, filter) the filter transform U = G g G^T is a x a; per
// (tile, channel) the input transform V = B^T d B. The sum over channels at
// each of the a^2 points xi is a matmul, M[xi] = V[xi] U[xi] (tiles x C by
// C x F), which --kiln-tile-matmul runs near the FMA peak; the output
// transform Y = A^T M A gives the m x m outputs. This is how cuDNN, oneDNN
// and NNPACK run such convolutions.
//
// The pass takes f32 linalg.conv_2d_nhwc_hwcf on buffers of static shapes
// (a fused kernel's chunk): 3x3 filter, stride and dilation 1, C and F
// multiples of the vector width, channels unit-stride. Per block (a row of
// tiles of as many of the chunk's images as keep V and M under 512 KiB) it
// transforms the input rows into V (a^2 x tiles x C, on the stack), runs
// the a^2 matmuls into M as one batched linalg.generic, and transforms M
// into the output rows, so that V, M and U stay in L2. U is computed once
// per kernel call when the filter is an argument the kernel only reads
// (every convolution of a chunk loop then shares it); otherwise right
// before the convolution. The transforms are vector code over channels,
// one vector of `vector-width` lanes per (tile point, channel block).
// Fusion cuts such convolutions into chunks of whole rows of 2 x 2 tiles
// where it can (kWinogradRows, FusionAnalysis.h). Rows and columns past
// the last whole tile stay a convolution, on views, for
// --kiln-conv-to-matmul. A zero fill of the output right before is dropped
// where the tiles write the output and kept on the left-over views.
//
// Rounding: Winograd sums different products than the direct convolution,
// in another order; the transforms' coefficients (0, +-1, 1/2) keep its
// error that of the direct sum (measured on cnn's second convolution
// against float64: at most 3.4e-7 against 2.1e-7 of max |y| = 1.07).
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/codegen/VectorBody.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_CONVTOWINOGRAD
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The transform matrices of F(m x m, 3x3), a = m + 2, row-major:
/// B^T (a x a), G (a x 3), A^T (m x a).
struct Transforms {
  int64_t m;
  ArrayRef<double> bt, g, at;
  int64_t a() const { return m + 2; }
};

// F(2x2, 3x3): interpolation points 0, 1, -1, infinity (Lavin and Gray).
const double kBt[] = {1, 0, -1, 0, //
                      0, 1, 1,  0, //
                      0, -1, 1, 0, //
                      0, 1, 0,  -1};
const double kG[] = {1,   0,    0,   //
                     0.5, 0.5,  0.5, //
                     0.5, -0.5, 0.5, //
                     0,   0,    1};
const double kAt[] = {1, 1, 1, 0, //
                      0, 1, -1, -1};
static_assert(kWinogradRows == 2, "fusion cuts chunks for F(2x2, 3x3)");

/// The stack buffers of all convolutions of a kernel together stay under
/// this (a worker's stack is 8 MiB; chunks of fused kernels take up to
/// 512 KiB of it).
constexpr int64_t kMaxScratchBytes = 1 << 20;

/// V and M of one block of tiles (a row of tiles of several images) stay
/// under this, so that with U they keep to L2.
constexpr int64_t kMaxBlockBytes = 512 * 1024;


int64_t attrAt(DenseIntElementsAttr attr, unsigned i) {
  return attr.getValues<int64_t>()[i];
}

/// `type` has static sizes and strides, and unit stride in its last dim.
bool staticWithUnitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.hasStaticShape() &&
         succeeded(getStridesAndOffset(type, strides, offset)) &&
         !llvm::any_of(strides, ShapedType::isDynamic) && strides.back() == 1;
}

/// `v` is an argument of the function that no op of it writes: every user
/// is a linalg op that reads it as an input (a view of it, or any other
/// user, disqualifies it). Another argument does not alias it: the runtime
/// passes a kernel disjoint buffers.
bool readOnlyArgument(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || !arg.getOwner()->isEntryBlock() ||
      !isa<func::FuncOp>(arg.getOwner()->getParentOp()))
    return false;
  for (Operation *user : v.getUsers()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
    if (!linalgOp || llvm::is_contained(linalgOp.getDpsInits(), v))
      return false;
  }
  return true;
}

class Rewriter {
public:
  Rewriter(func::FuncOp func, Transforms t, int64_t vectorWidth)
      : func(func), t(t), vw(vectorWidth) {}

  /// Whether `conv` is one the pass takes.
  bool takes(linalg::Conv2DNhwcHwcfOp conv) {
    if (!conv.hasPureBufferSemantics() ||
        attrAt(conv.getStrides(), 0) != 1 ||
        attrAt(conv.getStrides(), 1) != 1 ||
        attrAt(conv.getDilations(), 0) != 1 ||
        attrAt(conv.getDilations(), 1) != 1)
      return false;
    auto in = cast<MemRefType>(conv.getInputs()[0].getType());
    auto filter = cast<MemRefType>(conv.getInputs()[1].getType());
    auto out = cast<MemRefType>(conv.getOutputs()[0].getType());
    if (!in.getElementType().isF32() || !filter.getElementType().isF32() ||
        !out.getElementType().isF32() || !staticWithUnitInnerStride(in) ||
        !staticWithUnitInnerStride(filter) || !staticWithUnitInnerStride(out))
      return false;
    int64_t c = in.getDimSize(3), f = out.getDimSize(3);
    return filter.getDimSize(0) == 3 && filter.getDimSize(1) == 3 &&
           c % vw == 0 && f % vw == 0 && c >= kWinogradMinChannels &&
           out.getDimSize(1) >= t.m && out.getDimSize(2) >= t.m;
  }

  /// The images of a block: a row of tiles of each, as many images (a
  /// divisor of `n`) as keep V and M under kMaxBlockBytes. The matmuls'
  /// rows are the block's tiles: a chunk of 2 images by 2 rows of 34
  /// columns gives 34 rows, not 17 (6 + 6 + 4 + 1 in register tiles).
  int64_t imagesPerBlock(int64_t n, int64_t tiles, int64_t c, int64_t f) {
    int64_t perImage = 4 * t.a() * t.a() * tiles * (c + f);
    for (int64_t images = n; images > 1; --images)
      if (n % images == 0 && images * perImage <= kMaxBlockBytes)
        return images;
    return 1;
  }

  /// Stack bytes `conv` adds: U unless shared, V and M.
  int64_t scratchBytes(linalg::Conv2DNhwcHwcfOp conv) {
    auto in = cast<MemRefType>(conv.getInputs()[0].getType());
    auto out = cast<MemRefType>(conv.getOutputs()[0].getType());
    int64_t c = in.getDimSize(3), f = out.getDimSize(3),
            tiles = out.getDimSize(2) / t.m, points = t.a() * t.a();
    int64_t bytes = 4 * points * tiles * (c + f) *
                    imagesPerBlock(out.getDimSize(0), tiles, c, f);
    if (!filters.count(conv.getInputs()[1]))
      bytes += 4 * points * c * f;
    return bytes;
  }

  void rewrite(linalg::Conv2DNhwcHwcfOp conv);

private:
  func::FuncOp func;
  Transforms t;
  int64_t vw;
  /// The transformed filter U [a^2, C, F] of each read-only filter argument.
  llvm::DenseMap<Value, Value> filters;
  OpBuilder *b = nullptr;
  Location loc = UnknownLoc();

  Value index(int64_t v) {
    return b->create<arith::ConstantIndexOp>(loc, v);
  }
  Value splat(double v) {
    auto type = VectorType::get({vw}, b->getF32Type());
    return b->create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(type, static_cast<float>(v)));
  }
  /// `i * scale`.
  Value scaled(Value i, int64_t scale) {
    return b->create<arith::MulIOp>(loc, i, index(scale));
  }
  /// `i + offset`.
  Value plus(Value i, int64_t offset) {
    return b->create<arith::AddIOp>(loc, i, index(offset));
  }
  /// scf.for from 0 to `n` by `step`; the builder moves into its body.
  Value loop(int64_t n, int64_t step = 1) {
    auto l = b->create<scf::ForOp>(loc, index(0), index(n), index(step));
    b->setInsertionPointToStart(l.getBody());
    return l.getInductionVar();
  }
  Value stackBuffer(ArrayRef<int64_t> shape) {
    OpBuilder::InsertionGuard guard(*b);
    b->setInsertionPointToStart(&func.getBody().front());
    return b->create<memref::AllocaOp>(
        loc, MemRefType::get(shape, b->getF32Type()),
        b->getI64IntegerAttr(64));
  }
  Value load(Value memref, ArrayRef<Value> indices) {
    return b->create<vector::LoadOp>(
        loc, VectorType::get({vw}, b->getF32Type()), memref, indices);
  }

  /// sum_k row[k] x[k], with adds and subtracts for coefficients +-1.
  Value combine(ArrayRef<double> row, ArrayRef<Value> x) {
    Value sum;
    for (auto [coef, v] : llvm::zip(row, x)) {
      if (coef == 0)
        continue;
      bool unit = coef == 1 || coef == -1;
      if (!sum) {
        sum = coef == 1    ? v
              : coef == -1 ? b->create<arith::NegFOp>(loc, v).getResult()
                           : b->create<arith::MulFOp>(loc, v, splat(coef))
                                 .getResult();
      } else if (unit) {
        sum = coef == 1 ? b->create<arith::AddFOp>(loc, sum, v).getResult()
                        : b->create<arith::SubFOp>(loc, sum, v).getResult();
      } else {
        sum = b->create<vector::FMAOp>(loc, v, splat(coef), sum);
      }
    }
    return sum ? sum : splat(0);
  }

  /// L X L^T for L (rows x cols, row-major) and X (cols x cols): rows x
  /// rows.
  SmallVector<Value> sandwich(ArrayRef<double> l, int64_t rows,
                              ArrayRef<Value> x) {
    int64_t cols = l.size() / rows;
    SmallVector<Value> lx, out;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        SmallVector<Value> column;
        for (int64_t k = 0; k < cols; ++k)
          column.push_back(x[k * cols + j]);
        lx.push_back(combine(l.slice(i * cols, cols), column));
      }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < rows; ++j)
        out.push_back(combine(l.slice(j * cols, cols),
                              ArrayRef<Value>(lx).slice(i * cols, cols)));
    return out;
  }

  Value transformFilter(Value filter, int64_t c, int64_t f);
};

/// U[xi, c, f] = (G g_cf G^T)[xi], vectors along f.
Value Rewriter::transformFilter(Value filter, int64_t c, int64_t f) {
  int64_t a = t.a();
  Value u = stackBuffer({a * a, c, f});
  OpBuilder::InsertionGuard guard(*b);
  Value ci = loop(c);
  Value fi = loop(f, vw);
  SmallVector<Value> g;
  for (int64_t kh = 0; kh < 3; ++kh)
    for (int64_t kw = 0; kw < 3; ++kw)
      g.push_back(load(filter, {index(kh), index(kw), ci, fi}));
  SmallVector<Value> us = sandwich(t.g, a, g);
  for (int64_t xi = 0; xi < a * a; ++xi)
    b->create<vector::StoreOp>(loc, us[xi], u, ValueRange{index(xi), ci, fi});
  return u;
}

void Rewriter::rewrite(linalg::Conv2DNhwcHwcfOp conv) {
  OpBuilder builder(conv);
  b = &builder;
  loc = conv.getLoc();
  Value in = conv.getInputs()[0], filter = conv.getInputs()[1],
        out = conv.getOutputs()[0];
  auto outType = cast<MemRefType>(out.getType());
  int64_t n = outType.getDimSize(0), oh = outType.getDimSize(1),
          ow = outType.getDimSize(2), f = outType.getDimSize(3),
          c = cast<MemRefType>(in.getType()).getDimSize(3);
  int64_t m = t.m, a = t.a(), points = a * a;
  int64_t tileRows = oh / m, tiles = ow / m;
  linalg::FillOp fill = zeroFillOf(conv);

  // U: once per call at the function's start for a filter argument the
  // function only reads, else here.
  Value u = filters.lookup(filter);
  if (!u) {
    OpBuilder::InsertionGuard guard(builder);
    bool hoist = readOnlyArgument(filter);
    if (hoist)
      builder.setInsertionPointToStart(&func.getBody().front());
    u = transformFilter(filter, c, f);
    if (hoist)
      filters[filter] = u;
  }
  int64_t images = imagesPerBlock(n, tiles, c, f), blockTiles = images * tiles;
  Value v = stackBuffer({points, blockTiles, c});
  Value mm = stackBuffer({points, blockTiles, f});

  {
    OpBuilder::InsertionGuard guard(builder);
    Value n0 = loop(n, images);
    Value row = loop(tileRows);
    Value row0 = scaled(row, m);
    // Loops over the block's images and tiles; the image, the tile's first
    // column and its row in V and M.
    auto blockLoops = [&](Value &image, Value &col0, Value &blockTile) {
      Value i = loop(images);
      Value ti = loop(tiles);
      image = b->create<arith::AddIOp>(loc, n0, i);
      col0 = scaled(ti, m);
      blockTile = b->create<arith::AddIOp>(loc, scaled(i, tiles), ti);
    };
    // V[xi, t, c] = (B^T d B)[xi] for the a x a input tile t.
    {
      OpBuilder::InsertionGuard inner(builder);
      Value image, col0, blockTile;
      blockLoops(image, col0, blockTile);
      Value ci = loop(c, vw);
      SmallVector<Value> d;
      for (int64_t i = 0; i < a; ++i)
        for (int64_t j = 0; j < a; ++j)
          d.push_back(load(in, {image, plus(row0, i), plus(col0, j), ci}));
      SmallVector<Value> vs = sandwich(t.bt, a, d);
      for (int64_t xi = 0; xi < points; ++xi)
        b->create<vector::StoreOp>(loc, vs[xi], v,
                                   ValueRange{index(xi), blockTile, ci});
    }
    // M[xi] = V[xi] U[xi], the fill folded into the matmul.
    Value zero = b->create<arith::ConstantOp>(loc, b->getF32FloatAttr(0));
    b->create<linalg::FillOp>(loc, zero, mm);
    MLIRContext *ctx = b->getContext();
    AffineExpr xi, ti, fi, ci;
    bindDims(ctx, xi, ti, fi, ci);
    auto map = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(4, 0, results, ctx);
    };
    buildMulAdd(*b, loc, v, u, mm,
                {map({xi, ti, ci}), map({xi, ci, fi}), map({xi, ti, fi})},
                {utils::IteratorType::parallel, utils::IteratorType::parallel,
                 utils::IteratorType::parallel,
                 utils::IteratorType::reduction});
    // Y = A^T M A into the output tile (added to it, unless it was zeroed).
    {
      OpBuilder::InsertionGuard inner(builder);
      Value image, col0, blockTile;
      blockLoops(image, col0, blockTile);
      Value fIdx = loop(f, vw);
      SmallVector<Value> x;
      for (int64_t p = 0; p < points; ++p)
        x.push_back(load(mm, {index(p), blockTile, fIdx}));
      SmallVector<Value> y = sandwich(t.at, m, x);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t s = 0; s < m; ++s) {
          SmallVector<Value> pos = {image, plus(row0, r), plus(col0, s),
                                    fIdx};
          Value value = y[r * m + s];
          if (!fill)
            value = b->create<arith::AddFOp>(loc, load(out, pos), value);
          b->create<vector::StoreOp>(loc, value, out, pos);
        }
    }
  }

  // Rows below the last tile row (all columns), then columns right of the
  // last tile (the tile rows' rows): direct convolutions on views.
  auto direct = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    if (r0 >= r1 || c0 >= c1)
      return;
    auto view = [&](Value buffer, int64_t rows, int64_t cols) {
      auto type = cast<MemRefType>(buffer.getType());
      SmallVector<OpFoldResult> offsets = {
          b->getIndexAttr(0), b->getIndexAttr(r0), b->getIndexAttr(c0),
          b->getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          b->getIndexAttr(type.getDimSize(0)), b->getIndexAttr(rows),
          b->getIndexAttr(cols), b->getIndexAttr(type.getDimSize(3))};
      SmallVector<OpFoldResult> strides(4, b->getIndexAttr(1));
      return b->create<memref::SubViewOp>(loc, buffer, offsets, sizes, strides)
          .getResult();
    };
    Value o = view(out, r1 - r0, c1 - c0);
    Value i = view(in, r1 - r0 + 2, c1 - c0 + 2);
    if (fill)
      b->create<linalg::FillOp>(loc, fill.getDpsInputOperand(0)->get(), o);
    b->create<linalg::Conv2DNhwcHwcfOp>(
        loc, TypeRange{}, ValueRange{i, filter}, ValueRange{o},
        conv.getStrides(), conv.getDilations());
  };
  direct(tileRows * m, oh, 0, ow);
  direct(0, tileRows * m, tiles * m, ow);

  if (fill)
    fill->erase();
  conv->erase();
  b = nullptr;
}

struct ConvToWinogradPass
    : kiln::impl::ConvToWinogradBase<ConvToWinogradPass> {
  using ConvToWinogradBase::ConvToWinogradBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(checkVectorWidth(func, "kiln-conv-to-winograd", vectorWidth)))
      return signalPassFailure();
    Rewriter rewriter(func, {kWinogradRows, kBt, kG, kAt}, vectorWidth);
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    func.walk([&](linalg::Conv2DNhwcHwcfOp op) {
      if (rewriter.takes(op))
        convs.push_back(op);
    });
    int64_t scratch = 0;
    for (linalg::Conv2DNhwcHwcfOp conv : convs) {
      int64_t bytes = rewriter.scratchBytes(conv);
      if (scratch + bytes > kMaxScratchBytes)
        continue;
      scratch += bytes;
      rewriter.rewrite(conv);
    }
  }
};

} // namespace
