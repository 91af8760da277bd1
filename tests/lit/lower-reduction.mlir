// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s

// --kiln-lower-to-linalg, reduction family: one linalg.generic over the
// input's dims, reduced dims as reduction iterators; the output map drops
// them, or reads them at 0 under keep_dims. The init holds the neutral
// value: 0 for sums, -inf (floats) or the smallest integer for maxima.

// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$MID:.+]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$KEEP:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$DROP:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ALL:.+]] = affine_map<(d0) -> ()>

// CHECK-LABEL: func.func @reduce_sum_outer_axes
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK:         %[[EMPTY:.+]] = tensor.empty() : tensor<3xf32>
// CHECK:         %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<3xf32>)
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID3]], #[[$MID]]]
// CHECK-SAME:      iterator_types = ["reduction", "parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK-NEXT:      %[[S:.+]] = arith.addf %[[IN]], %[[ACC]] fastmath<reassoc> : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]]
func.func @reduce_sum_outer_axes(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 0, 2>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// CHECK-LABEL: func.func @reduce_sum_i32
// CHECK:         %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK:         linalg.fill ins(%[[ZERO]] : i32)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID2]], #[[$DROP]]]
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           arith.addi
func.func @reduce_sum_i32(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xi32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// CHECK-LABEL: func.func @reduce_max_keep_dims
// CHECK:         %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<8x1xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID2]], #[[$KEEP]]]
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
func.func @reduce_max_keep_dims(%x: tensor<8x10xf32>) -> tensor<8x1xf32> {
  %0 = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = true} : tensor<8x10xf32> -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// Reducing every dim gives a rank-0 result.
// CHECK-LABEL: func.func @reduce_max_i8_to_scalar
// CHECK:         %[[MIN:.+]] = arith.constant -128 : i8
// CHECK:         linalg.fill ins(%[[MIN]] : i8) outs(%{{.+}} : tensor<i8>)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID1]], #[[$ALL]]]
// CHECK-SAME:      iterator_types = ["reduction"]
// CHECK:           arith.maxsi
func.func @reduce_max_i8_to_scalar(%x: tensor<6xi8>) -> tensor<i8> {
  %0 = kiln.reduce_max %x {axes = array<i64: 0>, keep_dims = false} : tensor<6xi8> -> tensor<i8>
  return %0 : tensor<i8>
}
