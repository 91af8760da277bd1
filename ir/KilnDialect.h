//===- KilnDialect.h - The kiln dialect -------------------------*- C++ -*-===//
//
// The kiln dialect and its ops (see KilnOps.td).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_KILNDIALECT_H
#define KILN_IR_KILNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SmallVector.h"

#include "ir/KilnOpsDialect.h.inc"
#include "ir/KilnOpsInterfaces.h.inc"

namespace kiln::OpTrait {
/// Ops marked Kiln_Elementwise in KilnOps.td (see there).
template <typename ConcreteType>
class Elementwise
    : public mlir::OpTrait::TraitBase<ConcreteType, Elementwise> {};
} // namespace kiln::OpTrait

#define GET_OP_CLASSES
#include "ir/KilnOps.h.inc"

#endif // KILN_IR_KILNDIALECT_H
