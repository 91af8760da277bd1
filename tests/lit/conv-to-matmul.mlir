// RUN: kiln-opt %s --kiln-conv-to-matmul --split-input-file | FileCheck %s

// Per image and output row, one contraction over the whole window (kh, kw,
// c): an [OW, KH, KW*C] view of the input (rows C*stride apart,
// overlapping; filter rows an input row apart) by the filter as
// [KH, KW*C, F], into the output row. Two reduction dims, kh then (kw, c).
// CHECK-DAG:   #[[MAPA:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG:   #[[MAPB:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
// CHECK-DAG:   #[[MAPC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @conv
// CHECK-SAME:    (%{{.+}}: memref<2x9x9x3xf32>, %[[F:.+]]: memref<3x3x3x8xf32>, %{{.+}}: memref<2x4x4x8xf32>)
// CHECK-NOT:     linalg.conv_2d_nhwc_hwcf
// CHECK:         %[[B:.+]] = memref.collapse_shape %[[F]] {{\[}}[0], [1, 2], [3]] : memref<3x3x3x8xf32> into memref<3x9x8xf32>
// CHECK:         scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[OH:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NOT:         scf.for
// CHECK:             %[[A:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [4, 3, 9], strides: [6, 27, 1]
// CHECK:             %[[C:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [4, 8], strides: [8, 1]
// CHECK-NOT:         linalg.fill
// CHECK:             linalg.generic {indexing_maps = [#[[MAPA]], #[[MAPB]], #[[MAPC]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:          ins(%[[A]], %[[B]] : {{.*}}) outs(%[[C]] : {{.*}})
// CHECK:               arith.mulf
// CHECK:               arith.addf
func.func @conv(%i: memref<2x9x9x3xf32>, %f: memref<3x3x3x8xf32>, %o: memref<2x4x4x8xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%i, %f : memref<2x9x9x3xf32>, memref<3x3x3x8xf32>) outs(%o : memref<2x4x4x8xf32>)
  return
}

// -----

// A zero fill of the output right before becomes a fill of each output row
// right before its contraction, for --kiln-tile-matmul to fold; rows
// dilated by 2 are two input rows apart in A's view.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             %[[A:.+]] = memref.reinterpret_cast %{{.+}} sizes: [7, 3, 6], strides: [2, 36, 1]
// CHECK:             %[[C:.+]] = memref.reinterpret_cast
// CHECK:             linalg.fill ins(%{{.+}} : f32) outs(%[[C]] : {{.*}})
// CHECK-NEXT:        linalg.generic
// CHECK-SAME:          ins(%[[A]], %{{.+}} : {{.*}}) outs(%[[C]] : {{.*}})
func.func @zero_filled(%i: memref<1x9x9x2xf32>, %f: memref<3x3x2x4xf32>, %o: memref<1x5x7x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<1x5x7x4xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<1x9x9x2xf32>, memref<3x3x2x4xf32>) outs(%o : memref<1x5x7x4xf32>)
  return
}

// -----

// Dilated columns, or a view whose columns are not contiguous, stay.
// CHECK-LABEL: func.func @stays
// CHECK-COUNT-2: linalg.conv_2d_nhwc_hwcf
func.func @stays(%i: memref<1x9x9x3xf32>, %f: memref<3x3x3x8xf32>, %o: memref<1x7x5x8xf32>,
                 %j: memref<1x9x9x3xf32, strided<[486, 54, 6, 1]>>, %o2: memref<1x7x7x8xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<1x9x9x3xf32>, memref<3x3x3x8xf32>) outs(%o : memref<1x7x5x8xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%j, %f : memref<1x9x9x3xf32, strided<[486, 54, 6, 1]>>, memref<3x3x3x8xf32>) outs(%o2 : memref<1x7x7x8xf32>)
  return
}
