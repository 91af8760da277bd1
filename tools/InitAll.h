//===- InitAll.h - Register every kiln dialect and pass ---------*- C++ -*-===//
//
// One call used by every tool, so that kiln-opt, kilnc and kiln-run know the
// same dialects, passes and pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_INITALL_H
#define KILN_TOOLS_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace kiln {

/// The kiln dialect and every dialect and interface codegen needs.
void registerAllDialects(mlir::DialectRegistry &registry);
/// kiln graph passes, codegen passes, the CPU pipeline, and the upstream
/// passes kiln's lit tests use (canonicalize, cse).
void registerAllPasses();

} // namespace kiln

#endif // KILN_TOOLS_INITALL_H
