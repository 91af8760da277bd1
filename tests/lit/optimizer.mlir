// RUN: kiln-opt %s --split-input-file --kiln-optimizer="kind=sgd lr=0.5 weight-decay=0.25" --verify-diagnostics | FileCheck %s --check-prefix=SGD
// RUN: kiln-opt %s --split-input-file --kiln-optimizer="kind=momentum lr=0.5 momentum=0.75" --verify-diagnostics | FileCheck %s --check-prefix=MOMENTUM
// RUN: kiln-opt %s --split-input-file --kiln-optimizer="kind=adam lr=0.5 beta1=0.75 beta2=0.875 epsilon=0.125" --verify-diagnostics | FileCheck %s --check-prefix=ADAM
// RUN: kiln-opt %s --split-input-file --kiln-optimizer="kind=sgd lr-input=true" --verify-diagnostics | FileCheck %s --check-prefix=RATE

// The function --kiln-autodiff makes: the loss, another output, and the
// gradient of each parameter. Each gradient becomes the parameter's next
// value under the parameter's name; optimizer state comes in as arguments
// and goes out as results of the same names.

// SGD with weight decay: p - lr (g + wd p).
// SGD-LABEL: func.func @step
// SGD-SAME:    -> (tensor<f32> {kiln.name = "loss"}, tensor<4xf32> {kiln.name = "y"}, tensor<4xf32> {kiln.name = "w"})
// SGD-DAG:     %[[WD:.+]] = kiln.constant dense<2.500000e-01>
// SGD-DAG:     %[[LR:.+]] = kiln.constant dense<5.000000e-01>
// SGD:         %[[DECAY:.+]] = kiln.mul %[[W:.+]], %[[WD]]
// SGD:         %[[G:.+]] = kiln.add %[[GRAD:.+]], %[[DECAY]]
// SGD:         %[[STEP:.+]] = kiln.mul %[[G]], %[[LR]]
// SGD:         %[[NEXT:.+]] = kiln.sub %[[W]], %[[STEP]]
// SGD:         return %{{.+}}, %{{.+}}, %[[NEXT]]

// Momentum: v = 0.75 v + g; p - lr v, with v a zero-initialised state.
// MOMENTUM-LABEL: func.func @step
// MOMENTUM-SAME:    %[[V:arg[0-9]+]]: tensor<4xf32> {kiln.init = "zeros", kiln.name = "w.velocity"}
// MOMENTUM-SAME:    -> (tensor<f32> {kiln.name = "loss"}, tensor<4xf32> {kiln.name = "y"}, tensor<4xf32> {kiln.name = "w"}, tensor<4xf32> {kiln.name = "w.velocity"})
// MOMENTUM:         %[[DECAYED:.+]] = kiln.mul %[[V]], %{{.+}}
// MOMENTUM:         %[[VNEXT:.+]] = kiln.add %[[DECAYED]], %{{.+}}
// MOMENTUM:         %[[STEP:.+]] = kiln.mul %[[VNEXT]], %{{.+}}
// MOMENTUM:         %[[NEXT:.+]] = kiln.sub %{{.+}}, %[[STEP]]
// MOMENTUM:         return %{{.+}}, %{{.+}}, %[[NEXT]], %[[VNEXT]]

// Adam: beta1^t and beta2^t are scalar state starting at 1, advanced once per
// step; the moments m and v start at 0; the step is lr m^ / (sqrt(v^) + eps),
// computed as PyTorch does: lr / (1 - beta1^t) times m / (sqrt(v) /
// sqrt(1 - beta2^t) + eps), the corrections scalars of the step.
// ADAM-LABEL: func.func @step
// ADAM-SAME:    %[[B1P:arg[0-9]+]]: tensor<f32> {kiln.init = "ones", kiln.name = "adam.beta1_power"}, %[[B2P:arg[0-9]+]]: tensor<f32> {kiln.init = "ones", kiln.name = "adam.beta2_power"}
// ADAM-SAME:    %[[M:arg[0-9]+]]: tensor<4xf32> {kiln.init = "zeros", kiln.name = "w.m"}, %[[V:arg[0-9]+]]: tensor<4xf32> {kiln.init = "zeros", kiln.name = "w.v"}
// ADAM-SAME:    -> (tensor<f32> {kiln.name = "loss"}, tensor<4xf32> {kiln.name = "y"}, tensor<4xf32> {kiln.name = "w"}, tensor<4xf32> {kiln.name = "w.m"}, tensor<4xf32> {kiln.name = "w.v"}, tensor<f32> {kiln.name = "adam.beta1_power"}, tensor<f32> {kiln.name = "adam.beta2_power"})
// ADAM:         %[[B1PN:.+]] = kiln.mul %[[B1P]], %{{.+}} : tensor<f32>, tensor<f32> -> tensor<f32>
// ADAM:         %[[B2PN:.+]] = kiln.mul %[[B2P]], %{{.+}} : tensor<f32>, tensor<f32> -> tensor<f32>
// ADAM:         %[[C1:.+]] = kiln.sub %{{.+}}, %[[B1PN]]
// ADAM:         %[[ADAMLR:.+]] = kiln.div %{{.+}}, %[[C1]] : tensor<f32>
// ADAM:         %[[C2:.+]] = kiln.sub %{{.+}}, %[[B2PN]]
// ADAM:         %[[ROOTC2:.+]] = kiln.sqrt %[[C2]]
// ADAM:         %[[INV:.+]] = kiln.div %{{.+}}, %[[ROOTC2]] : tensor<f32>
// ADAM:         %[[MN:.+]] = kiln.add
// ADAM:         %[[VN:.+]] = kiln.add
// ADAM:         %[[ROOT:.+]] = kiln.sqrt %[[VN]]
// ADAM:         %[[VHAT:.+]] = kiln.mul %[[ROOT]], %[[INV]]
// ADAM:         %[[DEN:.+]] = kiln.add %[[VHAT]], %{{.+}}
// ADAM:         %[[STEP:.+]] = kiln.div %[[MN]], %[[DEN]]
// ADAM:         %[[SCALED:.+]] = kiln.mul %[[STEP]], %[[ADAMLR]]
// ADAM:         %[[NEXT:.+]] = kiln.sub %{{.+}}, %[[SCALED]]
// ADAM:         return %{{.+}}, %{{.+}}, %[[NEXT]], %[[MN]], %[[VN]], %[[B1PN]], %[[B2PN]]

// lr-input: the learning rate is an input.
// RATE-LABEL: func.func @step
// RATE-SAME:    %[[LR:arg[0-9]+]]: tensor<f32> {kiln.name = "learning_rate"}
// RATE:         kiln.mul %{{.+}}, %[[LR]]
func.func @step(%x: tensor<4xf32> {kiln.name = "x"}, %w: tensor<4xf32> {kiln.name = "w"})
    -> (tensor<f32> {kiln.name = "loss"}, tensor<4xf32> {kiln.name = "y"}, tensor<4xf32> {kiln.name = "w.grad"}) {
  %y = kiln.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  return %l, %y, %x : tensor<f32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-error @below {{gradient 'v.grad' has no argument 'v' of type 'tensor<4xf32>' to update}}
func.func @orphan(%x: tensor<4xf32> {kiln.name = "x"}) -> (tensor<4xf32> {kiln.name = "v.grad"}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @below {{has no '<param>.grad' result to update (run --kiln-autodiff first)}}
func.func @no_gradients(%x: tensor<4xf32> {kiln.name = "x"}) -> (tensor<4xf32> {kiln.name = "y"}) {
  return %x : tensor<4xf32>
}
