// RUN: kiln-opt %s --kiln-streaming-stores="min-bytes=4096" --canonicalize --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-streaming-stores="min-bytes=4096 vector-width=8" --canonicalize --split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: not kiln-opt %s --kiln-streaming-stores="vector-width=4" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// --kiln-streaming-stores: an elementwise generic writing a step output of
// min-bytes or more becomes a vector loop whose stores to it are
// non-temporal, run when the output is vector-aligned; otherwise the
// generic runs as it was.

// An update p - lr * g: p' is a step output, the scalar lr a broadcast.
// CHECK-LABEL: func.func @update
// CHECK-SAME:    (%[[P:.+]]: memref<64x32xf32>, %[[G:.+]]: memref<64x32xf32>, %[[LR:.+]]: memref<f32>, %[[OUT:.+]]: memref<64x32xf32> {kiln.step_output})
// CHECK:         %[[BASE:.+]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK:         %[[MOD:.+]] = arith.remui %[[BASE]], %c64
// CHECK:         %[[OK:.+]] = arith.cmpi eq, %[[MOD]], %c0
// CHECK:         scf.if %[[OK]]
// CHECK:           %[[S:.+]] = memref.load %[[LR]][]
// CHECK:           %[[LRV:.+]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK:           scf.for %[[I:.+]] = %c0 to %c64 step %c1
// CHECK:             scf.for %[[J:.+]] = %c0 to %c32 step %c16
// CHECK:               %[[PV:.+]] = vector.load %[[P]][%[[I]], %[[J]]] : memref<64x32xf32>, vector<16xf32>
// CHECK:               %[[GV:.+]] = vector.load %[[G]][%[[I]], %[[J]]] : memref<64x32xf32>, vector<16xf32>
// CHECK:               %[[M:.+]] = arith.mulf %[[GV]], %[[LRV]] : vector<16xf32>
// CHECK:               %[[R:.+]] = arith.subf %[[PV]], %[[M]] : vector<16xf32>
// CHECK:               vector.store %[[R]], %[[OUT]][%[[I]], %[[J]]] {nontemporal = true}
// CHECK:           llvm.fence seq_cst
// CHECK:         } else {
// CHECK:           linalg.generic
// AVX2-LABEL: func.func @update
// AVX2:         arith.remui %{{.+}}, %c32
// AVX2:         scf.for %{{.+}} = %c0 to %c32 step %c8
// AVX2:           vector.store {{.+}} {nontemporal = true} : memref<64x32xf32>, vector<8xf32>
// BAD: vector-width must be 8 (AVX2) or 16 (AVX-512), got 4
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @update(%p: memref<64x32xf32>, %g: memref<64x32xf32>, %lr: memref<f32>,
                  %out: memref<64x32xf32> {kiln.step_output}) {
  linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %g, %lr : memref<64x32xf32>, memref<64x32xf32>, memref<f32>)
      outs(%out : memref<64x32xf32>) {
  ^bb0(%x: f32, %y: f32, %s: f32, %o: f32):
    %m = arith.mulf %y, %s : f32
    %r = arith.subf %x, %m : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// An output the step reads again (no kiln.step_output), one too small, or
// rows not a whole number of vectors: the generic stays.
// CHECK-LABEL: func.func @stays
// CHECK-NOT:     nontemporal
// CHECK-COUNT-3: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @stays(%a: memref<64x32xf32>, %small: memref<4x16xf32>, %odd: memref<64x24xf32>,
                 %out: memref<64x32xf32>, %out2: memref<4x16xf32> {kiln.step_output},
                 %out3: memref<64x24xf32> {kiln.step_output}) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<64x32xf32>) outs(%out : memref<64x32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%small : memref<4x16xf32>) outs(%out2 : memref<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%odd : memref<64x24xf32>) outs(%out3 : memref<64x24xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// A constant written to a step output (a moment's zeros): the value comes
// from outside the body and is broadcast.
// CHECK-LABEL: func.func @constant
// CHECK:         %[[V:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:         scf.if
// CHECK:           vector.store %[[V]], %{{.+}} {nontemporal = true}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @constant(%out: memref<64x32xf32> {kiln.step_output}) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<64x32xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  }
  return
}
