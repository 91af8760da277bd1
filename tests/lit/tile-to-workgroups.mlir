// RUN: kiln-opt %s --kiln-tile-to-workgroups | FileCheck %s
// RUN: kiln-opt %s --kiln-tile-to-workgroups=min-work-per-workgroup=1 | FileCheck %s --check-prefix=ALL

// --kiln-tile-to-workgroups: every kiln.kernel function gets two leading
// index arguments, workgroup id and count, and kiln.max_workgroups. A root
// op with enough work is tiled along one parallel loop, its producers fused,
// and the one tile of the workgroup is computed as straight-line code that
// returns an insert_slice into the output's tensor.empty (so that the
// output bufferizes into the caller's buffer, written only in this
// workgroup's rows).

// 64x128x784 iterations: split along M (the outermost parallel loop of at
// least 16) into workgroups of ceil(64 / count) rows rounded up to whole
// 8-row register tiles of --kiln-tile-matmul, so at most 8; the fill is
// fused, so each workgroup zeroes only its own rows.
// CHECK-LABEL: func.func private @matmul
// CHECK-SAME:    (%[[ID:.+]]: index {kiln.workgroup_id}, %[[COUNT:.+]]: index {kiln.workgroup_count}, %[[A:.+]]: tensor<64x784xf32> {{.*}}, %[[B:.+]]: tensor<784x128xf32> {{.*}})
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 8 : i64}
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK:         %[[N:.+]] = arith.maxsi %[[COUNT]], %[[C1]]
// CHECK:         %[[I:.+]] = arith.maxsi %[[ID]], %[[C0]]
// CHECK:         %[[SUM:.+]] = arith.addi %[[C64]], %[[N]]
// CHECK:         %[[SUM1:.+]] = arith.subi %[[SUM]], %[[C1]]
// CHECK:         %[[CEIL:.+]] = arith.divui %[[SUM1]], %[[N]]
// CHECK-DAG:     %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG:     %[[C7:.+]] = arith.constant 7 : index
// CHECK:         %[[UP:.+]] = arith.addi %[[CEIL]], %[[C7]]
// CHECK:         %[[TILES:.+]] = arith.divui %[[UP]], %[[C8]]
// CHECK:         %[[CHUNK:.+]] = arith.muli %[[TILES]], %[[C8]]
// CHECK:         %[[EMPTY:.+]] = tensor.empty() : tensor<64x128xf32>
// CHECK:         %[[FIRST:.+]] = arith.muli %[[I]], %[[CHUNK]]
// CHECK:         %[[LB:.+]] = arith.minsi %[[FIRST]], %[[C64]]
// CHECK:         %[[ROWS:.+]] = affine.min #{{.+}}(%[[LB]])[%[[CHUNK]]]
// CHECK:         %[[A_ROWS:.+]] = tensor.extract_slice %[[A]][%[[LB]], 0] [%[[ROWS]], 784] [1, 1]
// CHECK:         %[[OUT:.+]] = tensor.extract_slice %[[EMPTY]][%[[LB]], 0] [%[[ROWS]], 128] [1, 1]
// CHECK:         %[[ZERO:.+]] = linalg.fill {{.*}} outs(%[[OUT]] : tensor<?x128xf32>)
// CHECK:         %[[MM:.+]] = linalg.generic
// CHECK-SAME:      ins(%[[A_ROWS]], %{{.+}} : tensor<?x784xf32>, tensor<784x128xf32>)
// CHECK-SAME:      outs(%[[ZERO]] : tensor<?x128xf32>)
// CHECK:         %[[R:.+]] = tensor.insert_slice %[[MM]] into %[[EMPTY]][%[[LB]], 0] [%[[ROWS]], 128] [1, 1]
// CHECK-NOT:     linalg.
// CHECK:         return %[[R]] : tensor<64x128xf32>
#mm_a = affine_map<(d0, d1, d2) -> (d0, d1)>
#mm_b = affine_map<(d0, d1, d2) -> (d1, d2)>
#mm_c = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func private @matmul(%a: tensor<64x784xf32> {bufferization.writable = false}, %b: tensor<784x128xf32> {bufferization.writable = false}) -> tensor<64x128xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x128xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x128xf32>) -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#mm_a, #mm_b, #mm_c], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<64x784xf32>, tensor<784x128xf32>) outs(%init : tensor<64x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// A matmul's iterations count half (--kiln-tile-matmul runs them about
// twice as fast as other loops): 40^3 = 64000 is not worth two workgroups.
// CHECK-LABEL: func.func private @matmul_40cubed
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 1 : i64}
func.func private @matmul_40cubed(%a: tensor<40x40xf32> {bufferization.writable = false}, %b: tensor<40x40xf32> {bufferization.writable = false}) -> tensor<40x40xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<40x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<40x40xf32>) -> tensor<40x40xf32>
  %r = linalg.matmul ins(%a, %b : tensor<40x40xf32>, tensor<40x40xf32>) outs(%init : tensor<40x40xf32>) -> tensor<40x40xf32>
  return %r : tensor<40x40xf32>
}

// More columns than rows, and a B of 4.5 MiB: split by rows, every
// workgroup would stream all of B; the columns are split instead (each
// reads all of A, 1 MiB), in whole cache lines: 288 / 16 = 18 workgroups,
// so that two take 144 columns each (not 160 and 128). As each reads all
// of A, the runtime is to run one workgroup per thread, not several.
// CHECK-LABEL: func.func private @matmul_large_b
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 18 : i64, kiln.one_workgroup_per_thread}
// CHECK:         tensor.extract_slice %{{.+}}[0, %{{.+}}] [4096, %{{.+}}] [1, 1] : tensor<4096x288xf32> to tensor<4096x?xf32>
func.func private @matmul_large_b(%a: tensor<64x4096xf32> {bufferization.writable = false}, %b: tensor<4096x288xf32> {bufferization.writable = false}) -> tensor<64x288xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x288xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x288xf32>) -> tensor<64x288xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x4096xf32>, tensor<4096x288xf32>) outs(%init : tensor<64x288xf32>) -> tensor<64x288xf32>
  return %r : tensor<64x288xf32>
}

// A B that --kiln-tile-matmul may read packed (a kiln.constant weight, here
// a filter with its leading dims collapsed) is cut at whole 32-column
// panels: 288 / 32 = 9.
// CHECK-LABEL: func.func private @matmul_packed_b
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 9 : i64, kiln.one_workgroup_per_thread}
func.func private @matmul_packed_b(%a: tensor<64x4096xf32> {bufferization.writable = false}, %w: tensor<2x2048x288xf32> {bufferization.writable = false, kiln.constant}) -> tensor<64x288xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %b = tensor.collapse_shape %w [[0, 1], [2]] : tensor<2x2048x288xf32> into tensor<4096x288xf32>
  %empty = tensor.empty() : tensor<64x288xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x288xf32>) -> tensor<64x288xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x4096xf32>, tensor<4096x288xf32>) outs(%init : tensor<64x288xf32>) -> tensor<64x288xf32>
  return %r : tensor<64x288xf32>
}

// A fused kernel run whole that lowered to one op (a weight gradient, the
// transpose read in place) is split as that op alone would be; one with a
// second op (its root would recompute it per workgroup) stays whole.
// CHECK-LABEL: func.func private @fused_transposed_a
// CHECK-SAME:    kiln.max_workgroups = 18 : i64
// CHECK-LABEL: func.func private @fused_two_ops
// CHECK-SAME:    kiln.max_workgroups = 1 : i64
#ta_a = affine_map<(m, n, k) -> (k, m)>
#ta_b = affine_map<(m, n, k) -> (k, n)>
#ta_c = affine_map<(m, n, k) -> (m, n)>
func.func private @fused_transposed_a(%g: tensor<4096x64xf32> {bufferization.writable = false}, %p: tensor<4096x288xf32> {bufferization.writable = false}) -> tensor<64x288xf32> attributes {kiln.chunks = array<i64: 1>, kiln.grid_dims = array<i64: 0>, kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x288xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x288xf32>) -> tensor<64x288xf32>
  %r = linalg.generic {indexing_maps = [#ta_a, #ta_b, #ta_c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%g, %p : tensor<4096x64xf32>, tensor<4096x288xf32>) outs(%init : tensor<64x288xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x288xf32>
  return %r : tensor<64x288xf32>
}
func.func private @fused_two_ops(%a: tensor<64x4096xf32> {bufferization.writable = false}, %p: tensor<4096x288xf32> {bufferization.writable = false}) -> tensor<64x288xf32> attributes {kiln.chunks = array<i64: 1>, kiln.grid_dims = array<i64: 0>, kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x4096xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<64x4096xf32>) outs(%e : tensor<64x4096xf32>) {
  ^bb0(%x: f32, %o: f32):
    %v = arith.negf %x : f32
    linalg.yield %v : f32
  } -> tensor<64x4096xf32>
  %empty = tensor.empty() : tensor<64x288xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x288xf32>) -> tensor<64x288xf32>
  %r = linalg.matmul ins(%n, %p : tensor<64x4096xf32>, tensor<4096x288xf32>) outs(%init : tensor<64x288xf32>) -> tensor<64x288xf32>
  return %r : tensor<64x288xf32>
}

// A bias gradient, [N, H, W, C] summed to [C]: split along C, every
// workgroup would walk all of the input; it runs whole. Summed along its
// rows instead, [4096, 256] to [4096], the rows split.
// CHECK-LABEL: func.func private @bias_gradient
// CHECK-SAME:    kiln.max_workgroups = 1 : i64
// CHECK-LABEL: func.func private @row_sums
// CHECK-SAME:    kiln.max_workgroups = {{[1-9][0-9]+}} : i64
func.func private @bias_gradient(%g: tensor<8x72x72x64xf32> {bufferization.writable = false}) -> tensor<64xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (c)>],
                       iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%g : tensor<8x72x72x64xf32>) outs(%init : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}
func.func private @row_sums(%x: tensor<4096x256xf32> {bufferization.writable = false}) -> tensor<4096xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4096xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4096xf32>) -> tensor<4096xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4096x256xf32>) outs(%init : tensor<4096xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<4096xf32>
  return %r : tensor<4096xf32>
}

// Too few rows: the columns are split, in whole 32-column panels (which a
// packed weight, kiln.constant, needs), so 1024 / 32 = 32 workgroups at most.
// CHECK-LABEL: func.func private @matmul_columns
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 32 : i64}
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[C31:.+]] = arith.constant 31 : index
// CHECK:         %[[UP:.+]] = arith.addi %{{.+}}, %[[C31]]
// CHECK:         %[[PANELS:.+]] = arith.divui %[[UP]], %[[C32]]
// CHECK:         arith.muli %[[PANELS]], %[[C32]]
func.func private @matmul_columns(%a: tensor<4x512xf32> {bufferization.writable = false}, %b: tensor<512x1024xf32> {bufferization.writable = false, kiln.constant}) -> tensor<4x1024xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x1024xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x512xf32>, tensor<512x1024xf32>) outs(%init : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}

// NHWC with batch 1: the batch loop is too short, the height (40) is split;
// 51200 iterations are worth 3 workgroups of at least 16384.
// CHECK-LABEL: func.func private @bias_relu
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 3 : i64}
// CHECK:         tensor.extract_slice %{{.+}}[0, %[[LB:[^,]+]], 0, 0] [1, %[[H:[^,]+]], 40, 32] [1, 1, 1, 1] : tensor<1x40x40x32xf32> to tensor<1x?x40x32xf32>
// CHECK:         linalg.generic {{.*}} outs(%{{.+}} : tensor<1x?x40x32xf32>)
// CHECK:         tensor.insert_slice %{{.+}}[0, %[[LB]], 0, 0] [1, %[[H]], 40, 32]
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#last4 = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func private @bias_relu(%x: tensor<1x40x40x32xf32> {bufferization.writable = false}, %b: tensor<32xf32> {bufferization.writable = false}) -> tensor<1x40x40x32xf32> attributes {kiln.kernel} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x40x40x32xf32>
  %r = linalg.generic {indexing_maps = [#id4, #last4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<1x40x40x32xf32>, tensor<32xf32>) outs(%empty : tensor<1x40x40x32xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.addf %v, %w : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x40x40x32xf32>
  return %r : tensor<1x40x40x32xf32>
}

// Too little work for a second workgroup: the arguments are there, unused.
// With min-work-per-workgroup=1 it splits, in chunks of whole 64-byte cache
// lines (16 f32), so that no two workgroups store to one line: at most 64.
// CHECK-LABEL: func.func private @small
// CHECK-SAME:    (%{{.+}}: index {kiln.workgroup_id}, %{{.+}}: index {kiln.workgroup_count}, %[[X:.+]]: tensor<1024xf32>
// CHECK-SAME:    attributes {kiln.kernel, kiln.max_workgroups = 1 : i64}
// CHECK-NEXT:    tensor.empty() : tensor<1024xf32>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[X]] : tensor<1024xf32>)
// ALL-LABEL:   func.func private @small
// ALL-SAME:      kiln.max_workgroups = 64 : i64
// ALL:           %[[CEIL:.+]] = arith.divui
// ALL-DAG:       %[[C16:.+]] = arith.constant 16 : index
// ALL-DAG:       %[[C15:.+]] = arith.constant 15 : index
// ALL:           %[[UP:.+]] = arith.addi %[[CEIL]], %[[C15]]
// ALL:           %[[LINES:.+]] = arith.divui %[[UP]], %[[C16]]
// ALL:           %[[CHUNK:.+]] = arith.muli %[[LINES]], %[[C16]]
// ALL:           tensor.extract_slice {{.*}} tensor<1024xf32> to tensor<?xf32>
#id1 = affine_map<(d0) -> (d0)>
func.func private @small(%x: tensor<1024xf32> {bufferization.writable = false}) -> tensor<1024xf32> attributes {kiln.kernel} {
  %empty = tensor.empty() : tensor<1024xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<1024xf32>) outs(%empty : tensor<1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}

// An output that starts as an argument would be copied into the shared
// output buffer in full by every workgroup: not split, whatever its size.
// CHECK-LABEL: func.func private @accumulate
// CHECK-SAME:    kiln.max_workgroups = 1 : i64
// CHECK-NOT:     tensor.extract_slice
// CHECK:         return
// ALL-LABEL:   func.func private @accumulate
// ALL-SAME:      kiln.max_workgroups = 1 : i64
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func private @accumulate(%x: tensor<256x256xf32> {bufferization.writable = false}, %acc: tensor<256x256xf32> {bufferization.writable = false}) -> tensor<256x256xf32> attributes {kiln.kernel} {
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<256x256xf32>) outs(%acc : tensor<256x256xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}

// A root reading through a mod or floordiv of a loop (kiln.patches: row p
// of the result reads image p floordiv 16, row (p floordiv 4) mod 4,
// column p mod 4) is cut at whole periods of that loop, 16 rows: a tile's
// slice of the input spans the map's values at its first and last row,
// which is all it reads only then.
// ALL-LABEL:   func.func private @wrapping_map
// ALL-SAME:      kiln.max_workgroups = 64 : i64
// ALL-DAG:       %[[C16:.+]] = arith.constant 16 : index
// ALL-DAG:       %[[C15:.+]] = arith.constant 15 : index
// ALL:           %[[UP:.+]] = arith.addi %{{.+}}, %[[C15]]
// ALL:           %[[PERIODS:.+]] = arith.divui %[[UP]], %[[C16]]
// ALL:           arith.muli %[[PERIODS]], %[[C16]]
func.func private @wrapping_map(%x: tensor<64x4x4x8xf32> {bufferization.writable = false}) -> tensor<1024x8xf32> attributes {kiln.kernel} {
  %e = tensor.empty() : tensor<1024x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 floordiv 16, (d0 floordiv 4) mod 4, d0 mod 4, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x4x4x8xf32>) outs(%e : tensor<1024x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1024x8xf32>
  return %r : tensor<1024x8xf32>
}

// A mod of more than one loop has no period to cut at: not split.
// ALL-LABEL:   func.func private @wrapping_sum
// ALL-SAME:      kiln.max_workgroups = 1 : i64
func.func private @wrapping_sum(%x: tensor<4x8xf32> {bufferization.writable = false}) -> tensor<1024x8xf32> attributes {kiln.kernel} {
  %e = tensor.empty() : tensor<1024x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ((d0 + d1) mod 4, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<1024x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1024x8xf32>
  return %r : tensor<1024x8xf32>
}

// Only a linalg op is split: a reshape's kernel runs as one workgroup.
// CHECK-LABEL: func.func private @reshape
// CHECK-SAME:    kiln.max_workgroups = 1 : i64
// CHECK-NEXT:    tensor.collapse_shape
func.func private @reshape(%x: tensor<256x256xf32> {bufferization.writable = false}) -> tensor<65536xf32> attributes {kiln.kernel} {
  %r = tensor.collapse_shape %x [[0, 1]] : tensor<256x256xf32> into tensor<65536xf32>
  return %r : tensor<65536xf32>
}

// A function that is not a kernel (the JIT's whole model) is left alone.
// CHECK-LABEL: func.func @model
// CHECK-SAME:    (%{{.+}}: tensor<256x256xf32>) -> tensor<256x256xf32> {
// ALL-LABEL:   func.func @model
// ALL-SAME:      (%{{.+}}: tensor<256x256xf32>) -> tensor<256x256xf32> {
func.func @model(%x: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %empty = tensor.empty() : tensor<256x256xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<256x256xf32>) outs(%empty : tensor<256x256xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}
