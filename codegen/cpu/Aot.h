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
#include <vector>

namespace kiln::cpu {

struct Artifact {
  std::string bytes; // the .kmod file
  ModelSignature signature;
  int64_t arenaSize = 0, arenaLowerBound = 0;
  size_t numSteps = 0;
};

/// Compiles (a clone of) `module` for options.targetCpu (by default the
/// host's CPU) with `params` as its weights (one value per parameter of the
/// signature). The artifact records the CPU and the instruction set
/// extensions its code may use.
llvm::Expected<Artifact> compileArtifact(mlir::ModuleOp module,
                                         const ParamValues &params,
                                         const CpuCodegenOptions &options = {});

/// The memory plan only (arena size and lower bound), without codegen.
llvm::Expected<Artifact> planArtifact(mlir::ModuleOp module);

/// Success when artifacts can be compiled for `cpu` (CpuCodegenOptions::
/// targetCpu): "host", or a CPU name LLVM knows for this machine's target;
/// else an error saying how to list the names.
llvm::Error checkTargetCpu(const std::string &cpu);

/// Whether code for `cpu` ("host" or an LLVM CPU name) may use AVX-512F;
/// false for a name LLVM does not know.
bool targetHasAvx512(const std::string &cpu);

/// Every CPU name LLVM knows for this machine's target, sorted.
std::vector<std::string> targetCpuNames();

} // namespace kiln::cpu

#endif // KILN_CODEGEN_CPU_AOT_H
