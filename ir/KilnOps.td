//===- KilnOps.td - The kiln dialect and its ops -----------*- tablegen -*-===//
//
// Tensor-level ops of static deep-learning graphs. Every value is a ranked
// tensor of static shape. Ops whose result shape follows from their operands
// infer it with the rules in Shapes.h, which the DSL applies as well.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_OPS
#define KILN_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let summary = "Static-shaped tensor graphs for ahead-of-time compilation";
  let description = [{
    The kiln dialect holds a model as a function on ranked tensors of static
    shape. Parameters are named (`kiln.param`) and their values live outside
    the IR, so that a module stays small and the same module serves
    inference and training.
  }];
  let cppNamespace = "::kiln";
  let hasConstantMaterializer = 1;
}

def Kiln_Tensor : StaticShapeTensorOf<[F32, F16, BF16, I8, I32]>;
def Kiln_FloatTensor : StaticShapeTensorOf<[F32, F16, BF16]>;
def Kiln_IndexTensor : StaticShapeTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

def Kiln_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    The op's vector-Jacobian product, used by the autodiff pass
    (--kiln-autodiff): given the gradient of a scalar loss with respect to
    each result, build (with `b`, after the op) the gradient with respect to
    each operand. Each op defines its rule in ir/Gradients.cpp under its own
    name (`AddOp::vjp`). A null result gradient stands for zero; a null
    operand gradient means zero, or an operand (an integer index) that has
    none. Ops without this interface (param, constant) are leaves.
  }];
  let methods = [
    InterfaceMethod<
      "Appends one gradient per operand to `operandGrads`.",
      "void", "vjp",
      (ins "::mlir::OpBuilder &":$b, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, !listconcat(traits, [Pure])>;

// An op with a gradient rule (GradientOpInterface::vjp).
class Kiln_DiffOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits,
                        [DeclareOpInterfaceMethods<Kiln_GradientOpInterface>])>;

// Ops whose result type is inferred from the operands and attributes.
class Kiln_InferredOp<string mnemonic, list<Trait> traits = []>
    : Kiln_DiffOp<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

def Kiln_ParamOp : Kiln_Op<"param"> {
  let summary = "A named, trainable parameter";
  let description = [{
    A parameter of the model, such as a dense layer's weights. Its value is
    supplied from outside the module, by name; `init` says how a fresh value
    is drawn (`glorot_uniform`, `uniform`, `zeros` or `ones`).

    ```mlir
    %w = kiln.param "dense0.w" {init = "glorot_uniform"} : tensor<784x128xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$init);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_ConstantOp
    : Kiln_Op<"constant", [ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor";
  let description = [{
    ```mlir
    %c = kiln.constant dense<0.125> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Kiln_CastOp : Kiln_DiffOp<"cast"> {
  let summary = "Element type conversion";
  let description = [{
    Converts each element to the result's element type: floats round to
    nearest, float to integer truncates toward zero.

    ```mlir
    %y = kiln.cast %x : tensor<4xi32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Result element i reads only the operand elements that i maps to, so the
// result may take the buffer of an operand of its own type (in place).
def Kiln_Elementwise : NativeOpTrait<"Elementwise"> {
  let cppNamespace = "::kiln::OpTrait";
}

class Kiln_BinaryOp<string mnemonic, string what, list<Trait> traits = []>
    : Kiln_InferredOp<mnemonic, !listconcat(traits, [Kiln_Elementwise])> {
  let summary = "Elementwise " # what # " with numpy broadcasting";
  let description = [{
    Shapes are aligned on the right and dims of size 1 stretch, as in numpy.

    ```mlir
    %z = kiln.}] # mnemonic # [{ %x, %y : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "addition", [Commutative]>;
def Kiln_MulOp : Kiln_BinaryOp<"mul", "multiplication", [Commutative]>;
def Kiln_MaxOp : Kiln_BinaryOp<"max", "maximum", [Commutative]>;
def Kiln_MinOp : Kiln_BinaryOp<"min", "minimum", [Commutative]>;
def Kiln_SubOp : Kiln_BinaryOp<"sub", "subtraction (lhs - rhs)">;
// Integer division truncates toward zero; x / 0 is -1 and MIN / -1 is MIN,
// as in XLA, so that no input traps.
def Kiln_DivOp : Kiln_BinaryOp<"div", "division (lhs / rhs)">;

def Kiln_CompareOp : Kiln_InferredOp<"compare", [Kiln_Elementwise]> {
  let summary = "Elementwise comparison as a 0/1 mask, with numpy broadcasting";
  let description = [{
    1 where `lhs predicate rhs` holds, else 0, in the operands' element type,
    so that a mask multiplies directly (gradients of relu, max, pooling).
    `predicate` is one of eq, ne, lt, le, gt, ge; a comparison with NaN is
    false (ne: true). Its gradient is zero.

    ```mlir
    %m = kiln.compare %x, %zero {predicate = "gt"} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs, StrAttr:$predicate);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

// The result type is the operand's; inferring it (rather than a
// same-type trait) makes a wrong declared result an error that names both.
class Kiln_UnaryOp<string mnemonic, string what>
    : Kiln_InferredOp<mnemonic, [Kiln_Elementwise]> {
  let summary = "Elementwise " # what;
  let description = [{
    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location>,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      types.push_back(adaptor.getInput().getType());
      return ::mlir::success();
    }
  }];
}

def Kiln_NegOp : Kiln_UnaryOp<"neg", "negation"> {
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
}
def Kiln_ExpOp : Kiln_UnaryOp<"exp", "natural exponential">;
def Kiln_LogOp : Kiln_UnaryOp<"log", "natural logarithm">;
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", "square root">;
def Kiln_RsqrtOp : Kiln_UnaryOp<"rsqrt", "reciprocal square root">;
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", "hyperbolic tangent">;
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", "logistic sigmoid 1 / (1 + exp(-x))">;
def Kiln_ReluOp : Kiln_UnaryOp<"relu", "rectified linear unit max(x, 0)">;
def Kiln_ErfOp : Kiln_UnaryOp<"erf", "Gauss error function">;
def Kiln_GeluOp : Kiln_UnaryOp<"gelu", "GELU, exact form x * (1 + erf(x / sqrt(2))) / 2">;

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_InferredOp<"matmul"> {
  let summary = "Matrix product, batched over leading dims";
  let description = [{
    `lhs` [..., M, K] times `rhs` [..., K, N] gives [..., M, N]; the leading
    (batch) dims broadcast as in numpy, so a [B, S, K] activation times a
    [K, N] weight gives [B, S, N].

    ```mlir
    %y = kiln.matmul %x, %w : tensor<8x784xf32>, tensor<784x128xf32> -> tensor<8x128xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Kiln_Conv2dOp : Kiln_InferredOp<"conv2d"> {
  let summary = "2-D convolution, NHWC input and HWCF filter";
  let description = [{
    Cross-correlation of `input` [N, H, W, C] with `filter` [KH, KW, C, F],
    giving [N, OH, OW, F]. `padding` is [top, bottom, left, right] of zeros.

    ```mlir
    %y = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                             dilations = array<i64: 1, 1>}
        : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                   DenseI64ArrayAttr:$dilations);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)";
}

def Kiln_MaxPool2dOp : Kiln_InferredOp<"max_pool2d"> {
  let summary = "2-D max pooling over NHWC";
  let description = [{
    The maximum over each `window` [KH, KW] of `input` [N, H, W, C]. Padded
    positions never win (they hold -inf).

    ```mlir
    %y = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                             padding = array<i64: 0, 0, 0, 0>}
        : tensor<1x8x8x16xf32> -> tensor<1x4x4x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$window,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

class Kiln_AxisOp<string mnemonic, string what> : Kiln_InferredOp<mnemonic> {
  let summary = what # " along one axis";
  let description = [{
    ```mlir
    %p = kiln.}] # mnemonic # [{ %x {axis = 1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_SoftmaxOp : Kiln_AxisOp<"softmax", "Softmax">;
def Kiln_LogSoftmaxOp : Kiln_AxisOp<"log_softmax", "Logarithm of the softmax">;

class Kiln_ReduceOp<string mnemonic, string what> : Kiln_InferredOp<mnemonic> {
  let summary = what # " over a set of axes";
  let description = [{
    Reduces `axes`; with `keep_dims` they stay as dims of size 1.

    ```mlir
    %s = kiln.}] # mnemonic # [{ %x {axes = array<i64: 1>, keep_dims = false}
        : tensor<8x10xf32> -> tensor<8xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keep_dims);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "Sum">;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "Mean"> {
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keep_dims);
  let results = (outs Kiln_FloatTensor:$result);
}
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", "Maximum">;

def Kiln_LayerNormOp : Kiln_InferredOp<"layer_norm"> {
  let summary = "Layer normalisation over the last dim";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma + beta`, with the mean and the
    (biased) variance taken over the last dim of `input`.

    ```mlir
    %y = kiln.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32}
        : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$gamma,
                   Kiln_FloatTensor:$beta, F32Attr:$epsilon);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input `,` $gamma `,` $beta attr-dict `:` type($input) "
                       "`,` type($gamma) `,` type($beta) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_DiffOp<"reshape"> {
  let summary = "Same elements in row-major order, new shape";
  let description = [{
    ```mlir
    %y = kiln.reshape %x : tensor<8x4x4xf32> -> tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_TransposeOp : Kiln_InferredOp<"transpose"> {
  let summary = "Permutation of dims";
  let description = [{
    Result dim `i` is input dim `perm[i]`.

    ```mlir
    %y = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Kiln_ConcatOp : Kiln_InferredOp<"concat"> {
  let summary = "Joins tensors along an axis";
  let description = [{
    ```mlir
    %y = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

def Kiln_SliceOp : Kiln_InferredOp<"slice"> {
  let summary = "A strided box of a tensor";
  let description = [{
    Elements `starts[i] + k * strides[i]` below `limits[i]` along each dim.

    ```mlir
    %y = kiln.slice %x {starts = array<i64: 0, 1>, limits = array<i64: 2, 3>,
                        strides = array<i64: 1, 1>} : tensor<2x4xf32> -> tensor<2x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$strides);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_PadOp : Kiln_InferredOp<"pad"> {
  let summary = "Zeros around and between the elements of a tensor";
  let description = [{
    Along dim i, `low[i]` zeros before, `high[i]` after and `interior[i]`
    between each two elements (all non-negative), as XLA's pad with zero:
    the gradient of a strided slice, and of a strided convolution's input.

    ```mlir
    %y = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>,
                      interior = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<3x7xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$low,
                   DenseI64ArrayAttr:$high, DenseI64ArrayAttr:$interior);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_PatchesOp : Kiln_InferredOp<"patches"> {
  let summary = "Each output pixel's window of an image, as one row (im2col)";
  let description = [{
    `input` [N, H, W, C] to the matrix [N OH OW, KH KW C]: element
    ((n OH + oh) OW + ow, (i KW + j) C + c) is input (n, oh SH + i DH,
    ow SW + j DW, c), for a window [KH, KW] with strides [SH, SW] and
    dilations [DH, DW]: TensorFlow's extract_image_patches without padding,
    its result as rows. A convolution's filter gradient is one matmul of the
    output gradient with it.

    ```mlir
    %y = kiln.patches %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
                          dilations = array<i64: 1, 1>}
        : tensor<1x5x5x2xf32> -> tensor<9x18xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$window,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_GatherOp : Kiln_InferredOp<"gather"> {
  let summary = "Rows of a table picked by index (embedding lookup)";
  let description = [{
    `table` [V, D...] and integer `indices` [I...] give [I..., D...]. An
    index outside [0, V) is clamped into it, as XLA does.

    ```mlir
    %e = kiln.gather %table, %ids : tensor<1000x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$table, Kiln_IndexTensor:$indices);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat =
      "$table `,` $indices attr-dict `:` type($table) `,` type($indices) `->` type($result)";
}

def Kiln_OneHotOp : Kiln_DiffOp<"one_hot"> {
  let summary = "Integer ids as one-hot rows";
  let description = [{
    `indices` [I...] give [I..., depth] of the result's element type: 1 at
    the id's position, 0 elsewhere; an id outside [0, depth) gives a row of
    zeros, as in XLA and TensorFlow. Sparse cross-entropy picks the label's
    log-probability with it, and the gradient of gather scatters with it.

    ```mlir
    %y = kiln.one_hot %labels {depth = 10 : i64} : tensor<64xi32> -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins Kiln_IndexTensor:$indices, I64Attr:$depth);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$indices attr-dict `:` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def Kiln_FusionOp : Kiln_Op<"fusion", [IsolatedFromAbove, SingleBlock]> {
  let summary = "Ops compiled together into one kernel";
  let description = [{
    A fusion region (formed by --kiln-fusion) becomes one kernel and one step
    of an artifact: values inside it never travel through memory between
    steps. The region takes its operands as block arguments and yields its
    results; constants are cloned in. Every result is computed by an op of
    the region, and each by a different one: the verifier refuses a region
    with no ops but constants, and one that yields a block argument (an
    operand passed through unchanged), a constant, or one value twice. A
    kernel computes its results chunk by chunk and would have nothing to
    compute for such a result; the user of the region uses the operand,
    the constant or the one result instead.

    `chunks` and `grid_dims` say how the kernel walks its work: a grid of
    one axis per entry of `chunks`, axis a cut into `chunks[a]` equal parts;
    along axis a, result i is cut along its dim `grid_dims[a * results + i]`
    and every value in the region along the dim that maps to it. The kernel
    computes each chunk start to end before the next (the last axis
    fastest), so that intermediates live in cache. With `chunks` [1] the
    region runs whole and `grid_dims` are not used. `kind` names the rule
    that formed the region, for reports.

    ```mlir
    %y = kiln.fusion "matmul_epilogue" (%x, %w, %b) {grid_dims = array<i64: 0>, chunks = array<i64: 4>}
        : (tensor<64x784xf32>, tensor<784x128xf32>, tensor<128xf32>)
          -> tensor<64x128xf32> {
    ^bb0(%a: tensor<64x784xf32>, %b0: tensor<784x128xf32>, %c: tensor<128xf32>):
      %m = kiln.matmul %a, %b0 : ...
      %s = kiln.add %m, %c : ...
      %r = kiln.relu %s : ...
      kiln.yield %r : tensor<64x128xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, StrAttr:$kind,
                   DenseI64ArrayAttr:$grid_dims, DenseI64ArrayAttr:$chunks);
  let results = (outs Variadic<Kiln_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $inputs `)` attr-dict `:` functional-type($inputs, $results)
    $body
  }];
  let hasVerifier = 1;
}

def Kiln_YieldOp : Kiln_Op<"yield", [HasParent<"FusionOp">, Terminator,
                                     ReturnLike]> {
  let summary = "The results of a fusion region";
  let arguments = (ins Variadic<Kiln_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // KILN_OPS
