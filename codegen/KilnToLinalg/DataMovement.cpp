//===- DataMovement.cpp - reshape, slice, patches, pad, gather, ... -------===//
//
// Ops that move elements without arithmetic map onto the tensor dialect's
// views where one fits (bufferization then avoids copies) and onto
// linalg.transpose / linalg.generic otherwise. one_hot, which places a 1 by
// index as gather places a row, is here with it.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/KilnToLinalg/Patterns.h"
#include "kiln/ir/Shapes.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace kiln;

namespace {

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

/// A linalg.generic, all loops parallel, that writes its first input into
/// `init` through `maps` (the other inputs only size loops).
Value copyGeneric(OpBuilder &b, Location loc, ValueRange inputs, Value init,
                  ArrayRef<AffineMap> maps) {
  return b
      .create<linalg::GenericOp>(
          loc, init.getType(), inputs, ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(maps.front().getNumDims(),
                                           utils::IteratorType::parallel),
          [](OpBuilder &b, Location l, ValueRange args) {
            b.create<linalg::YieldOp>(l, args[0]);
          })
      .getResult(0);
}

/// Row-major reshape: collapse to one dim, then expand to the target. Rank-0
/// tensors (one element) collapse and expand with an empty reassociation.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto from = cast<RankedTensorType>(x.getType());
    auto to = cast<RankedTensorType>(op.getType());
    auto all = [](int64_t rank) {
      SmallVector<ReassociationIndices> r;
      if (rank > 0)
        r.push_back(llvm::to_vector(llvm::seq<int64_t>(0, rank)));
      return r;
    };
    bool viaScalar = from.getRank() == 0 || to.getRank() == 0;
    if (from.getRank() != 1 && !viaScalar)
      x = rewriter.create<tensor::CollapseShapeOp>(loc, x, all(from.getRank()));
    if (viaScalar && from.getRank() != 0)
      x = rewriter.create<tensor::CollapseShapeOp>(loc, x, all(0));
    if (to.getRank() != 1 || viaScalar)
      x = rewriter.create<tensor::ExpandShapeOp>(
          loc, to, x, all(viaScalar ? 0 : to.getRank()));
    rewriter.replaceOp(op, x);
    return success();
  }
};

/// linalg.transpose loops over the result, reading the input with the
/// stride of the result's inner dim X; the lines read stay in cache for the
/// next elements only while the input's inner dim Y (one line per row of
/// X) fits. When Y is the shorter of the two (a [pixels, 32] gradient
/// transposed), the loops run over the input instead: contiguous reads, and
/// Y lines of the result written in turn.
struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  /// Rows of the result's line (64 bytes of f32), and the rows from which
  /// they are written a block at a time.
  static constexpr int64_t kBlock = 16, kBlockedRows = 1024,
                           kBlockedColumns = 64;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPerm();
    ArrayRef<int64_t> in = cast<RankedTensorType>(op.getInput().getType())
                               .getShape();
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    unsigned rank = perm.size();
    if (rank < 2 || perm.back() == rank - 1 ||
        in.back() >= type.getShape().back()) {
      auto t = rewriter.create<linalg::TransposeOp>(loc, adaptor.getInput(),
                                                    init, perm);
      rewriter.replaceOp(op, t.getResults());
      return success();
    }
    MLIRContext *ctx = op.getContext();
    if (rank == 2 && in[0] >= kBlockedRows && in[0] % kBlock == 0 &&
        in[1] >= kBlockedColumns) {
      // Many rows of many columns: in blocks of kBlock rows, so that each
      // column of the block is one whole line of the result, not Y lines
      // written a float at a time each (a [41472, 64] transpose ran at 2
      // GB/s; with 32 columns the lines in flight still fit). Loops (block,
      // column, row in block); an unread [rows / kBlock, kBlock] operand
      // sizes the block loops.
      AffineExpr block, col, row;
      bindDims(ctx, block, col, row);
      Value blocks = rewriter.create<tensor::EmptyOp>(
          loc, ArrayRef<int64_t>{in[0] / kBlock, kBlock}, type.getElementType());
      SmallVector<AffineMap> maps = {
          AffineMap::get(3, 0, {block * kBlock + row, col}, ctx),
          AffineMap::get(3, 0, {block, row}, ctx),
          AffineMap::get(3, 0, {col, block * kBlock + row}, ctx)};
      rewriter.replaceOp(op, copyGeneric(rewriter, loc,
                                         {adaptor.getInput(), blocks}, init,
                                         maps));
      return success();
    }
    SmallVector<AffineExpr> outExprs;
    for (int64_t d : perm)
      outExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, outExprs, ctx)};
    rewriter.replaceOp(op,
                       copyGeneric(rewriter, loc, adaptor.getInput(), init, maps));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value result = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                    type.getElementType());
    int64_t axis = op.getAxis(), offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(in.getType());
      SmallVector<int64_t> offsets(type.getRank(), 0);
      offsets[axis] = offset;
      SmallVector<int64_t> strides(type.getRank(), 1);
      result = rewriter.create<tensor::InsertSliceOp>(
          loc, in, result, ValueRange{}, ValueRange{}, ValueRange{},
          offsets, inType.getShape(), strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, adaptor.getInput(), ValueRange{}, ValueRange{}, ValueRange{},
        op.getStarts(), type.getShape(), op.getStrides());
    return success();
  }
};

/// One generic over (p, kh, kw, c), p = (n OH + oh) OW + ow the result's
/// row, reading the input at (n, oh SH + kh DH, ow SW + kw DW, c) and
/// writing (p, (kh KW + kw) C + c): unit-stride along C on both sides, the
/// rows shared among workgroups. An unread [KH, KW, C] operand gives the
/// loops over the window their extents, as a convolution's filter does.
struct PatchesLowering : OpConversionPattern<PatchesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PatchesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> in = cast<RankedTensorType>(adaptor.getInput().getType())
                               .getShape();
    ArrayRef<int64_t> win = op.getWindow(), s = op.getStrides(),
                      d = op.getDilations();
    int64_t c = in[3];
    Shape pixels =
        patchesPixels(Shape(in), Shape(win), Shape(s), Shape(d)).shape;
    int64_t oh = pixels[1], ow = pixels[2];
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    Value window = rewriter.create<tensor::EmptyOp>(
        loc, ArrayRef<int64_t>{win[0], win[1], c}, type.getElementType());
    MLIRContext *ctx = op.getContext();
    AffineExpr p, kh, kw, ch;
    bindDims(ctx, p, kh, kw, ch);
    SmallVector<AffineMap> maps = {
        AffineMap::get(4, 0,
                       {p.floorDiv(oh * ow), (p.floorDiv(ow) % oh) * s[0] + kh * d[0],
                        (p % ow) * s[1] + kw * d[1], ch},
                       ctx),
        AffineMap::get(4, 0, {kh, kw, ch}, ctx),
        AffineMap::get(4, 0, {p, (kh * win[1] + kw) * c + ch}, ctx)};
    rewriter.replaceOp(op, copyGeneric(rewriter, loc,
                                       {adaptor.getInput(), window}, init, maps));
    return success();
  }
};

/// Zeros, then the input written over them as one strided box: it starts
/// at `low`, and `interior` zeros between elements make a stride of
/// interior + 1. Without interior zeros only the border is zeroed, as
/// disjoint boxes (along each dim, the part before and after the input,
/// within the input's range along the dims before it): a conv gradient's
/// pad of [8, 72, 72, 64] by 2 wrote 11.8 MB of zeros and then 10.6 MB of
/// input over most of them. Every box bufferizes in place into the result,
/// the input's as a strided view of it that the input is copied into.
struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    ArrayRef<int64_t> low = op.getLow(), in = inType.getShape(),
                      out = type.getShape();
    TypedAttr zero = zeroAttr(type.getElementType());
    Value result;
    if (llvm::any_of(op.getInterior(), [](int64_t i) { return i != 0; })) {
      result = filledTensor(rewriter, loc, type, zero);
    } else {
      result = rewriter.create<tensor::EmptyOp>(loc, out,
                                                type.getElementType());
      auto zeroBox = [&](SmallVector<int64_t> offsets,
                         SmallVector<int64_t> sizes) {
        if (llvm::is_contained(sizes, 0))
          return;
        Value box = filledTensor(
            rewriter, loc,
            RankedTensorType::get(sizes, type.getElementType()), zero);
        result = rewriter.create<tensor::InsertSliceOp>(
            loc, box, result, ValueRange{}, ValueRange{}, ValueRange{},
            offsets, sizes, SmallVector<int64_t>(out.size(), 1));
      };
      for (size_t d = 0; d < out.size(); ++d) {
        SmallVector<int64_t> offsets(out.size(), 0), sizes(out);
        for (size_t e = 0; e < d; ++e) {
          offsets[e] = low[e];
          sizes[e] = in[e];
        }
        sizes[d] = low[d];
        zeroBox(offsets, sizes);
        offsets[d] = low[d] + in[d];
        sizes[d] = out[d] - offsets[d];
        zeroBox(offsets, sizes);
      }
    }
    SmallVector<int64_t> strides;
    for (int64_t interior : op.getInterior())
      strides.push_back(interior + 1);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, adaptor.getInput(), result, ValueRange{}, ValueRange{},
        ValueRange{}, low, in, strides);
    return success();
  }
};

/// result[i..., d...] = table[clamp(indices[i...], 0, V-1), d...].
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Value table = adaptor.getTable();
    auto tableType = cast<RankedTensorType>(table.getType());
    unsigned rank = type.getRank();
    unsigned indexRank =
        cast<RankedTensorType>(adaptor.getIndices().getType()).getRank();
    SmallVector<AffineExpr> indexExprs;
    for (unsigned i = 0; i < indexRank; ++i)
      indexExprs.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, indexExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{adaptor.getIndices()}, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          Value zero = b.create<arith::ConstantIndexOp>(l, 0);
          Value last =
              b.create<arith::ConstantIndexOp>(l, tableType.getDimSize(0) - 1);
          row = b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, row, zero),
                                         last);
          SmallVector<Value> at = {row};
          for (unsigned i = indexRank; i < rank; ++i)
            at.push_back(b.create<linalg::IndexOp>(l, i));
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<tensor::ExtractOp>(l, table, at)});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// result[i..., k] = ids[i...] == k ? 1 : 0, with k the last loop
/// (linalg.index): an id outside [0, depth) matches no k and gives a row of
/// zeros. The comparison is on index values, to which the i32 id is
/// sign-extended, so a negative id stays negative.
struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    SmallVector<AffineExpr> idExprs;
    for (unsigned i = 0; i + 1 < rank; ++i)
      idExprs.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, idExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{adaptor.getIndices()}, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value id = b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          Value k = b.create<linalg::IndexOp>(l, rank - 1);
          Value hot =
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, id, k);
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::UIToFPOp>(
                     l, type.getElementType(), hot)});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void kiln::populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering,
               ConcatLowering, SliceLowering, PatchesLowering, PadLowering,
               GatherLowering, OneHotLowering>(
      patterns.getContext());
}
