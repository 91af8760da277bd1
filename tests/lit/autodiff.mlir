// RUN: kiln-opt %s --split-input-file --kiln-autodiff --verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-autodiff=remat=elementwise --verify-diagnostics | FileCheck %s --check-prefix=REMAT

// A dense layer with relu and a mean squared error. Parameters become
// arguments after the inputs (with their init); the loss comes first, then
// the other results, then one gradient per parameter. The backward ops
// follow the forward ones: the mean's 1/8, the square's 2 d (one mul per
// use of d, summed), relu's mask (x > 0, kept as i8 for the backward
// pass), the bias's sum over the batch and
// x^T times the gradient for the weights. No gradient is computed for the
// inputs x and t.
// CHECK-LABEL: func.func @dense_mse
// CHECK-SAME:    (%[[X:arg[0-9]+]]: tensor<4x3xf32> {kiln.name = "x"}, %[[T:arg[0-9]+]]: tensor<4x2xf32> {kiln.name = "t"},
// CHECK-SAME:     %[[W:arg[0-9]+]]: tensor<3x2xf32> {kiln.init = "glorot_uniform", kiln.name = "w"}, %[[B:arg[0-9]+]]: tensor<2xf32> {kiln.init = "zeros", kiln.name = "b"})
// CHECK-SAME:    -> (tensor<f32> {kiln.name = "loss"}, tensor<4x2xf32> {kiln.name = "y"}, tensor<3x2xf32> {kiln.name = "w.grad"}, tensor<2xf32> {kiln.name = "b.grad"})
// CHECK-NOT:     kiln.param
// CHECK:         %[[M:.+]] = kiln.matmul %[[X]], %[[W]]
// CHECK:         %[[A:.+]] = kiln.add %[[M]], %[[B]]
// CHECK:         %[[Y:.+]] = kiln.relu %[[A]]
// CHECK:         %[[D:.+]] = kiln.sub %[[Y]], %[[T]]
// CHECK:         %[[L:.+]] = kiln.reduce_mean
// CHECK:         kiln.constant dense<1.250000e-01>
// CHECK:         %[[G1:.+]] = kiln.mul %{{.+}}, %[[D]]
// CHECK:         %[[G2:.+]] = kiln.mul %{{.+}}, %[[D]]
// CHECK:         %[[G:.+]] = kiln.add %[[G1]], %[[G2]]
// CHECK:         %[[MASK:.+]] = kiln.compare %[[A]], %{{.+}} {predicate = "gt"}
// CHECK:         %[[MASK8:.+]] = kiln.cast %[[MASK]] : tensor<4x2xf32> -> tensor<4x2xi8>
// CHECK:         %[[MASK32:.+]] = kiln.cast %[[MASK8]] : tensor<4x2xi8> -> tensor<4x2xf32>
// CHECK:         %[[GA:.+]] = kiln.mul %[[G]], %[[MASK32]]
// CHECK:         %[[GB:.+]] = kiln.reduce_sum %[[GA]] {axes = array<i64: 0>, keep_dims = false} : tensor<4x2xf32> -> tensor<2xf32>
// CHECK:         %[[XT:.+]] = kiln.transpose %[[X]] {perm = array<i64: 1, 0>}
// CHECK:         %[[GW:.+]] = kiln.matmul %[[XT]], %[[GA]] : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CHECK-NOT:     kiln.transpose %[[W]]
// CHECK:         return %[[L]], %[[Y]], %[[GW]], %[[GB]]

// With remat=elementwise, the backward pass reads a recomputed sub (d), not
// the forward one: only y and t stay alive until then.
// REMAT-LABEL: func.func @dense_mse
// REMAT:         %[[D:.+]] = kiln.sub %[[Y:.+]], %[[T:.+]] :
// REMAT:         kiln.reduce_mean
// REMAT:         %[[D2:.+]] = kiln.sub %[[Y]], %[[T]] :
// REMAT-NEXT:    kiln.mul %{{.+}}, %[[D2]]
func.func @dense_mse(%x: tensor<4x3xf32> {kiln.name = "x"}, %t: tensor<4x2xf32> {kiln.name = "t"})
    -> (tensor<4x2xf32> {kiln.name = "y"}, tensor<f32> {kiln.name = "loss"}) {
  %w = kiln.param "w" {init = "glorot_uniform"} : tensor<3x2xf32>
  %b = kiln.param "b" {init = "zeros"} : tensor<2xf32>
  %m = kiln.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %a = kiln.add %m, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %y = kiln.relu %a : tensor<4x2xf32>
  %d = kiln.sub %y, %t : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %s = kiln.mul %d, %d : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %l = kiln.reduce_mean %s {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x2xf32> -> tensor<f32>
  return %y, %l : tensor<4x2xf32>, tensor<f32>
}

// -----

// A parameter used twice gets the sum of both gradients; one the loss does
// not depend on gets zeros.
// CHECK-LABEL: func.func @shared_and_unused
// CHECK:         %[[G:.+]] = kiln.add %{{.+}}, %{{.+}} : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK:         %[[Z:.+]] = kiln.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK:         return %{{.+}}, %[[G]], %[[Z]]
func.func @shared_and_unused(%x: tensor<3xf32> {kiln.name = "x"}) -> (tensor<f32> {kiln.name = "loss"}) {
  %p = kiln.param "p" {init = "ones"} : tensor<3xf32>
  %q = kiln.param "q" {init = "ones"} : tensor<3xf32>
  %a = kiln.mul %x, %p : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %b = kiln.mul %a, %p : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = kiln.reduce_sum %b {axes = array<i64: 0>, keep_dims = false} : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @below {{has no result named 'loss' to differentiate}}
func.func @no_loss(%x: tensor<3xf32> {kiln.name = "x"}) -> (tensor<f32> {kiln.name = "y"}) {
  %l = kiln.reduce_sum %x {axes = array<i64: 0>, keep_dims = false} : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @below {{the loss 'loss' must be a float scalar (tensor<f32>), got 'tensor<3xf32>'}}
func.func @vector_loss(%x: tensor<3xf32> {kiln.name = "x"}) -> (tensor<3xf32> {kiln.name = "loss"}) {
  %p = kiln.param "p" {init = "ones"} : tensor<3xf32>
  %a = kiln.mul %x, %p : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %a : tensor<3xf32>
}

// -----

// expected-error @below {{has no kiln.param to differentiate with respect to}}
func.func @no_params(%x: tensor<3xf32> {kiln.name = "x"}) -> (tensor<f32> {kiln.name = "loss"}) {
  %l = kiln.reduce_sum %x {axes = array<i64: 0>, keep_dims = false} : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
