//===- ConvToMatmul.cpp - NHWC convolutions as matmuls on strided views ---===//
//
// A convolution lowered to loops runs far from the FMA peak; the matmul
// tiles of --kiln-tile-matmul run near it. In NHWC with HWCF filters (and
// columns not dilated), one output row is one contraction over the whole
// window (kh, kw, c), with no copy:
//
//   out[n, oh, ow, f] = sum_kh sum_r A[ow, kh, r] * B[kh, r, f]
//   A[ow, kh, kw*C + c] = in[n, oh*sh + kh*dh, ow*sw + kw, c]
//   B[kh, kw*C + c, f]  = filter[kh, kw, c, f]
//
// A is a view of the input with rows sw*C apart, each KH runs of KW*C
// elements, the runs an input row (times dh) apart: the rows overlap (im2col
// without the copy), which memref.reinterpret_cast expresses. B is the
// filter with (kw, c) collapsed, so that --kiln-tile-matmul reads it as one
// K x F matrix (K = KH*KW*C) and may pack it. The contraction is a
// linalg.generic with two reduction dims (kh, then r), which
// --kiln-tile-matmul takes as one k loop of KH*KW*C: with few input
// channels (an RGB image: KW*C = 9) a matmul per filter row would load and
// store its accumulators every 9 FMAs. Each output element still sums its
// products in (kh, kw, c) order, one FMA each, whatever the workgroup
// split. A zero fill of the output right before the convolution becomes a
// fill of each output row right before its contraction, where
// --kiln-tile-matmul folds it away.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_CONVTOMATMUL
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

int64_t attrAt(DenseIntElementsAttr attr, unsigned i) {
  return attr.getValues<int64_t>()[i];
}

/// Static strides of a memref, or none.
std::optional<SmallVector<int64_t>> staticStrides(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type || failed(getStridesAndOffset(type, strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  return strides;
}

struct ConvToMatmulPass : kiln::impl::ConvToMatmulBase<ConvToMatmulPass> {
  void runOnOperation() override {
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp op) {
      if (op.hasPureBufferSemantics())
        convs.push_back(op);
    });
    for (linalg::Conv2DNhwcHwcfOp conv : convs)
      rewrite(conv);
  }

  void rewrite(linalg::Conv2DNhwcHwcfOp conv) {
    if (!convertsToMatmuls(conv))
      return;
    Value in = conv.getInputs()[0], filter = conv.getInputs()[1],
          out = conv.getOutputs()[0];
    auto inStr = staticStrides(in), fStr = staticStrides(filter),
         oStr = staticStrides(out);
    // A workgroup's share of a convolution has dynamic sizes; the window
    // (kh, kw, c) never does.
    ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
    ArrayRef<int64_t> fShape = cast<MemRefType>(filter.getType()).getShape();
    int64_t c = inShape[3], kh = fShape[0], kw = fShape[1];
    if (ShapedType::isDynamic(c) || ShapedType::isDynamic(kh) ||
        ShapedType::isDynamic(kw))
      return;
    // (kw, c) must be one contiguous run in the input and one row-major
    // block of rows in the filter; C's rows unit-stride.
    if (!inStr || !fStr || !oStr || (*inStr)[3] != 1 || (*inStr)[2] != c ||
        (*fStr)[3] != 1 || (*fStr)[1] != c * (*fStr)[2] || (*oStr)[3] != 1)
      return;
    int64_t sh = attrAt(conv.getStrides(), 0), sw = attrAt(conv.getStrides(), 1);
    int64_t dh = attrAt(conv.getDilations(), 0);

    OpBuilder b(conv);
    Location loc = conv.getLoc();
    // The zero fill of the whole output right before, taken apart per row.
    linalg::FillOp fill = zeroFillOf(conv);
    auto index = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    auto meta = [&](Value v) {
      return b.create<memref::ExtractStridedMetadataOp>(loc, v);
    };
    auto inMeta = meta(in), oMeta = meta(out);
    auto size = [&](memref::ExtractStridedMetadataOp m,
                    unsigned d) -> OpFoldResult {
      int64_t s = cast<MemRefType>(m.getSource().getType()).getDimSize(d);
      if (ShapedType::isDynamic(s))
        return m.getSizes()[d];
      return b.getIndexAttr(s);
    };
    OpFoldResult ow = size(oMeta, 2), f = size(oMeta, 3);
    // A view of `m`'s buffer from `offset`: `sizes` with `strides`.
    Type f32 = b.getF32Type();
    auto view = [&](memref::ExtractStridedMetadataOp m, Value offset,
                    ArrayRef<OpFoldResult> sizes, ArrayRef<int64_t> strides) {
      SmallVector<int64_t> shape;
      SmallVector<OpFoldResult> strideAttrs;
      for (OpFoldResult s : sizes) {
        std::optional<int64_t> c = getConstantIntValue(s);
        shape.push_back(c ? *c : ShapedType::kDynamic);
      }
      for (int64_t s : strides)
        strideAttrs.push_back(b.getIndexAttr(s));
      auto type =
          MemRefType::get(shape, f32,
                          StridedLayoutAttr::get(
                              b.getContext(), ShapedType::kDynamic, strides));
      return b.create<memref::ReinterpretCastOp>(loc, type, m.getBaseBuffer(),
                                                 OpFoldResult(offset), sizes,
                                                 strideAttrs);
    };
    auto mulAdd = [&](Value base, Value i, int64_t stride) {
      return b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, i, index(stride)));
    };
    // B: the filter as [KH, KW*C, F], the same for every row.
    Value bView = b.create<memref::CollapseShapeOp>(
        loc, filter, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}});

    Value zero = index(0), one = index(1);
    auto loop = [&](OpFoldResult n) {
      auto l = b.create<scf::ForOp>(
          loc, zero, getValueOrCreateConstantIndexOp(b, loc, n), one);
      b.setInsertionPointToStart(l.getBody());
      return l.getInductionVar();
    };
    Value ni = loop(size(oMeta, 0));
    Value ohi = loop(size(oMeta, 1));
    // Input row oh*sh of image n; filter row kh reads dh input rows on.
    Value aOffset =
        mulAdd(mulAdd(inMeta.getOffset(), ni, (*inStr)[0]),
               b.create<arith::MulIOp>(loc, ohi, index(sh)), (*inStr)[1]);
    Value cOffset =
        mulAdd(mulAdd(oMeta.getOffset(), ni, (*oStr)[0]), ohi, (*oStr)[1]);
    Value a =
        view(inMeta, aOffset, {ow, b.getIndexAttr(kh), b.getIndexAttr(kw * c)},
             {sw * c, dh * (*inStr)[1], 1});
    Value cView = view(oMeta, cOffset, {ow, f}, {(*oStr)[2], 1});
    if (fill)
      b.create<linalg::FillOp>(loc, fill.getDpsInputOperand(0)->get(), cView);
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, k1, k2;
    bindDims(ctx, m, n, k1, k2);
    auto map = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(4, 0, results, ctx);
    };
    buildMulAdd(b, loc, a, bView, cView,
                {map({m, k1, k2}), map({k1, k2, n}), map({m, n})},
                {utils::IteratorType::parallel, utils::IteratorType::parallel,
                 utils::IteratorType::reduction,
                 utils::IteratorType::reduction});
    if (fill)
      fill->erase();
    conv->erase();
  }
};

} // namespace

bool kiln::convertsToMatmuls(linalg::Conv2DNhwcHwcfOp op) {
  auto type = dyn_cast<ShapedType>(op.getOutputs()[0].getType());
  return type && type.getElementType().isF32() &&
         attrAt(op.getDilations(), 1) == 1;
}

/// The fill of `conv`'s whole output with +0.0 right before it, or null.
linalg::FillOp kiln::zeroFillOf(linalg::Conv2DNhwcHwcfOp conv) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(conv->getPrevNode());
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getDpsInitOperand(0)->get() != conv.getOutputs()[0])
    return {};
  auto value =
      fill.getDpsInputOperand(0)->get().getDefiningOp<arith::ConstantOp>();
  auto attr = value ? dyn_cast<FloatAttr>(value.getValue()) : FloatAttr();
  if (!attr || !attr.getValue().isPosZero())
    return {};
  return fill;
}
