// RUN: kiln-opt %s --kiln-cpu-codegen | FileCheck %s
// RUN: kiln-opt %s --kiln-cpu-codegen -mlir-print-op-generic \
// RUN:   | FileCheck %s --check-prefix=ONLY-LLVM

// --kiln-cpu-codegen takes a kiln model (with parameters and a composite
// softmax) all the way to the LLVM dialect. The model function uses the
// bare-pointer convention: one !llvm.ptr per input, then per parameter (in
// order of first use), then per output, and returns nothing; the kiln.name
// and kiln.param attributes survive so the runtime can bind buffers by name.

// CHECK-LABEL: llvm.func @classify(
// CHECK-SAME:    %{{[^:]+}}: !llvm.ptr {kiln.name = "x"},
// CHECK-SAME:    %{{[^:]+}}: !llvm.ptr {kiln.param = "dense.w"},
// CHECK-SAME:    %{{[^:]+}}: !llvm.ptr {kiln.param = "dense.b"},
// CHECK-SAME:    %{{[^:]+}}: !llvm.ptr {kiln.name = "probs"}) {
// The softmax was decomposed, its max lowered to an intrinsic and its exp
// to a polynomial (--kiln-approximate-math), not a call.
// CHECK-NOT:     llvm.intr.exp
// CHECK-DAG:     llvm.intr.maximum
// CHECK-DAG:     llvm.intr.fma
// CHECK-DAG:     llvm.fdiv
// CHECK:         llvm.return{{$}}
// CHECK-NEXT:  }

// In the generic form every op prints as "dialect.op"(...), so this sees
// each op of the module whatever its syntax; only llvm ops may be left.
// ONLY-LLVM:     "builtin.module"
// ONLY-LLVM-NOT: "{{(kiln|linalg|tensor|bufferization|memref|arith|math|scf|cf|func|affine|index)\.}}
// ONLY-LLVM-NOT: unrealized_conversion_cast

func.func @classify(%x: tensor<2x4xf32> {kiln.name = "x"})
    -> (tensor<2x3xf32> {kiln.name = "probs"}) {
  %w = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x3xf32>
  %b = kiln.param "dense.b" {init = "zeros"} : tensor<3xf32>
  %0 = kiln.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = kiln.add %0, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %2 = kiln.softmax %1 {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}
