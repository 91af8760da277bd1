// RUN: kiln-opt %s -split-input-file --kiln-plan-memory -verify-diagnostics

// --kiln-plan-memory plans the buffers between kernel calls, so the model
// function must hold nothing but calls (--kiln-outline-kernels first). Any
// other op fails the pass, which names it and says what to run.

func.func @not_outlined(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.relu' op is not a kernel call; run --kiln-outline-kernels before --kiln-plan-memory}}
  %0 = kiln.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Half outlined: the calls before the op do not hide it.
func.func @partly_outlined(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = call @k(%x) : (tensor<4xf32>) -> tensor<4xf32>
  // expected-error @+1 {{'kiln.neg' op is not a kernel call; run --kiln-outline-kernels before --kiln-plan-memory}}
  %1 = kiln.neg %0 : tensor<4xf32>
  %2 = call @k(%1) : (tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
func.func private @k(tensor<4xf32>) -> tensor<4xf32> attributes {kiln.kernel}
