// RUN: kiln-opt %s --kiln-params-to-arguments -verify-diagnostics

// One name, one argument: a parameter name used with two types cannot
// become a single argument, and the pass fails naming both types.

func.func @two_types() -> (tensor<4xf32>, tensor<2x2xf32>) {
  %a = kiln.param "w" {init = "zeros"} : tensor<4xf32>
  // expected-error @+1 {{'kiln.param' op parameter 'w' is used with two types: 'tensor<4xf32>' and 'tensor<2x2xf32>'}}
  %b = kiln.param "w" {init = "zeros"} : tensor<2x2xf32>
  return %a, %b : tensor<4xf32>, tensor<2x2xf32>
}
