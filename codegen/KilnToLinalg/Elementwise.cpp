//===- Elementwise.cpp - kiln elementwise ops to linalg.generic -----------===//
//
// Every elementwise op becomes one linalg.generic over the result shape whose
// operand maps encode numpy broadcasting; only the scalar body differs from
// op to op, so the body is the one thing written per op.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/KilnToLinalg/Patterns.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;

/// A float constant of type `t`.
static Value floatConst(OpBuilder &b, Location loc, Type t, double v) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(t, v));
}

/// The arith predicates of kiln.compare's `predicate` (ordered for floats,
/// so that NaN compares false, but "ne" unordered, so that it is true;
/// signed for integers), or nullopt for a predicate the verifier refuses.
static std::optional<std::pair<arith::CmpFPredicate, arith::CmpIPredicate>>
comparePredicates(StringRef predicate) {
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  using Pair = std::pair<F, I>;
  return llvm::StringSwitch<std::optional<Pair>>(predicate)
      .Case("eq", Pair{F::OEQ, I::eq})
      .Case("ne", Pair{F::UNE, I::ne})
      .Case("lt", Pair{F::OLT, I::slt})
      .Case("le", Pair{F::OLE, I::sle})
      .Case("gt", Pair{F::OGT, I::sgt})
      .Case("ge", Pair{F::OGE, I::sge})
      .Default(std::nullopt);
}

/// The scalar computation of elementwise `op` on scalar operands `args`,
/// producing a value of the result element type `t`.
static Value scalarBody(Operation *op, OpBuilder &b, Location loc, Type t,
                        ValueRange args) {
  bool isFloat = isa<FloatType>(t);
  auto binary = [&](auto floatOp, auto intOp) -> Value {
    using F = decltype(floatOp);
    using I = decltype(intOp);
    if (isFloat)
      return b.create<F>(loc, args[0], args[1]);
    return b.create<I>(loc, args[0], args[1]);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) { return binary(arith::AddFOp(), arith::AddIOp()); })
      .Case([&](SubOp) { return binary(arith::SubFOp(), arith::SubIOp()); })
      .Case([&](MulOp) { return binary(arith::MulFOp(), arith::MulIOp()); })
      .Case([&](DivOp) -> Value {
        if (isFloat)
          return b.create<arith::DivFOp>(loc, args[0], args[1]);
        // As XLA: x / 0 = -1 and MIN / -1 = MIN, where divsi would trap.
        auto constant = [&](int64_t v) -> Value {
          return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, v));
        };
        Value zero = constant(0), minusOne = constant(-1), one = constant(1);
        Value min = constant(
            APInt::getSignedMinValue(t.getIntOrFloatBitWidth()).getSExtValue());
        Value byZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                               args[1], zero);
        Value overflow = b.create<arith::AndIOp>(
            loc,
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, args[0], min),
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, args[1],
                                    minusOne));
        Value safe = b.create<arith::SelectOp>(
            loc, b.create<arith::OrIOp>(loc, byZero, overflow), one, args[1]);
        Value q = b.create<arith::DivSIOp>(loc, args[0], safe);
        q = b.create<arith::SelectOp>(loc, overflow, min, q);
        return b.create<arith::SelectOp>(loc, byZero, minusOne, q);
      })
      .Case([&](MaxOp) {
        return binary(arith::MaximumFOp(), arith::MaxSIOp());
      })
      .Case([&](MinOp) {
        return binary(arith::MinimumFOp(), arith::MinSIOp());
      })
      .Case([&](CompareOp c) -> Value {
        // The i1 as 0 or 1 of the operands' type: a mask that multiplies.
        auto predicates = comparePredicates(c.getPredicate());
        if (isFloat)
          return b.create<arith::UIToFPOp>(
              loc, t,
              b.create<arith::CmpFOp>(loc, predicates->first, args[0],
                                      args[1]));
        return b.create<arith::ExtUIOp>(
            loc, t,
            b.create<arith::CmpIOp>(loc, predicates->second, args[0],
                                    args[1]));
      })
      .Case([&](NegOp) -> Value {
        if (isFloat)
          return b.create<arith::NegFOp>(loc, args[0]);
        Value zero = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, 0));
        return b.create<arith::SubIOp>(loc, zero, args[0]);
      })
      .Case([&](ExpOp) { return b.create<math::ExpOp>(loc, args[0]); })
      .Case([&](LogOp) { return b.create<math::LogOp>(loc, args[0]); })
      .Case([&](SqrtOp) { return b.create<math::SqrtOp>(loc, args[0]); })
      .Case([&](RsqrtOp) { return b.create<math::RsqrtOp>(loc, args[0]); })
      .Case([&](TanhOp) { return b.create<math::TanhOp>(loc, args[0]); })
      .Case([&](ErfOp) { return b.create<math::ErfOp>(loc, args[0]); })
      .Case([&](SigmoidOp) -> Value {
        Value e = b.create<math::ExpOp>(
            loc, b.create<arith::NegFOp>(loc, args[0]));
        Value one = floatConst(b, loc, t, 1.0);
        return b.create<arith::DivFOp>(loc, one,
                                       b.create<arith::AddFOp>(loc, one, e));
      })
      .Case([&](ReluOp) -> Value {
        return b.create<arith::MaximumFOp>(loc, args[0],
                                           floatConst(b, loc, t, 0.0));
      })
      .Case([&](GeluOp) -> Value {
        Value x = args[0];
        Value erf = b.create<math::ErfOp>(
            loc, b.create<arith::MulFOp>(loc, x,
                                         floatConst(b, loc, t, M_SQRT1_2)));
        Value onePlus =
            b.create<arith::AddFOp>(loc, floatConst(b, loc, t, 1.0), erf);
        Value half = b.create<arith::MulFOp>(loc, x, floatConst(b, loc, t, 0.5));
        return b.create<arith::MulFOp>(loc, half, onePlus);
      })
      .Case([&](CastOp) -> Value {
        Value x = args[0];
        Type from = x.getType();
        bool fromFloat = isa<FloatType>(from);
        unsigned fw = from.getIntOrFloatBitWidth(), tw = t.getIntOrFloatBitWidth();
        if (from == t)
          return x;
        if (fromFloat && isFloat) {
          // bf16 <-> f16 have the same width: go through f32.
          if (fw == tw)
            x = b.create<arith::ExtFOp>(loc, b.getF32Type(), x), fw = 32;
          if (fw < tw)
            return b.create<arith::ExtFOp>(loc, t, x);
          return b.create<arith::TruncFOp>(loc, t, x);
        }
        if (fromFloat)
          return b.create<arith::FPToSIOp>(loc, t, x);
        if (isFloat)
          return b.create<arith::SIToFPOp>(loc, t, x);
        if (fw < tw)
          return b.create<arith::ExtSIOp>(loc, t, x);
        return b.create<arith::TruncIOp>(loc, t, x);
      })
      .Default([](Operation *) { return Value(); });
}

namespace {

template <typename OpTy>
struct ElementwiseToGeneric : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if constexpr (std::is_same_v<OpTy, CompareOp>)
      if (!comparePredicates(op.getPredicate()))
        return rewriter.notifyMatchFailure(op, "unknown predicate");
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> shape = resultType.getShape();
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineMap> maps;
    for (Value v : adaptor.getOperands())
      maps.push_back(broadcastMap(cast<RankedTensorType>(v.getType()).getShape(),
                                  shape, 0, ctx));
    maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
    Value init = rewriter.create<tensor::EmptyOp>(loc, shape,
                                                  resultType.getElementType());
    Operation *kilnOp = op.getOperation();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, adaptor.getOperands(), ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(shape.size(),
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = scalarBody(kilnOp, b, l, resultType.getElementType(),
                               args.drop_back());
          b.create<linalg::YieldOp>(l, v);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void kiln::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<ElementwiseToGeneric<AddOp>, ElementwiseToGeneric<SubOp>,
               ElementwiseToGeneric<MulOp>, ElementwiseToGeneric<DivOp>,
               ElementwiseToGeneric<MaxOp>, ElementwiseToGeneric<MinOp>,
               ElementwiseToGeneric<CompareOp>, ElementwiseToGeneric<ErfOp>,
               ElementwiseToGeneric<NegOp>, ElementwiseToGeneric<ExpOp>,
               ElementwiseToGeneric<LogOp>, ElementwiseToGeneric<SqrtOp>,
               ElementwiseToGeneric<RsqrtOp>, ElementwiseToGeneric<TanhOp>,
               ElementwiseToGeneric<SigmoidOp>, ElementwiseToGeneric<ReluOp>,
               ElementwiseToGeneric<GeluOp>, ElementwiseToGeneric<CastOp>>(
      patterns.getContext());
}
