// RUN: not kiln-opt %s --kiln-lower-to-linalg -split-input-file 2>&1 | FileCheck %s

// --kiln-lower-to-linalg expects composites decomposed (--kiln-decompose)
// and parameters turned into arguments (--kiln-params-to-arguments). A kiln
// op it has no lowering for fails the pass, names the op and points at it;
// no half-lowered module is printed.

// CHECK-NOT:   func.func
// CHECK:       :[[# @LINE + 3]]:8: error: failed to legalize operation 'kiln.softmax' that was explicitly marked illegal
func.func @softmax_not_decomposed(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %0 = kiln.exp %x : tensor<8x10xf32>
  %1 = kiln.softmax %0 {axis = 1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
  return %1 : tensor<8x10xf32>
}

// -----

// CHECK:       error: failed to legalize operation 'kiln.layer_norm' that was explicitly marked illegal
func.func @layer_norm_not_decomposed(%x: tensor<8x64xf32>, %g: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = kiln.layer_norm %x, %g, %g {epsilon = 1.0e-5 : f32}
      : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// CHECK:       error: failed to legalize operation 'kiln.reduce_mean' that was explicitly marked illegal
func.func @reduce_mean_not_decomposed(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %0 = kiln.reduce_mean %x {axes = array<i64: 1>, keep_dims = false} : tensor<8x64xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// CHECK:       error: failed to legalize operation 'kiln.param' that was explicitly marked illegal
// CHECK-NOT:   func.func
func.func @param_not_an_argument() -> tensor<3xf32> {
  %0 = kiln.param "w" {init = "zeros"} : tensor<3xf32>
  return %0 : tensor<3xf32>
}
