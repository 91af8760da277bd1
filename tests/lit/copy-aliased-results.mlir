// RUN: kiln-opt %s --split-input-file --kiln-copy-aliased-results | FileCheck %s

// A returned argument is copied into a fresh tensor: the output is a caller
// buffer of its own, not the input's.
// CHECK-LABEL: func.func @returns_argument
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<2x3xf32>
// CHECK:         %[[COPY:.+]] = linalg.copy ins(%[[X]] : tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK:         return %[[COPY]]
func.func @returns_argument(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// The first use of a value keeps it; the second gets a copy.
// CHECK-LABEL: func.func @returned_twice
// CHECK:         %[[V:.+]] = linalg.fill
// CHECK:         %[[COPY:.+]] = linalg.copy ins(%[[V]] : tensor<4xf32>)
// CHECK:         return %[[V]], %[[COPY]]
func.func @returned_twice() -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %v = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %v, %v : tensor<4xf32>, tensor<4xf32>
}

// -----

// A computed value returned once is left alone.
// CHECK-LABEL: func.func @computed
// CHECK-NOT:     linalg.copy
// CHECK:         return
func.func @computed(%x: f32) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %v = linalg.fill ins(%x : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %v : tensor<4xf32>
}

// -----

// A returned view of an argument (a reshape of a slice) is copied the same
// way: as a linalg.copy, which workgroups share, where bufferization would
// copy the view on one thread.
// CHECK-LABEL: func.func @returns_view
// CHECK-SAME:    (%[[X:.+]]: tensor<4x6xf32>)
// CHECK:         %[[S:.+]] = tensor.extract_slice %[[X]]
// CHECK:         %[[R:.+]] = tensor.collapse_shape %[[S]]
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<12xf32>
// CHECK:         %[[COPY:.+]] = linalg.copy ins(%[[R]] : tensor<12xf32>) outs(%[[INIT]] : tensor<12xf32>)
// CHECK:         return %[[COPY]]
func.func @returns_view(%x: tensor<4x6xf32>) -> tensor<12xf32> {
  %s = tensor.extract_slice %x[0, 0] [2, 6] [1, 1] : tensor<4x6xf32> to tensor<2x6xf32>
  %r = tensor.collapse_shape %s [[0, 1]] : tensor<2x6xf32> into tensor<12xf32>
  return %r : tensor<12xf32>
}
