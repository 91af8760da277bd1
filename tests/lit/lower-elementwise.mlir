// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s

// --kiln-lower-to-linalg, elementwise family: each op becomes one
// linalg.generic over the result shape, all loops parallel, with operand
// maps that encode numpy broadcasting (missing leading dims dropped, size-1
// dims read at 0) and a scalar body chosen by the element type.

// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$COL0:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW0:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>

// A [4, 3] + [3] add: the [3] operand is read along the last loop only.
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME:    (%[[X:.+]]: tensor<4x3xf32>, %[[Y:.+]]: tensor<3xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<4x3xf32>
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[Y]] : tensor<4x3xf32>, tensor<3xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:      %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]]
func.func @add_broadcast(%x: tensor<4x3xf32>, %y: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = kiln.add %x, %y : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// Size-1 dims on both sides stretch in opposite directions; integer ops.
// CHECK-LABEL: func.func @sub_size_one_dims
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$COL0]], #[[$ROW0]], #[[$ID2]]]
// CHECK-SAME:      ins(%{{.+}}, %{{.+}} : tensor<4x1xi32>, tensor<1x3xi32>)
// CHECK:           arith.subi
// CHECK-NOT:       arith.subf
func.func @sub_size_one_dims(%x: tensor<4x1xi32>, %y: tensor<1x3xi32>) -> tensor<4x3xi32> {
  %0 = kiln.sub %x, %y : tensor<4x1xi32>, tensor<1x3xi32> -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// A rank-0 operand is read once for every point.
// CHECK-LABEL: func.func @div_by_scalar
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID2]], #[[$SCALAR]], #[[$ID2]]]
// CHECK:           arith.divf
func.func @div_by_scalar(%x: tensor<4x3xf32>, %y: tensor<f32>) -> tensor<4x3xf32> {
  %0 = kiln.div %x, %y : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// The binary ops' scalar bodies, float and integer: division and min/max
// are signed on integers; min/max on floats propagate NaN (maximumf).
// CHECK-LABEL: func.func @binary_bodies
// CHECK:         arith.mulf
// CHECK:         arith.maximumf
// CHECK:         arith.minimumf
// CHECK:         arith.muli
// CHECK:         arith.divsi
// CHECK:         arith.maxsi
// CHECK:         arith.minsi
func.func @binary_bodies(%f: tensor<8xf32>, %i: tensor<8xi32>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xi32>, tensor<8xi32>, tensor<8xi32>, tensor<8xi32>) {
  %0 = kiln.mul %f, %f : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %1 = kiln.max %f, %f : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %2 = kiln.min %f, %f : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %3 = kiln.mul %i, %i : tensor<8xi32>, tensor<8xi32> -> tensor<8xi32>
  %4 = kiln.div %i, %i : tensor<8xi32>, tensor<8xi32> -> tensor<8xi32>
  %5 = kiln.max %i, %i : tensor<8xi32>, tensor<8xi32> -> tensor<8xi32>
  %6 = kiln.min %i, %i : tensor<8xi32>, tensor<8xi32> -> tensor<8xi32>
  return %0, %1, %2, %3, %4, %5, %6
      : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xi32>, tensor<8xi32>, tensor<8xi32>, tensor<8xi32>
}

// Unary ops: one generic each, chained through their results.
// CHECK-LABEL: func.func @unary_chain
// CHECK-SAME:    (%[[X:.+]]: tensor<8xf32>)
// CHECK:         %[[RELU:.+]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]} ins(%[[X]] : tensor<8xf32>)
// CHECK:           %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:           arith.maximumf %{{.+}}, %[[ZERO]] : f32
// CHECK:         %[[SIG:.+]] = linalg.generic {{.+}} ins(%[[RELU]] : tensor<8xf32>)
// CHECK:           %[[NEG:.+]] = arith.negf
// CHECK:           %[[E:.+]] = math.exp %[[NEG]]
// CHECK:           %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[DEN:.+]] = arith.addf %[[ONE]], %[[E]]
// CHECK:           arith.divf %[[ONE]], %[[DEN]]
// CHECK:         %[[GELU:.+]] = linalg.generic {{.+}} ins(%[[SIG]] : tensor<8xf32>)
// CHECK:           arith.constant 0.707106769 : f32
// CHECK:           math.erf
// CHECK:         %[[T:.+]] = linalg.generic {{.+}} ins(%[[GELU]] : tensor<8xf32>)
// CHECK:           math.tanh
// CHECK:         %[[L:.+]] = linalg.generic {{.+}} ins(%[[T]] : tensor<8xf32>)
// CHECK:           math.log
// CHECK:         %[[SQ:.+]] = linalg.generic {{.+}} ins(%[[L]] : tensor<8xf32>)
// CHECK:           math.sqrt
// CHECK:         %[[RSQ:.+]] = linalg.generic {{.+}} ins(%[[SQ]] : tensor<8xf32>)
// CHECK:           math.rsqrt
// CHECK:         %[[N:.+]] = linalg.generic {{.+}} ins(%[[RSQ]] : tensor<8xf32>)
// CHECK:           arith.negf
// CHECK:         return %[[N]]
func.func @unary_chain(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = kiln.relu %x : tensor<8xf32>
  %1 = kiln.sigmoid %0 : tensor<8xf32>
  %2 = kiln.gelu %1 : tensor<8xf32>
  %3 = kiln.tanh %2 : tensor<8xf32>
  %4 = kiln.log %3 : tensor<8xf32>
  %5 = kiln.sqrt %4 : tensor<8xf32>
  %6 = kiln.rsqrt %5 : tensor<8xf32>
  %7 = kiln.neg %6 : tensor<8xf32>
  return %7 : tensor<8xf32>
}

// Integer negation is 0 - x.
// CHECK-LABEL: func.func @neg_int
// CHECK:         ^bb0(%[[IN:.+]]: i32, %{{.+}}: i32):
// CHECK-NEXT:      %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK-NEXT:      %[[R:.+]] = arith.subi %[[ZERO]], %[[IN]] : i32
// CHECK-NEXT:      linalg.yield %[[R]] : i32
func.func @neg_int(%x: tensor<8xi32>) -> tensor<8xi32> {
  %0 = kiln.neg %x : tensor<8xi32>
  return %0 : tensor<8xi32>
}

// Casts pick the arith conversion from the two element types; f16 and bf16
// have the same width and convert through f32.
// CHECK-LABEL: func.func @casts
// CHECK:         arith.sitofp %{{.+}} : i32 to f16
// CHECK:         %[[WIDE:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK-NEXT:    arith.truncf %[[WIDE]] : f32 to bf16
// CHECK:         arith.fptosi %{{.+}} : bf16 to i8
// CHECK:         arith.extsi %{{.+}} : i8 to i32
// CHECK:         arith.trunci %{{.+}} : i32 to i8
// CHECK:         arith.extf %{{.+}} : bf16 to f32
func.func @casts(%x: tensor<8xi32>)
    -> (tensor<8xf16>, tensor<8xbf16>, tensor<8xi8>, tensor<8xi32>, tensor<8xi8>, tensor<8xf32>) {
  %0 = kiln.cast %x : tensor<8xi32> -> tensor<8xf16>
  %1 = kiln.cast %0 : tensor<8xf16> -> tensor<8xbf16>
  %2 = kiln.cast %1 : tensor<8xbf16> -> tensor<8xi8>
  %3 = kiln.cast %2 : tensor<8xi8> -> tensor<8xi32>
  %4 = kiln.cast %3 : tensor<8xi32> -> tensor<8xi8>
  %5 = kiln.cast %1 : tensor<8xbf16> -> tensor<8xf32>
  return %0, %1, %2, %3, %4, %5
      : tensor<8xf16>, tensor<8xbf16>, tensor<8xi8>, tensor<8xi32>, tensor<8xi8>, tensor<8xf32>
}

// CHECK-LABEL: func.func @exp
// CHECK:         linalg.generic
// CHECK:         ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:      %[[R:.+]] = math.exp %[[IN]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
func.func @exp(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.exp %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// compare: a broadcasting generic whose body is the comparison, then the
// i1 as 0 or 1 of the operands' type. Floats compare ordered (NaN: false),
// but ne unordered (NaN: true); integers compare signed.
// CHECK-LABEL: func.func @compare_float
// CHECK-SAME:    (%[[X:.+]]: tensor<4x3xf32>, %[[Y:.+]]: tensor<3xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<4x3xf32>
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[Y]] : tensor<4x3xf32>, tensor<3xf32>)
// CHECK-SAME:      outs(%[[INIT]] : tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:      %[[C:.+]] = arith.cmpf ogt, %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[M:.+]] = arith.uitofp %[[C]] : i1 to f32
// CHECK-NEXT:      linalg.yield %[[M]] : f32
// CHECK:         arith.cmpf oeq
// CHECK:         arith.cmpf une
// CHECK:         arith.cmpf olt
// CHECK:         arith.cmpf ole
// CHECK:         arith.cmpf oge
// CHECK:         return %[[R]]
func.func @compare_float(%x: tensor<4x3xf32>, %y: tensor<3xf32>)
    -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %0 = kiln.compare %x, %y {predicate = "gt"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %1 = kiln.compare %x, %y {predicate = "eq"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %2 = kiln.compare %x, %y {predicate = "ne"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %3 = kiln.compare %x, %y {predicate = "lt"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %4 = kiln.compare %x, %y {predicate = "le"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %5 = kiln.compare %x, %y {predicate = "ge"} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  return %0, %1, %2, %3, %4, %5
      : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// CHECK-LABEL: func.func @compare_int
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$COL0]], #[[$ROW0]], #[[$ID2]]]
// CHECK:         ^bb0(%[[A:.+]]: i8, %[[B:.+]]: i8, %{{.+}}: i8):
// CHECK-NEXT:      %[[C:.+]] = arith.cmpi sge, %[[A]], %[[B]] : i8
// CHECK-NEXT:      %[[M:.+]] = arith.extui %[[C]] : i1 to i8
// CHECK-NEXT:      linalg.yield %[[M]] : i8
// CHECK:         arith.cmpi ne
// CHECK-NOT:     arith.cmpf
func.func @compare_int(%x: tensor<4x1xi8>, %y: tensor<1x3xi8>) -> (tensor<4x3xi8>, tensor<4x3xi8>) {
  %0 = kiln.compare %x, %y {predicate = "ge"} : tensor<4x1xi8>, tensor<1x3xi8> -> tensor<4x3xi8>
  %1 = kiln.compare %x, %y {predicate = "ne"} : tensor<4x1xi8>, tensor<1x3xi8> -> tensor<4x3xi8>
  return %0, %1 : tensor<4x3xi8>, tensor<4x3xi8>
}

// erf stays math.erf here; --kiln-approximate-math makes it arithmetic.
// CHECK-LABEL: func.func @erf
// CHECK:         linalg.generic
// CHECK:         ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
// CHECK-NEXT:      %[[R:.+]] = math.erf %[[IN]] : f16
// CHECK-NEXT:      linalg.yield %[[R]] : f16
func.func @erf(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %0 = kiln.erf %x : tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}
