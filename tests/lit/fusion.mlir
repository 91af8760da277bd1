// RUN: kiln-opt %s --kiln-fusion=level=full --split-input-file | FileCheck %s --check-prefix=FULL
// RUN: kiln-opt %s --kiln-fusion=level=elementwise --split-input-file | FileCheck %s --check-prefix=ELT
// RUN: kiln-opt %s --kiln-fusion=level=none --split-input-file | FileCheck %s --check-prefix=NONE
// RUN: not kiln-opt %s --kiln-fusion=level=some --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: level must be none, elementwise or full, got 'some'

// An elementwise chain is one region at both levels; none forms no region.
// FULL-LABEL: func.func @chain
// FULL:         kiln.fusion "elementwise"(%arg0, %arg1)
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.add
// FULL-NEXT:      kiln.relu
// FULL-NEXT:      kiln.neg
// FULL-NEXT:      kiln.yield
// ELT-LABEL: func.func @chain
// ELT:         kiln.fusion "elementwise"
// NONE-LABEL: func.func @chain
// NONE-NOT:    kiln.fusion
func.func @chain(%x: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<8x16xf32> {
  %0 = kiln.add %x, %b : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %1 = kiln.relu %0 : tensor<8x16xf32>
  %2 = kiln.neg %1 : tensor<8x16xf32>
  return %2 : tensor<8x16xf32>
}

// -----

// Bias and activation join a matmul's epilogue at full only; elementwise
// fuses them with each other and leaves the matmul alone.
// FULL-LABEL: func.func @epilogue
// FULL:         kiln.fusion "contraction"
// FULL:           kiln.matmul
// FULL-NEXT:      kiln.add
// FULL-NEXT:      kiln.relu
// ELT-LABEL: func.func @epilogue
// ELT:         kiln.matmul
// ELT-NEXT:    kiln.fusion "elementwise"
func.func @epilogue(%x: tensor<64x256xf32>, %w: tensor<256x128xf32>, %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %0 = kiln.matmul %x, %w : tensor<64x256xf32>, tensor<256x128xf32> -> tensor<64x128xf32>
  %1 = kiln.add %0, %b : tensor<64x128xf32>, tensor<128xf32> -> tensor<64x128xf32>
  %2 = kiln.relu %1 : tensor<64x128xf32>
  return %2 : tensor<64x128xf32>
}

// -----

// A softmax (decomposed) is one region cut along its rows, 512 KiB of
// buffered values per chunk at most: x, exp(x - max) (two users) and the
// result are 16 MiB each (4096x1024 f32), the sub is computed inside the
// exp's loop; 48 MiB / 512 KiB rounds up to 128 chunks of 32 rows.
// FULL-LABEL: func.func @softmax
// FULL:         kiln.fusion "reduction"(%arg0) {chunks = array<i64: 128>, grid_dims = array<i64: 0>}
// FULL-COUNT-5:   kiln.{{reduce_max|sub|exp|reduce_sum|div}}
// FULL-NEXT:      kiln.yield
func.func @softmax(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = true} : tensor<4096x1024xf32> -> tensor<4096x1xf32>
  %d = kiln.sub %x, %m : tensor<4096x1024xf32>, tensor<4096x1xf32> -> tensor<4096x1024xf32>
  %e = kiln.exp %d : tensor<4096x1024xf32>
  %s = kiln.reduce_sum %e {axes = array<i64: 1>, keep_dims = true} : tensor<4096x1024xf32> -> tensor<4096x1xf32>
  %y = kiln.div %e, %s : tensor<4096x1024xf32>, tensor<4096x1xf32> -> tensor<4096x1024xf32>
  return %y : tensor<4096x1024xf32>
}

// -----

// Attention, QK^T, scale, softmax and .V, is one region cut along the query
// rows (dim 2): each chunk holds a [1, 4, 512/chunks, 256] block of the
// scores (two blocks of keys per row, --kiln-online-softmax), never all of
// them.
// FULL-LABEL: func.func @attention
// FULL:         kiln.fusion "contraction_reduction"(%arg0, %arg1, %arg2) {chunks = array<i64: {{[0-9]+}}>, grid_dims = array<i64: 2>}
// FULL:           kiln.matmul
// FULL:           kiln.matmul
// FULL-NEXT:      kiln.yield
func.func @attention(%q: tensor<1x4x512x64xf32>, %kt: tensor<1x4x64x512xf32>, %v: tensor<1x4x512x64xf32>) -> tensor<1x4x512x64xf32> {
  %c = kiln.constant dense<0.125> : tensor<f32>
  %s0 = kiln.matmul %q, %kt : tensor<1x4x512x64xf32>, tensor<1x4x64x512xf32> -> tensor<1x4x512x512xf32>
  %s = kiln.mul %s0, %c : tensor<1x4x512x512xf32>, tensor<f32> -> tensor<1x4x512x512xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 3>, keep_dims = true} : tensor<1x4x512x512xf32> -> tensor<1x4x512x1xf32>
  %d = kiln.sub %s, %m : tensor<1x4x512x512xf32>, tensor<1x4x512x1xf32> -> tensor<1x4x512x512xf32>
  %e = kiln.exp %d : tensor<1x4x512x512xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 3>, keep_dims = true} : tensor<1x4x512x512xf32> -> tensor<1x4x512x1xf32>
  %p = kiln.div %e, %z : tensor<1x4x512x512xf32>, tensor<1x4x512x1xf32> -> tensor<1x4x512x512xf32>
  %o = kiln.matmul %p, %v : tensor<1x4x512x512xf32>, tensor<1x4x512x64xf32> -> tensor<1x4x512x64xf32>
  return %o : tensor<1x4x512x64xf32>
}

// -----

// What must not fuse: a matmul that reads a large intermediate whole (here
// the relu feeds both operands, so any cut needs all of it in every chunk)
// would recompute it per chunk, and a gather has no fusion rule. A cut
// along the rhs columns alone is fine (the relu of the weights is computed
// column chunk by column chunk, 128 columns at least) while the lhs, read
// whole by every chunk, stays in cache (64 KiB here; 2 MiB would be read
// again per chunk, and the merge would not pay).
// FULL-LABEL: func.func @needs_whole
// FULL:         %[[R:.+]] = kiln.relu
// FULL-NEXT:    kiln.matmul %[[R]], %[[R]]
// FULL-NEXT:    kiln.gather
// FULL-NEXT:    kiln.fusion "contraction"(%arg4, %arg0) {chunks = array<i64: {{[0-9]+}}>, grid_dims = array<i64: 1>}
func.func @needs_whole(%x: tensor<64x256xf32>, %w: tensor<1024x1024xf32>, %t: tensor<10x4xf32>, %i: tensor<3xi32>, %w2: tensor<256x1024xf32>) -> (tensor<1024x1024xf32>, tensor<3x4xf32>, tensor<64x1024xf32>) {
  %r = kiln.relu %w : tensor<1024x1024xf32>
  %m = kiln.matmul %r, %r : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
  %g = kiln.gather %t, %i : tensor<10x4xf32>, tensor<3xi32> -> tensor<3x4xf32>
  %r2 = kiln.relu %w2 : tensor<256x1024xf32>
  %m2 = kiln.matmul %x, %r2 : tensor<64x256xf32>, tensor<256x1024xf32> -> tensor<64x1024xf32>
  return %m, %g, %m2 : tensor<1024x1024xf32>, tensor<3x4xf32>, tensor<64x1024xf32>
}

// -----

// A conv's bias, relu and 2x2 pool join it, cut along the pooled rows
// (dim 1) and columns (dim 2): each chunk of pooled rows needs twice as
// many conv rows, and those two more input rows (the 3x3 window's halo),
// which overlap the next chunk's: only the kernel's input is read twice,
// nothing is computed twice. 4x4 chunks of 16x16 pooled pixels read 34x34
// input pixels each (1.09x the input); 16 chunks of 4 pooled rows alone
// would read 10 of 130 rows each (1.23x). A padded conv cannot be
// cut along its rows or columns this way.
// FULL-LABEL: func.func @conv_pool
// FULL:         kiln.fusion "contraction_reduction"(%arg0, %arg1, %arg2) {chunks = array<i64: 4, 4>, grid_dims = array<i64: 1, 2>}
// FULL:           kiln.conv2d
// FULL-NEXT:      kiln.add
// FULL-NEXT:      kiln.relu
// FULL-NEXT:      kiln.max_pool2d
// FULL-NEXT:      kiln.yield
func.func @conv_pool(%x: tensor<1x130x130x16xf32>, %f: tensor<3x3x16x32xf32>, %b: tensor<32xf32>) -> tensor<1x64x64x32xf32> {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x130x130x16xf32>, tensor<3x3x16x32xf32> -> tensor<1x128x128x32xf32>
  %a = kiln.add %c, %b : tensor<1x128x128x32xf32>, tensor<32xf32> -> tensor<1x128x128x32xf32>
  %r = kiln.relu %a : tensor<1x128x128x32xf32>
  %p = kiln.max_pool2d %r {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x128x128x32xf32> -> tensor<1x64x64x32xf32>
  return %p : tensor<1x64x64x32xf32>
}

// -----

// A batch of 8 images whose conv output (8 x 2.8 MiB) fits no cut along
// one dim: not images (2.8 MiB each), not the 74 pooled rows (37 chunks of
// two rows still hold 1.4 MiB). A grid of two axes, images by pooled rows,
// runs 4 x 37 chunks of 2 images and 2 pooled rows.
// FULL-LABEL: func.func @images_rows
// FULL:         kiln.fusion "contraction_reduction"(%arg0, %arg1, %arg2) {chunks = array<i64: 4, 37>, grid_dims = array<i64: 0, 1>}
// FULL:           kiln.max_pool2d
// FULL-NEXT:      kiln.yield
func.func @images_rows(%x: tensor<8x150x150x3xf32>, %f: tensor<3x3x3x32xf32>, %b: tensor<32xf32>) -> tensor<8x74x74x32xf32> {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<8x150x150x3xf32>, tensor<3x3x3x32xf32> -> tensor<8x148x148x32xf32>
  %a = kiln.add %c, %b : tensor<8x148x148x32xf32>, tensor<32xf32> -> tensor<8x148x148x32xf32>
  %r = kiln.relu %a : tensor<8x148x148x32xf32>
  %p = kiln.max_pool2d %r {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<8x148x148x32xf32> -> tensor<8x74x74x32xf32>
  return %p : tensor<8x74x74x32xf32>
}

// -----

// Multi-head attention over 8192 tokens, 4 heads of 64, from the
// projections [1, 8192, 256] to the merged heads: the scores would be
// 1 GiB. QK^T, softmax and .V form one group from the start (codegen runs
// them over blocks of 256 keys with an online softmax, so a chunk holds
// [64 rows, 256 keys] of scores), cut by query rows and heads; the
// transpose of the head merge joins it, its reshape cannot (a chunk of
// heads is not a chunk of merged columns).
// FULL-LABEL: func.func @long_attention
// FULL:         kiln.fusion "contraction_reduction"({{.*}}) {chunks = array<i64: {{[0-9]+}}, 4>, grid_dims = array<i64: 1, 2>}
// FULL:           kiln.matmul {{.*}} -> tensor<1x4x8192x8192xf32>
// FULL:           kiln.matmul {{.*}} -> tensor<1x4x8192x64xf32>
// FULL-NEXT:      kiln.transpose
// FULL-NEXT:      kiln.yield
// FULL-NOT:     tensor<1x4x8192x8192xf32>
// FULL:         return
func.func @long_attention(%q: tensor<1x8192x256xf32>, %k: tensor<1x8192x256xf32>, %v: tensor<1x8192x256xf32>) -> tensor<1x8192x256xf32> {
  %c = kiln.constant dense<0.125> : tensor<f32>
  %q4 = kiln.reshape %q : tensor<1x8192x256xf32> -> tensor<1x8192x4x64xf32>
  %qh = kiln.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x8192x4x64xf32> -> tensor<1x4x8192x64xf32>
  %k4 = kiln.reshape %k : tensor<1x8192x256xf32> -> tensor<1x8192x4x64xf32>
  %kt = kiln.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8192x4x64xf32> -> tensor<1x4x64x8192xf32>
  %v4 = kiln.reshape %v : tensor<1x8192x256xf32> -> tensor<1x8192x4x64xf32>
  %vh = kiln.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x8192x4x64xf32> -> tensor<1x4x8192x64xf32>
  %s0 = kiln.matmul %qh, %kt : tensor<1x4x8192x64xf32>, tensor<1x4x64x8192xf32> -> tensor<1x4x8192x8192xf32>
  %s = kiln.mul %s0, %c : tensor<1x4x8192x8192xf32>, tensor<f32> -> tensor<1x4x8192x8192xf32>
  %m = kiln.reduce_max %s {axes = array<i64: 3>, keep_dims = true} : tensor<1x4x8192x8192xf32> -> tensor<1x4x8192x1xf32>
  %d = kiln.sub %s, %m : tensor<1x4x8192x8192xf32>, tensor<1x4x8192x1xf32> -> tensor<1x4x8192x8192xf32>
  %e = kiln.exp %d : tensor<1x4x8192x8192xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 3>, keep_dims = true} : tensor<1x4x8192x8192xf32> -> tensor<1x4x8192x1xf32>
  %p = kiln.div %e, %z : tensor<1x4x8192x8192xf32>, tensor<1x4x8192x1xf32> -> tensor<1x4x8192x8192xf32>
  %o = kiln.matmul %p, %vh : tensor<1x4x8192x8192xf32>, tensor<1x4x8192x64xf32> -> tensor<1x4x8192x64xf32>
  %om = kiln.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x8192x64xf32> -> tensor<1x8192x4x64xf32>
  %y = kiln.reshape %om : tensor<1x8192x4x64xf32> -> tensor<1x8192x256xf32>
  return %y : tensor<1x8192x256xf32>
}

// -----

// cnn's second block: cut along pooled rows and columns, a chunk's conv
// columns are whole register tiles (multiples of 8): 3 x 3 chunks of 12 x
// 12 pooled pixels (24 conv columns), not the 2 x 4 chunks of 18 x 9
// pooled pixels (18 conv columns) that would read a little less input.
// FULL-LABEL: func.func @conv_columns_whole_tiles
// FULL:         kiln.fusion "contraction_reduction"(%arg0, %arg1, %arg2) {chunks = array<i64: 3, 3>, grid_dims = array<i64: 1, 2>}
func.func @conv_columns_whole_tiles(%x: tensor<1x74x74x32xf32>, %f: tensor<3x3x32x64xf32>, %b: tensor<64xf32>) -> tensor<1x36x36x64xf32> {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x74x74x32xf32>, tensor<3x3x32x64xf32> -> tensor<1x72x72x64xf32>
  %a = kiln.add %c, %b : tensor<1x72x72x64xf32>, tensor<64xf32> -> tensor<1x72x72x64xf32>
  %r = kiln.relu %a : tensor<1x72x72x64xf32>
  %p = kiln.max_pool2d %r {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x72x72x64xf32> -> tensor<1x36x36x64xf32>
  return %p : tensor<1x36x36x64xf32>
}

// -----

// cnn's second convolution in the training step (its ReLU and the mask the
// backward pass reads): a chunk holds whole rows of Winograd's 2 x 2 tiles,
// 8 output rows, not the 9 of 8 chunks per image that read a little less
// input (--kiln-conv-to-winograd would compute the 9th row directly).
// FULL-LABEL: func.func @winograd_rows
// FULL:         kiln.fusion "contraction"(%arg0, %arg1, %arg2) {chunks = array<i64: 8, 9>, grid_dims = array<i64: 0, 0, 1, 1>}
func.func @winograd_rows(%x: tensor<8x74x74x32xf32>, %f: tensor<3x3x32x64xf32>, %b: tensor<64xf32>) -> (tensor<8x72x72x64xf32>, tensor<8x72x72x64xi8>) {
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<8x74x74x32xf32>, tensor<3x3x32x64xf32> -> tensor<8x72x72x64xf32>
  %a = kiln.add %c, %b : tensor<8x72x72x64xf32>, tensor<64xf32> -> tensor<8x72x72x64xf32>
  %r = kiln.relu %a : tensor<8x72x72x64xf32>
  %m = kiln.compare %a, %zero {predicate = "gt"} : tensor<8x72x72x64xf32>, tensor<f32> -> tensor<8x72x72x64xf32>
  %m8 = kiln.cast %m : tensor<8x72x72x64xf32> -> tensor<8x72x72x64xi8>
  return %r, %m8 : tensor<8x72x72x64xf32>, tensor<8x72x72x64xi8>
}

// -----

// A layer norm (decomposed: mean, x - mean, variance, rsqrt, scale and
// shift) is one kernel cut along its rows.
// FULL-LABEL: func.func @layer_norm_rule
// FULL:         kiln.fusion "reduction"(%arg0, %arg1, %arg2) {chunks = array<i64: {{[0-9]+}}>, grid_dims = array<i64: 0>}
// FULL-COUNT-11:  kiln.{{reduce_sum|div|sub|mul|add|rsqrt}}
// FULL-NEXT:      kiln.yield
// At the elementwise level the reductions stay kernels of their own.
// ELT-LABEL: func.func @layer_norm_rule
// ELT:         kiln.reduce_sum %arg0
func.func @layer_norm_rule(%x: tensor<2048x512xf32>, %g: tensor<512xf32>, %b: tensor<512xf32>) -> tensor<2048x512xf32> {
  %n = kiln.constant dense<512.0> : tensor<f32>
  %eps = kiln.constant dense<1.0e-5> : tensor<f32>
  %s = kiln.reduce_sum %x {axes = array<i64: 1>, keep_dims = true} : tensor<2048x512xf32> -> tensor<2048x1xf32>
  %mean = kiln.div %s, %n : tensor<2048x1xf32>, tensor<f32> -> tensor<2048x1xf32>
  %d = kiln.sub %x, %mean : tensor<2048x512xf32>, tensor<2048x1xf32> -> tensor<2048x512xf32>
  %d2 = kiln.mul %d, %d : tensor<2048x512xf32>, tensor<2048x512xf32> -> tensor<2048x512xf32>
  %vs = kiln.reduce_sum %d2 {axes = array<i64: 1>, keep_dims = true} : tensor<2048x512xf32> -> tensor<2048x1xf32>
  %var = kiln.div %vs, %n : tensor<2048x1xf32>, tensor<f32> -> tensor<2048x1xf32>
  %ve = kiln.add %var, %eps : tensor<2048x1xf32>, tensor<f32> -> tensor<2048x1xf32>
  %inv = kiln.rsqrt %ve : tensor<2048x1xf32>
  %y0 = kiln.mul %d, %inv : tensor<2048x512xf32>, tensor<2048x1xf32> -> tensor<2048x512xf32>
  %y1 = kiln.mul %y0, %g : tensor<2048x512xf32>, tensor<512xf32> -> tensor<2048x512xf32>
  %y = kiln.add %y1, %b : tensor<2048x512xf32>, tensor<512xf32> -> tensor<2048x512xf32>
  return %y : tensor<2048x512xf32>
}

// -----

// log_softmax and the cross-entropy against the labels, down to one loss
// per row, are one kernel: the [4096, 1000] log-probabilities never
// leave it.
// FULL-LABEL: func.func @softmax_cross_entropy
// FULL:         kiln.fusion "reduction"(%arg0, %arg1) {chunks = array<i64: {{[0-9]+}}>, grid_dims = array<i64: 0>}
// FULL-COUNT-9:   kiln.{{reduce_max|sub|exp|reduce_sum|log|mul|neg}}
// FULL-NEXT:      kiln.yield {{.*}} : tensor<4096xf32>
// FULL-NOT:     kiln.
// FULL:         return
func.func @softmax_cross_entropy(%logits: tensor<4096x1000xf32>, %labels: tensor<4096x1000xf32>) -> tensor<4096xf32> {
  %m = kiln.reduce_max %logits {axes = array<i64: 1>, keep_dims = true} : tensor<4096x1000xf32> -> tensor<4096x1xf32>
  %d = kiln.sub %logits, %m : tensor<4096x1000xf32>, tensor<4096x1xf32> -> tensor<4096x1000xf32>
  %e = kiln.exp %d : tensor<4096x1000xf32>
  %z = kiln.reduce_sum %e {axes = array<i64: 1>, keep_dims = true} : tensor<4096x1000xf32> -> tensor<4096x1xf32>
  %lz = kiln.log %z : tensor<4096x1xf32>
  %ls = kiln.sub %d, %lz : tensor<4096x1000xf32>, tensor<4096x1xf32> -> tensor<4096x1000xf32>
  %t = kiln.mul %labels, %ls : tensor<4096x1000xf32>, tensor<4096x1000xf32> -> tensor<4096x1000xf32>
  %s = kiln.reduce_sum %t {axes = array<i64: 1>, keep_dims = false} : tensor<4096x1000xf32> -> tensor<4096xf32>
  %ce = kiln.neg %s : tensor<4096xf32>
  return %ce : tensor<4096xf32>
}

// -----

// Bias, scaling and the residual add are the matmul's epilogue, cut by
// rows and columns (the residual x is read in the matmul's rows).
// FULL-LABEL: func.func @residual_scale_epilogue
// FULL:         kiln.fusion "contraction"(%arg0, %arg1, %arg2) {chunks = array<i64: {{[0-9]+}}, {{[0-9]+}}>, grid_dims = array<i64: 0, 1>}
// FULL:           kiln.matmul
// FULL-NEXT:      kiln.add
// FULL-NEXT:      kiln.mul
// FULL-NEXT:      kiln.add
// FULL-NEXT:      kiln.yield
func.func @residual_scale_epilogue(%x: tensor<256x512xf32>, %w: tensor<512x512xf32>, %b: tensor<512xf32>) -> tensor<256x512xf32> {
  %c = kiln.constant dense<0.5> : tensor<f32>
  %m = kiln.matmul %x, %w : tensor<256x512xf32>, tensor<512x512xf32> -> tensor<256x512xf32>
  %a = kiln.add %m, %b : tensor<256x512xf32>, tensor<512xf32> -> tensor<256x512xf32>
  %s = kiln.mul %a, %c : tensor<256x512xf32>, tensor<f32> -> tensor<256x512xf32>
  %r = kiln.add %s, %x : tensor<256x512xf32>, tensor<256x512xf32> -> tensor<256x512xf32>
  return %r : tensor<256x512xf32>
}

// -----

// A padded conv cannot be cut along its rows or columns (a chunk at the
// border would need its own padding), nor would a chunk of images fit:
// it stays alone, and its bias, relu and pool fuse without it.
// FULL-LABEL: func.func @padded_conv
// FULL:         %[[C:.+]] = kiln.conv2d
// FULL-NEXT:    kiln.fusion "reduction"(%[[C]], %arg2)
func.func @padded_conv(%x: tensor<1x128x128x16xf32>, %f: tensor<3x3x16x32xf32>, %b: tensor<32xf32>) -> tensor<1x64x64x32xf32> {
  %c = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x128x128x16xf32>, tensor<3x3x16x32xf32> -> tensor<1x128x128x32xf32>
  %a = kiln.add %c, %b : tensor<1x128x128x32xf32>, tensor<32xf32> -> tensor<1x128x128x32xf32>
  %r = kiln.relu %a : tensor<1x128x128x32xf32>
  %p = kiln.max_pool2d %r {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x128x128x32xf32> -> tensor<1x64x64x32xf32>
  return %p : tensor<1x64x64x32xf32>
}

// -----

// No region may make a cycle: exp and its sum fuse, but the add cannot
// join them, since it also reads the exp through the gather, which stays
// outside (the region would both feed and wait for the gather).
// FULL-LABEL: func.func @no_cycle
// FULL:         %[[R:.+]]:2 = kiln.fusion "reduction"(%arg0)
// FULL:           kiln.exp
// FULL-NEXT:      kiln.reduce_sum
// FULL-NEXT:      kiln.yield
// FULL:         %[[G:.+]] = kiln.gather %[[R]]#0
// FULL-NEXT:    kiln.add %[[G]], %[[R]]#1
func.func @no_cycle(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<3x4xf32> {
  %r = kiln.exp %t : tensor<10x4xf32>
  %s = kiln.reduce_sum %r {axes = array<i64: 0>, keep_dims = true} : tensor<10x4xf32> -> tensor<1x4xf32>
  %g = kiln.gather %r, %i : tensor<10x4xf32>, tensor<3xi32> -> tensor<3x4xf32>
  %y = kiln.add %g, %s : tensor<3x4xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// compare and erf are elementwise ops like any other: a mask times erf is
// one region at both levels.
// FULL-LABEL: func.func @mask_erf
// FULL:         kiln.fusion "elementwise"(%arg0, %arg1)
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.compare
// FULL-NEXT:      kiln.erf
// FULL-NEXT:      kiln.mul
// FULL-NEXT:      kiln.yield
// ELT-LABEL: func.func @mask_erf
// ELT:         kiln.fusion "elementwise"
// ELT-NEXT:    ^bb0
// ELT-NEXT:      kiln.compare
// NONE-LABEL: func.func @mask_erf
// NONE-NOT:    kiln.fusion
func.func @mask_erf(%x: tensor<8x16xf32>, %y: tensor<16xf32>) -> tensor<8x16xf32> {
  %0 = kiln.compare %x, %y {predicate = "gt"} : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %1 = kiln.erf %x : tensor<8x16xf32>
  %2 = kiln.mul %0, %1 : tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return %2 : tensor<8x16xf32>
}

// -----

// A one-hot row picks each row's label (sparse cross-entropy): one region
// at full, cut along the rows. The one-hot values are computed in the
// multiply's loop, as an elementwise op's are, and take no buffer: what a
// chunk holds is its rows of x (4 MiB in all), 512 KiB in 16 chunks, where
// a buffered one-hot (4 MiB more) would need 32. Elementwise fusion leaves
// one_hot out.
// FULL-LABEL: func.func @pick_label
// FULL:         kiln.fusion "reduction"(%arg1, %arg0) {chunks = array<i64: 16>, grid_dims = array<i64: 0>}
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.one_hot
// FULL-NEXT:      kiln.mul
// FULL-NEXT:      kiln.reduce_sum
// FULL-NEXT:      kiln.yield
// ELT-LABEL: func.func @pick_label
// ELT-NEXT:    kiln.one_hot
// ELT-NEXT:    kiln.mul
// ELT-NEXT:    kiln.reduce_sum
func.func @pick_label(%x: tensor<1024x1024xf32>, %labels: tensor<1024xi32>) -> tensor<1024xf32> {
  %h = kiln.one_hot %labels {depth = 1024 : i64} : tensor<1024xi32> -> tensor<1024x1024xf32>
  %p = kiln.mul %h, %x : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
  %s = kiln.reduce_sum %p {axes = array<i64: 1>, keep_dims = false} : tensor<1024x1024xf32> -> tensor<1024xf32>
  return %s : tensor<1024xf32>
}

// -----

// A region with a one-hot result is cut along its rows (the ids) only:
// cut along the depth, a chunk would place its 1s by its own column
// index. 8192 columns make a chunk of whole rows the only way to fit.
// FULL-LABEL: func.func @one_hot_rows
// FULL:         kiln.fusion "elementwise"(%arg1, %arg0) {chunks = array<i64: {{[0-9]+}}>, grid_dims = array<i64: 0>}
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.one_hot
// FULL-NEXT:      kiln.mul
func.func @one_hot_rows(%x: tensor<64x8192xf32>, %ids: tensor<64xi32>) -> tensor<64x8192xf32> {
  %h = kiln.one_hot %ids {depth = 8192 : i64} : tensor<64xi32> -> tensor<64x8192xf32>
  %y = kiln.mul %h, %x : tensor<64x8192xf32>, tensor<64x8192xf32> -> tensor<64x8192xf32>
  return %y : tensor<64x8192xf32>
}

// -----

// pad stays a kernel of its own at every level, as slice and concat do:
// the ops before it fuse with each other, and those after it.
// FULL-LABEL: func.func @pad_between
// FULL:         %[[A:.+]] = kiln.fusion "elementwise"
// FULL:           kiln.add
// FULL-NEXT:      kiln.relu
// FULL:         %[[P:.+]] = kiln.pad %[[A]]
// FULL-NEXT:    kiln.fusion "elementwise"(%[[P]])
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.tanh
// FULL-NEXT:      kiln.neg
func.func @pad_between(%x: tensor<2x8x8x4xf32>, %b: tensor<4xf32>) -> tensor<2x17x17x4xf32> {
  %0 = kiln.add %x, %b : tensor<2x8x8x4xf32>, tensor<4xf32> -> tensor<2x8x8x4xf32>
  %1 = kiln.relu %0 : tensor<2x8x8x4xf32>
  %2 = kiln.pad %1 {low = array<i64: 0, 1, 1, 0>, high = array<i64: 0, 1, 1, 0>,
                    interior = array<i64: 0, 1, 1, 0>} : tensor<2x8x8x4xf32> -> tensor<2x17x17x4xf32>
  %3 = kiln.tanh %2 : tensor<2x17x17x4xf32>
  %4 = kiln.neg %3 : tensor<2x17x17x4xf32>
  return %4 : tensor<2x17x17x4xf32>
}

// -----

// A max pool's gradient mask (cnn's first block, batch 8): of grids that
// cost the same, the one cutting outer dims, images and pooled rows, so that
// a chunk's inner loops run along whole rows rather than 2x2 windows.
// FULL-LABEL: func.func @pool_mask_outer_grid
// FULL:         kiln.fusion "reduction"(%arg0) {chunks = array<i64: 4, 74>, grid_dims = array<i64: 0, 0, 1, 1>}
func.func @pool_mask_outer_grid(%x: tensor<8x148x148x32xf32>) -> (tensor<8x74x74x32xf32>, tensor<8x74x2x74x2x32xf32>) {
  %rank = kiln.constant dense<[[[[[[4.0], [3.0]]], [[[2.0], [1.0]]]]]]> : tensor<1x1x2x1x2x1xf32>
  %p = kiln.max_pool2d %x {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<8x148x148x32xf32> -> tensor<8x74x74x32xf32>
  %y = kiln.reshape %p : tensor<8x74x74x32xf32> -> tensor<8x74x1x74x1x32xf32>
  %w = kiln.reshape %x : tensor<8x148x148x32xf32> -> tensor<8x74x2x74x2x32xf32>
  %eq = kiln.compare %w, %y {predicate = "eq"} : tensor<8x74x2x74x2x32xf32>, tensor<8x74x1x74x1x32xf32> -> tensor<8x74x2x74x2x32xf32>
  %r = kiln.mul %eq, %rank : tensor<8x74x2x74x2x32xf32>, tensor<1x1x2x1x2x1xf32> -> tensor<8x74x2x74x2x32xf32>
  %best = kiln.reduce_max %r {axes = array<i64: 2, 4>, keep_dims = true} : tensor<8x74x2x74x2x32xf32> -> tensor<8x74x1x74x1x32xf32>
  %mask = kiln.compare %r, %best {predicate = "eq"} : tensor<8x74x2x74x2x32xf32>, tensor<8x74x1x74x1x32xf32> -> tensor<8x74x2x74x2x32xf32>
  return %p, %mask : tensor<8x74x74x32xf32>, tensor<8x74x2x74x2x32xf32>
}

// -----

// A conv's filter gradient, G^T times the patches: the reshape (a view) and
// the transpose (read as A[k, m]) are no buffers, so they join the matmul
// and not G's producer, though merging the mul would save G's write; the
// kernel runs whole, its one loop nest shared among threads as a matmul's.
// FULL-LABEL: func.func @weight_gradient
// FULL:         %[[G:[0-9]+]]:2 = kiln.fusion "elementwise"
// FULL:           kiln.mul
// FULL:         kiln.fusion "contraction"(%[[G]]#0, %arg2) {chunks = array<i64: 1>, grid_dims = array<i64: 0>}
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.reshape
// FULL-NEXT:      kiln.transpose
// FULL-NEXT:      kiln.matmul
// FULL-NEXT:      kiln.yield
func.func @weight_gradient(%dy: tensor<8x72x72x64xf32>, %mask: tensor<8x72x72x64xf32>,
                           %patches: tensor<41472x288xf32>)
    -> (tensor<64x288xf32>, tensor<8x72x72x64xf32>) {
  %g = kiln.mul %dy, %mask : tensor<8x72x72x64xf32>, tensor<8x72x72x64xf32> -> tensor<8x72x72x64xf32>
  %r = kiln.reshape %g : tensor<8x72x72x64xf32> -> tensor<41472x64xf32>
  %t = kiln.transpose %r {perm = array<i64: 1, 0>} : tensor<41472x64xf32> -> tensor<64x41472xf32>
  %w = kiln.matmul %t, %patches : tensor<64x41472xf32>, tensor<41472x288xf32> -> tensor<64x288xf32>
  %n = kiln.neg %g : tensor<8x72x72x64xf32>
  return %w, %n : tensor<64x288xf32>, tensor<8x72x72x64xf32>
}

// -----

// A wide dense layer's input gradient, W G^T into 8 columns: the
// transpose of G is read in place as B, so it joins the matmul, not G's
// producer. Every chunk of W's rows reads it whole, a view.
// FULL-LABEL: func.func @input_gradient
// FULL:         %[[G:[0-9]+]]:2 = kiln.fusion "elementwise"
// FULL:         kiln.fusion "contraction"(%[[G]]#0, %arg2) {chunks = array<i64: 272>, grid_dims = array<i64: 0>}
// FULL-NEXT:    ^bb0
// FULL-NEXT:      kiln.transpose
// FULL-NEXT:      kiln.matmul
// FULL-NEXT:      kiln.yield
func.func @input_gradient(%dy: tensor<8x512xf32>, %mask: tensor<8x512xf32>, %w: tensor<36992x512xf32>)
    -> (tensor<36992x8xf32>, tensor<8x512xf32>) {
  %g = kiln.mul %dy, %mask : tensor<8x512xf32>, tensor<8x512xf32> -> tensor<8x512xf32>
  %t = kiln.transpose %g {perm = array<i64: 1, 0>} : tensor<8x512xf32> -> tensor<512x8xf32>
  %d = kiln.matmul %w, %t : tensor<36992x512xf32>, tensor<512x8xf32> -> tensor<36992x8xf32>
  %n = kiln.neg %g : tensor<8x512xf32>
  return %d, %n : tensor<36992x8xf32>, tensor<8x512xf32>
}

// -----

// An elementwise op reading a reshape that merges dims runs on the
// unmerged shape: its other operand is reshaped to it, and its result is
// reshaped back after it. A max-pool gradient ([N, OH, 2, OW, 2, C]) times
// relu's mask ([N, H, W, C]) so joins the convolution that makes the
// gradient, in its dims.
// FULL-LABEL: func.func @merge_after_conv
// FULL:         kiln.fusion "contraction"(%arg0, %arg1, %arg2, %arg3)
// FULL:           kiln.conv2d
// FULL-NEXT:      kiln.reshape
// FULL-NEXT:      %[[POOL:.+]] = kiln.mul
// FULL-NEXT:      %[[MASK:.+]] = kiln.reshape %{{.+}} : tensor<2x32x32x16xf32> -> tensor<2x16x2x16x2x16xf32>
// FULL-NEXT:      %[[MUL:.+]] = kiln.mul %[[POOL]], %[[MASK]] : tensor<2x16x2x16x2x16xf32>, tensor<2x16x2x16x2x16xf32> -> tensor<2x16x2x16x2x16xf32>
// FULL-NEXT:      %[[OUT:.+]] = kiln.reshape %[[MUL]] : tensor<2x16x2x16x2x16xf32> -> tensor<2x32x32x16xf32>
// FULL-NEXT:      kiln.yield %[[OUT]]
// ELT-LABEL: func.func @merge_after_conv
// ELT:         kiln.reshape %{{.+}} : tensor<2x16x2x16x2x16xf32> -> tensor<2x32x32x16xf32>
// ELT-NEXT:    kiln.mul %{{.+}} : tensor<2x32x32x16xf32>, tensor<2x32x32x16xf32>
func.func @merge_after_conv(%x: tensor<2x18x18x16xf32>, %f: tensor<3x3x16x16xf32>, %pool: tensor<2x16x2x16x2x16xf32>, %relu: tensor<2x32x32x16xf32>) -> (tensor<2x32x32x16xf32>, tensor<16xf32>) {
  %0 = kiln.conv2d %x, %f {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<2x18x18x16xf32>, tensor<3x3x16x16xf32> -> tensor<2x16x16x16xf32>
  %1 = kiln.reshape %0 : tensor<2x16x16x16xf32> -> tensor<2x16x1x16x1x16xf32>
  %2 = kiln.mul %1, %pool : tensor<2x16x1x16x1x16xf32>, tensor<2x16x2x16x2x16xf32> -> tensor<2x16x2x16x2x16xf32>
  %3 = kiln.reshape %2 : tensor<2x16x2x16x2x16xf32> -> tensor<2x32x32x16xf32>
  %4 = kiln.mul %3, %relu : tensor<2x32x32x16xf32>, tensor<2x32x32x16xf32> -> tensor<2x32x32x16xf32>
  %5 = kiln.reduce_sum %4 {axes = array<i64: 0, 1, 2>, keep_dims = false} : tensor<2x32x32x16xf32> -> tensor<16xf32>
  return %4, %5 : tensor<2x32x32x16xf32>, tensor<16xf32>
}

// -----

// Not expanded: the rule takes scalars and operands of the result's shape
// only, not one broadcast to it (a bias of [8] over [2, 8, 8]).
// FULL-LABEL: func.func @merge_broadcast
// FULL:           kiln.neg %{{.+}} : tensor<2x4x2x8xf32>
// FULL-NEXT:      kiln.reshape %{{.+}} : tensor<2x4x2x8xf32> -> tensor<2x8x8xf32>
// FULL-NEXT:      kiln.add %{{.+}} : tensor<2x8x8xf32>, tensor<8xf32> -> tensor<2x8x8xf32>
func.func @merge_broadcast(%x: tensor<2x4x2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8x8xf32> {
  %0 = kiln.neg %x : tensor<2x4x2x8xf32>
  %1 = kiln.reshape %0 : tensor<2x4x2x8xf32> -> tensor<2x8x8xf32>
  %2 = kiln.add %1, %b : tensor<2x8x8xf32>, tensor<8xf32> -> tensor<2x8x8xf32>
  return %2 : tensor<2x8x8xf32>
}

// -----

// A scalar computed from arguments alone (an optimizer's bias correction)
// is computed again in every kernel that reads it, so that no kernel waits
// for another to make it. A chunked kernel makes it in every chunk.
// FULL-LABEL: func.func @scalars
// FULL:         kiln.fusion "elementwise"(%arg0, %arg1) {chunks = array<i64: 1>
// FULL:           kiln.mul %arg3, %{{.+}} : tensor<f32>, tensor<f32>
// FULL-NEXT:      kiln.sub
// FULL-NEXT:      kiln.mul %arg4, %{{.+}} : tensor<64xf32>, tensor<f32>
// FULL:         kiln.fusion "elementwise"(%arg0, %arg2) {chunks = array<i64: 32>, grid_dims = array<i64: 0>}
// FULL:           kiln.mul %arg3, %{{.+}} : tensor<f32>, tensor<f32>
// FULL-NEXT:      kiln.sub
// FULL-NEXT:      kiln.mul %arg4, %{{.+}} : tensor<4096x512xf32>, tensor<f32>
func.func @scalars(%beta: tensor<f32>, %a: tensor<64xf32>, %b: tensor<4096x512xf32>) -> (tensor<64xf32>, tensor<4096x512xf32>) {
  %k = kiln.constant dense<0.9> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %c = kiln.mul %beta, %k : tensor<f32>, tensor<f32> -> tensor<f32>
  %d = kiln.sub %one, %c : tensor<f32>, tensor<f32> -> tensor<f32>
  %u1 = kiln.mul %a, %d : tensor<64xf32>, tensor<f32> -> tensor<64xf32>
  %u2 = kiln.mul %b, %d : tensor<4096x512xf32>, tensor<f32> -> tensor<4096x512xf32>
  return %u1, %u2 : tensor<64xf32>, tensor<4096x512xf32>
}

// -----

// Siblings: a dense layer's input gradient (W G^T) and the update of W
// (from X^T G) both read W; one kernel cut along W's rows reads it once.
// FULL-LABEL: func.func @siblings
// FULL:         kiln.fusion "contraction"(%arg0, %arg2, %arg1, %arg3) {chunks = array<i64: 64>, grid_dims = array<i64: 0, 0>}
// FULL:           kiln.matmul %arg5, %{{.+}} : tensor<4096x512xf32>, tensor<512x8xf32> -> tensor<4096x8xf32>
// FULL:           kiln.matmul %{{.+}}, %arg4 : tensor<4096x8xf32>, tensor<8x512xf32> -> tensor<4096x512xf32>
// FULL:           kiln.sub %arg5
// NONE-LABEL: func.func @siblings
// NONE-NOT:     kiln.fusion
func.func @siblings(%g: tensor<8x512xf32>, %x: tensor<8x4096xf32>, %w: tensor<4096x512xf32>, %lr: tensor<f32>) -> (tensor<4096x8xf32>, tensor<4096x512xf32>) {
  %t = kiln.transpose %g {perm = array<i64: 1, 0>} : tensor<8x512xf32> -> tensor<512x8xf32>
  %dx = kiln.matmul %w, %t : tensor<4096x512xf32>, tensor<512x8xf32> -> tensor<4096x8xf32>
  %xt = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<8x4096xf32> -> tensor<4096x8xf32>
  %dw = kiln.matmul %xt, %g : tensor<4096x8xf32>, tensor<8x512xf32> -> tensor<4096x512xf32>
  %s = kiln.mul %dw, %lr : tensor<4096x512xf32>, tensor<f32> -> tensor<4096x512xf32>
  %w2 = kiln.sub %w, %s : tensor<4096x512xf32>, tensor<4096x512xf32> -> tensor<4096x512xf32>
  return %dx, %w2 : tensor<4096x8xf32>, tensor<4096x512xf32>
}

// -----

// A cast that widens joins its reader, not its producer: the forward
// kernel stores the mask as i8 and the kernel that multiplies by it loads
// the i8 (a ReLU's mask kept for the backward pass). Merged into its
// producer first, the cast would have that kernel store the mask as f32.
// ELT-LABEL: func.func @narrow_mask
// ELT:         %[[FWD:.+]]:2 = kiln.fusion "elementwise"(%arg0) {{.*}} -> (tensor<64x64xf32>, tensor<64x64xi8>)
// ELT:           kiln.compare
// ELT-NEXT:      kiln.cast %{{.+}} : tensor<64x64xf32> -> tensor<64x64xi8>
// ELT-NOT:       kiln.cast
// ELT:         %[[Y:.+]] = kiln.matmul %[[FWD]]#0, %arg1
// ELT:         kiln.fusion "elementwise"(%[[FWD]]#1, %[[Y]]) {{.*}} : (tensor<64x64xi8>, tensor<64x64xf32>) -> tensor<64x64xf32>
// ELT:           kiln.cast %{{.+}} : tensor<64x64xi8> -> tensor<64x64xf32>
// ELT-NEXT:      kiln.mul
func.func @narrow_mask(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %r = kiln.relu %x : tensor<64x64xf32>
  %m = kiln.compare %x, %zero {predicate = "gt"} : tensor<64x64xf32>, tensor<f32> -> tensor<64x64xf32>
  %m8 = kiln.cast %m : tensor<64x64xf32> -> tensor<64x64xi8>
  %m32 = kiln.cast %m8 : tensor<64x64xi8> -> tensor<64x64xf32>
  %y = kiln.matmul %r, %w : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  %g = kiln.mul %y, %m32 : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %g : tensor<64x64xf32>
}

// -----

// A widening cast that no reader takes (returned) still joins its
// producer: one kernel, no launch of its own.
// ELT-LABEL: func.func @widen_returned
// ELT:         kiln.fusion "elementwise"(%arg0) {{.*}} -> tensor<64x64xf32>
// ELT:           kiln.cast %{{.+}} : tensor<64x64xf32> -> tensor<64x64xi8>
// ELT-NEXT:      kiln.cast %{{.+}} : tensor<64x64xi8> -> tensor<64x64xf32>
// ELT-NEXT:      kiln.yield
// ELT-NOT:     kiln.fusion
func.func @widen_returned(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %m = kiln.compare %x, %zero {predicate = "gt"} : tensor<64x64xf32>, tensor<f32> -> tensor<64x64xf32>
  %m8 = kiln.cast %m : tensor<64x64xf32> -> tensor<64x64xi8>
  %m32 = kiln.cast %m8 : tensor<64x64xi8> -> tensor<64x64xf32>
  return %m32 : tensor<64x64xf32>
}
