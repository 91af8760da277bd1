// RUN: kiln-opt %s --kiln-params-to-arguments | FileCheck %s

// --kiln-params-to-arguments appends one argument per distinct parameter
// name, after the inputs and in order of first use, tagged with the name in
// `kiln.param`; every argument, inputs included, is marked
// `bufferization.writable = false`.

// "dense.w" is used twice and becomes one argument; "dense.b" comes second
// because it is first used second.
// CHECK-LABEL: func.func @dense
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<8x4xf32> {bufferization.writable = false, kiln.name = "x"},
// CHECK-SAME:     %[[W:[^:]+]]: tensor<4x2xf32> {bufferization.writable = false, kiln.param = "dense.w"},
// CHECK-SAME:     %[[B:[^:]+]]: tensor<2xf32> {bufferization.writable = false, kiln.param = "dense.b"})
// CHECK-SAME:    -> tensor<8x2xf32>
// CHECK-NOT:     kiln.param
// CHECK:         %[[MM0:.+]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT:    %[[ADD0:.+]] = kiln.add %[[MM0]], %[[B]]
// CHECK-NEXT:    %[[MM1:.+]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT:    %[[ADD1:.+]] = kiln.add %[[ADD0]], %[[MM1]]
// CHECK-NEXT:    return %[[ADD1]]
func.func @dense(%x: tensor<8x4xf32> {kiln.name = "x"}) -> tensor<8x2xf32> {
  %w = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x2xf32>
  %0 = kiln.matmul %x, %w : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  %b = kiln.param "dense.b" {init = "zeros"} : tensor<2xf32>
  %1 = kiln.add %0, %b : tensor<8x2xf32>, tensor<2xf32> -> tensor<8x2xf32>
  %w2 = kiln.param "dense.w" {init = "glorot_uniform"} : tensor<4x2xf32>
  %2 = kiln.matmul %x, %w2 : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  %3 = kiln.add %1, %2 : tensor<8x2xf32>, tensor<8x2xf32> -> tensor<8x2xf32>
  return %3 : tensor<8x2xf32>
}

// Without parameters the signature keeps its arguments; only the writable
// attributes are added.
// CHECK-LABEL: func.func @no_params
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<3xf32> {bufferization.writable = false},
// CHECK-SAME:     %[[Y:[^:]+]]: tensor<3xf32> {bufferization.writable = false})
// CHECK-SAME:    -> tensor<3xf32> {
// CHECK-NEXT:    %[[S:.+]] = kiln.add %[[X]], %[[Y]]
// CHECK-NEXT:    return %[[S]]
func.func @no_params(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = kiln.add %x, %y : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// A declaration has no body to take parameters from and is left alone.
// CHECK-LABEL: func.func private @declaration
// CHECK-SAME:    (tensor<3xf32>) -> tensor<3xf32>{{$}}
func.func private @declaration(tensor<3xf32>) -> tensor<3xf32>
