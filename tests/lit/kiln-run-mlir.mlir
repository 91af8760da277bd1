// RUN: kiln-run %s --check | FileCheck %s
// RUN: kiln-run %s --output=probs=%t.npy | FileCheck %s --check-prefix=SAVE

// kiln-run also takes a kiln module from a .mlir file: the model is its one
// public function, inputs and outputs are named by kiln.name, and --check
// compares with the reference interpreter as for a built-in model.

// CHECK-DAG:  input  x f32 [2, 4] <- random (seed 1)
// CHECK-DAG:  model classify: compiled for the CPU in {{[0-9]+}} ms
// CHECK:      output probs f32 [2, 3] -> (not saved)
// CHECK-NEXT: check  probs: {{.+}} ok{{$}}

// SAVE:       output probs f32 [2, 3] -> {{.*}}.npy

func.func @classify(%x: tensor<2x4xf32> {kiln.name = "x"})
    -> (tensor<2x3xf32> {kiln.name = "probs"}) {
  %w = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x3xf32>
  %b = kiln.param "dense.b" {init = "uniform"} : tensor<3xf32>
  %0 = kiln.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = kiln.add %0, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %2 = kiln.softmax %1 {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}
