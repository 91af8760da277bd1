//===- Shapes.h - Shape rules of the kiln ops -------------------*- C++ -*-===//
//
// The shape rule of every kiln op, in plain C++ with no MLIR types, so that
// the DSL (which must reject a bad graph before any MLIR exists) and the
// dialect's verifiers apply the very same rules. Each function returns the
// result shape, or an error text that names the shapes involved.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_SHAPES_H
#define KILN_IR_SHAPES_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

using Shape = std::vector<int64_t>;

/// A result shape or the reason there is none.
struct ShapeOr {
  Shape shape;
  std::string error; // empty on success
  bool ok() const { return error.empty(); }
  static ShapeOr fail(std::string msg) { return {{}, std::move(msg)}; }
};

/// "[2, 3]".
std::string toString(const Shape &s);
/// The product of the dims; -1 when a dim is negative or the product
/// overflows int64_t, which every shape rule rejects.
int64_t numElements(const Shape &s);

/// Numpy broadcasting: shapes are aligned on the right; a dim of 1 stretches.
ShapeOr broadcastShapes(const Shape &a, const Shape &b);
/// a [..., M, K] x b [..., K, N] -> [..., M, N]; batch dims broadcast.
ShapeOr matmulShape(const Shape &a, const Shape &b);
/// Softmax-like ops act along one axis.
ShapeOr axisShape(const Shape &x, int64_t axis);
/// Reduction over `axes` (each in [0, rank), no repeats).
ShapeOr reduceShape(const Shape &x, const std::vector<int64_t> &axes,
                    bool keepDims);
ShapeOr reshapeShape(const Shape &x, const Shape &to);
ShapeOr transposeShape(const Shape &x, const std::vector<int64_t> &perm);
ShapeOr concatShape(const std::vector<Shape> &xs, int64_t axis);
/// stablehlo.slice semantics: [start, limit) with a positive stride.
ShapeOr sliceShape(const Shape &x, const std::vector<int64_t> &starts,
                   const std::vector<int64_t> &limits,
                   const std::vector<int64_t> &strides);
/// XLA's pad with zeros: per dim, `low` before, `high` after and `interior`
/// between elements, each non-negative.
ShapeOr padShape(const Shape &x, const std::vector<int64_t> &low,
                 const std::vector<int64_t> &high,
                 const std::vector<int64_t> &interior);
/// ids [I...] -> [I..., depth], depth >= 1.
ShapeOr oneHotShape(const Shape &indices, int64_t depth);
/// Rows of `table` [V, D...] picked by `indices` [I...] -> [I..., D...].
ShapeOr gatherShape(const Shape &table, const Shape &indices);
/// input [N, H, W, C], filter [KH, KW, C, F], strides [2], dilations [2],
/// padding [top, bottom, left, right] -> [N, OH, OW, F].
ShapeOr conv2dShape(const Shape &input, const Shape &filter,
                    const std::vector<int64_t> &strides,
                    const std::vector<int64_t> &padding,
                    const std::vector<int64_t> &dilations);
/// input [N, H, W, C], window [2], strides [2], padding [4] -> [N, OH, OW, C].
ShapeOr pool2dShape(const Shape &input, const std::vector<int64_t> &window,
                    const std::vector<int64_t> &strides,
                    const std::vector<int64_t> &padding);
/// input [N, H, W, C], window [KH, KW], strides [2], dilations [2] ->
/// [N OH OW, KH KW C]: each output pixel's window as a row, unpadded.
ShapeOr patchesShape(const Shape &input, const std::vector<int64_t> &window,
                     const std::vector<int64_t> &strides,
                     const std::vector<int64_t> &dilations);
/// The output pixels [N, OH, OW] whose windows are patchesShape's rows.
ShapeOr patchesPixels(const Shape &input, const std::vector<int64_t> &window,
                      const std::vector<int64_t> &strides,
                      const std::vector<int64_t> &dilations);
/// x [..., D] normalised over its last dim; gamma and beta are [D].
ShapeOr layerNormShape(const Shape &x, const Shape &gamma, const Shape &beta);

} // namespace kiln

#endif // KILN_IR_SHAPES_H
