// RUN: kiln-opt %s -split-input-file --kiln-params-to-arguments --kiln-outline-kernels | FileCheck %s

// --kiln-outline-kernels moves each op of the model function into a private
// function of its own, `@<model>_k<N>_<op>` marked `kiln.kernel`, and leaves
// the model function holding only the calls, in the order of the ops: the
// step list of an ahead-of-time artifact. Every kernel argument is marked
// `bufferization.writable = false`, since other steps may still read it.

// Each op is one kernel, called in order; parameters arrive as the model
// function's arguments (--kiln-params-to-arguments) and are passed on.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<4x3xf32> {{.*}}, %[[W:[^:]+]]: tensor<3x2xf32> {{.*}}, %[[B:[^:]+]]: tensor<2xf32> {{.*}})
// CHECK-NEXT:    %[[MM:.+]] = call @mlp_k0_matmul(%[[X]], %[[W]]) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT:    %[[ADD:.+]] = call @mlp_k1_add(%[[MM]], %[[B]]) : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT:    %[[RELU:.+]] = call @mlp_k2_relu(%[[ADD]]) : (tensor<4x2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT:    return %[[RELU]] : tensor<4x2xf32>
// CHECK-NEXT:  }
// CHECK-LABEL: func.func private @mlp_k0_matmul
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4x3xf32> {bufferization.writable = false}, %[[B:[^:]+]]: tensor<3x2xf32> {bufferization.writable = false})
// CHECK-SAME:    -> tensor<4x2xf32> attributes {kiln.kernel} {
// CHECK-NEXT:    %[[R:.+]] = kiln.matmul %[[A]], %[[B]]
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func private @mlp_k1_add
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4x2xf32> {bufferization.writable = false}, %[[B:[^:]+]]: tensor<2xf32> {bufferization.writable = false})
// CHECK-SAME:    -> tensor<4x2xf32> attributes {kiln.kernel} {
// CHECK-NEXT:    %[[R:.+]] = kiln.add %[[A]], %[[B]]
// CHECK-NEXT:    return %[[R]]
// The step's output, read by no later step, is marked so.
// CHECK-LABEL: func.func private @mlp_k2_relu
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4x2xf32> {bufferization.writable = false})
// CHECK-SAME:    -> (tensor<4x2xf32> {kiln.step_output}) attributes {kiln.kernel} {
// CHECK-NEXT:    %[[R:.+]] = kiln.relu %[[A]]
// CHECK-NEXT:    return %[[R]]
// Every output is already written by a step: no copy kernel.
// CHECK-NOT:     _copy
func.func @mlp(%x: tensor<4x3xf32> {kiln.name = "x"}) -> (tensor<4x2xf32> {kiln.name = "y"}) {
  %w = kiln.param "w" {init = "glorot_uniform"} : tensor<3x2xf32>
  %0 = kiln.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %b = kiln.param "b" {init = "zeros"} : tensor<2xf32>
  %1 = kiln.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %2 = kiln.relu %1 : tensor<4x2xf32>
  return %2 : tensor<4x2xf32>
}

// -----

// Constants are not buffers: each kernel that uses one gets a clone of it
// (one clone however often the op uses it), and the model function keeps
// none. An op that uses one value twice receives it as one argument.
// CHECK-LABEL: func.func @constants
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<4xf32> {bufferization.writable = false})
// CHECK-NOT:     kiln.constant
// CHECK:         %[[MUL:.+]] = call @constants_k0_mul(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[SQ:.+]] = call @constants_k1_mul() : () -> tensor<f32>
// CHECK-NEXT:    %[[ADD:.+]] = call @constants_k2_add(%[[MUL]], %[[SQ]]) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[SELF:.+]] = call @constants_k3_mul(%[[ADD]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    return %[[SELF]]
// CHECK-NEXT:  }
// CHECK-LABEL: func.func private @constants_k0_mul
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32> attributes {kiln.kernel} {
// CHECK-NEXT:    %[[C:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[R:.+]] = kiln.mul %[[A]], %[[C]]
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func private @constants_k1_mul
// CHECK-SAME:    () -> tensor<f32> attributes {kiln.kernel} {
// CHECK-NEXT:    %[[C:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[R:.+]] = kiln.mul %[[C]], %[[C]]
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func private @constants_k2_add
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4xf32> {bufferization.writable = false}, %[[B:[^:]+]]: tensor<f32> {bufferization.writable = false})
// CHECK-NEXT:    %[[R:.+]] = kiln.add %[[A]], %[[B]]
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func private @constants_k3_mul
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4xf32> {bufferization.writable = false}) -> (tensor<4xf32> {kiln.step_output}) attributes {kiln.kernel} {
// CHECK-NEXT:    %[[R:.+]] = kiln.mul %[[A]], %[[A]]
// CHECK-NEXT:    return %[[R]]
func.func @constants(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = kiln.constant dense<2.0> : tensor<f32>
  %0 = kiln.mul %x, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %1 = kiln.mul %c, %c : tensor<f32>, tensor<f32> -> tensor<f32>
  %2 = kiln.add %0, %1 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %3 = kiln.mul %2, %2 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %3 : tensor<4xf32>
}

// -----

// Every output buffer is written by a step of its own. An input returned as
// is, a constant, and the second (and later) return of one value each get a
// `_copy` kernel after the op kernels; the first return of a computed value
// does not.
// CHECK-LABEL: func.func @copies
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<4xf32> {bufferization.writable = false, kiln.name = "x"})
// CHECK-NOT:     kiln.constant
// CHECK:         %[[NEG:.+]] = call @copies_k0_neg(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[CX:.+]] = call @copies_k1_copy(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[CC:.+]] = call @copies_k2_copy() : () -> tensor<4xf32>
// CHECK-NEXT:    %[[CNEG:.+]] = call @copies_k3_copy(%[[NEG]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    return %[[CX]], %[[NEG]], %[[CC]], %[[CNEG]] :
// CHECK-NEXT:  }
// CHECK-LABEL: func.func private @copies_k0_neg
// CHECK-LABEL: func.func private @copies_k1_copy
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4xf32> {bufferization.writable = false}) -> (tensor<4xf32> {kiln.step_output}) attributes {kiln.kernel} {
// CHECK-NEXT:    return %[[A]]
// CHECK-LABEL: func.func private @copies_k2_copy
// CHECK-SAME:    () -> (tensor<4xf32> {kiln.step_output}) attributes {kiln.kernel} {
// CHECK-NEXT:    %[[C:.+]] = kiln.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NEXT:    return %[[C]]
// CHECK-LABEL: func.func private @copies_k3_copy
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<4xf32> {bufferization.writable = false}) -> (tensor<4xf32> {kiln.step_output}) attributes {kiln.kernel} {
// CHECK-NEXT:    return %[[A]]
// CHECK-NOT:     _copy
func.func @copies(%x: tensor<4xf32> {kiln.name = "x"})
    -> (tensor<4xf32> {kiln.name = "x_again"}, tensor<4xf32> {kiln.name = "neg"},
        tensor<4xf32> {kiln.name = "ones"}, tensor<4xf32> {kiln.name = "neg_again"}) {
  %c = kiln.constant dense<1.0> : tensor<4xf32>
  %0 = kiln.neg %x : tensor<4xf32>
  return %x, %0, %c, %0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Only the model function (the one public function) is outlined: private
// functions and declarations are left as they are, and a kernel whose name
// is taken gets a unique one.
// CHECK-LABEL: func.func private @model_k0_neg(
// CHECK-NOT:     kiln.kernel
// CHECK-NEXT:    return
// CHECK-LABEL: func.func private @declaration(tensor<4xf32>) -> tensor<4xf32>{{$}}
// CHECK-LABEL: func.func @model
// CHECK-NEXT:    %[[R:.+]] = call @[[K:model_k0_neg_[0-9]+]](%{{.+}})
// CHECK-NEXT:    return %[[R]]
// CHECK:       func.func private @[[K]](
// CHECK-SAME:    attributes {kiln.kernel}
// CHECK-NEXT:    kiln.neg
func.func private @model_k0_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @declaration(tensor<4xf32>) -> tensor<4xf32>
func.func @model(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A reshape of an argument or of a step's result stays in the model
// function: a view of that buffer, no step of its own. Returned, it is
// copied into the output by a kernel like any returned argument. A reshape
// of a constant is a kernel that writes the constant.
// CHECK-LABEL: func.func @views
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<4x2xf32>
// CHECK-NEXT:    %[[V:.+]] = kiln.reshape %[[X]] : tensor<4x2xf32> -> tensor<8xf32>
// CHECK-NEXT:    %[[N:.+]] = call @views_k0_neg(%[[V]])
// CHECK-NEXT:    %[[W:.+]] = kiln.reshape %[[N]] : tensor<8xf32> -> tensor<2x4xf32>
// CHECK-NEXT:    %[[C:.+]] = call @views_k1_reshape() : () -> tensor<2x4xf32>
// CHECK-NEXT:    %[[S:.+]] = call @views_k2_add(%[[W]], %[[C]])
// CHECK-NEXT:    %[[Y:.+]] = call @views_k3_copy(%[[W]])
// CHECK-NEXT:    return %[[S]], %[[Y]]
// CHECK-LABEL: func.func private @views_k1_reshape
// CHECK-NEXT:    kiln.constant
// CHECK-NEXT:    kiln.reshape
func.func @views(%x: tensor<4x2xf32> {kiln.name = "x"})
    -> (tensor<2x4xf32> {kiln.name = "sum"}, tensor<2x4xf32> {kiln.name = "view"}) {
  %v = kiln.reshape %x : tensor<4x2xf32> -> tensor<8xf32>
  %n = kiln.neg %v : tensor<8xf32>
  %w = kiln.reshape %n : tensor<8xf32> -> tensor<2x4xf32>
  %c = kiln.constant dense<1.0> : tensor<8xf32>
  %cw = kiln.reshape %c : tensor<8xf32> -> tensor<2x4xf32>
  %s = kiln.add %w, %cw : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %s, %w : tensor<2x4xf32>, tensor<2x4xf32>
}
