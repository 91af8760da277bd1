// RUN: kilnc %s --dump-after=kiln-decompose | FileCheck %s
// RUN: kilnc %s --dump-after=kiln-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: kilnc %s --dump-after=all | FileCheck %s --check-prefix=ALL
// RUN: not kilnc %s --dump-after=bogus 2>&1 | FileCheck %s --check-prefix=BOGUS

// kilnc FILE.mlir --dump-after=STAGE runs the CPU pipeline on the file and
// prints the IR right after that stage (every stage with `all`), so a user
// can see what each stage does. An unknown stage fails and lists the names.

// Exactly one dump, taken after the softmax was decomposed (parameters are
// arguments by then).
// CHECK:      // -----// IR Dump After Decompose (kiln-decompose) ('func.func' operation: @classify) //----- //
// CHECK-NEXT: module {
// CHECK-NOT:  kiln.softmax
// CHECK:      kiln.param = "dense.w"
// CHECK:      kiln.reduce_max
// CHECK:      kiln.exp
// CHECK:      kiln.reduce_sum
// CHECK:      kiln.div
// CHECK-NOT:  IR Dump After

// LINALG:     IR Dump After LowerToLinalg (kiln-lower-to-linalg)
// LINALG-NOT: = kiln.
// LINALG:     linalg.matmul
// LINALG-NOT: IR Dump After

// The pipeline's stages, in order.
// ALL: IR Dump After ParamsToArguments (kiln-params-to-arguments)
// ALL: IR Dump After Decompose (kiln-decompose)
// ALL: IR Dump After LowerToLinalg (kiln-lower-to-linalg)
// ALL: IR Dump After OneShotBufferize (one-shot-bufferize)
// ALL: IR Dump After ConvertLinalgToLoopsPass (convert-linalg-to-loops)
// ALL: IR Dump After ConvertFuncToLLVMPass (convert-func-to-llvm)
// ALL: llvm.func @classify

// BOGUS: kilnc: --dump-after=bogus: no stage has that name; the stages are: all, kiln-params-to-arguments, kiln-decompose, {{.*}}kiln-lower-to-linalg, {{.*}}convert-func-to-llvm

func.func @classify(%x: tensor<2x4xf32> {kiln.name = "x"})
    -> (tensor<2x3xf32> {kiln.name = "probs"}) {
  %w = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x3xf32>
  %0 = kiln.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = kiln.softmax %0 {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
