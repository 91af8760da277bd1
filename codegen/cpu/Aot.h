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
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <string>
#include <vector>

namespace kiln::cpu {

/// What one step's kernel holds, and the fusion cost model's estimate of
/// the memory it moves and the work it does.
struct KernelInfo {
  std::string name;
  std::string kind;     // the fusion region's kind; empty for a single op
  std::string strategy; // single (one op), or chunked or whole
  std::vector<std::string> ops;
  int64_t chunks = 1;         // in all
  std::vector<int64_t> grid;  // chunks per grid axis; empty if not chunked
  int64_t bytesRead = 0, bytesWritten = 0, flops = 0;
};

struct Artifact {
  std::string bytes; // the .kmod file
  ModelSignature signature;
  int64_t arenaSize = 0, arenaLowerBound = 0;
  size_t numSteps = 0;
  std::vector<KernelInfo> kernels; // one per step, in step order
};

/// Compiles (a clone of) `module` for options.targetCpu (by default the
/// host's CPU) with `params` as its weights (one value per parameter of the
/// signature). The artifact records the CPU and the instruction set
/// extensions its code may use.
llvm::Expected<Artifact> compileArtifact(mlir::ModuleOp module,
                                         const ParamValues &params,
                                         const CpuCodegenOptions &options = {});

/// The memory plan and the kernels (arena size and lower bound, kernel
/// infos) at options.fusion, without codegen.
llvm::Expected<Artifact> planArtifact(mlir::ModuleOp module,
                                      const CpuCodegenOptions &options = {});

/// A clone of `module` after the graph passes and fusion at
/// options.fusion: the model function with its kiln.fusion regions, each
/// op or region one step of the artifact, in order.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
fuseModel(mlir::ModuleOp module, const CpuCodegenOptions &options = {});

/// Runs the passes compileArtifact runs, on a clone of `module`: graph
/// passes, fusion at options.fusion, outlining into kernels and the memory
/// plan on the model, then the CPU kernel pipeline on the kernels alone;
/// prints the IR to `os` after each pass named `dumpAfter` ("all": every
/// pass). A name no pass has is an error listing the names, before
/// anything runs. No object code is made.
llvm::Error dumpArtifactPipeline(mlir::ModuleOp module,
                                 const CpuCodegenOptions &options,
                                 const std::string &dumpAfter,
                                 llvm::raw_ostream &os);

/// Success when artifacts can be compiled for `cpu` (CpuCodegenOptions::
/// targetCpu): "host", or a CPU name LLVM knows for this machine's target;
/// else an error saying how to list the names.
llvm::Error checkTargetCpu(const std::string &cpu);

/// Whether code for `cpu` ("host" or an LLVM CPU name) may use AVX-512F;
/// false for a name LLVM does not know.
bool targetHasAvx512(const std::string &cpu);

/// Target features that steer LLVM's vectorisers for kiln's kernels: no
/// gathers or scatters. The loops left to LLVM (elementwise, pooling) have
/// a short contiguous innermost loop (the channels) that LLVM unrolls
/// fully; its loop vectoriser then vectorised the next loop out, strided,
/// with gathers and scatters (a bias + ReLU on 32 channels ran several
/// times slower than with SLP's contiguous vectors).
void addVectorizerFeatures(llvm::SubtargetFeatures &features);

/// Every CPU name LLVM knows for this machine's target, sorted.
std::vector<std::string> targetCpuNames();

} // namespace kiln::cpu

#endif // KILN_CODEGEN_CPU_AOT_H
