#include "kiln/ir/KilnDialect.h"

using namespace mlir;
using namespace kiln;

void AddOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void CastOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void CompareOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ConcatOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void Conv2dOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void DivOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ErfOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ExpOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void GatherOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void GeluOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void LayerNormOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void LogOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void LogSoftmaxOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void MatmulOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void MaxOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void MaxPool2dOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void MinOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void MulOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void NegOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void OneHotOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void PadOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ReduceMaxOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ReduceMeanOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ReduceSumOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ReluOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void ReshapeOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void RsqrtOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void SigmoidOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void SliceOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void SoftmaxOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void SqrtOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void SubOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void TanhOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
void TransposeOp::vjp(OpBuilder &, ValueRange, SmallVectorImpl<Value> &) {}
