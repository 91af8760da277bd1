// RUN: kiln-opt %s --kiln-column-reductions="vector-width=8" --canonicalize --split-input-file | FileCheck %s
// RUN: not kiln-opt %s --kiln-column-reductions="vector-width=4" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// --kiln-column-reductions: a reduction over leading dims into the trailing
// ones keeps blocks of the output in vector registers across the rows.

// A bias gradient [N, H, C] -> [C]: one block of 4 vectors, loaded from the
// output, carried through the 4 x 8 rows, stored back.
// CHECK-LABEL: func.func @bias_gradient
// CHECK-SAME:    (%[[G:.+]]: memref<4x8x32xf32>, %[[OUT:.+]]: memref<32xf32>)
// CHECK:         %[[M:.+]] = memref.collapse_shape %[[G]] {{\[\[}}0, 1], [2]] : memref<4x8x32xf32> into memref<32x32xf32>
// CHECK:         %[[A0:.+]] = vector.load %[[OUT]][%c0] : memref<32xf32>, vector<8xf32>
// CHECK:         %[[A3:.+]] = vector.load %[[OUT]][%c24]
// CHECK:         %[[R:.+]]:4 = scf.for %[[I:.+]] = %c0 to %c32 step %c1 iter_args(%[[X0:.+]] = %[[A0]], %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %[[A3]])
// CHECK:           %[[V0:.+]] = vector.load %[[M]][%[[I]], %c0] : memref<32x32xf32>, vector<8xf32>
// CHECK:           %[[S0:.+]] = arith.addf %[[V0]], %[[X0]] fastmath<reassoc> : vector<8xf32>
// CHECK-COUNT-3:   arith.addf
// CHECK:           scf.yield %[[S0]],
// CHECK:         vector.store %[[R]]#0, %[[OUT]][%c0]
// CHECK:         vector.store %[[R]]#3, %[[OUT]][%c24]
// CHECK-NOT:     linalg.generic
// BAD: vector-width must be 8 (AVX2) or 16 (AVX-512), got 4
func.func @bias_gradient(%g: memref<4x8x32xf32>, %out: memref<32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2)>],
                  iterator_types = ["reduction", "reduction", "parallel"]}
      ins(%g : memref<4x8x32xf32>) outs(%out : memref<32xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// 150 columns: two whole blocks of 64 in a loop, then 22 as 3 vectors, the
// last masked to 6 lanes. A max keeps its body.
// CHECK-LABEL: func.func @column_max
// CHECK:         scf.for %[[C:.+]] = %c0 to %c128 step %c64
// CHECK-COUNT-8:   arith.maximumf {{.+}} : vector<8xf32>
// CHECK:         %[[MASK:.+]] = vector.constant_mask [6] : vector<8xi1>
// CHECK:         vector.maskedload %{{.+}}[%c144], %[[MASK]]
// CHECK:         scf.for
// CHECK:           vector.maskedload %{{.+}}, %[[MASK]]
// CHECK:           arith.maximumf {{.+}} : vector<8xf32>
// CHECK:         vector.maskedstore %{{.+}}[%c144], %[[MASK]]
func.func @column_max(%x: memref<16x150xf32>, %out: memref<150xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<16x150xf32>) outs(%out : memref<150xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %v, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left alone: a row sum (the output is the input's first dim), fewer
// columns than a vector, and a body that reads a value from outside.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.generic
func.func @left_alone(%x: memref<16x32xf32>, %rows: memref<16xf32>,
                      %y: memref<16x4xf32>, %few: memref<4xf32>,
                      %s: f32, %cols: memref<32xf32>) {
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
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<16x32xf32>) outs(%cols : memref<32xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.mulf %v, %s : f32
    %a = arith.addf %m, %acc : f32
    linalg.yield %a : f32
  }
  return
}
