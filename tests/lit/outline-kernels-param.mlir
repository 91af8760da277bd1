// RUN: not kiln-opt %s --kiln-outline-kernels 2>&1 | FileCheck %s

// Parameters must be arguments first (--kiln-params-to-arguments): a step
// computes values, it does not hold weights. Without that pass,
// --kiln-outline-kernels names the parameter and prints no module.
// CHECK:     error: 'kiln.param' op is still an op; run --kiln-params-to-arguments before --kiln-outline-kernels
// CHECK-NOT: module {
func.func @with_param(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = kiln.param "w" {init = "zeros"} : tensor<4xf32>
  %0 = kiln.add %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
