//===- ConvToMatmul.cpp - NHWC convolutions as matmuls on strided views ---===//
//
// A convolution lowered to loops runs far from the FMA peak; the matmul
// tiles of --kiln-tile-matmul run near it. In NHWC with HWCF filters (and
// columns not dilated), one output row is a sum of KH matmuls with no copy:
//
//   out[n, oh, :, :] += A_kh [OW, KW*C] * B_kh [KW*C, F]
//   A_kh[ow, kw*C + c] = in[n, oh*sh + kh*dh, ow*sw + kw, c]
//   B_kh[kw*C + c, f]  = filter[kh, kw, c, f]
//
// A_kh is a view of the input with rows sw*C apart, each KW*C long: the
// rows overlap (im2col without the copy), which memref.reinterpret_cast
// expresses. Each output element still sums its products in (kh, kw, c)
// order, one FMA each, whatever the workgroup split.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
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
    auto index = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    auto meta = [&](Value v) {
      return b.create<memref::ExtractStridedMetadataOp>(loc, v);
    };
    auto inMeta = meta(in), fMeta = meta(filter), oMeta = meta(out);
    auto size = [&](memref::ExtractStridedMetadataOp m,
                    unsigned d) -> OpFoldResult {
      int64_t s = cast<MemRefType>(m.getSource().getType()).getDimSize(d);
      if (ShapedType::isDynamic(s))
        return m.getSizes()[d];
      return b.getIndexAttr(s);
    };
    OpFoldResult ow = size(oMeta, 2), f = size(fMeta, 3);
    // A view of `base`: `rows` x `cols` from `offset`, rows `rowStride`
    // apart.
    Type f32 = b.getF32Type();
    auto view = [&](memref::ExtractStridedMetadataOp m, Value offset,
                    OpFoldResult rows, OpFoldResult cols, int64_t rowStride) {
      auto dim = [](OpFoldResult s) {
        std::optional<int64_t> c = getConstantIntValue(s);
        return c ? *c : ShapedType::kDynamic;
      };
      auto type = MemRefType::get(
          {dim(rows), dim(cols)}, f32,
          StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                 {rowStride, 1}));
      return b.create<memref::ReinterpretCastOp>(
          loc, type, m.getBaseBuffer(), OpFoldResult(offset),
          ArrayRef<OpFoldResult>{rows, cols},
          ArrayRef<OpFoldResult>{b.getIndexAttr(rowStride),
                                 b.getIndexAttr(1)});
    };
    auto mulAdd = [&](Value base, Value i, int64_t stride) {
      return b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, i, index(stride)));
    };

    Value zero = index(0), one = index(1);
    auto loop = [&](OpFoldResult n) {
      auto l = b.create<scf::ForOp>(
          loc, zero, getValueOrCreateConstantIndexOp(b, loc, n), one);
      b.setInsertionPointToStart(l.getBody());
      return l.getInductionVar();
    };
    Value ni = loop(size(oMeta, 0));
    Value ohi = loop(size(oMeta, 1));
    Value khi = loop(b.getIndexAttr(kh));
    // Input row oh*sh + kh*dh of image n.
    Value row = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, ohi, index(sh)),
        b.create<arith::MulIOp>(loc, khi, index(dh)));
    Value aOffset =
        mulAdd(mulAdd(inMeta.getOffset(), ni, (*inStr)[0]), row, (*inStr)[1]);
    Value bOffset = mulAdd(fMeta.getOffset(), khi, (*fStr)[0]);
    Value cOffset =
        mulAdd(mulAdd(oMeta.getOffset(), ni, (*oStr)[0]), ohi, (*oStr)[1]);
    OpFoldResult window = b.getIndexAttr(kw * c);
    Value a = view(inMeta, aOffset, ow, window, sw * c);
    Value bView = view(fMeta, bOffset, window, f, (*fStr)[2]);
    Value cView = view(oMeta, cOffset, ow, f, (*oStr)[2]);
    b.create<linalg::MatmulOp>(loc, ValueRange{a, bView}, ValueRange{cView});
    conv->erase();
  }
};

} // namespace

bool kiln::convertsToMatmuls(linalg::Conv2DNhwcHwcfOp op) {
  auto type = dyn_cast<ShapedType>(op.getOutputs()[0].getType());
  return type && type.getElementType().isF32() &&
         attrAt(op.getDilations(), 1) == 1;
}
