// RUN: kilnc %s --dump-after=kiln-decompose | FileCheck %s
// RUN: kilnc %s --dump-after=kiln-fusion | FileCheck %s --check-prefix=FUSION
// RUN: kilnc %s --dump-after=kiln-fusion --fusion=none | FileCheck %s --check-prefix=UNFUSED
// RUN: kilnc %s --dump-after=kiln-outline-kernels | FileCheck %s --check-prefix=OUTLINED
// RUN: kilnc %s --dump-after=kiln-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: kilnc %s --dump-after=kiln-tile-matmul --cpu=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: kilnc %s --dump-after=all | FileCheck %s --check-prefix=ALL
// RUN: not kilnc %s --dump-after=bogus 2>&1 | FileCheck %s --check-prefix=BOGUS
// RUN: not kilnc %s --dump-after=bogus 2>/dev/null | count 0
// RUN: not kilnc %s --dump-after=all -o %t.mlir 2>&1 | FileCheck %s --check-prefix=OUT
// RUN: not kilnc %s --dump-after=all --emit=kmod 2>&1 | FileCheck %s --check-prefix=EMIT
// RUN: not kilnc %s --dump-after=all --fusion-report=%t.json 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: not ls %t.mlir %t.json

// kilnc (FILE.mlir | --model=NAME) --dump-after=PASS runs the pipeline that
// compiles an artifact (--emit=kmod, exe and lib alike: graph passes, fusion,
// outlining into kernels, the memory plan, then the kernels alone through
// the CPU kernel pipeline, at --fusion's level and for --cpu's CPU) and
// prints the IR right after that pass (every pass with `all`), so a user can
// see what each pass does to what is shipped. A pass on functions prints
// each function it ran on. An unknown name fails before anything runs and
// lists the names. The dump is all that is made: -o, --emit and the fusion
// reports are refused with it.

// Exactly one dump, taken after the softmax was decomposed (parameters are
// arguments by then).
// CHECK:      // -----// IR Dump After Decompose (kiln-decompose) //----- //
// CHECK-NEXT: func.func @classify
// CHECK-SAME: kiln.param = "dense.w"
// CHECK-NOT:  kiln.softmax
// CHECK:      kiln.reduce_max
// CHECK:      kiln.exp
// CHECK:      kiln.reduce_sum
// CHECK:      kiln.div
// CHECK-NOT:  IR Dump After

// Full fusion (the default) makes the matmul and the softmax one region.
// FUSION:      IR Dump After Fusion (kiln-fusion)
// FUSION:      kiln.fusion "contraction_reduction"
// FUSION:      kiln.matmul
// FUSION:      kiln.div
// FUSION:      kiln.yield
// FUSION-NOT:  IR Dump After

// UNFUSED:     IR Dump After Fusion (kiln-fusion)
// UNFUSED-NOT: kiln.fusion
// UNFUSED:     kiln.matmul

// The model function becomes the step list, each region a kernel.
// OUTLINED:      IR Dump After OutlineKernels (kiln-outline-kernels)
// OUTLINED:      func.func @classify
// OUTLINED-NEXT: call @[[K:classify_k0_[a-z0-9_]+]](
// OUTLINED:      func.func private @[[K]]({{.*}}kiln.kernel
// OUTLINED:      kiln.matmul

// Codegen sees the kernels alone; the model function is the step list.
// LINALG:     IR Dump After LowerToLinalg (kiln-lower-to-linalg)
// LINALG-NEXT: func.func private @classify_k0_{{.*}}kiln.kernel
// LINALG-NOT: = kiln.
// LINALG:     linalg.matmul
// LINALG-NOT: IR Dump After
// LINALG-NOT: func.func @classify(

// --cpu chooses the tile's vector width: 8 lanes for AVX2.
// AVX2: IR Dump After TileMatmul (kiln-tile-matmul)
// AVX2: vector<8xf32>

// The artifact pipeline's passes, in order.
// ALL: IR Dump After ParamsToArguments (kiln-params-to-arguments)
// ALL: IR Dump After Decompose (kiln-decompose)
// ALL: IR Dump After Fusion (kiln-fusion)
// ALL: IR Dump After OutlineKernels (kiln-outline-kernels)
// ALL: IR Dump After PlanMemory (kiln-plan-memory)
// ALL: IR Dump After ChunkFusedKernels (kiln-chunk-fused-kernels)
// ALL: IR Dump After LowerToLinalg (kiln-lower-to-linalg)
// ALL: IR Dump After TileToWorkgroups (kiln-tile-to-workgroups)
// ALL: IR Dump After OneShotBufferize (one-shot-bufferize)
// ALL: IR Dump After TileMatmul (kiln-tile-matmul)
// ALL: IR Dump After ConvertLinalgToLoopsPass (convert-linalg-to-loops)
// ALL: IR Dump After ConvertFuncToLLVMPass (convert-func-to-llvm)
// ALL: llvm.func @classify_k0_{{.*}}(%arg0: i64 {kiln.workgroup_id}, %arg1: i64 {kiln.workgroup_count}

// BOGUS: kilnc: --dump-after=bogus: the artifact pipeline has no pass of that name; give 'all' or one of: kiln-params-to-arguments, kiln-decompose, {{.*}}kiln-fusion, kiln-outline-kernels, kiln-plan-memory, kiln-chunk-fused-kernels, kiln-online-softmax, kiln-lower-to-linalg, {{.*}}convert-func-to-llvm

// OUT: -o excludes --dump-after
// EMIT: --dump-after excludes --emit
// REPORT: --dump-after excludes --fusion-report

func.func @classify(%x: tensor<2x4xf32> {kiln.name = "x"})
    -> (tensor<2x3xf32> {kiln.name = "probs"}) {
  %w = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x3xf32>
  %0 = kiln.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = kiln.softmax %0 {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
