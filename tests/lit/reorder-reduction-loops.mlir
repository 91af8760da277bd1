// RUN: kiln-opt %s --kiln-reorder-reduction-loops | FileCheck %s
// RUN: kiln-opt %s --kiln-reorder-reduction-loops --kiln-reorder-reduction-loops | FileCheck %s

// --kiln-reorder-reduction-loops: the loop that walks the output's last dim
// goes innermost, right inside the reduction loops, when every operand is
// either invariant along it or walks it as its own last dim. The second RUN
// line checks that the result is a fixed point.

// Loops (m, n, k) become (m, k, n): the new d1 is k, the new d2 is n.
// CHECK-DAG: #[[$MM_A:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$MM_B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$MM_C:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// (b, m, n, k) becomes (b, m, k, n).
// CHECK-DAG: #[[$BMM_A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$BMM_B:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[$BMM_C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// (n, oh, ow, f, kh, kw, c) becomes (n, oh, ow, kh, kw, c, f).
// CHECK-DAG: #[[$CONV_I:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 + d3, d2 + d4 * 2, d5)>
// CHECK-DAG: #[[$CONV_F:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d3, d4, d5, d6)>
// CHECK-DAG: #[[$CONV_O:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d6)>
// (n, oh, ow, c, kh, kw) becomes (n, oh, ow, kh, kw, c), stride 2 kept.
// CHECK-DAG: #[[$POOL_I:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[$POOL_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-DAG: #[[$POOL_O:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>

// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.+]]: tensor<8x16xf32>, %[[B:.+]]: tensor<16x32xf32>, %[[C:.+]]: tensor<8x32xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$MM_A]], #[[$MM_B]], #[[$MM_C]]]
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<8x16xf32>, tensor<16x32xf32>)
// CHECK-SAME:      outs(%[[C]] : tensor<8x32xf32>)
// CHECK:           arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK:         return %[[R]]
func.func @matmul(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>)
                     outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// The generic that kiln.matmul becomes for a batched activation and an
// unbatched weight; the payload is kept as is.
#bmm_a = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#bmm_b = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
#bmm_c = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @batched_matmul
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$BMM_A]], #[[$BMM_B]], #[[$BMM_C]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-NEXT:    ^bb0(%[[X:.+]]: i32, %[[W:.+]]: i32, %[[ACC:.+]]: i32):
// CHECK-NEXT:      %[[P:.+]] = arith.muli %[[X]], %[[W]] : i32
// CHECK-NEXT:      %[[S:.+]] = arith.addi %[[ACC]], %[[P]] : i32
// CHECK-NEXT:      linalg.yield %[[S]] : i32
func.func @batched_matmul(%x: tensor<4x16x8xi32>, %w: tensor<8x2xi32>, %init: tensor<4x16x2xi32>) -> tensor<4x16x2xi32> {
  %0 = linalg.generic {indexing_maps = [#bmm_a, #bmm_b, #bmm_c],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x16x8xi32>, tensor<8x2xi32>) outs(%init : tensor<4x16x2xi32>) {
  ^bb0(%in: i32, %in_w: i32, %acc: i32):
    %p = arith.muli %in, %in_w : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<4x16x2xi32>
  return %0 : tensor<4x16x2xi32>
}

// A convolution with dilated columns (--kiln-conv-to-matmul takes only
// undilated ones).
// CHECK-LABEL: func.func @conv
// CHECK-NOT:     linalg.conv_2d_nhwc_hwcf
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$CONV_I]], #[[$CONV_F]], #[[$CONV_O]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
func.func @conv(%i: tensor<1x10x10x3xf32>, %f: tensor<3x3x3x8xf32>, %o: tensor<1x8x6x8xf32>) -> tensor<1x8x6x8xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : tensor<1x10x10x3xf32>, tensor<3x3x3x8xf32>) outs(%o : tensor<1x8x6x8xf32>) -> tensor<1x8x6x8xf32>
  return %0 : tensor<1x8x6x8xf32>
}

// An f32 convolution with undilated columns stays named, for
// --kiln-conv-to-matmul.
// CHECK-LABEL: func.func @conv_for_matmuls
// CHECK:         linalg.conv_2d_nhwc_hwcf
func.func @conv_for_matmuls(%i: tensor<1x10x10x3xf32>, %f: tensor<3x3x3x8xf32>, %o: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : tensor<1x10x10x3xf32>, tensor<3x3x3x8xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// CHECK-LABEL: func.func @max_pool
// CHECK-NOT:     linalg.pooling_nhwc_max
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$POOL_I]], #[[$POOL_W]], #[[$POOL_O]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK:           arith.maximumf
func.func @max_pool(%i: tensor<1x8x8x16xf32>, %w: tensor<2x2xf32>, %o: tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> {
  %0 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%i, %w : tensor<1x8x8x16xf32>, tensor<2x2xf32>) outs(%o : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %0 : tensor<1x4x4x16xf32>
}

// Must not fire: a row sum. The output's last loop (m) walks the input's
// rows; innermost it would make the input strided.
#row_in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row_out = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#row_in2 = affine_map<(d0, d1) -> (d0, d1)>
#row_out2 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @row_sum
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
func.func @row_sum(%x: tensor<2x4x8xf32>, %init: tensor<2x4x1xf32>,
                   %y: tensor<4x8xf32>, %init2: tensor<4xf32>) -> (tensor<2x4x1xf32>, tensor<4xf32>) {
  %0 = linalg.generic {indexing_maps = [#row_in, #row_out],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x4x8xf32>) outs(%init : tensor<2x4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x4x1xf32>
  %1 = linalg.generic {indexing_maps = [#row_in2, #row_out2],
                       iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<4x8xf32>) outs(%init2 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %0, %1 : tensor<2x4x1xf32>, tensor<4xf32>
}

// Must not fire: B is read transposed, so n indexes B's rows, not its last
// dim, and n innermost would still read B with a stride.
// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK:         linalg.matmul_transpose_b
func.func @matmul_transpose_b(%a: tensor<8x16xf32>, %b: tensor<32x16xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = linalg.matmul_transpose_b ins(%a, %b : tensor<8x16xf32>, tensor<32x16xf32>)
                                 outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// Must not fire: no reduction loops (elementwise ops keep their order).
// CHECK-LABEL: func.func @elementwise
// CHECK:         linalg.add
func.func @elementwise(%a: tensor<8x32xf32>, %b: tensor<8x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = linalg.add ins(%a, %b : tensor<8x32xf32>, tensor<8x32xf32>)
                  outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// Also on buffers: the pass does not need tensors.
// CHECK-LABEL: func.func @matmul_buffers
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$MM_A]], #[[$MM_B]], #[[$MM_C]]]
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%{{.+}}, %{{.+}} : memref<8x16xf32>, memref<16x32xf32>)
func.func @matmul_buffers(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>)
                outs(%c : memref<8x32xf32>)
  return
}
