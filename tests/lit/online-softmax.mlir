// RUN: kiln-opt %s --kiln-online-softmax --split-input-file | FileCheck %s

// softmax(Q K^T * c) V over 512 keys: a loop over two blocks of 256 keys
// carrying the row max (from the lowest float), the row sum and the output
// accumulator (from 0); each block rescales the sum and the accumulator by
// exp(m - m') and adds its own; the output is acc / l. The scores exist
// [2, 64, 256] at a time.
// CHECK-LABEL: func.func @attention
// CHECK-DAG:     %[[M0:.+]] = kiln.constant dense<-3.40282347E+38> : tensor<2x64x1xf32>
// CHECK-DAG:     %[[L0:.+]] = kiln.constant dense<0.000000e+00> : tensor<2x64x1xf32>
// CHECK-DAG:     %[[A0:.+]] = kiln.constant dense<0.000000e+00> : tensor<2x64x16xf32>
// CHECK-DAG:     %[[C512:.+]] = arith.constant 512 : index
// CHECK-DAG:     %[[C256:.+]] = arith.constant 256 : index
// CHECK:         %[[R:.+]]:3 = scf.for %[[J:.+]] = %{{.+}} to %[[C512]] step %[[C256]] iter_args(%[[M:.+]] = %[[M0]], %[[L:.+]] = %[[L0]], %[[A:.+]] = %[[A0]])
// CHECK:           %[[KT:.+]] = tensor.extract_slice %arg1[0, 0, %[[J]]] [2, 16, 256] [1, 1, 1]
// CHECK:           %[[S0:.+]] = kiln.matmul %arg0, %[[KT]] {{.*}} -> tensor<2x64x256xf32>
// CHECK:           %[[S:.+]] = kiln.mul %[[S0]], %{{.+}} : tensor<2x64x256xf32>, tensor<f32>
// CHECK:           %[[BM:.+]] = kiln.reduce_max %[[S]] {axes = array<i64: 2>, keep_dims = true}
// CHECK:           %[[MN:.+]] = kiln.max %[[M]], %[[BM]]
// CHECK:           %[[D:.+]] = kiln.sub %[[S]], %[[MN]]
// CHECK:           %[[P:.+]] = kiln.exp %[[D]]
// CHECK:           %[[DM:.+]] = kiln.sub %[[M]], %[[MN]]
// CHECK:           %[[ALPHA:.+]] = kiln.exp %[[DM]]
// CHECK:           %[[BS:.+]] = kiln.reduce_sum %[[P]]
// CHECK:           %[[LS:.+]] = kiln.mul %[[L]], %[[ALPHA]]
// CHECK:           %[[LN:.+]] = kiln.add %[[LS]], %[[BS]]
// CHECK:           %[[V:.+]] = tensor.extract_slice %arg2[0, %[[J]], 0] [2, 256, 16] [1, 1, 1]
// CHECK:           %[[PV:.+]] = kiln.matmul %[[P]], %[[V]] {{.*}} -> tensor<2x64x16xf32>
// CHECK:           %[[AS:.+]] = kiln.mul %[[A]], %[[ALPHA]]
// CHECK:           %[[AN:.+]] = kiln.add %[[AS]], %[[PV]]
// CHECK:           %[[M2:.+]] = bufferization.materialize_in_destination %[[MN]] in %[[M]]
// CHECK:           %[[L2:.+]] = bufferization.materialize_in_destination %[[LN]] in %[[L]]
// CHECK:           %[[A2:.+]] = bufferization.materialize_in_destination %[[AN]] in %[[A]]
// CHECK:           scf.yield %[[M2]], %[[L2]], %[[A2]]
// CHECK:         %[[O:.+]] = kiln.div %[[R]]#2, %[[R]]#1
// CHECK:         return %[[O]]
func.func @attention(%q: tensor<2x64x16xf32>, %kt: tensor<2x16x512xf32>, %v: tensor<2x512x16xf32>) -> tensor<2x64x16xf32> {
  %c = kiln.constant dense<0.25> : tensor<f32>
  %s0 = kiln.matmul %q, %kt : tensor<2x64x16xf32>, tensor<2x16x512xf32> -> tensor<2x64x512xf32>
  %s = kiln.mul %s0, %c : tensor<2x64x512xf32>, tensor<f32> -> tensor<2x64x512xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 2>, keep_dims = true} : tensor<2x64x512xf32> -> tensor<2x64x1xf32>
  %d = kiln.sub %s, %m : tensor<2x64x512xf32>, tensor<2x64x1xf32> -> tensor<2x64x512xf32>
  %e = kiln.exp %d : tensor<2x64x512xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 2>, keep_dims = true} : tensor<2x64x512xf32> -> tensor<2x64x1xf32>
  %p = kiln.div %e, %z : tensor<2x64x512xf32>, tensor<2x64x1xf32> -> tensor<2x64x512xf32>
  %o = kiln.matmul %p, %v : tensor<2x64x512xf32>, tensor<2x512x16xf32> -> tensor<2x64x16xf32>
  return %o : tensor<2x64x16xf32>
}

// -----

// One block of keys (256) or fewer: nothing to gain, left as it is.
// CHECK-LABEL: func.func @one_block
// CHECK-NOT:     scf.for
// CHECK:         kiln.div
func.func @one_block(%q: tensor<64x16xf32>, %kt: tensor<16x256xf32>, %v: tensor<256x16xf32>) -> tensor<64x16xf32> {
  %s = kiln.matmul %q, %kt : tensor<64x16xf32>, tensor<16x256xf32> -> tensor<64x256xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 1>, keep_dims = true} : tensor<64x256xf32> -> tensor<64x1xf32>
  %d = kiln.sub %s, %m : tensor<64x256xf32>, tensor<64x1xf32> -> tensor<64x256xf32>
  %e = kiln.exp %d : tensor<64x256xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 1>, keep_dims = true} : tensor<64x256xf32> -> tensor<64x1xf32>
  %p = kiln.div %e, %z : tensor<64x256xf32>, tensor<64x1xf32> -> tensor<64x256xf32>
  %o = kiln.matmul %p, %v : tensor<64x256xf32>, tensor<256x16xf32> -> tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}

// -----

// The probabilities are also a result: they must exist whole, left as is.
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT:     scf.for
func.func @probabilities_used(%q: tensor<64x16xf32>, %kt: tensor<16x512xf32>, %v: tensor<512x16xf32>) -> (tensor<64x16xf32>, tensor<64x512xf32>) {
  %s = kiln.matmul %q, %kt : tensor<64x16xf32>, tensor<16x512xf32> -> tensor<64x512xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 1>, keep_dims = true} : tensor<64x512xf32> -> tensor<64x1xf32>
  %d = kiln.sub %s, %m : tensor<64x512xf32>, tensor<64x1xf32> -> tensor<64x512xf32>
  %e = kiln.exp %d : tensor<64x512xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 1>, keep_dims = true} : tensor<64x512xf32> -> tensor<64x1xf32>
  %p = kiln.div %e, %z : tensor<64x512xf32>, tensor<64x1xf32> -> tensor<64x512xf32>
  %o = kiln.matmul %p, %v : tensor<64x512xf32>, tensor<512x16xf32> -> tensor<64x16xf32>
  return %o, %p : tensor<64x16xf32>, tensor<64x512xf32>
}

// -----

// 600 keys: two whole blocks in the loop, then one step of the last 88.
// CHECK-LABEL: func.func @partial_block
// CHECK:         %[[R:.+]]:3 = scf.for %{{.+}} = %{{.+}} to %[[C512:.+]] step %{{.+}} iter_args
// CHECK:           tensor.extract_slice %arg1[0, %{{.+}}] [16, 256] [1, 1]
// CHECK:         } 
// CHECK:         %[[KT:.+]] = tensor.extract_slice %arg1[0, 512] [16, 88] [1, 1]
// CHECK:         kiln.matmul %arg0, %[[KT]] {{.*}} -> tensor<64x88xf32>
// CHECK:         kiln.max %[[R]]#0
// CHECK:         %[[V:.+]] = tensor.extract_slice %arg2[512, 0] [88, 16] [1, 1]
// CHECK:         %[[ACC:.+]] = kiln.add
// CHECK:         kiln.div %[[ACC]], %{{.+}}
func.func @partial_block(%q: tensor<64x16xf32>, %kt: tensor<16x600xf32>, %v: tensor<600x16xf32>) -> tensor<64x16xf32> {
  %s = kiln.matmul %q, %kt : tensor<64x16xf32>, tensor<16x600xf32> -> tensor<64x600xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 1>, keep_dims = true} : tensor<64x600xf32> -> tensor<64x1xf32>
  %d = kiln.sub %s, %m : tensor<64x600xf32>, tensor<64x1xf32> -> tensor<64x600xf32>
  %e = kiln.exp %d : tensor<64x600xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 1>, keep_dims = true} : tensor<64x600xf32> -> tensor<64x1xf32>
  %p = kiln.div %e, %z : tensor<64x600xf32>, tensor<64x1xf32> -> tensor<64x600xf32>
  %o = kiln.matmul %p, %v : tensor<64x600xf32>, tensor<600x16xf32> -> tensor<64x16xf32>
  return %o : tensor<64x16xf32>
}
