// RUN: kiln-opt %s --kiln-decompose | FileCheck %s

// --kiln-decompose rewrites the composite ops (softmax, log_softmax,
// reduce_mean, layer_norm) into kiln primitives and leaves every other op as
// it is. The greedy driver hoists the constants it creates to the top of the
// function, hence CHECK-DAG for them.

// Softmax subtracts the row maximum before exp, so it stays finite for large
// logits, and divides by the sum over the same axis, kept as a size-1 dim.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.+]]: tensor<8x10xf32>)
// CHECK-NOT:     kiln.softmax
// CHECK:         %[[MAX:.+]] = kiln.reduce_max %[[X]] {axes = array<i64: 1>, keep_dims = true} : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK-NEXT:    %[[SHIFTED:.+]] = kiln.sub %[[X]], %[[MAX]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK-NEXT:    %[[E:.+]] = kiln.exp %[[SHIFTED]] : tensor<8x10xf32>
// CHECK-NEXT:    %[[SUM:.+]] = kiln.reduce_sum %[[E]] {axes = array<i64: 1>, keep_dims = true} : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK-NEXT:    %[[P:.+]] = kiln.div %[[E]], %[[SUM]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK-NEXT:    return %[[P]]
func.func @softmax(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %0 = kiln.softmax %x {axis = 1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// log_softmax(x) = (x - max) - log(sum(exp(x - max))), along a middle axis
// and in f16.
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME:    (%[[X:.+]]: tensor<4x8x10xf16>)
// CHECK-NOT:     kiln.log_softmax
// CHECK:         %[[MAX:.+]] = kiln.reduce_max %[[X]] {axes = array<i64: 1>, keep_dims = true} : tensor<4x8x10xf16> -> tensor<4x1x10xf16>
// CHECK-NEXT:    %[[SHIFTED:.+]] = kiln.sub %[[X]], %[[MAX]]
// CHECK-NEXT:    %[[E:.+]] = kiln.exp %[[SHIFTED]] : tensor<4x8x10xf16>
// CHECK-NEXT:    %[[SUM:.+]] = kiln.reduce_sum %[[E]] {axes = array<i64: 1>, keep_dims = true} : tensor<4x8x10xf16> -> tensor<4x1x10xf16>
// CHECK-NEXT:    %[[LOG:.+]] = kiln.log %[[SUM]] : tensor<4x1x10xf16>
// CHECK-NEXT:    %[[R:.+]] = kiln.sub %[[SHIFTED]], %[[LOG]] : tensor<4x8x10xf16>, tensor<4x1x10xf16> -> tensor<4x8x10xf16>
// CHECK-NEXT:    return %[[R]]
func.func @log_softmax(%x: tensor<4x8x10xf16>) -> tensor<4x8x10xf16> {
  %0 = kiln.log_softmax %x {axis = 1 : i64} : tensor<4x8x10xf16> -> tensor<4x8x10xf16>
  return %0 : tensor<4x8x10xf16>
}

// The mean over axes 0 and 2 of [2, 3, 4] divides the sum by 2 * 4 = 8, a
// rank-0 constant that broadcasts.
// CHECK-LABEL: func.func @reduce_mean
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK-NOT:     kiln.reduce_mean
// CHECK-DAG:     %[[N:.+]] = kiln.constant dense<8.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[SUM:.+]] = kiln.reduce_sum %[[X]] {axes = array<i64: 0, 2>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
// CHECK:         %[[MEAN:.+]] = kiln.div %[[SUM]], %[[N]] : tensor<3xf32>, tensor<f32> -> tensor<3xf32>
// CHECK-NEXT:    return %[[MEAN]]
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %0 = kiln.reduce_mean %x {axes = array<i64: 0, 2>, keep_dims = false}
      : tensor<2x3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// layer_norm becomes (x - mean) * rsqrt(var + eps) * gamma + beta; the two
// means it introduces are decomposed in turn, so no composite is left.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    (%[[X:.+]]: tensor<8x64xf32>, %[[G:.+]]: tensor<64xf32>, %[[B:.+]]: tensor<64xf32>)
// CHECK-NOT:     kiln.layer_norm
// CHECK-NOT:     kiln.reduce_mean
// CHECK-DAG:     %[[EPS:.+]] = kiln.constant dense<9.99999974E-6> : tensor<f32>
// CHECK-DAG:     %[[N:.+]] = kiln.constant dense<6.400000e+01> : tensor<f32>
// CHECK:         %[[SUM:.+]] = kiln.reduce_sum %[[X]] {axes = array<i64: 1>, keep_dims = true} : tensor<8x64xf32> -> tensor<8x1xf32>
// CHECK-NEXT:    %[[MEAN:.+]] = kiln.div %[[SUM]], %[[N]]
// CHECK-NEXT:    %[[D:.+]] = kiln.sub %[[X]], %[[MEAN]] : tensor<8x64xf32>, tensor<8x1xf32> -> tensor<8x64xf32>
// CHECK-NEXT:    %[[SQ:.+]] = kiln.mul %[[D]], %[[D]]
// CHECK-NEXT:    %[[SQSUM:.+]] = kiln.reduce_sum %[[SQ]] {axes = array<i64: 1>, keep_dims = true}
// CHECK-NEXT:    %[[VAR:.+]] = kiln.div %[[SQSUM]], %[[N]]
// CHECK-NEXT:    %[[VAREPS:.+]] = kiln.add %[[VAR]], %[[EPS]] : tensor<8x1xf32>, tensor<f32> -> tensor<8x1xf32>
// CHECK-NEXT:    %[[INV:.+]] = kiln.rsqrt %[[VAREPS]] : tensor<8x1xf32>
// CHECK-NEXT:    %[[NORM:.+]] = kiln.mul %[[D]], %[[INV]] : tensor<8x64xf32>, tensor<8x1xf32> -> tensor<8x64xf32>
// CHECK-NEXT:    %[[SCALED:.+]] = kiln.mul %[[NORM]], %[[G]] : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64xf32>
// CHECK-NEXT:    %[[Y:.+]] = kiln.add %[[SCALED]], %[[B]] : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @layer_norm(%x: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = kiln.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32}
      : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// Primitives are not touched, including a hand-written softmax-like
// sequence: the pass matches ops, not patterns of ops.
// CHECK-LABEL: func.func @primitives_stay
// CHECK-SAME:    (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<64x4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK-NEXT:    %[[MM:.+]] = kiln.matmul %[[X]], %[[W]] : tensor<8x64xf32>, tensor<64x4xf32> -> tensor<8x4xf32>
// CHECK-NEXT:    %[[ADD:.+]] = kiln.add %[[MM]], %[[B]] : tensor<8x4xf32>, tensor<4xf32> -> tensor<8x4xf32>
// CHECK-NEXT:    %[[SUM:.+]] = kiln.reduce_sum %[[ADD]] {axes = array<i64: 1>, keep_dims = true}
// CHECK-NEXT:    %[[MAX:.+]] = kiln.reduce_max %[[ADD]] {axes = array<i64: 0>, keep_dims = false}
// CHECK-NEXT:    %[[DIV:.+]] = kiln.div %[[ADD]], %[[SUM]]
// CHECK-NEXT:    return %[[DIV]], %[[MAX]]
func.func @primitives_stay(%x: tensor<8x64xf32>, %w: tensor<64x4xf32>, %b: tensor<4xf32>)
    -> (tensor<8x4xf32>, tensor<4xf32>) {
  %0 = kiln.matmul %x, %w : tensor<8x64xf32>, tensor<64x4xf32> -> tensor<8x4xf32>
  %1 = kiln.add %0, %b : tensor<8x4xf32>, tensor<4xf32> -> tensor<8x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 1>, keep_dims = true} : tensor<8x4xf32> -> tensor<8x1xf32>
  %3 = kiln.reduce_max %1 {axes = array<i64: 0>, keep_dims = false} : tensor<8x4xf32> -> tensor<4xf32>
  %4 = kiln.div %1, %2 : tensor<8x4xf32>, tensor<8x1xf32> -> tensor<8x4xf32>
  return %4, %3 : tensor<8x4xf32>, tensor<4xf32>
}
