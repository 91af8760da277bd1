//===- Shapes.cpp - Shape rules of the kiln ops ---------------------------===//
//
// See Shapes.h. Error texts say what was expected and what was found; the
// caller prefixes the op name.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Shapes.h"

#include <algorithm>

namespace kiln {

std::string toString(const Shape &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t numElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return -1;
  return n;
}

static std::string list(const std::vector<int64_t> &v) { return toString(v); }

ShapeOr broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return ShapeOr::fail("shapes " + toString(a) + " and " + toString(b) +
                           " do not broadcast (dim " + std::to_string(i) +
                           " of the result: " + std::to_string(da) + " vs " +
                           std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return {out, ""};
}

ShapeOr matmulShape(const Shape &a, const Shape &b) {
  if (a.size() < 2 || b.size() < 2)
    return ShapeOr::fail("operands must have rank >= 2, got " + toString(a) +
                         " and " + toString(b));
  int64_t m = a[a.size() - 2], k = a.back();
  int64_t kb = b[b.size() - 2], n = b.back();
  if (k != kb)
    return ShapeOr::fail("contraction dims differ: lhs " + toString(a) +
                         " has K=" + std::to_string(k) + ", rhs " +
                         toString(b) + " has K=" + std::to_string(kb));
  ShapeOr batch = broadcastShapes(Shape(a.begin(), a.end() - 2),
                                  Shape(b.begin(), b.end() - 2));
  if (!batch.ok())
    return ShapeOr::fail("batch dims of " + toString(a) + " and " +
                         toString(b) + " do not broadcast");
  batch.shape.push_back(m);
  batch.shape.push_back(n);
  return batch;
}

ShapeOr axisShape(const Shape &x, int64_t axis) {
  if (axis < 0 || axis >= (int64_t)x.size())
    return ShapeOr::fail("axis " + std::to_string(axis) +
                         " is out of range for shape " + toString(x));
  return {x, ""};
}

ShapeOr reduceShape(const Shape &x, const std::vector<int64_t> &axes,
                    bool keepDims) {
  std::vector<bool> reduced(x.size(), false);
  for (int64_t a : axes) {
    if (a < 0 || a >= (int64_t)x.size())
      return ShapeOr::fail("axis " + std::to_string(a) +
                           " is out of range for shape " + toString(x));
    if (reduced[a])
      return ShapeOr::fail("axis " + std::to_string(a) + " is repeated in " +
                           list(axes));
    reduced[a] = true;
  }
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!reduced[i])
      out.push_back(x[i]);
    else if (keepDims)
      out.push_back(1);
  }
  return {out, ""};
}

ShapeOr reshapeShape(const Shape &x, const Shape &to) {
  if (numElements(to) < 0 || numElements(x) < 0)
    return ShapeOr::fail("shape " + toString(numElements(x) < 0 ? x : to) +
                         " has a negative dim or too many elements");
  if (numElements(x) != numElements(to))
    return ShapeOr::fail("cannot reshape " + toString(x) + " (" +
                         std::to_string(numElements(x)) + " elements) to " +
                         toString(to) + " (" +
                         std::to_string(numElements(to)) + " elements)");
  return {to, ""};
}

ShapeOr transposeShape(const Shape &x, const std::vector<int64_t> &perm) {
  if (perm.size() != x.size())
    return ShapeOr::fail("permutation " + list(perm) + " has " +
                         std::to_string(perm.size()) + " entries for shape " +
                         toString(x));
  std::vector<bool> seen(x.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)x.size() || seen[p])
      return ShapeOr::fail(list(perm) + " is not a permutation of the dims of " +
                           toString(x));
    seen[p] = true;
    out.push_back(x[p]);
  }
  return {out, ""};
}

ShapeOr concatShape(const std::vector<Shape> &xs, int64_t axis) {
  if (xs.empty())
    return ShapeOr::fail("needs at least one operand");
  const Shape &first = xs[0];
  if (axis < 0 || axis >= (int64_t)first.size())
    return ShapeOr::fail("axis " + std::to_string(axis) +
                         " is out of range for shape " + toString(first));
  Shape out = first;
  for (size_t i = 1; i < xs.size(); ++i) {
    const Shape &s = xs[i];
    bool same = s.size() == first.size();
    for (size_t d = 0; same && d < s.size(); ++d)
      same = (int64_t)d == axis || s[d] == first[d];
    if (!same)
      return ShapeOr::fail("operand " + std::to_string(i) + " " + toString(s) +
                           " differs from operand 0 " + toString(first) +
                           " outside axis " + std::to_string(axis));
    out[axis] += s[axis];
  }
  return {out, ""};
}

ShapeOr sliceShape(const Shape &x, const std::vector<int64_t> &starts,
                   const std::vector<int64_t> &limits,
                   const std::vector<int64_t> &strides) {
  if (starts.size() != x.size() || limits.size() != x.size() ||
      strides.size() != x.size())
    return ShapeOr::fail("starts " + list(starts) + ", limits " + list(limits) +
                         " and strides " + list(strides) +
                         " must each have one entry per dim of " + toString(x));
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (strides[i] < 1 || starts[i] < 0 || limits[i] > x[i] ||
        starts[i] > limits[i])
      return ShapeOr::fail("dim " + std::to_string(i) + ": slice [" +
                           std::to_string(starts[i]) + ", " +
                           std::to_string(limits[i]) + ") step " +
                           std::to_string(strides[i]) +
                           " does not fit a dim of size " +
                           std::to_string(x[i]) + " in " + toString(x));
    out.push_back((limits[i] - starts[i] + strides[i] - 1) / strides[i]);
  }
  return {out, ""};
}

ShapeOr padShape(const Shape &x, const std::vector<int64_t> &low,
                 const std::vector<int64_t> &high,
                 const std::vector<int64_t> &interior) {
  if (low.size() != x.size() || high.size() != x.size() ||
      interior.size() != x.size())
    return ShapeOr::fail("low " + list(low) + ", high " + list(high) +
                         " and interior " + list(interior) +
                         " must each have one entry per dim of " + toString(x));
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (low[i] < 0 || high[i] < 0 || interior[i] < 0)
      return ShapeOr::fail("dim " + std::to_string(i) +
                           ": padding must be non-negative, got low " +
                           list(low) + ", high " + list(high) +
                           ", interior " + list(interior));
    int64_t inner = x[i] == 0 ? 0 : x[i] + (x[i] - 1) * interior[i];
    out.push_back(low[i] + inner + high[i]);
  }
  if (numElements(out) < 0)
    return ShapeOr::fail("padding " + toString(x) + " gives too many elements");
  return {out, ""};
}

ShapeOr oneHotShape(const Shape &indices, int64_t depth) {
  if (depth < 1)
    return ShapeOr::fail("depth must be at least 1, got " +
                         std::to_string(depth));
  Shape out = indices;
  out.push_back(depth);
  if (numElements(out) < 0)
    return ShapeOr::fail("one_hot of " + toString(indices) + " with depth " +
                         std::to_string(depth) + " has too many elements");
  return {out, ""};
}

ShapeOr gatherShape(const Shape &table, const Shape &indices) {
  if (table.empty() || table[0] < 1)
    return ShapeOr::fail("table must have rank >= 1 and at least one row, got " +
                         toString(table));
  Shape out = indices;
  out.insert(out.end(), table.begin() + 1, table.end());
  return {out, ""};
}

static std::string checkPair(const char *what, const std::vector<int64_t> &v,
                             int64_t minValue) {
  if (v.size() != 2)
    return std::string(what) + " must have 2 entries, got " + list(v);
  for (int64_t e : v)
    if (e < minValue)
      return std::string(what) + " " + list(v) + " must be >= " +
             std::to_string(minValue);
  return "";
}

static std::string checkPadding(const std::vector<int64_t> &p) {
  if (p.size() != 4)
    return "padding must be [top, bottom, left, right], got " + list(p);
  for (int64_t e : p)
    if (e < 0)
      return "padding " + list(p) + " must be >= 0";
  return "";
}

// Output extent of a window sliding over `in` padded by `lo` and `hi`.
static int64_t windowOut(int64_t in, int64_t lo, int64_t hi, int64_t extent,
                         int64_t stride) {
  int64_t span = in + lo + hi - extent;
  return span < 0 ? 0 : span / stride + 1;
}

ShapeOr conv2dShape(const Shape &input, const Shape &filter,
                    const std::vector<int64_t> &strides,
                    const std::vector<int64_t> &padding,
                    const std::vector<int64_t> &dilations) {
  if (input.size() != 4 || filter.size() != 4)
    return ShapeOr::fail("expects input [N, H, W, C] and filter [KH, KW, C, F],"
                         " got " + toString(input) + " and " + toString(filter));
  if (input[3] != filter[2])
    return ShapeOr::fail("input channels " + std::to_string(input[3]) +
                         " of " + toString(input) +
                         " differ from filter channels " +
                         std::to_string(filter[2]) + " of " + toString(filter));
  for (std::string e : {checkPair("strides", strides, 1),
                        checkPair("dilations", dilations, 1),
                        checkPadding(padding)})
    if (!e.empty())
      return ShapeOr::fail(e);
  int64_t kh = (filter[0] - 1) * dilations[0] + 1;
  int64_t kw = (filter[1] - 1) * dilations[1] + 1;
  int64_t oh = windowOut(input[1], padding[0], padding[1], kh, strides[0]);
  int64_t ow = windowOut(input[2], padding[2], padding[3], kw, strides[1]);
  if (oh < 1 || ow < 1)
    return ShapeOr::fail("filter " + toString(filter) + " is larger than the "
                         "padded input " + toString(input));
  return {{input[0], oh, ow, filter[3]}, ""};
}

ShapeOr pool2dShape(const Shape &input, const std::vector<int64_t> &window,
                    const std::vector<int64_t> &strides,
                    const std::vector<int64_t> &padding) {
  if (input.size() != 4)
    return ShapeOr::fail("expects input [N, H, W, C], got " + toString(input));
  for (std::string e : {checkPair("window", window, 1),
                        checkPair("strides", strides, 1),
                        checkPadding(padding)})
    if (!e.empty())
      return ShapeOr::fail(e);
  if (padding[0] >= window[0] || padding[1] >= window[0] ||
      padding[2] >= window[1] || padding[3] >= window[1])
    return ShapeOr::fail("padding " + list(padding) +
                         " must be smaller than the window " + list(window));
  int64_t oh = windowOut(input[1], padding[0], padding[1], window[0], strides[0]);
  int64_t ow = windowOut(input[2], padding[2], padding[3], window[1], strides[1]);
  if (oh < 1 || ow < 1)
    return ShapeOr::fail("window " + list(window) +
                         " is larger than the padded input " + toString(input));
  return {{input[0], oh, ow, input[3]}, ""};
}

ShapeOr patchesPixels(const Shape &input, const std::vector<int64_t> &window,
                      const std::vector<int64_t> &strides,
                      const std::vector<int64_t> &dilations) {
  if (input.size() != 4)
    return ShapeOr::fail("expects input [N, H, W, C], got " + toString(input));
  for (std::string e : {checkPair("window", window, 1),
                        checkPair("strides", strides, 1),
                        checkPair("dilations", dilations, 1)})
    if (!e.empty())
      return ShapeOr::fail(e);
  int64_t oh = windowOut(input[1], 0, 0, (window[0] - 1) * dilations[0] + 1,
                         strides[0]);
  int64_t ow = windowOut(input[2], 0, 0, (window[1] - 1) * dilations[1] + 1,
                         strides[1]);
  if (oh < 1 || ow < 1)
    return ShapeOr::fail("window " + list(window) + " is larger than the input " +
                         toString(input));
  return {{input[0], oh, ow}, ""};
}

ShapeOr patchesShape(const Shape &input, const std::vector<int64_t> &window,
                     const std::vector<int64_t> &strides,
                     const std::vector<int64_t> &dilations) {
  ShapeOr pixels = patchesPixels(input, window, strides, dilations);
  if (!pixels.ok())
    return pixels;
  Shape p = pixels.shape;
  int64_t depth = window[0] * window[1] * input[3];
  if (numElements({p[0], p[1], p[2], depth}) < 0)
    return ShapeOr::fail("too many elements");
  return {{p[0] * p[1] * p[2], depth}, ""};
}

ShapeOr layerNormShape(const Shape &x, const Shape &gamma, const Shape &beta) {
  if (x.empty())
    return ShapeOr::fail("input must have rank >= 1");
  Shape want{x.back()};
  if (gamma != want || beta != want)
    return ShapeOr::fail("gamma " + toString(gamma) + " and beta " +
                         toString(beta) + " must both be " + toString(want) +
                         " to match the last dim of " + toString(x));
  return {x, ""};
}

} // namespace kiln
