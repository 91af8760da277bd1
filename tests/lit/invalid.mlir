// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// The verifiers and the shape inference of the kiln ops reject bad IR with a
// message that names the op and the shapes involved. An op whose result type
// is inferred reports the reason and then MLIR's generic "failed to infer
// returned types"; both are expected.

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

func.func @param_bad_init() -> tensor<3xf32> {
  // expected-error @+1 {{'kiln.param' op init must be one of glorot_uniform, uniform, zeros, ones; got "normal"}}
  %0 = kiln.param "w" {init = "normal"} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @param_empty_name() -> tensor<3xf32> {
  // expected-error @+1 {{'kiln.param' op needs a non-empty name}}
  %0 = kiln.param "" {init = "zeros"} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @param_dynamic_shape() -> tensor<?xf32> {
  // expected-error @+1 {{'kiln.param' op result #0 must be statically shaped tensor}}
  %0 = kiln.param "w" {init = "zeros"} : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @constant_f64() -> tensor<2xf64> {
  // expected-error @+1 {{'kiln.constant' op result #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer or 32-bit signless integer values, but got 'tensor<2xf64>'}}
  %0 = kiln.constant dense<1.0> : tensor<2xf64>
  return %0 : tensor<2xf64>
}

// -----

func.func @cast_shape_change(%x: tensor<4x3xf32>) -> tensor<3x4xi32> {
  // expected-error @+1 {{'kiln.cast' op changes only the element type, but the shape changes from [4, 3] to [3, 4]}}
  %0 = kiln.cast %x : tensor<4x3xf32> -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @add_broadcast_mismatch(%x: tensor<4x3xf32>, %y: tensor<4xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'kiln.add' op shapes [4, 3] and [4] do not broadcast (dim 1 of the result: 3 vs 4)}}
  // expected-error @+1 {{'kiln.add' op failed to infer returned types}}
  %0 = kiln.add %x, %y : tensor<4x3xf32>, tensor<4xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @sub_broadcast_mismatch(%x: tensor<2x5x1xi32>, %y: tensor<3x7xi32>) -> tensor<2x3x7xi32> {
  // expected-error @+2 {{'kiln.sub' op shapes [2, 5, 1] and [3, 7] do not broadcast (dim 1 of the result: 5 vs 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.sub %x, %y : tensor<2x5x1xi32>, tensor<3x7xi32> -> tensor<2x3x7xi32>
  return %0 : tensor<2x3x7xi32>
}

// -----

func.func @mul_mixed_element_types(%x: tensor<4x3xf32>, %y: tensor<3xf16>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'kiln.mul' op operands must share one element type, got tensor<4x3xf32> and tensor<3xf16>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.mul %x, %y : tensor<4x3xf32>, tensor<3xf16> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @div_wrong_result_shape(%x: tensor<4x3xf32>, %y: tensor<3xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{'kiln.div' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.div %x, %y : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @max_wrong_result_element_type(%x: tensor<4xi32>, %y: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+2 {{'kiln.max' op inferred type(s) 'tensor<4xi32>' are incompatible with return type(s) of operation 'tensor<4xi8>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max %x, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @compare_unknown_predicate(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.compare' op predicate must be one of eq, ne, lt, le, gt, ge; got 'greater'}}
  %0 = kiln.compare %x, %y {predicate = "greater"} : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @compare_broadcast_mismatch(%x: tensor<2x3xf32>, %y: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'kiln.compare' op shapes [2, 3] and [4, 3] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.compare %x, %y {predicate = "lt"} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @compare_mixed_element_types(%x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+2 {{'kiln.compare' op operands must share one element type, got tensor<4xf32> and tensor<4xi32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.compare %x, %y {predicate = "eq"} : tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @compare_boolean_result(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xi32> {
  // The mask is in the operands' element type, not a separate boolean one.
  // expected-error @+2 {{'kiln.compare' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.compare %x, %y {predicate = "eq"} : tensor<4xf32>, tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @erf_of_integers(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'kiln.erf' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4xi32>'}}
  %0 = kiln.erf %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @erf_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.erf' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.erf"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @exp_of_integers(%x: tensor<4x3xi32>) -> tensor<4x3xi32> {
  // expected-error @+1 {{'kiln.exp' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x3xi32>'}}
  %0 = kiln.exp %x : tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

func.func @relu_dynamic_shape(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'kiln.relu' op operand #0 must be statically shaped tensor}}
  %0 = kiln.relu %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

func.func @matmul_k_mismatch(%x: tensor<8x784xf32>, %w: tensor<128x784xf32>) -> tensor<8x784xf32> {
  // expected-error @+2 {{'kiln.matmul' op contraction dims differ: lhs [8, 784] has K=784, rhs [128, 784] has K=128}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %x, %w : tensor<8x784xf32>, tensor<128x784xf32> -> tensor<8x784xf32>
  return %0 : tensor<8x784xf32>
}

// -----

func.func @matmul_rank_1(%x: tensor<4xf32>, %w: tensor<4x2xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{'kiln.matmul' op operands must have rank >= 2, got [4] and [4, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %x, %w : tensor<4xf32>, tensor<4x2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_batch_mismatch(%x: tensor<2x5x6xf32>, %y: tensor<3x6x7xf32>) -> tensor<2x5x7xf32> {
  // expected-error @+2 {{'kiln.matmul' op batch dims of [2, 5, 6] and [3, 6, 7] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %x, %y : tensor<2x5x6xf32>, tensor<3x6x7xf32> -> tensor<2x5x7xf32>
  return %0 : tensor<2x5x7xf32>
}

// -----

func.func @conv_channel_mismatch(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x4x16xf32>) -> tensor<1x6x6x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op input channels 3 of [1, 8, 8, 3] differ from filter channels 4 of [3, 3, 4, 16]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x4x16xf32> -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// -----

func.func @conv_zero_stride(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x6x6x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op strides [1, 0] must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 0>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// -----

func.func @conv_three_strides(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x6x6x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op strides must have 2 entries, got [1, 1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// -----

func.func @conv_negative_padding(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x6x6x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op padding [0, -1, 0, 0] must be >= 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, -1, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x6x6x16xf32>
  return %0 : tensor<1x6x6x16xf32>
}

// -----

func.func @conv_filter_too_large(%x: tensor<1x2x2x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x1x1x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op filter [3, 3, 3, 16] is larger than the padded input [1, 2, 2, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x2x2x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x1x1x16xf32>
  return %0 : tensor<1x1x1x16xf32>
}

// -----

func.func @conv_wrong_result_shape(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32> {
  // expected-error @+2 {{'kiln.conv2d' op inferred type(s) 'tensor<1x6x6x16xf32>' are incompatible with return type(s) of operation 'tensor<1x8x8x16xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>}
      : tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32> -> tensor<1x8x8x16xf32>
  return %0 : tensor<1x8x8x16xf32>
}

// -----

func.func @pool_window_too_large(%x: tensor<1x2x2x4xf32>) -> tensor<1x1x1x4xf32> {
  // expected-error @+2 {{'kiln.max_pool2d' op window [3, 3] is larger than the padded input [1, 2, 2, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
                           padding = array<i64: 0, 0, 0, 0>}
      : tensor<1x2x2x4xf32> -> tensor<1x1x1x4xf32>
  return %0 : tensor<1x1x1x4xf32>
}

// -----

func.func @pool_padding_not_below_window(%x: tensor<1x4x4x4xf32>) -> tensor<1x3x3x4xf32> {
  // expected-error @+2 {{'kiln.max_pool2d' op padding [2, 0, 0, 0] must be smaller than the window [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                           padding = array<i64: 2, 0, 0, 0>}
      : tensor<1x4x4x4xf32> -> tensor<1x3x3x4xf32>
  return %0 : tensor<1x3x3x4xf32>
}

// -----

func.func @pool_rank_3(%x: tensor<4x4x4xf32>) -> tensor<2x2x4xf32> {
  // expected-error @+2 {{'kiln.max_pool2d' op expects input [N, H, W, C], got [4, 4, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                           padding = array<i64: 0, 0, 0, 0>}
      : tensor<4x4x4xf32> -> tensor<2x2x4xf32>
  return %0 : tensor<2x2x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

func.func @softmax_axis_out_of_range(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  // expected-error @+2 {{'kiln.softmax' op axis 2 is out of range for shape [8, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.softmax %x {axis = 2 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

func.func @log_softmax_negative_axis(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  // expected-error @+2 {{'kiln.log_softmax' op axis -1 is out of range for shape [8, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.log_softmax %x {axis = -1 : i64} : tensor<8x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

func.func @reduce_sum_repeated_axis(%x: tensor<8x10xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'kiln.reduce_sum' op axis 1 is repeated in [1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_sum %x {axes = array<i64: 1, 1>, keep_dims = false} : tensor<8x10xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @reduce_max_axis_out_of_range(%x: tensor<8x10xi32>) -> tensor<8xi32> {
  // expected-error @+2 {{'kiln.reduce_max' op axis 5 is out of range for shape [8, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_max %x {axes = array<i64: 5>, keep_dims = false} : tensor<8x10xi32> -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

func.func @reduce_mean_keep_dims_result(%x: tensor<8x10xf32>) -> tensor<8xf32> {
  // expected-error @+2 {{'kiln.reduce_mean' op inferred type(s) 'tensor<8x1xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_mean %x {axes = array<i64: 1>, keep_dims = true} : tensor<8x10xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @reduce_mean_of_integers(%x: tensor<8x10xi32>) -> tensor<8xi32> {
  // expected-error @+1 {{'kiln.reduce_mean' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<8x10xi32>'}}
  %0 = kiln.reduce_mean %x {axes = array<i64: 1>, keep_dims = false} : tensor<8x10xi32> -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

func.func @layer_norm_gamma_shape(%x: tensor<8x64xf32>, %g: tensor<8xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  // expected-error @+2 {{'kiln.layer_norm' op gamma [8] and beta [64] must both be [64] to match the last dim of [8, 64]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32}
      : tensor<8x64xf32>, tensor<8xf32>, tensor<64xf32> -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @layer_norm_mixed_element_types(%x: tensor<8x64xf32>, %g: tensor<64xbf16>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  // expected-error @+2 {{'kiln.layer_norm' op operands must share one element type, got tensor<8x64xf32> and tensor<64xbf16>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f32}
      : tensor<8x64xf32>, tensor<64xbf16>, tensor<64xf32> -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

func.func @reshape_element_count(%x: tensor<8x4x4xf32>) -> tensor<8x15xf32> {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape [8, 4, 4] (128 elements) to [8, 15] (120 elements)}}
  %0 = kiln.reshape %x : tensor<8x4x4xf32> -> tensor<8x15xf32>
  return %0 : tensor<8x15xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<8x4x4xf32>) -> tensor<8x16xf16> {
  // expected-error @+1 {{'kiln.reshape' op cannot change the element type: 'tensor<8x4x4xf32>' -> 'tensor<8x16xf16>'}}
  %0 = kiln.reshape %x : tensor<8x4x4xf32> -> tensor<8x16xf16>
  return %0 : tensor<8x16xf16>
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3x5xf32>) -> tensor<3x3x5xf32> {
  // expected-error @+2 {{'kiln.transpose' op [1, 1, 2] is not a permutation of the dims of [2, 3, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %x {perm = array<i64: 1, 1, 2>} : tensor<2x3x5xf32> -> tensor<3x3x5xf32>
  return %0 : tensor<3x3x5xf32>
}

// -----

func.func @transpose_short_permutation(%x: tensor<2x3x5xf32>) -> tensor<3x2x5xf32> {
  // expected-error @+2 {{'kiln.transpose' op permutation [1, 0] has 2 entries for shape [2, 3, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3x5xf32> -> tensor<3x2x5xf32>
  return %0 : tensor<3x2x5xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x8xf32> {
  // expected-error @+2 {{'kiln.concat' op operand 1 [3, 5] differs from operand 0 [2, 3] outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'kiln.concat' op axis 2 is out of range for shape [2, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 2 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_mixed_element_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'kiln.concat' op operands must share one element type, got tensor<2x3xf32> and tensor<2x3xi32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xi32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @slice_out_of_range(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'kiln.slice' op dim 1: slice [2, 5) step 1 does not fit a dim of size 4 in [2, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %x {starts = array<i64: 0, 2>, limits = array<i64: 2, 5>,
                      strides = array<i64: 1, 1>} : tensor<2x4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_zero_stride(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'kiln.slice' op dim 0: slice [0, 2) step 0 does not fit a dim of size 2 in [2, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %x {starts = array<i64: 0, 0>, limits = array<i64: 2, 4>,
                      strides = array<i64: 0, 1>} : tensor<2x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @slice_wrong_result(%x: tensor<5x9xf32>) -> tensor<2x2xf32> {
  // expected-error @+2 {{'kiln.slice' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %x {starts = array<i64: 1, 0>, limits = array<i64: 5, 9>,
                      strides = array<i64: 2, 3>} : tensor<5x9xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @pad_negative(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error @+2 {{'kiln.pad' op dim 1: padding must be non-negative, got low [0, 0], high [0, -1], interior [0, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %x {low = array<i64: 0, 0>, high = array<i64: 0, -1>,
                    interior = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @pad_rank_mismatch(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+2 {{'kiln.pad' op low [1], high [0, 0] and interior [0, 0] must each have one entry per dim of [2, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %x {low = array<i64: 1>, high = array<i64: 0, 0>,
                    interior = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

func.func @pad_wrong_result(%x: tensor<2x3xf32>) -> tensor<3x6xf32> {
  // Interior zeros go between elements only: 3 + 2 * 1, not 3 * 2.
  // expected-error @+2 {{'kiln.pad' op inferred type(s) 'tensor<3x5xf32>' are incompatible with return type(s) of operation 'tensor<3x6xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 0>,
                    interior = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

func.func @one_hot_zero_depth(%i: tensor<4xi32>) -> tensor<4x0xf32> {
  // expected-error @+1 {{'kiln.one_hot' op depth must be at least 1, got 0}}
  %0 = kiln.one_hot %i {depth = 0 : i64} : tensor<4xi32> -> tensor<4x0xf32>
  return %0 : tensor<4x0xf32>
}

// -----

func.func @one_hot_wrong_result(%i: tensor<4xi32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'kiln.one_hot' op result shape must be [4, 10], got [4, 3]}}
  %0 = kiln.one_hot %i {depth = 10 : i64} : tensor<4xi32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @one_hot_integer_result(%i: tensor<4xi32>) -> tensor<4x10xi32> {
  // expected-error @+1 {{'kiln.one_hot' op result #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x10xi32>'}}
  %0 = kiln.one_hot %i {depth = 10 : i64} : tensor<4xi32> -> tensor<4x10xi32>
  return %0 : tensor<4x10xi32>
}

// -----

func.func @one_hot_float_ids(%i: tensor<4xf32>) -> tensor<4x10xf32> {
  // expected-error @+1 {{'kiln.one_hot' op operand #0 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = kiln.one_hot %i {depth = 10 : i64} : tensor<4xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @gather_scalar_table(%t: tensor<f32>, %i: tensor<3xi32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.gather' op table must have rank >= 1 and at least one row, got []}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.gather %t, %i : tensor<f32>, tensor<3xi32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'kiln.gather' op operand #1 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = kiln.gather %t, %i : tensor<10x4xf32>, tensor<3xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @neg_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.neg' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.neg"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @exp_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.exp' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.exp"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @log_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.log' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.log"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @sqrt_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.sqrt' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.sqrt"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @rsqrt_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.rsqrt' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.rsqrt"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @tanh_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.tanh' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.tanh"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @sigmoid_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.sigmoid' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.sigmoid"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @relu_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.relu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.relu"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_result_shape(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'kiln.gelu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.gelu"(%x) : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @min_broadcast_mismatch(%x: tensor<2x3xf32>, %y: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'kiln.min' op shapes [2, 3] and [4, 3] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.min"(%x, %y) : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A fusion region's results are computed by its ops, each by a different
// one; an operand passed through, a constant, a value yielded twice or a
// region with nothing to compute is refused by the verifier, not in codegen.

func.func @fusion_yields_block_argument(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.fusion' op yields its block argument #0 unchanged as result #1: a region's results must be computed by its ops; use operand #0 itself where result #1 is used}}
  %0:2 = kiln.fusion "custom" (%x, %y) {grid_dims = array<i64: 0, 0>, chunks = array<i64: 2>}
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>):
    %s = kiln.add %a, %b : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    kiln.yield %s, %a : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Run whole (one chunk) as well: the rule is the op's, not the chunking's.
func.func @fusion_whole_yields_block_argument(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.fusion' op yields its block argument #0 unchanged as result #0}}
  %0:2 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0, 0>, chunks = array<i64: 1>}
      : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>):
    %r = kiln.add %a, %a : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    kiln.yield %a, %r : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func @fusion_yields_twice(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.fusion' op yields the same value as results #0 and #1: yield it once and use that result in both places}}
  %0:2 = kiln.fusion "custom" (%x, %y) {grid_dims = array<i64: 0, 0>, chunks = array<i64: 2>}
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>):
    %s = kiln.add %a, %b : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    kiln.yield %s, %s : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func @fusion_yields_constant(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.fusion' op yields a kiln.constant as result #1: a region's results must be computed by its ops; use a constant outside the region where the result is used}}
  %0:2 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0, 0>, chunks = array<i64: 2>}
      : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>):
    %c = kiln.constant dense<1.0> : tensor<4x8xf32>
    %s = kiln.add %a, %c : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    kiln.yield %s, %c : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func @fusion_no_ops(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.fusion' op has no ops to compute its results: a fusion region holds the ops of one kernel; use its operands (or constants) directly instead of the region}}
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0>, chunks = array<i64: 1>}
      : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    kiln.yield %a : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fusion_only_constants(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.fusion' op has no ops to compute its results}}
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0>, chunks = array<i64: 1>}
      : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %c = kiln.constant dense<1.0> : tensor<4x8xf32>
    kiln.yield %c : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// A grid has one chunk count per axis, at least 1 each.
func.func @fusion_zero_chunks(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.fusion' op chunks must be one count of at least 1 per grid axis, got [0]}}
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0>, chunks = array<i64: 0>}
      : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %r = kiln.relu %a : tensor<4x8xf32>
    kiln.yield %r : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// Two axes need a grid dim per result and axis.
func.func @fusion_grid_dims_per_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.fusion' op has 1 grid_dims for 1 results and 2 grid axes}}
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0>, chunks = array<i64: 2, 2>}
      : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %r = kiln.relu %a : tensor<4x8xf32>
    kiln.yield %r : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

// Two axes cutting one dim would cut it twice.
func.func @fusion_axes_share_a_dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.fusion' op cuts result type 'tensor<4x8xf32>' along dim 1 by two grid axes}}
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 1, 1>, chunks = array<i64: 2, 2>}
      : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %r = kiln.relu %a : tensor<4x8xf32>
    kiln.yield %r : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @patches_window_too_large(%x: tensor<1x2x5x3xf32>) -> tensor<3x27xf32> {
  // expected-error @+2 {{'kiln.patches' op window [3, 3] is larger than the input [1, 2, 5, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.patches %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
                        dilations = array<i64: 1, 1>} : tensor<1x2x5x3xf32> -> tensor<3x27xf32>
  return %0 : tensor<3x27xf32>
}
