// RUN: kiln-opt %s --kiln-chunk-fused-kernels --split-input-file --verify-diagnostics | FileCheck %s

// A fused kernel cut into 4 chunks along its rows: inputs the grid cuts are
// sliced, the bias the chunks share is read whole, every op runs once per
// chunk on [16, 32] tensors, and the results go into their rows.
// CHECK-LABEL: func.func private @rows
// CHECK-SAME:    (%[[X:.+]]: tensor<64x32xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK-DAG:     %[[EMPTY:.+]] = tensor.empty() : tensor<64x32xf32>
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[C16:.+]] = arith.constant 16 : index
// CHECK:         %[[R:.+]] = scf.for %[[I:.+]] = %[[C0]] to %[[C64]] step %[[C16]] iter_args(%[[O:.+]] = %[[EMPTY]])
// CHECK:           %[[S:.+]] = tensor.extract_slice %[[X]][%[[I]], 0] [16, 32] [1, 1]
// CHECK:           %[[A:.+]] = kiln.add %[[S]], %[[B]] : tensor<16x32xf32>, tensor<32xf32> -> tensor<16x32xf32>
// CHECK:           %[[M:.+]] = kiln.reduce_max %[[A]] {{.*}} -> tensor<16x1xf32>
// CHECK:           %[[D:.+]] = kiln.sub %[[A]], %[[M]] : tensor<16x32xf32>, tensor<16x1xf32> -> tensor<16x32xf32>
// CHECK:           %[[U:.+]] = tensor.insert_slice %[[D]] into %[[O]][%[[I]], 0] [16, 32] [1, 1]
// CHECK:           scf.yield %[[U]]
// CHECK:         } {kiln.chunk_loop}
// CHECK:         return %[[R]]
func.func private @rows(%x: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<64x32xf32>
    attributes {kiln.kernel, kiln.chunks = 4 : i64, kiln.grid_dims = array<i64: 0>} {
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
    attributes {kiln.kernel, kiln.chunks = 1 : i64, kiln.grid_dims = array<i64: 0>} {
  %a = kiln.relu %x : tensor<64x32xf32>
  return %a : tensor<64x32xf32>
}

// -----

// A grid the ops cannot be cut along is an error naming the kernel.
func.func private @bad(%x: tensor<64x32xf32>) -> tensor<64x1xf32>
    attributes {kiln.kernel, kiln.chunks = 2 : i64, kiln.grid_dims = array<i64: 1>} {
  // expected-error@-2 {{kernel @bad cannot be cut into 2 chunks along dims [1] of its results}}
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = true} : tensor<64x32xf32> -> tensor<64x1xf32>
  return %m : tensor<64x1xf32>
}
