// RUN: kiln-opt %s --kiln-column-reductions="vector-width=8" --canonicalize --split-input-file | FileCheck %s
// RUN: not kiln-opt %s --kiln-column-reductions="vector-width=4" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// --kiln-column-reductions: a reduction over leading dims into the trailing
// ones keeps blocks of the output in vector registers across the rows.

// A bias gradient [N, H, C] -> [C]: one block of 4 vectors, loaded from the
// output, carried through the 4 x 6 rows (each combined with its own column
// of the row, in the body's operand order, without reassoc), stored back.
// CHECK-LABEL: func.func @bias_gradient
// CHECK-SAME:    (%[[G:.+]]: memref<4x6x32xf32>, %[[OUT:.+]]: memref<32xf32>)
// CHECK:         %[[M:.+]] = memref.collapse_shape %[[G]] {{\[\[}}0, 1], [2]] : memref<4x6x32xf32> into memref<24x32xf32>
// CHECK:         %[[A0:.+]] = vector.load %[[OUT]][%c0] : memref<32xf32>, vector<8xf32>
// CHECK:         %[[A1:.+]] = vector.load %[[OUT]][%c8]
// CHECK:         %[[A2:.+]] = vector.load %[[OUT]][%c16]
// CHECK:         %[[A3:.+]] = vector.load %[[OUT]][%c24]
// CHECK:         %[[R:.+]]:4 = scf.for %[[I:.+]] = %c0 to %c24 step %c1 iter_args(%[[X0:.+]] = %[[A0]], %[[X1:.+]] = %[[A1]], %[[X2:.+]] = %[[A2]], %[[X3:.+]] = %[[A3]])
// CHECK:           %[[V0:.+]] = vector.load %[[M]][%[[I]], %c0] : memref<24x32xf32>, vector<8xf32>
// CHECK:           %[[S0:.+]] = arith.subf %[[X0]], %[[V0]] : vector<8xf32>
// CHECK:           %[[V1:.+]] = vector.load %[[M]][%[[I]], %c8]
// CHECK:           %[[S1:.+]] = arith.subf %[[X1]], %[[V1]] : vector<8xf32>
// CHECK:           %[[V2:.+]] = vector.load %[[M]][%[[I]], %c16]
// CHECK:           %[[S2:.+]] = arith.subf %[[X2]], %[[V2]] : vector<8xf32>
// CHECK:           %[[V3:.+]] = vector.load %[[M]][%[[I]], %c24]
// CHECK:           %[[S3:.+]] = arith.subf %[[X3]], %[[V3]] : vector<8xf32>
// CHECK:           scf.yield %[[S0]], %[[S1]], %[[S2]], %[[S3]]
// CHECK:         vector.store %[[R]]#0, %[[OUT]][%c0]
// CHECK:         vector.store %[[R]]#1, %[[OUT]][%c8]
// CHECK:         vector.store %[[R]]#2, %[[OUT]][%c16]
// CHECK:         vector.store %[[R]]#3, %[[OUT]][%c24]
// CHECK-NOT:     linalg.generic
// BAD: vector-width must be 8 (AVX2) or 16 (AVX-512), got 4
func.func @bias_gradient(%g: memref<4x6x32xf32>, %out: memref<32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2)>],
                  iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%g : memref<4x6x32xf32>) outs(%out : memref<32xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.subf %acc, %x fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// 150 columns: two whole blocks of 64 in a loop, then 22 as 3 vectors, the
// last masked to 6 lanes. A max keeps its body; a value from outside the
// body is broadcast.
// CHECK-LABEL: func.func @column_max
// CHECK-SAME:    (%[[X:.+]]: memref<16x150xf32>, %[[OUT:.+]]: memref<150xf32>, %[[S:.+]]: f32)
// CHECK:         scf.for %[[C:.+]] = %c0 to %c128 step %c64
// CHECK:           scf.for %{{.+}} = %c0 to %c16 step %c1
// CHECK-COUNT-8:     arith.maximumf {{.+}} : vector<8xf32>
// CHECK:         %[[MASK:.+]] = vector.constant_mask [6] : vector<8xi1>
// CHECK:         vector.maskedload %[[OUT]][%c144], %[[MASK]]
// CHECK:         scf.for %[[I:.+]] = %c0 to %c16 step %c1
// CHECK:           vector.maskedload %[[X]][%[[I]], %c144], %[[MASK]]
// CHECK:           %[[B:.+]] = vector.broadcast %[[S]] : f32 to vector<8xf32>
// CHECK:           arith.mulf %{{.+}}, %[[B]] : vector<8xf32>
// CHECK:           arith.maximumf {{.+}} : vector<8xf32>
// CHECK:         vector.maskedstore %[[OUT]][%c144], %[[MASK]]
func.func @column_max(%x: memref<16x150xf32>, %out: memref<150xf32>, %s: f32) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<16x150xf32>) outs(%out : memref<150xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %w = arith.mulf %v, %s : f32
    %m = arith.maximumf %w, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// The loops in another order than the dims (the output's loop first) and
// an output of rank 2: the input read as [4, 2 x 8].
// CHECK-LABEL: func.func @permuted
// CHECK:         memref.collapse_shape %{{.+}} {{\[\[}}0], [1, 2]] : memref<4x2x8xf32> into memref<4x16xf32>
// CHECK:         memref.collapse_shape %{{.+}} {{\[\[}}0, 1]] : memref<2x8xf32> into memref<16xf32>
// CHECK:         scf.for %{{.+}} = %c0 to %c4 step %c1
// CHECK-COUNT-2:   arith.addf {{.+}} : vector<8xf32>
// CHECK-NOT:     linalg.generic
func.func @permuted(%x: memref<4x2x8xf32>, %out: memref<2x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<4x2x8xf32>) outs(%out : memref<2x8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  return
}

// -----

// Left alone: a row sum (the output is the input's first dim), fewer
// columns than a vector, reduced dims out of their loops' order (the rows
// would be taken in another order), a strided view, and an output that
// views the input's buffer.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.generic
func.func @left_alone(%x: memref<16x32xf32>, %rows: memref<16xf32>,
                      %y: memref<16x4xf32>, %few: memref<4xf32>,
                      %z: memref<4x4x32xf32>, %cols: memref<32xf32>,
                      %w: memref<16x64xf32>, %buf: memref<17x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x32xf32>) outs(%rows : memref<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%y : memref<16x4xf32>) outs(%few : memref<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2)>],
                  iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%z : memref<4x4x32xf32>) outs(%cols : memref<32xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  %half = memref.subview %w[0, 0] [16, 32] [1, 1] : memref<16x64xf32> to memref<16x32xf32, strided<[64, 1]>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%half : memref<16x32xf32, strided<[64, 1]>>) outs(%cols : memref<32xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  %top = memref.subview %buf[0, 0] [16, 32] [1, 1] : memref<17x32xf32> to memref<16x32xf32, strided<[32, 1]>>
  %last = memref.subview %buf[16, 0] [1, 32] [1, 1] : memref<17x32xf32> to memref<32xf32, strided<[1], offset: 512>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%top : memref<16x32xf32, strided<[32, 1]>>) outs(%last : memref<32xf32, strided<[1], offset: 512>>) {
  ^bb0(%v: f32, %acc: f32):
    %a = arith.addf %v, %acc : f32
    linalg.yield %a : f32
  }
  return
}
