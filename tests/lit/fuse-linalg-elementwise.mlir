// RUN: kiln-opt %s --kiln-fuse-linalg-elementwise --split-input-file | FileCheck %s

// A bias add with one user runs inside the relu's loop; a reshape of the
// result moves above the elementwise ops but stops at the matmul, which
// keeps its 2-D form (and its 512-long unit-stride output loop).
// CHECK-LABEL: func.func @projection_heads
// CHECK:         %[[M:.+]] = linalg.matmul {{.*}} -> tensor<64x512xf32>
// CHECK:         %[[E:.+]] = tensor.expand_shape %[[M]] {{\[\[}}0], [1, 2]] output_shape [64, 8, 64]
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      ins(%[[E]], %{{.+}} : tensor<64x8x64xf32>, tensor<8x64xf32>)
// CHECK:           arith.addf
// CHECK-NEXT:      arith.maximumf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @projection_heads(%x: tensor<64x512xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf32>) -> tensor<64x8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64x512xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64x512xf32>) -> tensor<64x512xf32>
  %m = linalg.matmul ins(%x, %w : tensor<64x512xf32>, tensor<512x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  %e1 = tensor.empty() : tensor<64x512xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<64x512xf32>, tensor<512xf32>) outs(%e1 : tensor<64x512xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<64x512xf32>
  %e2 = tensor.empty() : tensor<64x512xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<64x512xf32>) outs(%e2 : tensor<64x512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = arith.maximumf %in, %zero : f32
    linalg.yield %y : f32
  } -> tensor<64x512xf32>
  %h = tensor.expand_shape %r [[0], [1, 2]] output_shape [64, 8, 64] : tensor<64x512xf32> into tensor<64x8x64xf32>
  return %h : tensor<64x8x64xf32>
}

// -----

// A producer with two users stays where it is: fused, it would be computed
// twice.
// CHECK-LABEL: func.func @two_users
// CHECK:         %[[E:.+]] = linalg.generic {{.*}} ins(%arg0
// CHECK:           math.exp
// CHECK:         %[[P:.+]] = linalg.generic {{.*}} ins(%[[E]], %arg0
// CHECK:         return %[[E]], %[[P]]
#map = affine_map<(d0) -> (d0)>
func.func @two_users(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e0 = tensor.empty() : tensor<16xf32>
  %e = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e0 : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<16xf32>
  %e1 = tensor.empty() : tensor<16xf32>
  %p = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%e, %x : tensor<16xf32>, tensor<16xf32>) outs(%e1 : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %y = arith.mulf %a, %b : f32
    linalg.yield %y : f32
  } -> tensor<16xf32>
  return %e, %p : tensor<16xf32>, tensor<16xf32>
}
