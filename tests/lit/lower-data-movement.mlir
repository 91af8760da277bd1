// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s

// --kiln-lower-to-linalg, data-movement family: reshape as collapse/expand
// through one dim, transpose as linalg.transpose (a linalg.generic over
// the input when its inner dim is the shorter), concat as insert_slices
// into one empty tensor, slice as one strided extract_slice, pad as a fill
// of zeros and one strided insert_slice, gather as a linalg.generic that
// clamps each index into the table, one_hot as a linalg.generic comparing
// the id with the last loop's index, and constants as arith constants.

// CHECK-DAG: #[[$IDS:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$LEAD:.+]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[$ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$IN:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$SWAP:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[$BIN:.+]] = affine_map<(d0, d1, d2) -> (d0 * 16 + d2, d1)>
// CHECK-DAG: #[[$BLOCKS:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BOUT:.+]] = affine_map<(d0, d1, d2) -> (d1, d0 * 16 + d2)>
// CHECK-DAG: #[[$PIN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0 floordiv 4, ((d0 floordiv 2) mod 2) * 2 + d1, d0 mod 2 + d2 * 2, d3)>
// CHECK-DAG: #[[$PWIN:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$POUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, (d1 * 2 + d2) * 3 + d3)>

// CHECK-LABEL: func.func @reshape
// CHECK-SAME:    (%[[X:.+]]: tensor<8x4x4xf32>)
// CHECK:         %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<8x4x4xf32> into tensor<128xf32>
// CHECK-NEXT:    %[[R:.+]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [8, 16] : tensor<128xf32> into tensor<8x16xf32>
// CHECK-NEXT:    return %[[R]]
func.func @reshape(%x: tensor<8x4x4xf32>) -> tensor<8x16xf32> {
  %0 = kiln.reshape %x : tensor<8x4x4xf32> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// From or to rank 1, one of the two steps is enough.
// CHECK-LABEL: func.func @reshape_rank_one
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3xf32>, %[[Y:.+]]: tensor<6xf32>)
// CHECK-NEXT:    %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK-NEXT:    %[[GRID:.+]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK-NEXT:    return %[[FLAT]], %[[GRID]]
func.func @reshape_rank_one(%x: tensor<2x3xf32>, %y: tensor<6xf32>) -> (tensor<6xf32>, tensor<3x2xf32>) {
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = kiln.reshape %y : tensor<6xf32> -> tensor<3x2xf32>
  return %0, %1 : tensor<6xf32>, tensor<3x2xf32>
}

// A rank-0 tensor collapses and expands with an empty reassociation.
// CHECK-LABEL: func.func @reshape_rank_zero
// CHECK-SAME:    (%[[X:.+]]: tensor<f32>)
// CHECK-NEXT:    %[[R:.+]] = tensor.expand_shape %[[X]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK-NEXT:    return %[[R]]
func.func @reshape_rank_zero(%x: tensor<f32>) -> tensor<1x1xf32> {
  %0 = kiln.reshape %x : tensor<f32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// CHECK-LABEL: func.func @transpose
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3x5xi8>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<5x2x3xi8>
// CHECK:         %[[R:.+]] = linalg.transpose ins(%[[X]] : tensor<2x3x5xi8>) outs(%[[INIT]] : tensor<5x2x3xi8>) permutation = [2, 0, 1]
// CHECK:         return %[[R]]
func.func @transpose(%x: tensor<2x3x5xi8>) -> tensor<5x2x3xi8> {
  %0 = kiln.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x5xi8> -> tensor<5x2x3xi8>
  return %0 : tensor<5x2x3xi8>
}

// A [pixels, 4] input: the loops run over it, writing 4 rows of the result
// in turn, not striding through all its rows for each element written.
// CHECK-LABEL: func.func @transpose_short_inner
// CHECK-SAME:    (%[[X:.+]]: tensor<64x4xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<4x64xf32>
// CHECK:         %[[R:.+]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$SWAP]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : tensor<64x4xf32>) outs(%[[INIT]] : tensor<4x64xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:      linalg.yield %[[A]]
// CHECK:         return %[[R]]
func.func @transpose_short_inner(%x: tensor<64x4xf32>) -> tensor<4x64xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<64x4xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// Many rows of many columns: rows in blocks of 16, each column of a block
// one 64-byte line of the result; an unread [rows / 16, 16] operand sizes
// the block loops.
// CHECK-LABEL: func.func @transpose_blocked
// CHECK-SAME:    (%[[X:.+]]: tensor<1024x64xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<64x1024xf32>
// CHECK:         %[[B:.+]] = tensor.empty() : tensor<64x16xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$BIN]], #[[$BLOCKS]], #[[$BOUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[B]] : tensor<1024x64xf32>, tensor<64x16xf32>) outs(%[[INIT]] : tensor<64x1024xf32>)
func.func @transpose_blocked(%x: tensor<1024x64xf32>) -> tensor<64x1024xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<1024x64xf32> -> tensor<64x1024xf32>
  return %0 : tensor<64x1024xf32>
}

// Each operand lands at the running offset along the axis: 0, 3, 3 + 5.
// CHECK-LABEL: func.func @concat_three
// CHECK-SAME:    (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<2x5xf32>, %[[C:.+]]: tensor<2x1xf32>)
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<2x9xf32>
// CHECK-NEXT:    %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x9xf32>
// CHECK-NEXT:    %[[I1:.+]] = tensor.insert_slice %[[B]] into %[[I0]][0, 3] [2, 5] [1, 1] : tensor<2x5xf32> into tensor<2x9xf32>
// CHECK-NEXT:    %[[I2:.+]] = tensor.insert_slice %[[C]] into %[[I1]][0, 8] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x9xf32>
// CHECK-NEXT:    return %[[I2]]
func.func @concat_three(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x1xf32>) -> tensor<2x9xf32> {
  %0 = kiln.concat %a, %b, %c {axis = 1 : i64}
      : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x1xf32> -> tensor<2x9xf32>
  return %0 : tensor<2x9xf32>
}

// Rows 1, 3 of 5 and columns 0, 3, 6 of 9: offsets are the starts, sizes
// the result shape, strides the strides.
// CHECK-LABEL: func.func @slice_strided
// CHECK-SAME:    (%[[X:.+]]: tensor<5x9xi32>)
// CHECK-NEXT:    %[[R:.+]] = tensor.extract_slice %[[X]][1, 0] [2, 3] [2, 3] : tensor<5x9xi32> to tensor<2x3xi32>
// CHECK-NEXT:    return %[[R]]
func.func @slice_strided(%x: tensor<5x9xi32>) -> tensor<2x3xi32> {
  %0 = kiln.slice %x {starts = array<i64: 1, 0>, limits = array<i64: 5, 9>,
                      strides = array<i64: 2, 3>} : tensor<5x9xi32> -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// result[i, j, d] = table[clamp(ids[i, j], 0, 999), d].
// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[TABLE:.+]]: tensor<1000x64xf32>, %[[IDS:.+]]: tensor<2x16xi32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<2x16x64xf32>
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$IDS]], #[[$ID3]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[IDS]] : tensor<2x16xi32>) outs(%[[INIT]] : tensor<2x16x64xf32>)
// CHECK-NEXT:    ^bb0(%[[ID:.+]]: i32, %{{.+}}: f32):
// CHECK-NEXT:      %[[ROW:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK-DAG:       %[[LO:.+]] = arith.constant 0 : index
// CHECK-DAG:       %[[HI:.+]] = arith.constant 999 : index
// CHECK:           %[[ATLEAST:.+]] = arith.maxsi %[[ROW]], %[[LO]] : index
// CHECK-NEXT:      %[[CLAMPED:.+]] = arith.minsi %[[ATLEAST]], %[[HI]] : index
// CHECK-NEXT:      %[[D:.+]] = linalg.index 2 : index
// CHECK-NEXT:      %[[V:.+]] = tensor.extract %[[TABLE]][%[[CLAMPED]], %[[D]]] : tensor<1000x64xf32>
// CHECK-NEXT:      linalg.yield %[[V]] : f32
// CHECK:         return %[[R]]
func.func @gather(%table: tensor<1000x64xf32>, %ids: tensor<2x16xi32>) -> tensor<2x16x64xf32> {
  %0 = kiln.gather %table, %ids : tensor<1000x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// Input element (i, j) lands at (1 + i, 0 + 2 j): offsets low, strides
// interior + 1, sizes the input's.
// CHECK-LABEL: func.func @pad
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3xf32>)
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<3x7xf32>
// CHECK:         %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[Z:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<3x7xf32>) -> tensor<3x7xf32>
// CHECK-NEXT:    %[[R:.+]] = tensor.insert_slice %[[X]] into %[[Z]][1, 0] [2, 3] [1, 2] : tensor<2x3xf32> into tensor<3x7xf32>
// CHECK-NEXT:    return %[[R]]
func.func @pad(%x: tensor<2x3xf32>) -> tensor<3x7xf32> {
  %0 = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>,
                    interior = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<3x7xf32>
  return %0 : tensor<3x7xf32>
}

// An NHWC image dilated by one zero between pixels and a border of one,
// as the gradient of a stride-2 convolution's input pads it.
// CHECK-LABEL: func.func @pad_nhwc_interior
// CHECK:         %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK:         %[[Z:.+]] = linalg.fill ins(%[[ZERO]] : i32)
// CHECK-NEXT:    tensor.insert_slice %{{.+}} into %[[Z]][0, 1, 1, 0] [2, 4, 4, 3] [1, 2, 2, 1] : tensor<2x4x4x3xi32> into tensor<2x9x9x3xi32>
func.func @pad_nhwc_interior(%x: tensor<2x4x4x3xi32>) -> tensor<2x9x9x3xi32> {
  %0 = kiln.pad %x {low = array<i64: 0, 1, 1, 0>, high = array<i64: 0, 1, 1, 0>,
                    interior = array<i64: 0, 1, 1, 0>} : tensor<2x4x4x3xi32> -> tensor<2x9x9x3xi32>
  return %0 : tensor<2x9x9x3xi32>
}

// result[i, j, k] = ids[i, j] == k: the i32 id sign-extends to an index,
// so a negative one (or one past depth) matches no k.
// CHECK-LABEL: func.func @one_hot
// CHECK-SAME:    (%[[IDS:.+]]: tensor<2x16xi32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<2x16x10xf32>
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$IDS]], #[[$ID3]]]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[IDS]] : tensor<2x16xi32>) outs(%[[INIT]] : tensor<2x16x10xf32>)
// CHECK-NEXT:    ^bb0(%[[ID:.+]]: i32, %{{.+}}: f32):
// CHECK-NEXT:      %[[I:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK-NEXT:      %[[K:.+]] = linalg.index 2 : index
// CHECK-NEXT:      %[[HOT:.+]] = arith.cmpi eq, %[[I]], %[[K]] : index
// CHECK-NEXT:      %[[V:.+]] = arith.uitofp %[[HOT]] : i1 to f32
// CHECK-NEXT:      linalg.yield %[[V]] : f32
// CHECK:         return %[[R]]
func.func @one_hot(%ids: tensor<2x16xi32>) -> tensor<2x16x10xf32> {
  %0 = kiln.one_hot %ids {depth = 10 : i64} : tensor<2x16xi32> -> tensor<2x16x10xf32>
  return %0 : tensor<2x16x10xf32>
}

// A scalar id reads one value for the whole row.
// CHECK-LABEL: func.func @one_hot_scalar
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[$LEAD]], #[[$ID1]]]
// CHECK:           linalg.index 0 : index
// CHECK:           arith.uitofp %{{.+}} : i1 to bf16
func.func @one_hot_scalar(%id: tensor<i32>) -> tensor<4xbf16> {
  %0 = kiln.one_hot %id {depth = 4 : i64} : tensor<i32> -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// CHECK-LABEL: func.func @constant
// CHECK-NEXT:    %[[C:.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// Patches: one generic over (row, kh, kw, c), the row split into image,
// output row and column by floordiv and mod; an unread [KH, KW, C] operand
// sizes the window loops. Strides 2 x 1, dilations 1 x 2: 2 x 2 pixels of
// 3 x 2 windows.
// CHECK-LABEL: func.func @patches
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<8x18xf32>
// CHECK:         %[[W:.+]] = tensor.empty() : tensor<3x2x3xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$PIN]], #[[$PWIN]], #[[$POUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%{{.+}}, %[[W]] : tensor<2x5x4x3xf32>, tensor<3x2x3xf32>) outs(%[[INIT]] : tensor<8x18xf32>)
func.func @patches(%x: tensor<2x5x4x3xf32>) -> tensor<8x18xf32> {
  %0 = kiln.patches %x {window = array<i64: 3, 2>, strides = array<i64: 2, 1>,
                        dilations = array<i64: 1, 2>} : tensor<2x5x4x3xf32> -> tensor<8x18xf32>
  return %0 : tensor<8x18xf32>
}
