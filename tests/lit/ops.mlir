// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s

// Every kiln op parses, verifies, prints in its custom form and reads back
// the same. The second RUN line goes through the generic form, so a custom
// printer/parser pair that loses an attribute shows up as a difference.

// CHECK-LABEL: func.func @values
// CHECK:         %[[W:.+]] = kiln.param "dense0.w" {init = "glorot_uniform"} : tensor<784x128xf32>
// CHECK:         %[[B:.+]] = kiln.param "dense0.b" {init = "zeros"} : tensor<128xbf16>
// CHECK:         %[[E:.+]] = kiln.param "embed" {init = "uniform"} : tensor<10x4xf16>
// CHECK:         %[[S:.+]] = kiln.param "scale" {init = "ones"} : tensor<3xi8>
// CHECK:         %[[C:.+]] = kiln.constant dense<1.250000e-01> : tensor<f32>
// CHECK:         %[[CI:.+]] = kiln.constant dense<[1, 2, 3]> : tensor<3xi32>
// CHECK:         %[[CAST:.+]] = kiln.cast %[[CI]] : tensor<3xi32> -> tensor<3xf32>
// CHECK:         %[[CAST2:.+]] = kiln.cast %[[CAST]] : tensor<3xf32> -> tensor<3xbf16>
// CHECK:         return %[[W]], %[[B]], %[[E]], %[[S]], %[[C]], %[[CAST2]]
func.func @values() -> (tensor<784x128xf32>, tensor<128xbf16>, tensor<10x4xf16>,
                        tensor<3xi8>, tensor<f32>, tensor<3xbf16>) {
  %w = kiln.param "dense0.w" {init = "glorot_uniform"} : tensor<784x128xf32>
  %b = kiln.param "dense0.b" {init = "zeros"} : tensor<128xbf16>
  %e = kiln.param "embed" {init = "uniform"} : tensor<10x4xf16>
  %s = kiln.param "scale" {init = "ones"} : tensor<3xi8>
  %c = kiln.constant dense<0.125> : tensor<f32>
  %ci = kiln.constant dense<[1, 2, 3]> : tensor<3xi32>
  %f = kiln.cast %ci : tensor<3xi32> -> tensor<3xf32>
  %h = kiln.cast %f : tensor<3xf32> -> tensor<3xbf16>
  return %w, %b, %e, %s, %c, %h : tensor<784x128xf32>, tensor<128xbf16>,
      tensor<10x4xf16>, tensor<3xi8>, tensor<f32>, tensor<3xbf16>
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME:    (%[[X:.+]]: tensor<4x3xf32>, %[[Y:.+]]: tensor<3xf32>, %[[I:.+]]: tensor<2x1xi32>, %[[J:.+]]: tensor<5xi32>, %[[H:.+]]: tensor<2xf16>, %[[Q:.+]]: tensor<1x2xi8>)
// CHECK:         %[[ADD:.+]] = kiln.add %[[X]], %[[Y]] : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
// CHECK:         %[[SUB:.+]] = kiln.sub %[[Y]], %[[ADD]] : tensor<3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
// CHECK:         %[[MUL:.+]] = kiln.mul %[[I]], %[[J]] : tensor<2x1xi32>, tensor<5xi32> -> tensor<2x5xi32>
// CHECK:         %[[DIV:.+]] = kiln.div %[[MUL]], %[[I]] : tensor<2x5xi32>, tensor<2x1xi32> -> tensor<2x5xi32>
// CHECK:         %[[MAX:.+]] = kiln.max %[[H]], %[[H]] : tensor<2xf16>, tensor<2xf16> -> tensor<2xf16>
// CHECK:         %[[MIN:.+]] = kiln.min %[[Q]], %[[Q]] : tensor<1x2xi8>, tensor<1x2xi8> -> tensor<1x2xi8>
// CHECK:         return %[[SUB]], %[[DIV]], %[[MAX]], %[[MIN]]
func.func @binary(%x: tensor<4x3xf32>, %y: tensor<3xf32>, %i: tensor<2x1xi32>,
                  %j: tensor<5xi32>, %h: tensor<2xf16>, %q: tensor<1x2xi8>)
    -> (tensor<4x3xf32>, tensor<2x5xi32>, tensor<2xf16>, tensor<1x2xi8>) {
  %0 = kiln.add %x, %y : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %1 = kiln.sub %y, %0 : tensor<3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %2 = kiln.mul %i, %j : tensor<2x1xi32>, tensor<5xi32> -> tensor<2x5xi32>
  %3 = kiln.div %2, %i : tensor<2x5xi32>, tensor<2x1xi32> -> tensor<2x5xi32>
  %4 = kiln.max %h, %h : tensor<2xf16>, tensor<2xf16> -> tensor<2xf16>
  %5 = kiln.min %q, %q : tensor<1x2xi8>, tensor<1x2xi8> -> tensor<1x2xi8>
  return %1, %3, %4, %5 : tensor<4x3xf32>, tensor<2x5xi32>, tensor<2xf16>, tensor<1x2xi8>
}

// CHECK-LABEL: func.func @unary
// CHECK-SAME:    (%[[X:.+]]: tensor<4x3xf32>, %[[H:.+]]: tensor<8xf16>, %[[B:.+]]: tensor<8xbf16>, %[[I:.+]]: tensor<2xi32>)
// CHECK:         %[[NEG:.+]] = kiln.neg %[[X]] : tensor<4x3xf32>
// CHECK:         %[[EXP:.+]] = kiln.exp %[[NEG]] : tensor<4x3xf32>
// CHECK:         %[[LOG:.+]] = kiln.log %[[EXP]] : tensor<4x3xf32>
// CHECK:         %[[SQRT:.+]] = kiln.sqrt %[[LOG]] : tensor<4x3xf32>
// CHECK:         %[[RSQRT:.+]] = kiln.rsqrt %[[SQRT]] : tensor<4x3xf32>
// CHECK:         %[[TANH:.+]] = kiln.tanh %[[H]] : tensor<8xf16>
// CHECK:         %[[SIG:.+]] = kiln.sigmoid %[[TANH]] : tensor<8xf16>
// CHECK:         %[[RELU:.+]] = kiln.relu %[[B]] : tensor<8xbf16>
// CHECK:         %[[GELU:.+]] = kiln.gelu %[[RELU]] : tensor<8xbf16>
// CHECK:         %[[INEG:.+]] = kiln.neg %[[I]] : tensor<2xi32>
// CHECK:         return %[[RSQRT]], %[[SIG]], %[[GELU]], %[[INEG]]
func.func @unary(%x: tensor<4x3xf32>, %h: tensor<8xf16>, %b: tensor<8xbf16>,
                 %i: tensor<2xi32>)
    -> (tensor<4x3xf32>, tensor<8xf16>, tensor<8xbf16>, tensor<2xi32>) {
  %0 = kiln.neg %x : tensor<4x3xf32>
  %1 = kiln.exp %0 : tensor<4x3xf32>
  %2 = kiln.log %1 : tensor<4x3xf32>
  %3 = kiln.sqrt %2 : tensor<4x3xf32>
  %4 = kiln.rsqrt %3 : tensor<4x3xf32>
  %5 = kiln.tanh %h : tensor<8xf16>
  %6 = kiln.sigmoid %5 : tensor<8xf16>
  %7 = kiln.relu %b : tensor<8xbf16>
  %8 = kiln.gelu %7 : tensor<8xbf16>
  %9 = kiln.neg %i : tensor<2xi32>
  return %4, %6, %8, %9 : tensor<4x3xf32>, tensor<8xf16>, tensor<8xbf16>, tensor<2xi32>
}

// CHECK-LABEL: func.func @compare_and_erf
// CHECK-SAME:    (%[[X:.+]]: tensor<4x3xf32>, %[[Z:.+]]: tensor<f32>, %[[I:.+]]: tensor<2x1xi32>, %[[J:.+]]: tensor<5xi32>, %[[H:.+]]: tensor<8xf16>, %[[B:.+]]: tensor<8xbf16>)
// CHECK:         %[[GT:.+]] = kiln.compare %[[X]], %[[Z]] {predicate = "gt"} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
// CHECK:         %[[EQ:.+]] = kiln.compare %[[I]], %[[J]] {predicate = "eq"} : tensor<2x1xi32>, tensor<5xi32> -> tensor<2x5xi32>
// CHECK:         %[[NE:.+]] = kiln.compare %[[H]], %[[H]] {predicate = "ne"} : tensor<8xf16>, tensor<8xf16> -> tensor<8xf16>
// CHECK:         %[[ERF:.+]] = kiln.erf %[[X]] : tensor<4x3xf32>
// CHECK:         %[[ERFB:.+]] = kiln.erf %[[B]] : tensor<8xbf16>
// CHECK:         return %[[GT]], %[[EQ]], %[[NE]], %[[ERF]], %[[ERFB]]
func.func @compare_and_erf(%x: tensor<4x3xf32>, %zero: tensor<f32>,
                           %i: tensor<2x1xi32>, %j: tensor<5xi32>,
                           %h: tensor<8xf16>, %b: tensor<8xbf16>)
    -> (tensor<4x3xf32>, tensor<2x5xi32>, tensor<8xf16>, tensor<4x3xf32>, tensor<8xbf16>) {
  %0 = kiln.compare %x, %zero {predicate = "gt"} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // The mask takes the operands' element type, integers included.
  %1 = kiln.compare %i, %j {predicate = "eq"} : tensor<2x1xi32>, tensor<5xi32> -> tensor<2x5xi32>
  %2 = kiln.compare %h, %h {predicate = "ne"} : tensor<8xf16>, tensor<8xf16> -> tensor<8xf16>
  %3 = kiln.erf %x : tensor<4x3xf32>
  %4 = kiln.erf %b : tensor<8xbf16>
  return %0, %1, %2, %3, %4 : tensor<4x3xf32>, tensor<2x5xi32>, tensor<8xf16>, tensor<4x3xf32>, tensor<8xbf16>
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.+]]: tensor<8x784xf32>, %[[W:.+]]: tensor<784x128xf32>, %[[X:.+]]: tensor<2x1x5x6xf16>, %[[Y:.+]]: tensor<3x6x7xf16>, %[[S:.+]]: tensor<4x16x8xbf16>, %[[K:.+]]: tensor<8x2xbf16>, %[[P:.+]]: tensor<3x4xi32>, %[[Q:.+]]: tensor<4x2xi32>)
// CHECK:         %[[M2:.+]] = kiln.matmul %[[A]], %[[W]] : tensor<8x784xf32>, tensor<784x128xf32> -> tensor<8x128xf32>
// CHECK:         %[[MB:.+]] = kiln.matmul %[[X]], %[[Y]] : tensor<2x1x5x6xf16>, tensor<3x6x7xf16> -> tensor<2x3x5x7xf16>
// CHECK:         %[[MW:.+]] = kiln.matmul %[[S]], %[[K]] : tensor<4x16x8xbf16>, tensor<8x2xbf16> -> tensor<4x16x2xbf16>
// CHECK:         %[[MI:.+]] = kiln.matmul %[[P]], %[[Q]] : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
// CHECK:         return %[[M2]], %[[MB]], %[[MW]], %[[MI]]
func.func @matmul(%a: tensor<8x784xf32>, %w: tensor<784x128xf32>,
                  %x: tensor<2x1x5x6xf16>, %y: tensor<3x6x7xf16>,
                  %s: tensor<4x16x8xbf16>, %k: tensor<8x2xbf16>,
                  %p: tensor<3x4xi32>, %q: tensor<4x2xi32>)
    -> (tensor<8x128xf32>, tensor<2x3x5x7xf16>, tensor<4x16x2xbf16>, tensor<3x2xi32>) {
  %0 = kiln.matmul %a, %w : tensor<8x784xf32>, tensor<784x128xf32> -> tensor<8x128xf32>
  // Batch dims [2, 1] and [3] broadcast to [2, 3].
  %1 = kiln.matmul %x, %y : tensor<2x1x5x6xf16>, tensor<3x6x7xf16> -> tensor<2x3x5x7xf16>
  // A batched activation times an unbatched weight.
  %2 = kiln.matmul %s, %k : tensor<4x16x8xbf16>, tensor<8x2xbf16> -> tensor<4x16x2xbf16>
  %3 = kiln.matmul %p, %q : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
  return %0, %1, %2, %3 : tensor<8x128xf32>, tensor<2x3x5x7xf16>, tensor<4x16x2xbf16>, tensor<3x2xi32>
}

// CHECK-LABEL: func.func @windows
// CHECK-SAME:    (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<3x3x3x16xf32>, %[[H:.+]]: tensor<2x9x9x4xf16>, %[[G:.+]]: tensor<3x3x4x2xf16>)
// CHECK:         %[[C:.+]] = kiln.conv2d %[[X]], %[[W]] {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
// CHECK:         %[[CP:.+]] = kiln.conv2d %[[H]], %[[G]] {dilations = array<i64: 2, 1>, padding = array<i64: 1, 1, 2, 0>, strides = array<i64: 2, 3>} : tensor<2x9x9x4xf16>, tensor<3x3x4x2xf16> -> tensor<2x4x3x2xf16>
// CHECK:         %[[P:.+]] = kiln.max_pool2d %[[C]] {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<1x6x6x16xf32> -> tensor<1x3x3x16xf32>
// CHECK:         %[[PP:.+]] = kiln.max_pool2d %[[CP]] {padding = array<i64: 1, 0, 1, 1>, strides = array<i64: 1, 2>, window = array<i64: 3, 2>} : tensor<2x4x3x2xf16> -> tensor<2x3x2x2xf16>
// CHECK:         return %[[P]], %[[PP]]
func.func @windows(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>,
                   %h: tensor<2x9x9x4xf16>, %g: tensor<3x3x4x2xf16>)
    -> (tensor<1x3x3x16xf32>, tensor<2x3x2x2xf16>) {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
  // H: 9 + 2 - 5 (dilated 3) = 6, / 2 + 1 = 4; W: 9 + 2 - 3 = 8, / 3 + 1 = 3.
  %1 = kiln.conv2d %h, %g {strides = array<i64: 2, 3>, padding = array<i64: 1, 1, 2, 0>,
                           dilations = array<i64: 2, 1>}
      : tensor<2x9x9x4xf16>, tensor<3x3x4x2xf16> -> tensor<2x4x3x2xf16>
  %2 = kiln.max_pool2d %0 {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                           padding = array<i64: 0, 0, 0, 0>}
      : tensor<1x6x6x16xf32> -> tensor<1x3x3x16xf32>
  // H: 4 + 1 - 3 = 2, / 1 + 1 = 3; W: 3 + 2 - 2 = 3, / 2 + 1 = 2.
  %3 = kiln.max_pool2d %1 {window = array<i64: 3, 2>, strides = array<i64: 1, 2>,
                           padding = array<i64: 1, 0, 1, 1>}
      : tensor<2x4x3x2xf16> -> tensor<2x3x2x2xf16>
  return %2, %3 : tensor<1x3x3x16xf32>, tensor<2x3x2x2xf16>
}

// CHECK-LABEL: func.func @reductions
// CHECK-SAME:    (%[[X:.+]]: tensor<8x10xf32>, %[[B:.+]]: tensor<2x3x4xbf16>, %[[I:.+]]: tensor<2x3xi32>, %[[Q:.+]]: tensor<6xi8>, %[[G:.+]]: tensor<10xf32>, %[[BETA:.+]]: tensor<10xf32>, %[[HG:.+]]: tensor<4xbf16>)
// CHECK:         %[[SM:.+]] = kiln.softmax %[[X]] {axis = 1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         %[[LSM:.+]] = kiln.log_softmax %[[B]] {axis = 0 : i64} : tensor<2x3x4xbf16> -> tensor<2x3x4xbf16>
// CHECK:         %[[SUM:.+]] = kiln.reduce_sum %[[I]] {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xi32> -> tensor<2xi32>
// CHECK:         %[[MEAN:.+]] = kiln.reduce_mean %[[B]] {axes = array<i64: 0, 2>, keep_dims = true} : tensor<2x3x4xbf16> -> tensor<1x3x1xbf16>
// CHECK:         %[[MAX:.+]] = kiln.reduce_max %[[Q]] {axes = array<i64: 0>, keep_dims = false} : tensor<6xi8> -> tensor<i8>
// CHECK:         %[[LN:.+]] = kiln.layer_norm %[[SM]], %[[G]], %[[BETA]] {epsilon = 9.99999974E-6 : f32} : tensor<8x10xf32>, tensor<10xf32>, tensor<10xf32> -> tensor<8x10xf32>
// CHECK:         %[[LNH:.+]] = kiln.layer_norm %[[LSM]], %[[HG]], %[[HG]] {epsilon = 1.000000e-03 : f32} : tensor<2x3x4xbf16>, tensor<4xbf16>, tensor<4xbf16> -> tensor<2x3x4xbf16>
// CHECK:         return %[[SUM]], %[[MEAN]], %[[MAX]], %[[LN]], %[[LNH]]
func.func @reductions(%x: tensor<8x10xf32>, %b: tensor<2x3x4xbf16>,
                      %i: tensor<2x3xi32>, %q: tensor<6xi8>,
                      %g: tensor<10xf32>, %beta: tensor<10xf32>, %hg: tensor<4xbf16>)
    -> (tensor<2xi32>, tensor<1x3x1xbf16>, tensor<i8>, tensor<8x10xf32>, tensor<2x3x4xbf16>) {
  %0 = kiln.softmax %x {axis = 1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
  %1 = kiln.log_softmax %b {axis = 0 : i64} : tensor<2x3x4xbf16> -> tensor<2x3x4xbf16>
  %2 = kiln.reduce_sum %i {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xi32> -> tensor<2xi32>
  %3 = kiln.reduce_mean %b {axes = array<i64: 0, 2>, keep_dims = true}
      : tensor<2x3x4xbf16> -> tensor<1x3x1xbf16>
  %4 = kiln.reduce_max %q {axes = array<i64: 0>, keep_dims = false} : tensor<6xi8> -> tensor<i8>
  %5 = kiln.layer_norm %0, %g, %beta {epsilon = 1.0e-5 : f32}
      : tensor<8x10xf32>, tensor<10xf32>, tensor<10xf32> -> tensor<8x10xf32>
  %6 = kiln.layer_norm %1, %hg, %hg {epsilon = 1.0e-3 : f32}
      : tensor<2x3x4xbf16>, tensor<4xbf16>, tensor<4xbf16> -> tensor<2x3x4xbf16>
  return %2, %3, %4, %5, %6 : tensor<2xi32>, tensor<1x3x1xbf16>, tensor<i8>, tensor<8x10xf32>, tensor<2x3x4xbf16>
}

// CHECK-LABEL: func.func @data_movement
// CHECK-SAME:    (%[[X:.+]]: tensor<8x4x4xf32>, %[[T:.+]]: tensor<2x3x5xi8>, %[[A:.+]]: tensor<2x3xf16>, %[[B:.+]]: tensor<2x5xf16>, %[[C:.+]]: tensor<2x1xf16>, %[[S:.+]]: tensor<5x9xi32>, %[[TAB:.+]]: tensor<1000x64xf32>, %[[IDS:.+]]: tensor<2x16xi32>, %[[V:.+]]: tensor<7xbf16>, %[[ONE:.+]]: tensor<3xi32>, %[[ID:.+]]: tensor<i32>)
// CHECK:         %[[R:.+]] = kiln.reshape %[[X]] : tensor<8x4x4xf32> -> tensor<8x16xf32>
// CHECK:         %[[TR:.+]] = kiln.transpose %[[T]] {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xi8> -> tensor<5x2x3xi8>
// CHECK:         %[[CAT:.+]] = kiln.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i64} : tensor<2x3xf16>, tensor<2x5xf16>, tensor<2x1xf16> -> tensor<2x9xf16>
// CHECK:         %[[SL:.+]] = kiln.slice %[[S]] {limits = array<i64: 5, 9>, starts = array<i64: 1, 0>, strides = array<i64: 2, 3>} : tensor<5x9xi32> -> tensor<2x3xi32>
// CHECK:         %[[G:.+]] = kiln.gather %[[TAB]], %[[IDS]] : tensor<1000x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
// CHECK:         %[[G1:.+]] = kiln.gather %[[V]], %[[ONE]] : tensor<7xbf16>, tensor<3xi32> -> tensor<3xbf16>
// CHECK:         %[[P:.+]] = kiln.pad %[[X]] {high = array<i64: 0, 1, 2>, interior = array<i64: 0, 1, 0>, low = array<i64: 1, 0, 0>} : tensor<8x4x4xf32> -> tensor<9x8x6xf32>
// CHECK:         %[[PI:.+]] = kiln.pad %[[S]] {high = array<i64: 0, 0>, interior = array<i64: 0, 0>, low = array<i64: 0, 0>} : tensor<5x9xi32> -> tensor<5x9xi32>
// CHECK:         %[[OH:.+]] = kiln.one_hot %[[IDS]] {depth = 10 : i64} : tensor<2x16xi32> -> tensor<2x16x10xf32>
// CHECK:         %[[OH0:.+]] = kiln.one_hot %[[ID]] {depth = 1 : i64} : tensor<i32> -> tensor<1xbf16>
// CHECK:         return %[[R]], %[[TR]], %[[CAT]], %[[SL]], %[[G]], %[[G1]], %[[P]], %[[PI]], %[[OH]], %[[OH0]]
func.func @data_movement(%x: tensor<8x4x4xf32>, %t: tensor<2x3x5xi8>,
                         %a: tensor<2x3xf16>, %b: tensor<2x5xf16>, %c: tensor<2x1xf16>,
                         %s: tensor<5x9xi32>, %table: tensor<1000x64xf32>,
                         %ids: tensor<2x16xi32>, %v: tensor<7xbf16>, %one: tensor<3xi32>,
                         %id: tensor<i32>)
    -> (tensor<8x16xf32>, tensor<5x2x3xi8>, tensor<2x9xf16>, tensor<2x3xi32>,
        tensor<2x16x64xf32>, tensor<3xbf16>, tensor<9x8x6xf32>, tensor<5x9xi32>,
        tensor<2x16x10xf32>, tensor<1xbf16>) {
  %0 = kiln.reshape %x : tensor<8x4x4xf32> -> tensor<8x16xf32>
  %1 = kiln.transpose %t {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xi8> -> tensor<5x2x3xi8>
  %2 = kiln.concat %a, %b, %c {axis = 1 : i64}
      : tensor<2x3xf16>, tensor<2x5xf16>, tensor<2x1xf16> -> tensor<2x9xf16>
  // Rows 1, 3 of 5; columns 0, 3, 6 of 9.
  %3 = kiln.slice %s {starts = array<i64: 1, 0>, limits = array<i64: 5, 9>,
                      strides = array<i64: 2, 3>} : tensor<5x9xi32> -> tensor<2x3xi32>
  %4 = kiln.gather %table, %ids : tensor<1000x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %5 = kiln.gather %v, %one : tensor<7xbf16>, tensor<3xi32> -> tensor<3xbf16>
  // Dim 0: 1 + 8; dim 1: 4 + 3 between; dim 2: 4 + 2.
  %6 = kiln.pad %x {low = array<i64: 1, 0, 0>, high = array<i64: 0, 1, 2>,
                    interior = array<i64: 0, 1, 0>} : tensor<8x4x4xf32> -> tensor<9x8x6xf32>
  %7 = kiln.pad %s {low = array<i64: 0, 0>, high = array<i64: 0, 0>,
                    interior = array<i64: 0, 0>} : tensor<5x9xi32> -> tensor<5x9xi32>
  %8 = kiln.one_hot %ids {depth = 10 : i64} : tensor<2x16xi32> -> tensor<2x16x10xf32>
  %9 = kiln.one_hot %id {depth = 1 : i64} : tensor<i32> -> tensor<1xbf16>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<8x16xf32>, tensor<5x2x3xi8>, tensor<2x9xf16>,
      tensor<2x3xi32>, tensor<2x16x64xf32>, tensor<3xbf16>, tensor<9x8x6xf32>, tensor<5x9xi32>,
      tensor<2x16x10xf32>, tensor<1xbf16>
}
