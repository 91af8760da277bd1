// RUN: kiln-opt %s --kiln-conv-to-winograd="vector-width=8" --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-conv-to-winograd="vector-width=16" --split-input-file | FileCheck %s --check-prefix=AVX512
// RUN: kilnc %S/Inputs/conv-block.mlir --dump-after=kiln-conv-to-winograd --cpu=x86-64-v3 | FileCheck %s --check-prefix=PIPELINE

// F(2x2, 3x3): the filter transform U [16, C, F] once at the function's
// start (the filter is an argument the function only reads), then per row
// of 2 x 2 tiles of both images (a block: 2 x 3 tiles): the input transform
// into V [16, 6, C], the 16 matmuls as one batched generic into M [16, 6, F]
// (its zero fill for --kiln-tile-matmul to fold), and the output transform
// into the output, which the zero fill before no longer needs. Vectors of 8
// along channels.
// CHECK-DAG:   #[[MAPV:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG:   #[[MAPU:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG:   #[[MAPM:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @even
// CHECK-SAME:    (%[[IN:.+]]: memref<2x6x8x16xf32>, %[[F:.+]]: memref<3x3x16x32xf32>, %[[OUT:.+]]: memref<2x4x6x32xf32>)
// CHECK-DAG:     %[[M:.+]] = memref.alloca() {alignment = 64 : i64} : memref<16x6x32xf32>
// CHECK-DAG:     %[[V:.+]] = memref.alloca() {alignment = 64 : i64} : memref<16x6x16xf32>
// CHECK-DAG:     %[[U:.+]] = memref.alloca() {alignment = 64 : i64} : memref<16x16x32xf32>
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK-COUNT-9:     vector.load %[[F]]{{.*}} : memref<3x3x16x32xf32>, vector<8xf32>
// G's rows (1, 0, 0), (1/2, 1/2, 1/2), (1/2, -1/2, 1/2), (0, 0, 1): G g is
// g's first row, then halves of sums.
// CHECK:               %[[H:.+]] = arith.constant dense<5.000000e-01> : vector<8xf32>
// CHECK-NEXT:          arith.mulf %{{.+}}, %[[H]] : vector<8xf32>
// CHECK:               arith.constant dense<-5.000000e-01> : vector<8xf32>
// CHECK-COUNT-16:    vector.store %{{.+}}, %[[U]]
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %[[N0:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[ROW:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK:                 %[[N:.+]] = arith.addi %[[N0]], %[[I]]
// CHECK:                 scf.for
// CHECK-COUNT-16:          vector.load %[[IN]][%[[N]], {{.*}} : memref<2x6x8x16xf32>, vector<8xf32>
// CHECK-COUNT-16:          vector.store %{{.+}}, %[[V]]
// CHECK:             linalg.fill ins(%{{.+}} : f32) outs(%[[M]] : memref<16x6x32xf32>)
// CHECK-NEXT:        linalg.generic {indexing_maps = [#[[MAPV]], #[[MAPU]], #[[MAPM]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:          ins(%[[V]], %[[U]] : memref<16x6x16xf32>, memref<16x16x32xf32>) outs(%[[M]] : memref<16x6x32xf32>)
// CHECK:               arith.mulf
// CHECK:               arith.addf
// CHECK:             scf.for
// CHECK:               scf.for
// CHECK:                 %[[N2:.+]] = arith.addi
// CHECK:                 scf.for
// CHECK-COUNT-16:          vector.load %[[M]]
// CHECK-NOT:               vector.load
// CHECK:                   arith.subf
// CHECK-COUNT-4:           vector.store %{{.+}}, %[[OUT]][%[[N2]], {{.*}} : memref<2x4x6x32xf32>, vector<8xf32>
// CHECK-NOT:     linalg.conv_2d_nhwc_hwcf
// CHECK:         return

// With AVX-512's 16 lanes, one vector per 16 channels or filters.
// AVX512-LABEL: func.func @even
// AVX512-COUNT-9: vector.load %arg1{{.*}} : memref<3x3x16x32xf32>, vector<16xf32>
// AVX512:         linalg.generic
// AVX512-LABEL: func.func @odd
func.func @even(%i: memref<2x6x8x16xf32>, %f: memref<3x3x16x32xf32>, %o: memref<2x4x6x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<2x4x6x32xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<2x6x8x16xf32>, memref<3x3x16x32xf32>) outs(%o : memref<2x4x6x32xf32>)
  return
}

// -----

// An odd output (5 x 7): the last row (all columns), then the last column
// (the tiles' 4 rows), stay convolutions on views of input and output, each
// after a zero fill of its view.
// CHECK-LABEL: func.func @odd
// CHECK:         linalg.generic
// CHECK:         %[[O1:.+]] = memref.subview %arg2[0, 4, 0, 0] [1, 1, 7, 16] [1, 1, 1, 1]
// CHECK:         %[[I1:.+]] = memref.subview %arg0[0, 4, 0, 0] [1, 3, 9, 16] [1, 1, 1, 1]
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[O1]]
// CHECK-NEXT:    linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[I1]], %arg1 : {{.*}}) outs(%[[O1]] :
// CHECK:         %[[O2:.+]] = memref.subview %arg2[0, 0, 6, 0] [1, 4, 1, 16] [1, 1, 1, 1]
// CHECK:         %[[I2:.+]] = memref.subview %arg0[0, 0, 6, 0] [1, 6, 3, 16] [1, 1, 1, 1]
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[O2]]
// CHECK-NEXT:    linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[I2]], %arg1 : {{.*}}) outs(%[[O2]] :
// CHECK-NOT:     linalg
// CHECK:         return
func.func @odd(%i: memref<1x7x9x16xf32>, %f: memref<3x3x16x16xf32>, %o: memref<1x5x7x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<1x5x7x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<1x7x9x16xf32>, memref<3x3x16x16xf32>) outs(%o : memref<1x5x7x16xf32>)
  return
}

// -----

// Without a zero fill before, the tiles add to the output. A filter the
// function writes is transformed where the convolution was, not hoisted.
// CHECK-LABEL: func.func @accumulates
// CHECK:         linalg.copy
// CHECK:         scf.for
// CHECK-COUNT-9:   vector.load %arg1
// CHECK:         linalg.generic
// CHECK:         vector.load %arg2
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    vector.store %{{.+}}, %arg2
func.func @accumulates(%i: memref<1x4x4x16xf32>, %f: memref<3x3x16x16xf32>, %o: memref<1x2x2x16xf32>,
                       %g: memref<3x3x16x16xf32>) {
  linalg.copy ins(%g : memref<3x3x16x16xf32>) outs(%f : memref<3x3x16x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<1x4x4x16xf32>, memref<3x3x16x16xf32>) outs(%o : memref<1x2x2x16xf32>)
  return
}

// -----

// Stay: stride 2, a 5x5 filter, 8 channels (fewer than 16), 12 filters (not
// whole vectors), dynamic sizes, an output too small for one tile.
// CHECK-LABEL: func.func @stays
// CHECK-COUNT-6: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT:     linalg.generic
func.func @stays(%i: memref<1x9x9x16xf32>, %f: memref<3x3x16x16xf32>, %o: memref<1x4x4x16xf32>,
                 %f5: memref<5x5x16x16xf32>, %o5: memref<1x5x5x16xf32>,
                 %i8: memref<1x9x9x8xf32>, %f8: memref<3x3x8x16xf32>, %o7: memref<1x7x7x16xf32>,
                 %f12: memref<3x3x16x12xf32>, %o12: memref<1x7x7x12xf32>,
                 %id: memref<?x9x9x16xf32>, %od: memref<?x7x7x16xf32>,
                 %i1: memref<1x3x9x16xf32>, %o1: memref<1x1x7x16xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%i, %f : memref<1x9x9x16xf32>, memref<3x3x16x16xf32>) outs(%o : memref<1x4x4x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f5 : memref<1x9x9x16xf32>, memref<5x5x16x16xf32>) outs(%o5 : memref<1x5x5x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i8, %f8 : memref<1x9x9x8xf32>, memref<3x3x8x16xf32>) outs(%o7 : memref<1x7x7x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f12 : memref<1x9x9x16xf32>, memref<3x3x16x12xf32>) outs(%o12 : memref<1x7x7x12xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%id, %f : memref<?x9x9x16xf32>, memref<3x3x16x16xf32>) outs(%od : memref<?x7x7x16xf32>)
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i1, %f : memref<1x3x9x16xf32>, memref<3x3x16x16xf32>) outs(%o1 : memref<1x1x7x16xf32>)
  return
}

// -----

// The stack buffers of a function's convolutions stay under 1 MiB: U alone
// for 128 channels and 256 filters is 2 MiB.
// CHECK-LABEL: func.func @too_large
// CHECK-NOT:     memref.alloca
// CHECK:         linalg.conv_2d_nhwc_hwcf
func.func @too_large(%i: memref<1x4x4x128xf32>, %f: memref<3x3x128x256xf32>, %o: memref<1x2x2x256xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%i, %f : memref<1x4x4x128xf32>, memref<3x3x128x256xf32>) outs(%o : memref<1x2x2x256xf32>)
  return
}

// In the pipeline (kilnc --dump-after): the fused conv + bias + ReLU
// kernel's convolution, a chunk of static shape (one image), is rewritten.
// PIPELINE-LABEL: func.func private @conv_block_k0
// PIPELINE-NOT:     linalg.conv_2d_nhwc_hwcf
// PIPELINE:         memref.alloca() {alignment = 64 : i64} : memref<16x3x32xf32>
// PIPELINE:         vector.fma
// PIPELINE:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// PIPELINE-NOT:     linalg.conv_2d_nhwc_hwcf
// PIPELINE:         return
