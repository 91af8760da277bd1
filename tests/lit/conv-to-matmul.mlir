// RUN: kiln-opt %s --kiln-conv-to-matmul --split-input-file | FileCheck %s

// Per image, output row and filter row, one matmul of an [OW, KW*C] view of
// the input (rows C*stride apart, overlapping) by a [KW*C, F] view of the
// filter into the output row.
// CHECK-LABEL: func.func @conv
// CHECK-NOT:     linalg.conv_2d_nhwc_hwcf
// CHECK:         scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[OH:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             scf.for %[[KH:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               %[[A:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [4, 9], strides: [6, 1]
// CHECK:               %[[B:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [9, 8], strides: [8, 1]
// CHECK:               %[[C:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [4, 8], strides: [8, 1]
// CHECK:               linalg.matmul ins(%[[A]], %[[B]] : {{.*}}) outs(%[[C]] : {{.*}})
func.func @conv(%i: memref<2x9x9x3xf32>, %f: memref<3x3x3x8xf32>, %o: memref<2x4x4x8xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%i, %f : memref<2x9x9x3xf32>, memref<3x3x3x8xf32>) outs(%o : memref<2x4x4x8xf32>)
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
