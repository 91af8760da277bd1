// RUN: kiln-opt %s --kiln-tile-matmul --canonicalize --cse | FileCheck %s
// RUN: kiln-opt %s --kiln-tile-matmul=vector-width=8 --canonicalize --cse | FileCheck %s --check-prefix=AVX2
// RUN: not kiln-opt %s --kiln-tile-matmul=vector-width=4 2>&1 | FileCheck %s --check-prefix=BAD

// --kiln-tile-matmul: f32 matmuls on buffers become cache blocks, 32-column
// panels (16 with AVX2) and an 8 x 32 register tile (6 x 16) whose
// accumulators are the k loop's iter_args; a narrow last panel is masked.

// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.+]]: memref<19x40xf32>, %[[B:.+]]: memref<40x48xf32>, %[[C:.+]]: memref<19x48xf32>)
// CHECK-NOT:     kiln.packed_rhs
// CHECK-NOT:     linalg.matmul
// CHECK:         scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %c32
// CHECK:           scf.if
// Whole panels: rows 8 at a time, 16 accumulators loaded from C.
// CHECK:             scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK:               memref.prefetch %[[C]][{{.+}}], write, locality<3>, data
// CHECK-COUNT-16:      vector.load %[[C]]
// CHECK:               %{{.+}}:16 = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>
// CHECK:                 vector.load %[[B]][%[[K]], %[[J]]] : memref<40x48xf32>, vector<16xf32>
// CHECK:                 memref.load %[[A]][%[[I]], %[[K]]]
// CHECK:                 vector.broadcast
// CHECK-COUNT-16:        vector.fma {{.+}} : vector<16xf32>
// CHECK:                 scf.yield
// CHECK-COUNT-16:      vector.store {{.+}}, %[[C]]
// The 3 rows left over: a 2-row tile (4 accumulators), then a 1-row one.
// CHECK:             %{{.+}}:4 = scf.for
// CHECK:             %{{.+}}:2 = scf.for
// The last 16 columns of the 48: masked loads and stores.
// CHECK:           } else {
// CHECK:             vector.create_mask
// CHECK:             vector.maskedload %[[C]]
// CHECK:             vector.maskedload %[[B]]
// CHECK:             vector.maskedstore %[[C]]
// AVX2-LABEL: func.func @matmul
// AVX2:         scf.for {{.+}} step %c16
// AVX2:           scf.for {{.+}} step %c6
// AVX2:             %{{.+}}:12 = scf.for {{.+}} -> (vector<8xf32>,
// AVX2-COUNT-12:      vector.fma {{.+}} : vector<8xf32>
// BAD: vector-width must be 8 (AVX2) or 16 (AVX-512), got 4
func.func @matmul(%a: memref<19x40xf32>, %b: memref<40x48xf32>,
                  %c: memref<19x48xf32>) {
  linalg.matmul ins(%a, %b : memref<19x40xf32>, memref<40x48xf32>)
                outs(%c : memref<19x48xf32>)
  return
}

// A weight read by this matmul alone is read packed: panel p at p * 32 * K,
// its rows 32 (in the last panel, N - 32 p) apart.
// CHECK-LABEL: func.func @packed_weight
// CHECK-SAME:    (%{{.+}}: memref<3x8xf32>, %[[W:.+]]: memref<8x40xf32> {kiln.constant}, %{{.+}}: memref<3x40xf32>)
// CHECK-SAME:    attributes {kiln.packed_rhs = array<i64: 1, 32>}
// CHECK:         %[[FLAT:.+]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [320], strides: [1]
// CHECK:         vector.load %[[FLAT]][%{{.+}}] : memref<320xf32>, vector<16xf32>
// CHECK:         vector.maskedload %[[FLAT]][%{{.+}}], {{.+}} : memref<320xf32>
func.func @packed_weight(%x: memref<3x8xf32>, %w: memref<8x40xf32> {kiln.constant},
                         %y: memref<3x40xf32>) {
  linalg.matmul ins(%x, %w : memref<3x8xf32>, memref<8x40xf32>)
                outs(%y : memref<3x40xf32>)
  return
}

// A 2-D weight applied to every batch is packed once, outside the batch
// loop.
// CHECK-LABEL: func.func @batched_weight
// CHECK-SAME:    attributes {kiln.packed_rhs = array<i64: 1, 32>}
// CHECK:         %[[FLAT:.+]] = memref.reinterpret_cast
// CHECK:         scf.for
// CHECK:           vector.load %[[FLAT]]
#bw_x = affine_map<(b, m, k, n) -> (b, m, k)>
#bw_w = affine_map<(b, m, k, n) -> (k, n)>
#bw_y = affine_map<(b, m, k, n) -> (b, m, n)>
func.func @batched_weight(%x: memref<2x3x8xf32>, %w: memref<8x64xf32> {kiln.constant},
                          %y: memref<2x3x64xf32>) {
  linalg.generic {indexing_maps = [#bw_x, #bw_w, #bw_y],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<2x3x8xf32>, memref<8x64xf32>)
      outs(%y : memref<2x3x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A B of 1 MiB or more that is no weight is packed at run time into a
// stack buffer, KC x 128 columns at a time, when C has 64 rows or more.
// CHECK-LABEL: func.func @large_b
// CHECK:         %[[BUF:.+]] = memref.alloca() {alignment = 64 : i64} : memref<32768xf32>
// CHECK:         scf.for %[[K0:.+]] = %c0 to %c512 step %c256
// CHECK:           scf.for %[[J0:.+]] = %c0 to %c512 step %c128
// CHECK:             vector.load %{{.+}} : memref<512x512xf32>, vector<16xf32>
// CHECK:             vector.store %{{.+}}, %[[BUF]]
// CHECK:             %{{.+}}:16 = scf.for
// CHECK:               vector.load %[[BUF]]
func.func @large_b(%a: memref<64x512xf32>, %b: memref<512x512xf32>,
                   %c: memref<64x512xf32>) {
  linalg.matmul ins(%a, %b : memref<64x512xf32>, memref<512x512xf32>)
                outs(%c : memref<64x512xf32>)
  return
}

// A workgroup's columns [n0, n0 + 64) of a weight (a matmul split along N)
// read the packed weight from column n0's panel on: j * K becomes
// (n0 + j) * K. Only when n0 is provably a multiple of the panel width
// (here id * 32): a view starting inside a panel (id * 16) is read as it is.
// CHECK-LABEL: func.func @weight_columns
// CHECK-SAME:    (%[[ID:.+]]: index, %{{.+}}: memref<1x8xf32>, %[[W:.+]]: memref<8x128xf32> {kiln.constant}
// CHECK-SAME:    attributes {kiln.packed_rhs = array<i64: 2, 32>}
// CHECK:         %[[FLAT:.+]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [1024], strides: [1]
// CHECK:         %[[N0:.+]] = arith.muli %[[ID]], %c32
// CHECK:         scf.for %[[J:.+]] = %c0 to %c64 step %c32
// CHECK:           %[[COL:.+]] = arith.addi %[[N0]], %[[J]]
// CHECK:           %[[BASE:.+]] = arith.muli %[[COL]], %c8
// CHECK:           vector.load %[[FLAT]][
// CHECK-LABEL: func.func @weight_half_panel
// CHECK-NOT:     kiln.packed_rhs
// CHECK-NOT:     memref.reinterpret_cast
func.func @weight_columns(%id: index, %x: memref<1x8xf32>,
                          %w: memref<8x128xf32> {kiln.constant},
                          %y: memref<1x64xf32, strided<[128, 1], offset: ?>>) {
  %c32 = arith.constant 32 : index
  %n0 = arith.muli %id, %c32 : index
  %cols = memref.subview %w[0, %n0] [8, 64] [1, 1]
      : memref<8x128xf32> to memref<8x64xf32, strided<[128, 1], offset: ?>>
  linalg.matmul ins(%x, %cols : memref<1x8xf32>, memref<8x64xf32, strided<[128, 1], offset: ?>>)
                outs(%y : memref<1x64xf32, strided<[128, 1], offset: ?>>)
  return
}
func.func @weight_half_panel(%id: index, %x: memref<1x8xf32>,
                             %w: memref<8x128xf32> {kiln.constant},
                             %y: memref<1x64xf32, strided<[128, 1], offset: ?>>) {
  %c16 = arith.constant 16 : index
  %n0 = arith.muli %id, %c16 : index
  %cols = memref.subview %w[0, %n0] [8, 64] [1, 1]
      : memref<8x128xf32> to memref<8x64xf32, strided<[128, 1], offset: ?>>
  linalg.matmul ins(%x, %cols : memref<1x8xf32>, memref<8x64xf32, strided<[128, 1], offset: ?>>)
                outs(%y : memref<1x64xf32, strided<[128, 1], offset: ?>>)
  return
}

// A constant read by something else too keeps its layout.
// CHECK-LABEL: func.func @shared_weight
// CHECK-NOT:     kiln.packed_rhs
// CHECK-NOT:     memref.reinterpret_cast
// CHECK:         vector.fma
func.func @shared_weight(%x: memref<3x8xf32>, %w: memref<8x40xf32> {kiln.constant},
                         %y: memref<3x40xf32>, %z: memref<8x40xf32>) {
  linalg.matmul ins(%x, %w : memref<3x8xf32>, memref<8x40xf32>)
                outs(%y : memref<3x40xf32>)
  linalg.copy ins(%w : memref<8x40xf32>) outs(%z : memref<8x40xf32>)
  return
}

// Batched, the lhs broadcast along the batch dim, in the loop order
// --kiln-reorder-reduction-loops leaves (b, m, k, n): one loop over the
// batch, rank-reduced views of A (the same for every b), B and C.
// CHECK-LABEL: func.func @batched
// CHECK-SAME:    (%[[A:.+]]: memref<1x5x7xf32>, %[[B:.+]]: memref<3x7x9xf32>, %[[C:.+]]: memref<3x5x9xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[BI:.+]] = %c0 to %c3 step %c1
// CHECK-DAG:       memref.subview %[[A]][0, 0, 0] [1, 5, 7] [1, 1, 1]
// CHECK-DAG:       memref.subview %[[B]][%[[BI]], 0, 0] [1, 7, 9] [1, 1, 1]
// CHECK-DAG:       memref.subview %[[C]][%[[BI]], 0, 0] [1, 5, 9] [1, 1, 1]
// CHECK:           vector.fma
#lhs = affine_map<(b, m, k, n) -> (0, m, k)>
#rhs = affine_map<(b, m, k, n) -> (b, k, n)>
#out = affine_map<(b, m, k, n) -> (b, m, n)>
func.func @batched(%a: memref<1x5x7xf32>, %b: memref<3x7x9xf32>,
                   %c: memref<3x5x9xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<1x5x7xf32>, memref<3x7x9xf32>)
      outs(%c : memref<3x5x9xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Left alone: integers, tensors, a column-strided C, and a body that is not
// a multiply-add.
// CHECK-LABEL: func.func @not_matmuls
// CHECK:         linalg.matmul {{.+}} memref<4x4xi32>
// CHECK:         linalg.matmul {{.+}} tensor<4x4xf32>
// CHECK:         linalg.matmul {{.+}} memref<4x4xf32, strided<[1, 4]>>
// CHECK:         linalg.generic
// CHECK-NOT:     vector.fma
#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @not_matmuls(%ai: memref<4x4xi32>, %ci: memref<4x4xi32>,
                       %at: tensor<4x4xf32>, %ct: tensor<4x4xf32>,
                       %a: memref<4x4xf32>, %cs: memref<4x4xf32, strided<[1, 4]>>,
                       %c: memref<4x4xf32>) -> tensor<4x4xf32> {
  linalg.matmul ins(%ai, %ai : memref<4x4xi32>, memref<4x4xi32>)
                outs(%ci : memref<4x4xi32>)
  %r = linalg.matmul ins(%at, %at : tensor<4x4xf32>, tensor<4x4xf32>)
                     outs(%ct : tensor<4x4xf32>) -> tensor<4x4xf32>
  linalg.matmul ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>)
                outs(%cs : memref<4x4xf32, strided<[1, 4]>>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.maximumf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %r : tensor<4x4xf32>
}

// Contractions left as loops round like the tiles: their product and sum
// may fuse (contract); a summed square may not, as in an artifact it is two
// kernels.
// CHECK-LABEL: func.func @leftovers
// CHECK:         arith.divf
// CHECK-NEXT:    arith.mulf {{.+}} fastmath<contract>
// CHECK-NEXT:    arith.addf {{.+}} fastmath<contract>
// CHECK:         arith.mulf %[[X:.+]], %[[X]] : f32
// CHECK-NEXT:    arith.addf {{[^ ]+}}, {{[^ ]+}} : f32
#r2 = affine_map<(m, k) -> (m, k)>
#r1 = affine_map<(m, k) -> (m)>
func.func @leftovers(%a: memref<4x8xf32>, %b: memref<4x8xf32>, %c: memref<4xf32>) {
  linalg.generic {indexing_maps = [#r2, #r2, #r1],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a, %b : memref<4x8xf32>, memref<4x8xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %d = arith.divf %x, %y : f32
    %p = arith.mulf %d, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#r2, #r1],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x8xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %p = arith.mulf %x, %x : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// A zero fill of C right before is dropped: the first k block starts its
// accumulators from 0 instead of loading C.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT:     linalg.fill
// CHECK:         %[[FIRST:.+]] = arith.cmpi eq, %{{.+}}, %c0
// CHECK:         scf.if %[[FIRST]] -> (vector<16xf32>, vector<16xf32>
// CHECK:           scf.yield %cst{{.*}}, %cst
// CHECK:         } else {
// CHECK:           vector.load
// A fill of another value stays.
// CHECK-LABEL: func.func @one_filled
// CHECK:         linalg.fill
// CHECK-NOT:     scf.if {{.+}} -> (vector<16xf32>
func.func @zero_filled(%a: memref<300x300xf32>, %b: memref<300x64xf32>,
                       %c: memref<300x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<300x64xf32>)
  linalg.matmul ins(%a, %b : memref<300x300xf32>, memref<300x64xf32>)
                outs(%c : memref<300x64xf32>)
  return
}
func.func @one_filled(%a: memref<8x8xf32>, %b: memref<8x32xf32>,
                      %c: memref<8x32xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x32xf32>)
                outs(%c : memref<8x32xf32>)
  return
}

// Two such matmuls in one function share the one buffer.
// CHECK-LABEL: func.func @two_large_b
// CHECK-COUNT-1: memref.alloca
// CHECK-NOT:     memref.alloca
func.func @two_large_b(%a: memref<64x512xf32>, %b: memref<512x512xf32>,
                       %c: memref<64x512xf32>, %d: memref<64x512xf32>) {
  linalg.matmul ins(%a, %b : memref<64x512xf32>, memref<512x512xf32>)
                outs(%c : memref<64x512xf32>)
  linalg.matmul ins(%c, %b : memref<64x512xf32>, memref<512x512xf32>)
                outs(%d : memref<64x512xf32>)
  return
}

// K split in two reduction dims (--kiln-conv-to-matmul's convolution rows):
// A[m, k1, k2] is read through a flat view (2 * 450 + 9 columns), its
// column carried by the k loop (k2 wraps at K2 = 9 to the next k1, 450
// columns on); B[k1, k2, n], a collapsed constant filter, is packed as the
// [K1*K2, N] matrix of the whole filter. The zero fill before folds away;
// the k loop is one loop of K1*K2 = 27.
// CHECK-LABEL: func.func @split_k
// CHECK-SAME:    (%[[A:.+]]: memref<10x3x9xf32, strided<[3, 450, 1], offset: ?>>, %[[W:.+]]: memref<3x3x3x32xf32> {kiln.constant}, %{{.+}}: memref<10x32xf32, strided<[32, 1], offset: ?>>)
// CHECK-SAME:    attributes {kiln.packed_rhs = array<i64: 1, 32>}
// CHECK-NOT:     linalg.fill
// CHECK-DAG:     %[[FLATW:.+]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [864], strides: [1]
// CHECK-DAG:     %[[BASE:[a-z_0-9]+]], %[[OFF:[a-z_0-9]+]], %{{.+}} = memref.extract_strided_metadata %[[A]]
// CHECK:         %[[FLATA:.+]] = memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [10, 909], strides: [3, 1]
// CHECK:         %{{.+}}:18 = scf.for %{{.+}} = %c0 to %c27 step %c1 iter_args({{.+}}, %[[COL:.+]] = %c0, %[[K2:.+]] = %c0) -> ({{.+}}, index, index)
// CHECK:           vector.load %[[FLATW]]
// CHECK:           memref.load %[[FLATA]][%c0, %[[COL]]]
// CHECK-COUNT-16:  vector.fma
// CHECK:           %[[NEXT:.+]] = arith.addi %[[K2]], %c1
// CHECK:           %[[WRAP:.+]] = arith.cmpi eq, %[[NEXT]], %c9
// CHECK:           %[[STEP:.+]] = arith.select %[[WRAP]], %c442, %c1
// CHECK:           arith.addi %[[COL]], %[[STEP]]
// CHECK:           arith.select %[[WRAP]], %c0, %[[NEXT]]
// CHECK-NOT:     linalg.generic
#sk_a = affine_map<(m, n, k1, k2) -> (m, k1, k2)>
#sk_b = affine_map<(m, n, k1, k2) -> (k1, k2, n)>
#sk_c = affine_map<(m, n, k1, k2) -> (m, n)>
func.func @split_k(%a: memref<10x3x9xf32, strided<[3, 450, 1], offset: ?>>,
                   %w: memref<3x3x3x32xf32> {kiln.constant},
                   %c: memref<10x32xf32, strided<[32, 1], offset: ?>>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.collapse_shape %w [[0], [1, 2], [3]] : memref<3x3x3x32xf32> into memref<3x9x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<10x32xf32, strided<[32, 1], offset: ?>>)
  linalg.generic {indexing_maps = [#sk_a, #sk_b, #sk_c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<10x3x9xf32, strided<[3, 450, 1], offset: ?>>, memref<3x9x32xf32>)
      outs(%c : memref<10x32xf32, strided<[32, 1], offset: ?>>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A split K of 96 k2 (3 columns of 32 channels, a conv's input row) runs
// as a loop over k1 around one over k2, both carrying the accumulators: A's
// column and B's row advance together in the inner one. K = 288 is two k
// blocks (256 + 32), each k1 loop clipped to its block.
// CHECK-LABEL: func.func @split_k_nested
// CHECK:         %[[FLATA:.+]] = memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [8, 9696], strides: [32, 1]
// CHECK:         %{{.+}}:16 = scf.for %[[K1:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args
// CHECK-DAG:       %[[ROW0:.+]] = arith.muli %[[K1]], %c96
// CHECK-DAG:       %[[COL0:.+]] = arith.muli %[[K1]], %c4800
// CHECK:           %{{.+}}:16 = scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args
// CHECK-DAG:         %[[ROW:.+]] = arith.addi %[[ROW0]], %[[J]]
// CHECK-DAG:         %[[COL:.+]] = arith.addi %[[COL0]], %[[J]]
// CHECK:             vector.load %{{.+}}[%[[ROW]], %{{.+}}]
// CHECK:             memref.load %[[FLATA]][%{{.+}}, %[[COL]]]
// CHECK-COUNT-16:    vector.fma
func.func @split_k_nested(%a: memref<8x3x96xf32, strided<[32, 4800, 1], offset: ?>>,
                          %b: memref<3x96x32xf32>, %c: memref<8x32xf32>) {
  linalg.generic {indexing_maps = [#sk_a, #sk_b, #sk_c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<8x3x96xf32, strided<[32, 4800, 1], offset: ?>>, memref<3x96x32xf32>)
      outs(%c : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Two reduction dims that are not A's last two (k2 of A is B's k1) are no
// split K: the op stays.
// CHECK-LABEL: func.func @not_split_k
// CHECK:         linalg.generic
#nk_a = affine_map<(m, n, k1, k2) -> (m, k2, k1)>
func.func @not_split_k(%a: memref<4x9x3xf32>, %b: memref<3x9x32xf32>,
                       %c: memref<4x32xf32>) {
  linalg.generic {indexing_maps = [#nk_a, #sk_b, #sk_c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<4x9x3xf32>, memref<3x9x32xf32>)
      outs(%c : memref<4x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A packed weight of 1 MiB or more streams from memory at every call: each
// k step of a full panel prefetches the row 64 ahead (64 * 32 floats on),
// both of its 64-byte lines. A smaller one (@packed_weight) is not.
// CHECK-LABEL: func.func @streamed_weight
// CHECK:         %[[FLAT:.+]] = memref.reinterpret_cast %{{.+}} to offset: [0], sizes: [262144], strides: [1]
// CHECK:         scf.for %[[K:.+]] = {{.+}} iter_args
// CHECK:           %[[ROW:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[ROW]], %c2048 : index
// CHECK:           memref.prefetch %[[FLAT]][%[[AHEAD]]], read, locality<3>, data
// CHECK:           %[[AHEAD2:.+]] = arith.addi %[[ROW]], %c2064 : index
// CHECK:           memref.prefetch %[[FLAT]][%[[AHEAD2]]], read, locality<3>, data
// CHECK:           vector.load %[[FLAT]][%[[ROW]]]
func.func @streamed_weight(%x: memref<8x1024xf32>, %w: memref<1024x256xf32> {kiln.constant},
                           %y: memref<8x256xf32>) {
  linalg.matmul ins(%x, %w : memref<8x1024xf32>, memref<1024x256xf32>)
                outs(%y : memref<8x256xf32>)
  return
}

// A trained weight of 1 MiB or more, read in place (its rows 1 KiB apart):
// each k step of a full panel prefetches B's row 32 ahead, both lines.
// CHECK-LABEL: func.func @streamed_trained_weight
// CHECK:         scf.for %[[K:.+]] = {{.+}} iter_args
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[K]], %c32 : index
// CHECK-NEXT:      memref.prefetch %[[W:.+]][%[[AHEAD]], %[[J:.+]]], read, locality<3>, data
// CHECK-NEXT:      memref.prefetch %[[W]][%[[AHEAD]], %{{.+}}], read, locality<3>, data
// CHECK-NEXT:      vector.load %[[W]][%[[K]], %[[J]]]
func.func @streamed_trained_weight(%x: memref<8x1024xf32>, %w: memref<1024x256xf32>,
                                   %y: memref<8x256xf32>) {
  linalg.matmul ins(%x, %w : memref<8x1024xf32>, memref<1024x256xf32>)
                outs(%y : memref<8x256xf32>)
  return
}

// A read transposed, A[k, m] (a weight gradient X^T G, X not copied): the
// same tiles, each row of the tile broadcasting from A's column.
// CHECK-LABEL: func.func @transposed_a
// CHECK-SAME:    (%[[A:.+]]: memref<40x19xf32>, %{{.+}}: memref<40x48xf32>, %{{.+}}: memref<19x48xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK:           %{{.+}}:16 = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args
// CHECK:             memref.load %[[A]][%[[K]], %[[I]]]
// CHECK-COUNT-16:    vector.fma {{.+}} : vector<16xf32>
#ta_a = affine_map<(m, n, k) -> (k, m)>
#ta_b = affine_map<(m, n, k) -> (k, n)>
#ta_c = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_a(%a: memref<40x19xf32>, %b: memref<40x48xf32>,
                        %c: memref<19x48xf32>) {
  linalg.generic {indexing_maps = [#ta_a, #ta_b, #ta_c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<40x19xf32>, memref<40x48xf32>)
      outs(%c : memref<19x48xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// B read transposed, B[n, k], into few columns (a wide dense layer's input
// gradient W G^T): vectors along k, 2 rows x 8 columns of accumulators
// (16), summed across lanes into C; K = 40 ends with a masked step (8
// lanes). The fill is folded: C is stored, not read.
// CHECK-LABEL: func.func @transposed_b
// CHECK-SAME:    (%[[A:.+]]: memref<37x40xf32>, %[[B:.+]]: memref<8x40xf32>, %[[C:.+]]: memref<37x8xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %[[I:.+]] = %c0 to %c36 step %c2
// CHECK:           %{{.+}}:16 = scf.for %[[K:.+]] = %c0 to %c32 step %c16 iter_args
// CHECK:             vector.load %[[A]][%[[I]], %[[K]]] : memref<37x40xf32>, vector<16xf32>
// CHECK:             vector.load %[[B]][%c0, %[[K]]] : memref<8x40xf32>, vector<16xf32>
// CHECK-COUNT-16:    vector.fma {{.+}} : vector<16xf32>
// CHECK:           vector.constant_mask [8] : vector<16xi1>
// CHECK:           vector.maskedload %[[A]][%[[I]], %c32]
// CHECK:           %[[S:.+]] = vector.reduction <add>, %{{.+}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK-NEXT:      memref.store %[[S]], %[[C]][%[[I]], %c0]
// The 37th row: a tile of 1 row x 8 columns (its one-trip loop folded).
// CHECK:         %{{.+}}:8 = scf.for
// CHECK-NEXT:      vector.load %[[A]][%c36, 
#tb_a = affine_map<(m, n, k) -> (m, k)>
#tb_b = affine_map<(m, n, k) -> (n, k)>
#tb_c = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_b(%a: memref<37x40xf32>, %b: memref<8x40xf32>, %c: memref<37x8xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<37x8xf32>)
  linalg.generic {indexing_maps = [#tb_a, #tb_b, #tb_c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<37x40xf32>, memref<8x40xf32>)
      outs(%c : memref<37x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// With 32 columns the standard tile fits them: B transposed is no matmul
// the tiles take, and stays a generic.
// CHECK-LABEL: func.func @transposed_b_wide
// CHECK:         linalg.generic
func.func @transposed_b_wide(%a: memref<37x40xf32>, %b: memref<32x40xf32>, %c: memref<37x32xf32>) {
  linalg.generic {indexing_maps = [#tb_a, #tb_b, #tb_c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<37x40xf32>, memref<32x40xf32>)
      outs(%c : memref<37x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A chunk of a weight of 1 MiB or more (a fused kernel's slice of W's
// rows) streams from memory as the weight does: the dot tile prefetches
// A's rows 8 ahead.
// CHECK-LABEL: func.func @transposed_b_chunk
// CHECK:         %[[A:.+]] = memref.subview
// CHECK:         scf.for %[[I:.+]] = %c0 to %c32 step %c2
// CHECK:           scf.for %[[K:.+]] = %c0 to %c512 step %c16 iter_args
// CHECK:             %[[AHEAD:.+]] = arith.addi %[[I]], %c8
// CHECK-NEXT:        memref.prefetch %[[A]][%[[AHEAD]], %[[K]]], read, locality<3>, data
func.func @transposed_b_chunk(%w: memref<4096x512xf32>, %b: memref<8x512xf32>, %c: memref<32x8xf32>, %row: index) {
  %a = memref.subview %w[%row, 0] [32, 512] [1, 1] : memref<4096x512xf32> to memref<32x512xf32, strided<[512, 1], offset: ?>>
  linalg.generic {indexing_maps = [#tb_a, #tb_b, #tb_c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x512xf32, strided<[512, 1], offset: ?>>, memref<8x512xf32>)
      outs(%c : memref<32x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
