//===- Aot.h - Ahead-of-time compilation to a .kmod artifact ----*- C++ -*-===//
//
// Compiles a kiln model into the artifact the runtime runs (schema/kmod.fbs):
// one kernel per op as native code in an embedded shared object, the
// weights, the memory plan and the step list.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_CPU_AOT_H
#define KILN_CODEGEN_CPU_AOT_H

#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/ir/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::cpu {

struct Artifact {
  std::string bytes; // the .kmod file
  ModelSignature signature;
  int64_t arenaSize = 0, arenaLowerBound = 0;
  size_t numSteps = 0;
};

/// Compiles (a clone of) `module` for the host CPU with `params` as its
/// weights (one value per parameter of the signature).
llvm::Expected<Artifact> compileArtifact(mlir::ModuleOp module,
                                         const ParamValues &params,
                                         const CpuCodegenOptions &options = {});

/// The memory plan only (arena size and lower bound), without codegen.
llvm::Expected<Artifact> planArtifact(mlir::ModuleOp module);

} // namespace kiln::cpu

#endif // KILN_CODEGEN_CPU_AOT_H
