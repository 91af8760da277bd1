//===- Passes.td - kiln graph passes -----------------------*- tablegen -*-===//
//
// Graph passes on the kiln dialect. One record, one file, one flag, one lit
// test: `Decompose` -> Decompose.cpp -> --kiln-decompose -> decompose.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def Decompose : Pass<"kiln-decompose", "mlir::func::FuncOp"> {
  let summary = "Expand composite ops into kiln primitives";
  let description = [{
    Rewrites softmax, log_softmax, layer_norm and reduce_mean into
    reductions and elementwise ops, so that later stages (lowering, fusion)
    see only primitives. Softmax subtracts the row maximum first, so it stays
    finite for large logits.
  }];
  let dependentDialects = ["kiln::KilnDialect"];
}

def Fusion : Pass<"kiln-fusion", "mlir::func::FuncOp"> {
  let summary = "Group ops into kiln.fusion regions, one kernel each";
  let description = [{
    Greedy producer-into-consumer grouping under the cost model of
    docs/fusion.md (FusionAnalysis.h): two groups merge when the merged
    kernel moves fewer bytes plus launches than the two apart, which needs
    a way to run it with its intermediates in cache and no op computed twice
    (a grid to chunk it along, a tree to tile, or a size that fits). Merges
    that would make a cycle between groups are skipped. Each group of two or
    more ops becomes a `kiln.fusion` op carrying its grid; a single op stays
    as it is.

    `level`: `none` forms no region; `elementwise` merges only elementwise
    ops; `full` also takes in matmul, conv2d, reductions, max_pool2d,
    transpose and reshape (epilogues, softmax and norms, attention).

    ```mlir
    %m = kiln.matmul %x, %w ...
    %y = kiln.relu %m ...
    // becomes
    %y = kiln.fusion "contraction" (%x, %w) {...} { matmul; relu; yield }
    ```
  }];
  let options = [
    Option<"level", "level", "std::string", /*default=*/"\"full\"",
           "none, elementwise or full">,
    Option<"cacheBudget", "cache-budget", "int64_t",
           /*default=*/"kiln::kCacheBudget",
           "Bytes a chunk of a fused kernel may keep live (tests make it "
           "small to cut small shapes into chunks)">
  ];
  let dependentDialects = ["kiln::KilnDialect"];
}

def Autodiff : Pass<"kiln-autodiff", "mlir::func::FuncOp"> {
  let summary = "Reverse-mode gradients of a scalar loss for every parameter";
  let description = [{
    Differentiates the model function's result named `loss` (a rank-0 float
    tensor) with respect to every `kiln.param`, in reverse mode, with the
    rule each op defines (GradientOpInterface, ir/Gradients.cpp). Every
    parameter becomes an argument after the inputs, named by the parameter
    and carrying its `kiln.init`; the function returns the loss first, then
    its other results, then one gradient per parameter, named
    `<param>.grad`, in argument order. Only values between a parameter and
    the loss get a gradient: rules for other operands (an input's, a first
    convolution's input gradient) are removed before the pass ends. A
    parameter the loss does not depend on gets a zero gradient.

    `remat` chooses between storing and recomputing activations: `none`
    keeps every forward value the gradients read alive until its last use;
    `elementwise` recomputes the elementwise ops the gradients read next to
    their use in the backward pass, so that only their operands (the
    outputs of matmuls and convolutions) stay alive, at the cost of
    computing them twice.

    ```mlir
    func.func @f(%x: tensor<4x3xf32>) -> (tensor<f32> {kiln.name = "loss"})
    // becomes
    func.func @f(%x: tensor<4x3xf32>, %w: tensor<3xf32> {kiln.name = "w"})
        -> (tensor<f32> {kiln.name = "loss"}, tensor<3xf32> {kiln.name = "w.grad"})
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"loss\"",
           "The name of the scalar result to differentiate">,
    Option<"remat", "remat", "std::string", /*default=*/"\"none\"",
           "none (store activations) or elementwise (recompute them)">
  ];
  let dependentDialects = ["kiln::KilnDialect"];
}

def Optimizer : Pass<"kiln-optimizer", "mlir::func::FuncOp"> {
  let summary = "Expand an optimizer's update into the gradient function";
  let description = [{
    Turns the function --kiln-autodiff made, (inputs, params) -> (loss,
    outputs, `<p>.grad`...), into a train step, (inputs, params, state) ->
    (loss, outputs, new params, new state): each gradient result is replaced
    by the parameter's new value, named like the parameter, and the
    optimizer's state comes in as arguments (with `kiln.init`) and goes out
    as results of the same names, so that a caller feeds each result back
    into the argument of its name on the next step. The update is plain
    elementwise kiln ops, which fusion makes one kernel per parameter.

    With g = grad + weight_decay * p (L2 decay, as PyTorch's SGD and Adam):
    - `sgd`: p -= lr g.
    - `momentum`: v = momentum v + g; p -= lr v (state `<p>.velocity`).
    - `adam`: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
      p -= lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
      (state `<p>.m`, `<p>.v`, and the scalars `adam.beta1_power`,
      `adam.beta2_power`, which hold beta^t and start at 1).
    With `lr-input` the learning rate is an input, `learning_rate`, so that
    a schedule changes it from step to step without a recompile.
  }];
  let options = [
    Option<"kind", "kind", "std::string", /*default=*/"\"sgd\"",
           "sgd, momentum or adam">,
    Option<"lr", "lr", "double", /*default=*/"0.01", "Learning rate">,
    Option<"momentum", "momentum", "double", /*default=*/"0.9",
           "Momentum (momentum)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam's beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam's beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-7",
           "Adam's epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0",
           "L2 weight decay added to the gradient">,
    Option<"lrInput", "lr-input", "bool", /*default=*/"false",
           "Take the learning rate as a rank-0 f32 input named "
           "`learning_rate` (a schedule), not the constant `lr`">
  ];
  let dependentDialects = ["kiln::KilnDialect"];
}

#endif // KILN_PASSES
