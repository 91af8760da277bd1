// RUN: kiln-opt %s --kiln-fuse-elementwise | FileCheck %s

// --kiln-fuse-elementwise: linalg's elementwise fusion, except that f32
// matmuls (what --kiln-tile-matmul tiles) take in no producer and fold no
// reshape; other ops fuse as upstream does.

#id = affine_map<(d0, d1) -> (d0, d1)>
#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>

// The scaling of A stays a generic of its own, the matmul (as a generic,
// which upstream would fuse it into) a matmul.
// CHECK-LABEL: func.func @producer_of_matmul
// CHECK:         %[[S:.+]] = linalg.generic
// CHECK:           arith.mulf
// CHECK-NEXT:      linalg.yield
// CHECK:         linalg.generic {{.+}} ins(%[[S]], %{{.+}} : tensor<4x8xf32>, tensor<8x16xf32>)
func.func @producer_of_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%s, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %q = arith.addf %acc, %p : f32
    linalg.yield %q : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// A reshape of the matmul's result is not folded into it.
// CHECK-LABEL: func.func @reshape_of_matmul
// CHECK:         %[[R:.+]] = linalg.matmul
// CHECK:         tensor.expand_shape %[[R]]
func.func @reshape_of_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %x = tensor.expand_shape %r [[0], [1, 2]] output_shape [4, 2, 8] : tensor<4x16xf32> into tensor<4x2x8xf32>
  %e = tensor.empty() : tensor<4x2x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x2x8xf32>) outs(%e : tensor<4x2x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<4x2x8xf32>
  return %y : tensor<4x2x8xf32>
}

// Elementwise chains fuse, and so do producers of contractions the tiles do
// not take (i32).
// CHECK-LABEL: func.func @others_fuse
// CHECK:         linalg.generic
// CHECK:           arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK-NOT:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]}
// CHECK:         linalg.generic
// CHECK-SAME:      "reduction"
// CHECK:           arith.addi
// CHECK:           arith.muli
// CHECK:           arith.addi
func.func @others_fuse(%a: tensor<4x8xf32>, %ai: tensor<4x8xi32>, %bi: tensor<8x16xi32>)
    -> (tensor<4x8xf32>, tensor<4x16xi32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.addf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %ei = tensor.empty() : tensor<4x8xi32>
  %si = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ai : tensor<4x8xi32>) outs(%ei : tensor<4x8xi32>) {
  ^bb0(%x: i32, %o: i32):
    %m = arith.addi %x, %x : i32
    linalg.yield %m : i32
  } -> tensor<4x8xi32>
  %zero = arith.constant 0 : i32
  %ce = tensor.empty() : tensor<4x16xi32>
  %c = linalg.fill ins(%zero : i32) outs(%ce : tensor<4x16xi32>) -> tensor<4x16xi32>
  %r = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%si, %bi : tensor<4x8xi32>, tensor<8x16xi32>) outs(%c : tensor<4x16xi32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %q = arith.addi %acc, %p : i32
    linalg.yield %q : i32
  } -> tensor<4x16xi32>
  return %t, %r : tensor<4x8xf32>, tensor<4x16xi32>
}

// A cheap producer (x - mean) with two elementwise users, a reduction and
// a scaling, is computed again in each user's loop: no generic of its own.
#row = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @cheap_producer_cloned
// CHECK:         %[[V:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @cheap_producer_cloned(%x: tensor<4x8xf32>, %mean: tensor<4x1xf32>) -> (tensor<4x1xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean : tensor<4x8xf32>, tensor<4x1xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %s = arith.subf %a, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %ve = tensor.empty() : tensor<4x1xf32>
  %vz = linalg.fill ins(%zero : f32) outs(%ve : tensor<4x1xf32>) -> tensor<4x1xf32>
  %var = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%d : tensor<4x8xf32>) outs(%vz : tensor<4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %acc = arith.addf %sq, %o : f32
    linalg.yield %acc : f32
  } -> tensor<4x1xf32>
  %se = tensor.empty() : tensor<4x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<4x8xf32>) outs(%se : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %var, %scaled : tensor<4x1xf32>, tensor<4x8xf32>
}

// Cloning cascades: x == y (a max pool's) feeds only the rank, which the
// window's max and the mask both read; the rank is cloned for each, then
// x == y for each clone, and every loop computes both itself.
// CHECK-LABEL: func.func @cheap_producers_cascade
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.cmpf oeq
// CHECK:           arith.mulf
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:           arith.cmpf oeq
// CHECK:           arith.mulf
// CHECK:           arith.cmpf oeq
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @cheap_producers_cascade(%x: tensor<4x8xf32>, %y: tensor<4x1xf32>, %rank: tensor<4x8xf32>)
    -> (tensor<4x1xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %eq = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x8xf32>, tensor<4x1xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.cmpf oeq, %a, %m : f32
    %f = arith.uitofp %c : i1 to f32
    linalg.yield %f : f32
  } -> tensor<4x8xf32>
  %re = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%eq, %rank : tensor<4x8xf32>, tensor<4x8xf32>) outs(%re : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %low = arith.constant 0xFF800000 : f32
  %be = tensor.empty() : tensor<4x1xf32>
  %bf = linalg.fill ins(%low : f32) outs(%be : tensor<4x1xf32>) -> tensor<4x1xf32>
  %best = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%r : tensor<4x8xf32>) outs(%bf : tensor<4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  } -> tensor<4x1xf32>
  %me = tensor.empty() : tensor<4x8xf32>
  %mask = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r, %best : tensor<4x8xf32>, tensor<4x1xf32>) outs(%me : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %c = arith.cmpf oeq, %a, %b : f32
    %f = arith.uitofp %c : i1 to f32
    linalg.yield %f : f32
  } -> tensor<4x8xf32>
  return %best, %mask : tensor<4x1xf32>, tensor<4x8xf32>
}

// A producer that is also returned (Adam's new moment, read by the
// parameter update) shares the update's loop: the one generic yields both.
// CHECK-LABEL: func.func @returned_producer_fuses
// CHECK:         %[[G:.+]]:2 = linalg.generic
// CHECK:           %[[M:.+]] = arith.mulf
// CHECK:           %[[U:.+]] = arith.subf %{{.+}}, %[[M]]
// CHECK-NEXT:      linalg.yield %[[U]], %[[M]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]]#1, %[[G]]#0
func.func @returned_producer_fuses(%a: tensor<4x8xf32>, %p: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %m : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %d = arith.subf %x, %y : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  return %m, %u : tensor<4x8xf32>, tensor<4x8xf32>
}

// Read twice by its one user (p * p), the returned producer is left to
// upstream's fusion, which keeps its result: one loop, p computed once.
// CHECK-LABEL: func.func @returned_producer_read_twice
// CHECK:         %[[G:.+]]:2 = linalg.generic
// CHECK:           %[[P:.+]] = math.exp
// CHECK-NEXT:      %[[U:.+]] = arith.mulf %[[P]], %[[P]]
// CHECK-NEXT:      linalg.yield %[[U]], %[[P]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]]#1, %[[G]]#0
func.func @returned_producer_read_twice(%a: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = math.exp %x : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %p : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %p, %u : tensor<4x8xf32>, tensor<4x8xf32>
}

// Read by a second loop as well, the producer keeps its own: fused, it
// would be computed twice.
// CHECK-LABEL: func.func @producer_of_two_loops
// CHECK-COUNT-3: linalg.generic
func.func @producer_of_two_loops(%a: tensor<4x8xf32>, %p: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = math.exp %x : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %m : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %d = arith.subf %x, %y : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %e3 = tensor.empty() : tensor<4x8xf32>
  %v = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %m : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e3 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %d = arith.addf %x, %y : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  return %m, %u, %v : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
