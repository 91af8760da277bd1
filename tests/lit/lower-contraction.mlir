// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s

// --kiln-lower-to-linalg, contraction family: 2-D matmul and the windowed
// ops map onto linalg named ops, accumulating into a zero-filled (max pool:
// -inf-filled) init; padding becomes a tensor.pad of the same neutral value;
// batched matmul with broadcast batch dims becomes a linalg.generic.

// Loops of a batched matmul are (batch..., m, n, k).
// CHECK-DAG: #[[$LHS4:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[$RHS4:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[$OUT4:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$LHS3:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$RHS3:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[$OUT3:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// A matmul of a transpose reads the transpose's input as A[k, m].
// CHECK-DAG: #[[$TA:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$TB:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$TC:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// And one into few columns reads the transposed B as B[n, k].
// CHECK-DAG: #[[$TN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$TT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>

// CHECK-LABEL: func.func @matmul_2d
// CHECK-SAME:    (%[[X:.+]]: tensor<8x4xf32>, %[[W:.+]]: tensor<4x2xf32>)
// CHECK:         %[[EMPTY:.+]] = tensor.empty() : tensor<8x2xf32>
// CHECK:         %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<8x2xf32>)
// CHECK:         %[[R:.+]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<8x4xf32>, tensor<4x2xf32>) outs(%[[INIT]] : tensor<8x2xf32>)
// CHECK:         return %[[R]]
func.func @matmul_2d(%x: tensor<8x4xf32>, %w: tensor<4x2xf32>) -> tensor<8x2xf32> {
  %0 = kiln.matmul %x, %w : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// Batch dims [2, 1] and [3] broadcast to [2, 3]: the lhs reads its size-1
// batch dim at 0, the rhs skips the leading batch loop.
// CHECK-LABEL: func.func @matmul_batched_broadcast
// CHECK-SAME:    (%[[X:.+]]: tensor<2x1x5x6xf32>, %[[Y:.+]]: tensor<3x6x7xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         %[[INIT:.+]] = linalg.fill
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$LHS4]], #[[$RHS4]], #[[$OUT4]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]], %[[Y]] : tensor<2x1x5x6xf32>, tensor<3x6x7xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<2x3x5x7xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK-NEXT:      %[[P:.+]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]]
func.func @matmul_batched_broadcast(%x: tensor<2x1x5x6xf32>, %y: tensor<3x6x7xf32>) -> tensor<2x3x5x7xf32> {
  %0 = kiln.matmul %x, %y : tensor<2x1x5x6xf32>, tensor<3x6x7xf32> -> tensor<2x3x5x7xf32>
  return %0 : tensor<2x3x5x7xf32>
}

// A batched activation times an unbatched weight, in integers.
// CHECK-LABEL: func.func @matmul_batched_weight_i32
// CHECK:         %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK:         linalg.fill ins(%[[ZERO]] : i32)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$LHS3]], #[[$RHS3]], #[[$OUT3]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:           arith.muli
// CHECK-NEXT:      arith.addi
func.func @matmul_batched_weight_i32(%x: tensor<4x16x8xi32>, %w: tensor<8x2xi32>) -> tensor<4x16x2xi32> {
  %0 = kiln.matmul %x, %w : tensor<4x16x8xi32>, tensor<8x2xi32> -> tensor<4x16x2xi32>
  return %0 : tensor<4x16x2xi32>
}

// Without padding, the input goes straight into the convolution.
// CHECK-LABEL: func.func @conv2d
// CHECK-SAME:    (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<3x3x3x16xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         %[[INIT:.+]] = linalg.fill
// CHECK:         %[[R:.+]] = linalg.conv_2d_nhwc_hwcf
// CHECK-SAME:      dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>
// CHECK-SAME:      ins(%[[X]], %[[W]] : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<1x6x6x16xf32>)
// CHECK:         return %[[R]]
func.func @conv2d(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x6x6x16xf32> {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// padding [top 1, bottom 1, left 2, right 0] pads H and W of NHWC with
// zeros; strides and dilations carry over.
// CHECK-LABEL: func.func @conv2d_padded
// CHECK-SAME:    (%[[X:.+]]: tensor<2x9x9x4xf32>, %[[W:.+]]: tensor<3x3x4x2xf32>)
// CHECK:         %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PADDED:.+]] = tensor.pad %[[X]] low[0, 1, 2, 0] high[0, 1, 0, 0]
// CHECK:           tensor.yield %[[ZERO]] : f32
// CHECK:         } : tensor<2x9x9x4xf32> to tensor<2x11x11x4xf32>
// CHECK:         %[[INIT:.+]] = linalg.fill
// CHECK:         linalg.conv_2d_nhwc_hwcf
// CHECK-SAME:      dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<[2, 3]> : tensor<2xi64>
// CHECK-SAME:      ins(%[[PADDED]], %[[W]] : tensor<2x11x11x4xf32>, tensor<3x3x4x2xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<2x4x3x2xf32>)
func.func @conv2d_padded(%x: tensor<2x9x9x4xf32>, %w: tensor<3x3x4x2xf32>) -> tensor<2x4x3x2xf32> {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 2, 3>, padding = array<i64: 1, 1, 2, 0>,
                           dilations = array<i64: 2, 1>}
      : tensor<2x9x9x4xf32>, tensor<3x3x4x2xf32> -> tensor<2x4x3x2xf32>
  return %0 : tensor<2x4x3x2xf32>
}

// Max pooling starts from -inf, and the window operand only carries the
// window's shape.
// CHECK-LABEL: func.func @max_pool2d
// CHECK-SAME:    (%[[X:.+]]: tensor<1x6x6x16xf32>)
// CHECK:         %[[EMPTY:.+]] = tensor.empty() : tensor<1x3x3x16xf32>
// CHECK:         %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[EMPTY]] : tensor<1x3x3x16xf32>)
// CHECK:         %[[WINDOW:.+]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[R:.+]] = linalg.pooling_nhwc_max
// CHECK-SAME:      dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>
// CHECK-SAME:      ins(%[[X]], %[[WINDOW]] : tensor<1x6x6x16xf32>, tensor<2x2xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<1x3x3x16xf32>)
// CHECK:         return %[[R]]
func.func @max_pool2d(%x: tensor<1x6x6x16xf32>) -> tensor<1x3x3x16xf32> {
  %0 = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                           padding = array<i64: 0, 0, 0, 0>}
      : tensor<1x6x6x16xf32> -> tensor<1x3x3x16xf32>
  return %0 : tensor<1x3x3x16xf32>
}

// Padded positions hold -inf (here f16's 0xFC00), so they never win.
// CHECK-LABEL: func.func @max_pool2d_padded_f16
// CHECK-SAME:    (%[[X:.+]]: tensor<2x4x3x2xf16>)
// CHECK:         %[[NEGINF:.+]] = arith.constant 0xFC00 : f16
// CHECK:         %[[PADDED:.+]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 0, 1, 0]
// CHECK:           tensor.yield %[[NEGINF]] : f16
// CHECK:         } : tensor<2x4x3x2xf16> to tensor<2x5x5x2xf16>
// CHECK:         %[[FILL:.+]] = arith.constant 0xFC00 : f16
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[FILL]] : f16)
// CHECK:         %[[WINDOW:.+]] = tensor.empty() : tensor<3x2xf16>
// CHECK:         linalg.pooling_nhwc_max
// CHECK-SAME:      strides = dense<[1, 2]> : tensor<2xi64>
// CHECK-SAME:      ins(%[[PADDED]], %[[WINDOW]] : tensor<2x5x5x2xf16>, tensor<3x2xf16>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<2x3x2x2xf16>)
func.func @max_pool2d_padded_f16(%x: tensor<2x4x3x2xf16>) -> tensor<2x3x2x2xf16> {
  %0 = kiln.max_pool2d %x {window = array<i64: 3, 2>, strides = array<i64: 1, 2>,
                           padding = array<i64: 1, 0, 1, 1>}
      : tensor<2x4x3x2xf16> -> tensor<2x3x2x2xf16>
  return %0 : tensor<2x3x2x2xf16>
}

// X^T G, a weight's gradient: no transposed copy of X is made.
// CHECK-LABEL: func.func @matmul_of_transpose
// CHECK-SAME:    (%[[X:.+]]: tensor<8x4xf32>, %[[G:.+]]: tensor<8x2xf32>)
// CHECK:         %[[INIT:.+]] = linalg.fill
// CHECK:         %[[R:.+]] = linalg.generic {indexing_maps = [#[[$TA]], #[[$TB]], #[[$TC]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[X]], %[[G]] : tensor<8x4xf32>, tensor<8x2xf32>) outs(%[[INIT]] : tensor<4x2xf32>)
// CHECK:         return %[[R]]
func.func @matmul_of_transpose(%x: tensor<8x4xf32>, %g: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %t = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<8x4xf32> -> tensor<4x8xf32>
  %0 = kiln.matmul %t, %g : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// W G^T into 8 columns (a wide dense layer's input gradient): G is read as
// it is; into 32 columns the transpose is made and the matmul is named.
// CHECK-LABEL: func.func @matmul_of_transposed_rhs
// CHECK-SAME:    (%[[W:.+]]: tensor<64x16xf32>, %[[G:.+]]: tensor<8x16xf32>, %[[G32:.+]]: tensor<32x16xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[$TN]], #[[$TT]], #[[$TC]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[W]], %[[G]] : tensor<64x16xf32>, tensor<8x16xf32>)
// CHECK:         linalg.matmul ins(%[[W]], %{{.+}} : tensor<64x16xf32>, tensor<16x32xf32>)
func.func @matmul_of_transposed_rhs(%w: tensor<64x16xf32>, %g: tensor<8x16xf32>, %g32: tensor<32x16xf32>)
    -> (tensor<64x8xf32>, tensor<64x32xf32>) {
  %t = kiln.transpose %g {perm = array<i64: 1, 0>} : tensor<8x16xf32> -> tensor<16x8xf32>
  %0 = kiln.matmul %w, %t : tensor<64x16xf32>, tensor<16x8xf32> -> tensor<64x8xf32>
  %t32 = kiln.transpose %g32 {perm = array<i64: 1, 0>} : tensor<32x16xf32> -> tensor<16x32xf32>
  %1 = kiln.matmul %w, %t32 : tensor<64x16xf32>, tensor<16x32xf32> -> tensor<64x32xf32>
  return %0, %1 : tensor<64x8xf32>, tensor<64x32xf32>
}

// Both operands transposes: A is read in place, B's transpose is made (the
// tiles take no matmul with both read transposed).
// CHECK-LABEL: func.func @matmul_of_two_transposes
// CHECK:         linalg.generic {indexing_maps = [#[[$TA]], #[[$TB]], #[[$TC]]]
func.func @matmul_of_two_transposes(%x: tensor<16x64xf32>, %g: tensor<8x16xf32>) -> tensor<64x8xf32> {
  %tx = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<16x64xf32> -> tensor<64x16xf32>
  %tg = kiln.transpose %g {perm = array<i64: 1, 0>} : tensor<8x16xf32> -> tensor<16x8xf32>
  %0 = kiln.matmul %tx, %tg : tensor<64x16xf32>, tensor<16x8xf32> -> tensor<64x8xf32>
  return %0 : tensor<64x8xf32>
}
