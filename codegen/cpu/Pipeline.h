//===- Pipeline.h - kiln to LLVM for the CPU --------------------*- C++ -*-===//
#ifndef KILN_CODEGEN_CPU_PIPELINE_H
#define KILN_CODEGEN_CPU_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include "kiln/passes/FusionAnalysis.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::cpu {

struct CpuCodegenOptions {
  /// --kiln-tile-to-workgroups' min-work-per-workgroup: kernels of fewer
  /// than twice this many loop iterations run as one workgroup. Tests set 1
  /// to split every kernel that can be split.
  int64_t minWorkPerWorkgroup = 16384;
  /// The CPU ahead-of-time artifacts are compiled for: "host" (this
  /// machine's CPU and features) or an LLVM CPU name ("x86-64-v3",
  /// "znver4"). The JIT always compiles for the host.
  std::string targetCpu = "host";
  /// --kiln-fusion's level for artifacts: none, elementwise or full. The
  /// JIT compiles one function and fuses nothing.
  std::string fusion = "full";
  /// --kiln-fusion's cache-budget: bytes a chunk of a fused kernel may keep
  /// live. Tests make it small so that small shapes are cut into chunks.
  int64_t fusionCacheBudget = kCacheBudget;
  /// --kiln-tile-matmul's vector-width (16 for AVX-512, 8 for AVX2); 0
  /// chooses from targetCpu.
  int64_t matmulVectorWidth = 0;
};

/// Every stage from a kiln model module to the LLVM dialect: decompose,
/// parameters to arguments, linalg on tensors, bufferization (outputs become
/// caller-provided buffers), loops, LLVM. The entry function then takes one
/// bare pointer per input, parameter and output, in that order.
void buildCpuCodegenPipeline(mlir::OpPassManager &pm,
                             const CpuCodegenOptions &options);

/// The graph-level part: parameters to arguments, decompose, canonicalize.
void buildGraphPipeline(mlir::OpPassManager &pm);
/// The rest, for every function of the module: linalg, buffers, LLVM.
void buildCpuKernelPipeline(mlir::OpPassManager &pm,
                            const CpuCodegenOptions &options);

/// Registers the pipelines as --kiln-cpu-codegen and (the kernel part)
/// --kiln-cpu-kernel-codegen.
void registerCpuCodegenPipeline();

/// The dialects the pipeline produces and the external interfaces
/// (bufferization, LLVM translation) it relies on.
void registerCpuCodegenDialects(mlir::DialectRegistry &registry);

/// Runs the passes `build` adds on `module` in place, with the dialects of
/// registerCpuCodegenDialects. When `dumpAfter` is a pass name
/// ("kiln-lower-to-linalg") or "all", the IR is printed to `dump` after each
/// matching pass: the module after a pass on the module, each function
/// after a pass on functions. Callers check the name first
/// (checkDumpAfter). Diagnostics are returned in the error.
llvm::Error runPasses(mlir::ModuleOp module,
                      llvm::function_ref<void(mlir::OpPassManager &)> build,
                      const std::string &dumpAfter = "",
                      llvm::raw_ostream *dump = nullptr);

/// The command-line names of the passes `build` adds, in order, each once.
std::vector<std::string>
pipelinePassNames(mlir::MLIRContext *ctx,
                  llvm::function_ref<void(mlir::OpPassManager &)> build);

/// Success when `dumpAfter` is "all" or one of `names`; else an error that
/// lists them, for `pipeline` (what the names are the passes of).
llvm::Error checkDumpAfter(const std::string &dumpAfter,
                           const std::vector<std::string> &names,
                           const std::string &pipeline);

/// Runs the whole-function pipeline (buildCpuCodegenPipeline, the JIT's) on
/// `module` in place, printing to `dump` after the passes `dumpAfter`
/// names (see runPasses); a name no pass has is an error listing the
/// names, before anything runs. Diagnostics are returned in the error.
llvm::Error runCpuCodegen(mlir::ModuleOp module,
                          const CpuCodegenOptions &options,
                          const std::string &dumpAfter = "",
                          llvm::raw_ostream *dump = nullptr);

} // namespace kiln::cpu

#endif // KILN_CODEGEN_CPU_PIPELINE_H
