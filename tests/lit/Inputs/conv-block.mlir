// A 3x3 convolution with bias and ReLU (used by conv-to-winograd.mlir).
func.func @conv_block(%x: tensor<2x8x8x16xf32> {kiln.name = "x"}) -> (tensor<2x6x6x32xf32> {kiln.name = "y"}) {
  %w = kiln.param "w" {init = "glorot_uniform"} : tensor<3x3x16x32xf32>
  %b = kiln.param "b" {init = "zeros"} : tensor<32xf32>
  %0 = kiln.conv2d %x, %w {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<2x8x8x16xf32>, tensor<3x3x16x32xf32> -> tensor<2x6x6x32xf32>
  %1 = kiln.add %0, %b : tensor<2x6x6x32xf32>, tensor<32xf32> -> tensor<2x6x6x32xf32>
  %2 = kiln.relu %1 : tensor<2x6x6x32xf32>
  return %2 : tensor<2x6x6x32xf32>
}
