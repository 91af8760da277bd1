// RUN: not kiln-opt %s -split-input-file --kiln-params-to-arguments --kiln-outline-kernels 2>&1 | FileCheck %s

// --kiln-outline-kernels outlines the model function, the module's one
// public func.func. A module without one, or with several, fails the pass
// with a message saying so, and no module is printed.

// CHECK-NOT:   module {
// CHECK:       error: module has no public func.func to run as the model
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @declaration(tensor<4xf32>) -> tensor<4xf32>

// -----

// CHECK:       error: module has several public functions (@first, @second); a model has exactly one
// CHECK-NOT:   module {
// CHECK-NOT:   kiln.kernel
func.func @first(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @second(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
