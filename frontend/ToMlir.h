//===- ToMlir.h - DSL graph to kiln dialect ---------------------*- C++ -*-===//
#ifndef KILN_FRONTEND_TOMLIR_H
#define KILN_FRONTEND_TOMLIR_H

#include "kiln/frontend/kiln.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace kiln {

/// The graph as a module with one func.func named after the graph; inputs
/// and outputs carry `kiln.name` attributes, parameters are kiln.param ops.
/// The kiln and func dialects must be loaded in `ctx`.
mlir::OwningOpRef<mlir::ModuleOp> toModule(const Graph &g,
                                           mlir::MLIRContext &ctx);

} // namespace kiln

#endif // KILN_FRONTEND_TOMLIR_H
