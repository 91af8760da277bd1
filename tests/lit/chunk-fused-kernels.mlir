// RUN: kiln-opt %s --kiln-chunk-fused-kernels --split-input-file --verify-diagnostics | FileCheck %s

// A fused kernel cut into 4 chunks along its rows: inputs the grid cuts are
// sliced, the bias the chunks share is read whole, every op runs once per
// chunk on [16, 32] tensors, and the results go into their rows.
// CHECK-LABEL: func.func private @rows
// CHECK-SAME:    (%[[X:.+]]: tensor<64x32xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK-DAG:     %[[EMPTY:.+]] = tensor.empty() : tensor<64x32xf32>
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C4:.+]] = arith.constant 4 : index
// CHECK:         %[[R:.+]] = scf.for %[[K:.+]] = %[[C0]] to %[[C4]] step %[[C1]] iter_args(%[[O:.+]] = %[[EMPTY]])
// CHECK:           %[[C16:.+]] = arith.constant 16 : index
// CHECK:           %[[I:.+]] = arith.muli %[[K]], %[[C16]] : index
// CHECK:           %[[S:.+]] = tensor.extract_slice %[[X]][%[[I]], 0] [16, 32] [1, 1]
// CHECK:           %[[A:.+]] = kiln.add %[[S]], %[[B]] : tensor<16x32xf32>, tensor<32xf32> -> tensor<16x32xf32>
// CHECK:           %[[M:.+]] = kiln.reduce_max %[[A]] {{.*}} -> tensor<16x1xf32>
// CHECK:           %[[D:.+]] = kiln.sub %[[A]], %[[M]] : tensor<16x32xf32>, tensor<16x1xf32> -> tensor<16x32xf32>
// CHECK:           %[[U:.+]] = tensor.insert_slice %[[D]] into %[[O]][%[[I]], 0] [16, 32] [1, 1]
// CHECK:           scf.yield %[[U]]
// CHECK:         } {kiln.chunk_loop}
// CHECK:         return %[[R]]
func.func private @rows(%x: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<64x32xf32>
    attributes {kiln.kernel, kiln.chunks = array<i64: 4>, kiln.grid_dims = array<i64: 0>} {
  %a = kiln.add %x, %b : tensor<64x32xf32>, tensor<32xf32> -> tensor<64x32xf32>
  %m = kiln.reduce_max %a {axes = array<i64: 1>, keep_dims = true} : tensor<64x32xf32> -> tensor<64x1xf32>
  %d = kiln.sub %a, %m : tensor<64x32xf32>, tensor<64x1xf32> -> tensor<64x32xf32>
  return %d : tensor<64x32xf32>
}

// -----

// One chunk, or no grid: left as it is.
// CHECK-LABEL: func.func private @whole
// CHECK-NOT:     scf.for
func.func private @whole(%x: tensor<64x32xf32>) -> tensor<64x32xf32>
    attributes {kiln.kernel, kiln.chunks = array<i64: 1>, kiln.grid_dims = array<i64: 0>} {
  %a = kiln.relu %x : tensor<64x32xf32>
  return %a : tensor<64x32xf32>
}

// -----

// A grid the ops cannot be cut along is an error naming the kernel.
func.func private @bad(%x: tensor<64x32xf32>) -> tensor<64x1xf32>
    attributes {kiln.kernel, kiln.chunks = array<i64: 2>, kiln.grid_dims = array<i64: 1>} {
  // expected-error@-2 {{kernel @bad cannot be cut into [2] chunks along dims [1] of its results}}
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = true} : tensor<64x32xf32> -> tensor<64x1xf32>
  return %m : tensor<64x1xf32>
}

// -----

// Cut along pooled rows: a chunk of 4 pooled rows is 8 conv rows, which
// read 10 input rows from row 2i (the window's halo overlaps the next
// chunk's); the filter is read whole.
// CHECK-LABEL: func.func private @conv_pool
// CHECK:         scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[O:.+]] = %{{.+}})
// CHECK:           %[[I:.+]] = arith.muli %[[K]], %{{.+}} : index
// CHECK:           %[[R:.+]] = arith.muli %[[I]], %{{.+}} : index
// CHECK:           %[[X:.+]] = tensor.extract_slice %arg0[0, %[[R]], 0, 0] [1, 10, 18, 4] [1, 1, 1, 1]
// CHECK:           kiln.conv2d %[[X]], %arg1 {{.*}} -> tensor<1x8x16x8xf32>
// CHECK:           kiln.max_pool2d {{.*}} -> tensor<1x4x8x8xf32>
// CHECK:           tensor.insert_slice {{.*}} into %[[O]][0, %[[I]], 0, 0] [1, 4, 8, 8] [1, 1, 1, 1]
func.func private @conv_pool(%x: tensor<1x18x18x4xf32>, %f: tensor<3x3x4x8xf32>) -> tensor<1x8x8x8xf32>
    attributes {kiln.kernel, kiln.chunks = array<i64: 2>, kiln.grid_dims = array<i64: 1>} {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x18x18x4xf32>, tensor<3x3x4x8xf32> -> tensor<1x16x16x8xf32>
  %p = kiln.max_pool2d %c {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x16x16x8xf32> -> tensor<1x8x8x8xf32>
  return %p : tensor<1x8x8x8xf32>
}

// -----

// A grid of two axes, images (2 chunks) and pooled rows (4 chunks): one
// loop over the 8 chunks, rows fastest; chunk k is image k / 4 and pooled
// rows from 2 * (k mod 4), with the conv's two-row halo of input.
// CHECK-LABEL: func.func private @images_rows
// CHECK:         scf.for %[[K:.+]] = %{{.+}} to %[[C8:.+]] step %{{.+}} iter_args(%[[O:.+]] = %{{.+}})
// CHECK:           %[[N:.+]] = arith.divui %[[K]], %{{.+}} : index
// CHECK:           %[[M:.+]] = arith.remui %[[K]], %{{.+}} : index
// CHECK:           %[[I:.+]] = arith.muli %[[M]], %{{.+}} : index
// CHECK:           %[[R:.+]] = arith.muli %[[I]], %{{.+}} : index
// CHECK:           %[[X:.+]] = tensor.extract_slice %arg0[%[[N]], %[[R]], 0, 0] [1, 6, 18, 4] [1, 1, 1, 1]
// CHECK:           kiln.conv2d %[[X]], %arg1 {{.*}} -> tensor<1x4x16x8xf32>
// CHECK:           kiln.max_pool2d {{.*}} -> tensor<1x2x8x8xf32>
// CHECK:           tensor.insert_slice {{.*}} into %[[O]][%[[N]], %[[I]], 0, 0] [1, 2, 8, 8] [1, 1, 1, 1]
func.func private @images_rows(%x: tensor<2x18x18x4xf32>, %f: tensor<3x3x4x8xf32>) -> tensor<2x8x8x8xf32>
    attributes {kiln.kernel, kiln.chunks = array<i64: 2, 4>, kiln.grid_dims = array<i64: 0, 1>} {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<2x18x18x4xf32>, tensor<3x3x4x8xf32> -> tensor<2x16x16x8xf32>
  %p = kiln.max_pool2d %c {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<2x16x16x8xf32> -> tensor<2x8x8x8xf32>
  return %p : tensor<2x8x8x8xf32>
}
