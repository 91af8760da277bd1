//===- JitModel.h - A kiln model compiled in-process for the CPU -*- C++ -*-===//
//
// Compiles a kiln model module through the CPU pipeline and LLVM's JIT
// (MLIR's ExecutionEngine), for the host CPU, and runs it on host tensors.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_CPU_JITMODEL_H
#define KILN_CODEGEN_CPU_JITMODEL_H

#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/ir/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
}

namespace kiln::cpu {

class JitModel {
public:
  ~JitModel();

  /// Compiles (a clone of) `module`. `dumpAfter` is a pass argument
  /// ("kiln-lower-to-linalg"), "all", or empty for none; each matching stage
  /// is printed to `dumpStream`.
  static llvm::Expected<std::unique_ptr<JitModel>>
  compile(mlir::ModuleOp module, const CpuCodegenOptions &options = {},
          const std::string &dumpAfter = "",
          llvm::raw_ostream *dumpStream = nullptr);

  const ModelSignature &signature() const { return signature_; }

  /// Runs on `inputs` (in signature order) with `params` (by name); fails,
  /// naming the tensor, on a missing one or a wrong shape or dtype.
  llvm::Expected<std::vector<HostTensor>>
  run(const std::vector<HostTensor> &inputs, const ParamValues &params) const;

private:
  JitModel() = default;
  ModelSignature signature_;
  std::string entry_;
  std::unique_ptr<mlir::ExecutionEngine> engine_;
};

} // namespace kiln::cpu

#endif // KILN_CODEGEN_CPU_JITMODEL_H
