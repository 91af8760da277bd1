// MLIR 19's buffer-results-to-out-params (with hoist-static-allocs, as the
// CPU pipeline runs it) crashes on a returned function argument;
// --kiln-copy-aliased-results copies such results first, after the last
// canonicalization (which can turn x / 1 into x).

// RUN: kiln-opt %s --kiln-cpu-codegen | FileCheck %s
// RUN: kiln-run %s --check | FileCheck %s --check-prefix=EXEC

// A model may return an input or a parameter unchanged (or something that
// folds to one, like an identity transpose or a division by one). Parameters are arguments after
// --kiln-params-to-arguments, so each such output must be copied into its
// out-parameter.

// CHECK-LABEL: llvm.func @passthrough(
// CHECK-SAME:    %[[X:[^:]+]]: !llvm.ptr {kiln.name = "x"},
// CHECK-SAME:    %[[B:[^:]+]]: !llvm.ptr {kiln.param = "b"},
// CHECK-SAME:    %[[Y:[^:]+]]: !llvm.ptr {kiln.name = "y"},
// CHECK-SAME:    %[[OUTB:[^:]+]]: !llvm.ptr {kiln.name = "bias"},
// CHECK-SAME:    %[[Z:[^:]+]]: !llvm.ptr {kiln.name = "z"})
// The parameter is read and the bias output written, whether by loops or a
// memcpy.
// CHECK-DAG:     %[[B]]{{[^0-9]}}
// CHECK-DAG:     %[[OUTB]]{{[^0-9]}}
// CHECK:         llvm.return

// EXEC:      check  y: {{.+}} ok{{$}}
// EXEC-NEXT: check  bias: {{.+}} ok{{$}}
// EXEC-NEXT: check  z: {{.+}} ok{{$}}

func.func @passthrough(%x: tensor<2x3xf32> {kiln.name = "x"})
    -> (tensor<2x3xf32> {kiln.name = "y"}, tensor<3xf32> {kiln.name = "bias"},
        tensor<2x3xf32> {kiln.name = "z"}) {
  %b = kiln.param "b" {init = "uniform"} : tensor<3xf32>
  %0 = kiln.transpose %x {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %1 = kiln.div %x, %one : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  return %0, %b, %1 : tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>
}
