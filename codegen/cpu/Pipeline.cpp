//===- Pipeline.cpp - kiln to LLVM for the CPU ----------------------------===//
//
// The CPU codegen pipeline as a plain function (IREE style), so that tools,
// tests and kiln-opt all run the same stages.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/codegen/Passes.h"
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include <algorithm>
#include <cctype>

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln::cpu {

/// The largest temporary a kernel keeps on its thread's stack (8 MiB on
/// Linux); the chunks of fused kernels fit a 512 KiB budget in all.
constexpr unsigned kMaxStackTemporary = 256 * 1024;

void buildGraphPipeline(OpPassManager &pm) {
  // Parameters become arguments first: as ops, an unused one would be
  // folded away and shift every argument after it.
  pm.addPass(createParamsToArguments());
  pm.addNestedPass<func::FuncOp>(createDecompose());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildCpuCodegenPipeline(OpPassManager &pm,
                             const CpuCodegenOptions &options) {
  buildGraphPipeline(pm);
  buildCpuKernelPipeline(pm, options);
}

void buildCpuKernelPipeline(OpPassManager &pm,
                            const CpuCodegenOptions &options) {
  // Tensors. A fused kernel first becomes a loop over its chunks.
  pm.addNestedPass<func::FuncOp>(createChunkFusedKernels());
  pm.addNestedPass<func::FuncOp>(createOnlineSoftmax());
  pm.addNestedPass<func::FuncOp>(createLowerToLinalg());
  // Elementwise fusion, matmuls left whole for --kiln-tile-matmul.
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  pm.addNestedPass<func::FuncOp>(createApproximateMath());
  pm.addPass(createCanonicalizerPass());
  // Contractions get a unit-stride innermost loop that LLVM vectorises.
  // After fusion: as generics, matmul and conv would take in elementwise
  // producers and recompute them in their innermost loop.
  pm.addNestedPass<func::FuncOp>(createReorderReductionLoops());
  pm.addNestedPass<func::FuncOp>(createCopyAliasedResults());
  // Kernels of an outlined model (kiln.kernel) take a workgroup range; the
  // JIT's single model function has none and runs on one thread.
  TileToWorkgroupsOptions workgroups;
  workgroups.minWorkPerWorkgroup = options.minWorkPerWorkgroup;
  pm.addPass(createTileToWorkgroups(workgroups));

  // Buffers: caller-owned arguments and outputs, temporaries freed. Copies
  // are linalg.copy, which becomes loops: memref.copy of a strided view
  // would call a runtime library that compiled models must not need.
  auto copy = [](OpBuilder &b, Location loc, Value from, Value to) {
    b.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.memCpyFn = copy;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  // A chunk's result is computed straight into its part of the output.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  // The chunk loop carries the output buffer unchanged; folded away, the
  // kernel returns the allocation itself, which becomes the caller's. A
  // chunk inserted into its own place leaves a copy of a view onto the
  // same view: CSE makes the two views one and the copy folds away.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.hoistStaticAllocs = true;
  outParams.memCpyFn = copy;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // Temporaries of a kernel (a fused kernel's intermediates, a chunk's)
  // are allocated once per call, not per chunk, and on the stack when
  // small: malloc and free cost more than a small kernel's whole work.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass(kMaxStackTemporary,
                                                     /*maxRank=*/8));
  bufferization::buildBufferDeallocationPipeline(
      pm, bufferization::BufferDeallocationPipelineOptions());

  // Matmuls, and convolutions as matmuls, get their own loop nest and
  // vector FMAs; reductions over leading dims keep their output in vector
  // registers; the rest become loops.
  TileMatmulOptions matmul;
  matmul.vectorWidth = options.matmulVectorWidth
                           ? options.matmulVectorWidth
                           : (targetHasAvx512(options.targetCpu) ? 16 : 8);
  ConvToWinogradOptions winograd;
  winograd.vectorWidth = matmul.vectorWidth;
  pm.addNestedPass<func::FuncOp>(createConvToWinograd(winograd));
  pm.addNestedPass<func::FuncOp>(createConvToMatmul());
  pm.addNestedPass<func::FuncOp>(createTileMatmul(matmul));
  ColumnReductionsOptions columns;
  columns.vectorWidth = matmul.vectorWidth;
  pm.addNestedPass<func::FuncOp>(createColumnReductions(columns));
  StreamingStoresOptions streaming;
  streaming.vectorWidth = matmul.vectorWidth;
  pm.addNestedPass<func::FuncOp>(createStreamingStores(streaming));

  // Loops, then LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createAlignStreamingStores());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void registerCpuCodegenPipeline() {
  PassPipelineRegistration<>(
      "kiln-cpu-codegen", "Compile a kiln model to the LLVM dialect for the CPU",
      [](OpPassManager &pm) { buildCpuCodegenPipeline(pm, {}); });
  PassPipelineRegistration<>(
      "kiln-cpu-kernel-codegen",
      "Compile the kernels of an outlined model to the LLVM dialect",
      [](OpPassManager &pm) { buildCpuKernelPipeline(pm, {}); });
}

void registerCpuCodegenDialects(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect, vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  // Buffer optimisations (promotion to the stack) see through memref views
  // and know memref.alloc's deallocation only with these.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  memref::registerBufferViewFlowOpInterfaceExternalModels(registry);
  linalg::registerTilingInterfaceExternalModels(registry);
  tensor::registerTilingInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::vector<std::string>
pipelinePassNames(MLIRContext *ctx,
                  llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(ctx, ModuleOp::getOperationName());
  build(pm);
  // The textual form names every pass, nested ones included
  // ("builtin.module(a,func.func(b,c{opt=1}),d)"); pass managers nested in
  // adaptors are not reachable otherwise.
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  std::vector<std::string> names;
  std::string token;
  int options = 0;
  auto flush = [&] {
    if (!token.empty() && !llvm::is_contained(names, token))
      names.push_back(token);
    token.clear();
  };
  for (char c : text) {
    if (options) {
      options += c == '{' ? 1 : c == '}' ? -1 : 0;
      continue;
    }
    if (c == '{') {
      flush();
      options = 1;
    } else if (c == '(') {
      token.clear(); // an op name the passes inside are nested on
    } else if (c == ',' || c == ')') {
      flush();
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      token += c;
    }
  }
  return names;
}

llvm::Error checkDumpAfter(const std::string &dumpAfter,
                           const std::vector<std::string> &names,
                           const std::string &pipeline) {
  if (dumpAfter == "all" || llvm::is_contained(names, dumpAfter))
    return llvm::Error::success();
  return error("--dump-after=" + dumpAfter + ": " + pipeline +
               " has no pass of that name; give 'all' or one of: " +
               llvm::join(names, ", "));
}

llvm::Error runCpuCodegen(ModuleOp module, const CpuCodegenOptions &options,
                          const std::string &dumpAfter, llvm::raw_ostream *dump) {
  auto build = [&](OpPassManager &pm) {
    buildCpuCodegenPipeline(pm, options);
  };
  if (!dumpAfter.empty())
    if (auto err = checkDumpAfter(
            dumpAfter, pipelinePassNames(module.getContext(), build),
            "the whole-function CPU pipeline"))
      return err;
  return runPasses(module, build, dumpAfter, dump);
}

llvm::Error runPasses(ModuleOp module,
                      llvm::function_ref<void(OpPassManager &)> build,
                      const std::string &dumpAfter, llvm::raw_ostream *dump) {
  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerCpuCodegenDialects(registry);
  ctx->appendDialectRegistry(registry);

  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    diagStream << locationString(d.getLocation()) << ": " << d << "\n";
    for (Diagnostic &note : d.getNotes()) {
      // An error at a line of the user's file says enough; the op printed
      // again in generic form (operands unknown) only helps with errors
      // about IR kiln made itself.
      if (isa<FileLineColLoc>(d.getLocation()) &&
          StringRef(note.str()).starts_with("see current operation"))
        continue;
      diagStream << locationString(note.getLocation()) << ": note: " << note
                 << "\n";
    }
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  build(pm);
  if (!dumpAfter.empty() && dump) {
    // One thread, so that the dumps come in the order the passes ran.
    ctx->disableMultithreading();
    // A pass on functions prints each function it ran on, once: in module
    // scope, a module of many kernels would be printed once per kernel.
    pm.enableIRPrinting(
        [](Pass *, Operation *) { return false; },
        [&](Pass *pass, Operation *) {
          return dumpAfter == "all" || pass->getArgument() == dumpAfter;
        },
        /*printModuleScope=*/false, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, *dump);
  }
  if (failed(pm.run(module)))
    return error("compilation failed:\n" + diagnostics);
  return llvm::Error::success();
}

} // namespace kiln::cpu
