//===- FusionAnalysis.cpp - How a set of ops runs as one kernel -----------===//
//
// See docs/fusion.md for the model in words. In short: a kernel's cost is
// the bytes it moves through memory plus a launch; fusing two kernels pays
// when the values between them can stay in cache, which needs a way to run
// the fused kernel piece by piece with no op computed twice:
//   - chunked: every value is cut along a dim per grid axis (one or two
//     axes) and the kernel loops over chunks, running each op once per
//     chunk;
//   - whole: everything fits in cache as it is.
//
//===----------------------------------------------------------------------===//
#include "kiln/passes/FusionAnalysis.h"
#include "kiln/ir/KilnDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <functional>
#include <tuple>

using namespace mlir;

namespace kiln {

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Operand dim for numpy broadcasting: aligned on the right, a dim of size
/// 1 (or a missing one) under a longer result dim is read whole.
int64_t broadcastDim(ArrayRef<int64_t> operand, ArrayRef<int64_t> result,
                     int64_t dim) {
  int64_t d = dim - (int64_t)(result.size() - operand.size());
  if (d < 0 || (operand[d] == 1 && result[dim] != 1))
    return kWhole;
  return d;
}

SmallVector<int64_t> normalized(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes)
    out.push_back(a < 0 ? a + rank : a);
  return out;
}

using Cuts = SmallVector<Cut>;

Cut along(int64_t dim) { return Cut{dim, 1, 0}; }

std::optional<Cuts> reduceDims(Operation *op, ArrayRef<int64_t> axesAttr,
                               bool keepDims, int64_t dim) {
  int64_t rank = shapeOf(op->getOperand(0)).size();
  SmallVector<int64_t> axes = normalized(axesAttr, rank);
  if (keepDims) {
    if (llvm::is_contained(axes, dim))
      return std::nullopt;
    return Cuts{along(dim)};
  }
  // Result dim `dim` is the dim-th input dim that is not reduced.
  for (int64_t d = 0, kept = 0; d < rank; ++d) {
    if (llvm::is_contained(axes, d))
      continue;
    if (kept++ == dim)
      return Cuts{along(d)};
  }
  return std::nullopt;
}

std::optional<Cuts> matmulDims(MatmulOp op, int64_t dim) {
  ArrayRef<int64_t> out = shapeOf(op.getResult());
  ArrayRef<int64_t> lhs = shapeOf(op.getLhs()), rhs = shapeOf(op.getRhs());
  int64_t rank = out.size();
  if (dim == rank - 2)
    return Cuts{along((int64_t)lhs.size() - 2), along(kWhole)};
  if (dim == rank - 1)
    return Cuts{along(kWhole), along((int64_t)rhs.size() - 1)};
  // A batch dim: broadcast like elementwise ops over the batch dims only.
  ArrayRef<int64_t> batch = out.drop_back(2);
  return Cuts{along(broadcastDim(lhs.drop_back(2), batch, dim)),
              along(broadcastDim(rhs.drop_back(2), batch, dim))};
}

/// A sliding window (conv2d, max_pool2d) along spatial dim `dim` (1: rows,
/// 2: columns) of an NHWC result: output index i reads input indices
/// [i * stride, i * stride + span), span = (window - 1) * dilation + 1. A
/// padded side would need a chunk-dependent pad, so padding forbids it.
std::optional<Cut> windowCut(int64_t dim, ArrayRef<int64_t> window,
                             ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations,
                             ArrayRef<int64_t> padding) {
  unsigned s = dim - 1;
  if (padding[2 * s] != 0 || padding[2 * s + 1] != 0)
    return std::nullopt;
  int64_t span = (window[s] - 1) * (dilations.empty() ? 1 : dilations[s]) + 1;
  return Cut{dim, strides[s], span - strides[s]};
}

/// Reshape keeps a cut along `dim` when the dims before it hold as many
/// elements on both sides, and the dim itself has the same size: then a
/// chunk of the result is the reshape of a chunk of the input. When the
/// dim and the ones after it split an input dim ([B, S, D] -> [B, S, H,
/// dh]), a chunk of the dim is a chunk of that input dim, scaled by the
/// size of the dims split off after it (dh).
std::optional<Cuts> reshapeDims(ReshapeOp op, int64_t dim) {
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
  int64_t before = 1;
  for (int64_t d = 0; d < dim; ++d)
    before *= out[d];
  int64_t inBefore = 1;
  for (int64_t d = 0; d < (int64_t)in.size(); ++d) {
    if (inBefore == before) {
      int64_t split = out[dim];
      for (int64_t tail = dim + 1; split < in[d] && tail < (int64_t)out.size();
           ++tail)
        split *= out[tail];
      if (split == in[d])
        return Cuts{Cut{d, in[d] / out[dim], 0}};
    }
    inBefore *= in[d];
  }
  return std::nullopt;
}

} // namespace

bool readInPlace(Value v) {
  if (v.use_empty())
    return false;
  if (v.getDefiningOp<ReshapeOp>())
    return llvm::all_of(v.getUsers(), [](Operation *user) {
      return isa<TransposeOp>(user) && readInPlace(user->getResult(0));
    });
  auto t = v.getDefiningOp<TransposeOp>();
  return t && t.getPerm() == ArrayRef<int64_t>{1, 0} &&
         llvm::all_of(v.getUses(), [](OpOperand &use) {
           // The forms --kiln-tile-matmul tiles: f32, 2-D, A or B (into
           // few static columns, A not transposed too) read transposed.
           auto m = dyn_cast<MatmulOp>(use.getOwner());
           if (!m || shapeOf(m.getLhs()).size() != 2 ||
               shapeOf(m.getRhs()).size() != 2 ||
               !cast<RankedTensorType>(m.getType()).getElementType().isF32())
             return false;
           if (use.getOperandNumber() == 0)
             return true;
           int64_t columns = shapeOf(m.getResult()).back();
           return !ShapedType::isDynamic(columns) &&
                  columns <= kMaxDotColumns &&
                  !m.getLhs().getDefiningOp<TransposeOp>();
         });
}

bool isElementwise(Operation *op) {
  return op->hasTrait<OpTrait::Elementwise>() || isa<CastOp>(op);
}
bool isContraction(Operation *op) { return isa<MatmulOp, Conv2dOp>(op); }
bool isReduction(Operation *op) {
  return isa<ReduceSumOp, ReduceMaxOp, ReduceMeanOp>(op);
}
bool isFusable(Operation *op) {
  return isElementwise(op) || isContraction(op) || isReduction(op) ||
         isa<MaxPool2dOp, TransposeOp, ReshapeOp, OneHotOp>(op);
}

std::optional<SmallVector<Cut>> operandDims(Operation *op, int64_t dim) {
  if (op->getNumResults() != 1)
    return std::nullopt;
  ArrayRef<int64_t> out = shapeOf(op->getResult(0));
  if (dim < 0 || dim >= (int64_t)out.size())
    return std::nullopt;
  if (isElementwise(op)) {
    Cuts cuts;
    for (Value v : op->getOperands())
      cuts.push_back(along(broadcastDim(shapeOf(v), out, dim)));
    return cuts;
  }
  return llvm::TypeSwitch<Operation *, std::optional<Cuts>>(op)
      .Case<ReduceSumOp, ReduceMaxOp, ReduceMeanOp>([&](auto r) {
        return reduceDims(op, r.getAxes(), r.getKeepDims(), dim);
      })
      .Case([&](MatmulOp m) { return matmulDims(m, dim); })
      .Case([&](Conv2dOp c) -> std::optional<Cuts> {
        // NHWC x HWCF: images, or output rows or columns with a halo of
        // input. A cut of the output channels would starve the kernel's
        // register tile, which runs along them.
        if (dim == 0)
          return Cuts{along(0), along(kWhole)};
        if (dim == 3)
          return std::nullopt;
        ArrayRef<int64_t> filter = shapeOf(c.getFilter());
        auto cut = windowCut(dim, filter.take_front(2), c.getStrides(),
                             c.getDilations(), c.getPadding());
        if (!cut)
          return std::nullopt;
        return Cuts{*cut, along(kWhole)};
      })
      .Case([&](MaxPool2dOp p) -> std::optional<Cuts> {
        if (dim == 0 || dim == 3)
          return Cuts{along(dim)};
        auto cut = windowCut(dim, p.getWindow(), p.getStrides(), {},
                             p.getPadding());
        if (!cut)
          return std::nullopt;
        return Cuts{*cut};
      })
      .Case([&](TransposeOp t) -> std::optional<Cuts> {
        return Cuts{along(t.getPerm()[dim])};
      })
      .Case([&](ReshapeOp r) { return reshapeDims(r, dim); })
      .Case([&](OneHotOp) -> std::optional<Cuts> {
        // A chunk of ids is a chunk of rows. A chunk of the depth would
        // place its 1s by the chunk's own index, not the row's.
        if (dim == (int64_t)out.size() - 1)
          return std::nullopt;
        return Cuts{along(dim)};
      })
      .Default([](Operation *) { return std::nullopt; });
}

SmallVector<Operation *> AttentionChain::ops() const {
  SmallVector<Operation *> all = {scores};
  if (scale)
    all.push_back(scale);
  all.append({max, sub, exp, sum, div, output});
  return all;
}

int64_t AttentionChain::keys() const {
  return shapeOf(scores->getResult(0)).back();
}

bool AttentionChain::blocked() const { return keys() > kKeyBlock; }

std::optional<AttentionChain> matchAttention(Operation *output) {
  auto pv = dyn_cast<MatmulOp>(output);
  if (!pv)
    return std::nullopt;
  AttentionChain c;
  c.output = pv;
  // Each value of the chain has exactly the users the chain gives it.
  auto usedOnlyBy = [](Value v, std::initializer_list<Operation *> users) {
    return llvm::all_of(v.getUsers(), [&](Operation *u) {
      return llvm::is_contained(users, u);
    });
  };
  auto lastAxis = [](Operation *op, ArrayRef<int64_t> axes, bool keep) {
    int64_t rank = shapeOf(op->getOperand(0)).size();
    return keep && axes.size() == 1 &&
           (axes[0] == rank - 1 || axes[0] == -1);
  };
  auto div = pv.getLhs().getDefiningOp<DivOp>();
  if (!div || !usedOnlyBy(div, {pv}))
    return std::nullopt;
  auto exp = div.getLhs().getDefiningOp<ExpOp>();
  auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
  if (!exp || !sum || sum.getInput() != exp.getResult() ||
      !lastAxis(sum, sum.getAxes(), sum.getKeepDims()) ||
      !usedOnlyBy(sum, {div}) || !usedOnlyBy(exp, {sum, div}))
    return std::nullopt;
  auto sub = exp.getOperand().getDefiningOp<SubOp>();
  if (!sub || !usedOnlyBy(sub, {exp}))
    return std::nullopt;
  auto max = sub.getRhs().getDefiningOp<ReduceMaxOp>();
  Value s = sub.getLhs();
  if (!max || max.getInput() != s ||
      !lastAxis(max, max.getAxes(), max.getKeepDims()) ||
      !usedOnlyBy(max, {sub}) || !usedOnlyBy(s, {max, sub}))
    return std::nullopt;
  c.div = div;
  c.exp = exp;
  c.sum = sum;
  c.sub = sub;
  c.max = max;
  // An optional scale by a scalar constant.
  if (auto mul = s.getDefiningOp<MulOp>()) {
    auto k = mul.getRhs().getDefiningOp<ConstantOp>();
    if (!k || cast<RankedTensorType>(k.getType()).getRank() != 0 ||
        !usedOnlyBy(mul.getLhs(), {mul}))
      return std::nullopt;
    c.scale = mul;
    s = mul.getLhs();
  }
  auto qk = s.getDefiningOp<MatmulOp>();
  if (!qk)
    return std::nullopt;
  c.scores = qk;
  // Same batch dims throughout (no broadcast), f32, keys along the last
  // dim of the scores and the rows of V.
  ArrayRef<int64_t> scores = shapeOf(qk.getResult());
  auto f32 = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType().isF32();
  };
  if (!f32(qk.getResult()) || shapeOf(qk.getLhs()).size() != scores.size() ||
      shapeOf(qk.getRhs()).size() != scores.size() ||
      shapeOf(pv.getRhs()).size() != scores.size() ||
      shapeOf(pv.getRhs())[scores.size() - 2] != scores.back() ||
      shapeOf(pv.getRhs()).drop_back(2) != scores.drop_back(2) ||
      shapeOf(qk.getLhs()).drop_back(2) != scores.drop_back(2) ||
      shapeOf(qk.getRhs()).drop_back(2) != scores.drop_back(2))
    return std::nullopt;
  return c;
}

int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getNumElements() *
         std::max<int64_t>(t.getElementTypeBitWidth() / 8, 1);
}

int64_t flopsOf(Operation *op) {
  if (op->getNumResults() != 1)
    return 0;
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  return llvm::TypeSwitch<Operation *, int64_t>(op)
      .Case([&](MatmulOp m) {
        return 2 * out.getNumElements() * shapeOf(m.getLhs()).back();
      })
      .Case([&](Conv2dOp c) {
        ArrayRef<int64_t> f = shapeOf(c.getFilter());
        return 2 * out.getNumElements() * f[0] * f[1] * f[2];
      })
      .Case([&](MaxPool2dOp p) {
        int64_t window = 1;
        for (int64_t w : p.getWindow())
          window *= w;
        return out.getNumElements() * window;
      })
      .Case<ReduceSumOp, ReduceMaxOp, ReduceMeanOp>([&](auto r) {
        return cast<RankedTensorType>(r.getInput().getType()).getNumElements();
      })
      .Case<ReshapeOp, TransposeOp, ConstantOp, ParamOp>(
          [](Operation *) { return 0; })
      .Default([&](Operation *) { return out.getNumElements(); });
}

OpSet OpSet::of(ArrayRef<Operation *> ops) {
  OpSet set;
  set.ops.assign(ops.begin(), ops.end());
  llvm::SmallPtrSet<Operation *, 16> members(ops.begin(), ops.end());
  for (Operation *op : ops)
    for (Value r : op->getResults())
      if (llvm::any_of(r.getUsers(), [&](Operation *user) {
            return !members.contains(user);
          }))
        set.outputs.push_back(r);
  return set;
}

OpSet OpSet::ofBlock(Block &block) {
  OpSet set;
  for (Operation &op : block.without_terminator())
    set.ops.push_back(&op);
  for (Value v : block.getTerminator()->getOperands())
    if (set.contains(v) && !llvm::is_contained(set.outputs, v))
      set.outputs.push_back(v);
  return set;
}

bool OpSet::contains(Value v) const {
  Operation *def = v.getDefiningOp();
  return def && llvm::is_contained(ops, def);
}

int64_t Grid::chunks() const {
  int64_t n = 1;
  for (const GridAxis &axis : axes)
    n *= axis.chunks;
  return n;
}

namespace {

/// One axis of the grid in which output i is cut along `outputDims[i]`.
std::optional<GridAxis> propagateAxis(const OpSet &set,
                                      ArrayRef<int64_t> outputDims) {
  GridAxis grid;
  ArrayRef<int64_t> first = shapeOf(set.outputs[0]);
  if (outputDims[0] < 0 || outputDims[0] >= (int64_t)first.size())
    return std::nullopt;
  grid.extent = first[outputDims[0]];
  // A cut fits a value when the grid's chunks tile its dim: extent *
  // scale + extra indices.
  auto fits = [&](Value v, const Cut &cut) {
    ArrayRef<int64_t> shape = shapeOf(v);
    return cut.dim >= 0 && cut.dim < (int64_t)shape.size() &&
           shape[cut.dim] == grid.extent * cut.scale + cut.extra;
  };
  // A value made inside is cut, but for a scalar, made whole by every
  // chunk (its few FLOPs again each time), and a view read in place (a
  // transpose a matmul reads as its B), which costs nothing.
  auto assign = [&](Value v, const Cut &cut) {
    if (cut.dim == kWhole ? llvm::is_contained(set.outputs, v) ||
                                (!shapeOf(v).empty() && !readInPlace(v))
                          : cut.extra != 0 || !fits(v, cut))
      return false;
    auto [it, inserted] = grid.dims.try_emplace(v, cut);
    return inserted || it->second == cut;
  };
  for (auto [v, dim] : llvm::zip(set.outputs, outputDims))
    if (!assign(v, along(dim)))
      return std::nullopt;
  // Users come after their producers: walking backwards, a value's cut is
  // fixed by all its users inside the set before its producer is reached.
  for (Operation *op : llvm::reverse(set.ops)) {
    if (isa<ConstantOp>(op))
      continue;
    if (op->getNumResults() != 1)
      return std::nullopt;
    auto it = grid.dims.find(op->getResult(0));
    if (it == grid.dims.end())
      return std::nullopt; // unused
    Cut result = it->second;
    auto cuts = result.dim == kWhole
                    ? std::optional<Cuts>(
                          Cuts(op->getNumOperands(), along(kWhole)))
                    : operandDims(op, result.dim);
    if (!cuts)
      return std::nullopt;
    for (auto [operand, cut] : llvm::zip(op->getOpOperands(), *cuts)) {
      // Result indices [a s, (a + c) s) read operand indices
      // [a s t, (a + c) s t + (w - t)) for the op's own scale t and span w.
      Cut composed = cut;
      if (cut.dim != kWhole) {
        composed.scale = result.scale * cut.scale;
        composed.extra = cut.extra;
      }
      Value v = operand.get();
      bool inside = set.contains(v) && !v.getDefiningOp<ConstantOp>();
      if (!inside) {
        if (composed.dim != kWhole && !fits(v, composed))
          return std::nullopt;
        grid.inputDims[&operand] = composed;
      } else if (!assign(v, composed)) {
        return std::nullopt;
      }
    }
  }
  return grid;
}

} // namespace

std::optional<Grid> propagateGrid(const OpSet &set,
                                  ArrayRef<int64_t> gridDims) {
  size_t n = set.outputs.size();
  if (n == 0 || gridDims.empty() || gridDims.size() % n != 0)
    return std::nullopt;
  Grid grid;
  for (size_t a = 0; a < gridDims.size() / n; ++a) {
    auto axis = propagateAxis(set, gridDims.slice(a * n, n));
    if (!axis)
      return std::nullopt;
    grid.axes.push_back(std::move(*axis));
  }
  // Two axes cutting a value along one dim would cut it twice.
  for (size_t a = 1; a < grid.axes.size(); ++a)
    for (size_t b = 0; b < a; ++b) {
      for (auto &[v, cut] : grid.axes[a].dims)
        if (cut.dim != kWhole && grid.axes[b].dims.lookup(v).dim == cut.dim)
          return std::nullopt;
      for (auto &[use, cut] : grid.axes[a].inputDims)
        if (cut.dim != kWhole &&
            grid.axes[b].inputDims.lookup(use).dim == cut.dim)
          return std::nullopt;
    }
  return grid;
}

namespace {

/// Values from outside the set, each once (constants are cloned in and cost
/// nothing).
SmallVector<Value> inputsOf(const OpSet &set) {
  llvm::SetVector<Value> inputs;
  for (Operation *op : set.ops)
    for (Value v : op->getOperands())
      if (!set.contains(v) && !v.getDefiningOp<ConstantOp>())
        inputs.insert(v);
  return inputs.takeVector();
}

/// Values made inside, not outputs, that codegen keeps in a buffer: all
/// but an elementwise (or one_hot) result with one use by an elementwise op
/// or a reduction, which linalg's elementwise fusion computes inside its
/// user's loop.
SmallVector<Value> intermediatesOf(const OpSet &set) {
  SmallVector<Value> values;
  for (Operation *op : set.ops)
    for (Value r : op->getResults()) {
      if (isa<ConstantOp>(op) || llvm::is_contained(set.outputs, r))
        continue;
      // A cheap one (sub, mul, ...) with several such users is computed
      // again in each user's loop (--kiln-fuse-elementwise).
      auto computedInUser = [](Operation *user) {
        return isElementwise(user) || isReduction(user) || isa<OneHotOp>(user);
      };
      // The kiln ops that lower to a generic of at most two arith ops, the
      // ones --kiln-fuse-elementwise (isCheapElementwise) clones.
      bool cheap = isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, NegOp,
                       ReluOp, CastOp, CompareOp>(op);
      // one_hot lowers to an all-parallel generic over its result, which
      // fuses into its user's loop as an elementwise one does.
      bool inlined = (isElementwise(op) || isa<OneHotOp>(op)) &&
                     !r.use_empty() &&
                     (r.hasOneUse() || cheap) &&
                     llvm::all_of(r.getUsers(), computedInUser);
      if (!inlined && !readInPlace(r))
        values.push_back(r);
    }
  return values;
}

int64_t sumBytes(ArrayRef<Value> values) {
  int64_t sum = 0;
  for (Value v : values)
    sum += bytesOf(v.getType());
  return sum;
}

/// Bytes of the intermediates codegen keeps in buffers; the scores of an
/// attention chain run block of keys by block hold one block's.
int64_t bufferedBytes(const OpSet &set) {
  llvm::DenseMap<Value, int64_t> keyBlocks; // value -> its keys
  for (Operation *op : set.ops)
    if (auto chain = matchAttention(op);
        chain && chain->blocked() &&
        llvm::all_of(chain->ops(), [&](Operation *o) {
          return llvm::is_contained(set.ops, o);
        }))
      for (Operation *o : chain->ops())
        if (o != chain->output)
          keyBlocks[o->getResult(0)] = chain->keys();
  int64_t sum = 0;
  for (Value v : intermediatesOf(set)) {
    int64_t bytes = bytesOf(v.getType());
    auto it = keyBlocks.find(v);
    sum += it == keyBlocks.end() ? bytes : bytes / it->second * kKeyBlock;
  }
  return sum;
}

/// A value from outside as the chunks read it: the same cut (one per axis)
/// for all its uses, else the most read of them.
struct Input {
  Value value;
  SmallVector<Cut, 2> cuts;
};

SmallVector<Input> inputCutsOf(const Grid &grid) {
  SmallVector<Input> inputs;
  if (grid.axes.empty())
    return inputs;
  for (auto &entry : grid.axes[0].inputDims) {
    Input in{entry.first->get(), {}};
    for (const GridAxis &axis : grid.axes)
      in.cuts.push_back(axis.inputDims.lookup(entry.first));
    if (llvm::none_of(inputs, [&](const Input &other) {
          return other.value == in.value && other.cuts == in.cuts;
        }))
      inputs.push_back(std::move(in));
  }
  // Deterministic order, whatever the maps' iteration order.
  llvm::sort(inputs, [](const Input &a, const Input &b) {
    return a.value.getAsOpaquePointer() < b.value.getAsOpaquePointer() ||
           (a.value == b.value &&
            std::lexicographical_compare(
                a.cuts.begin(), a.cuts.end(), b.cuts.begin(), b.cuts.end(),
                [](const Cut &x, const Cut &y) {
                  return std::tie(x.dim, x.scale, x.extra) <
                         std::tie(y.dim, y.scale, y.extra);
                }));
  });
  return inputs;
}

/// Bytes of one chunk's slice of `in` for the chunk counts `chunks`.
int64_t sliceBytes(const Input &in, const Grid &grid,
                   ArrayRef<int64_t> chunks) {
  double bytes = bytesOf(in.value.getType());
  ArrayRef<int64_t> shape = shapeOf(in.value);
  for (auto [axis, cut, c] : llvm::zip(grid.axes, in.cuts, chunks))
    if (cut.dim != kWhole)
      bytes = bytes * ((axis.extent / c) * cut.scale + cut.extra) /
              shape[cut.dim];
  return (int64_t)bytes;
}

/// Bytes the chunk loop reads of `in`: each chunk's slice, loaded again
/// by every chunk that does not find it in cache. A slice stays in cache
/// (when it fits the cache budget) across the runs of chunks that differ
/// only along axes inside its last cut axis; an input that fits whole is
/// read once.
int64_t readBytes(const Input &in, const Grid &grid, ArrayRef<int64_t> chunks,
                  int64_t budget) {
  int64_t whole = bytesOf(in.value.getType());
  int64_t slice = sliceBytes(in, grid, chunks);
  int64_t lastCut = -1;
  for (auto [a, cut] : llvm::enumerate(in.cuts))
    if (cut.dim != kWhole)
      lastCut = a;
  if (lastCut < 0 && whole <= budget)
    return whole;
  int64_t loads = 1;
  for (auto [a, cut] : llvm::enumerate(in.cuts))
    if (cut.dim != kWhole || (int64_t)a < lastCut || slice > budget)
      loads *= chunks[a];
  return std::max(whole, slice * loads);
}

/// The chunked plan of `grid`, or nullopt when no chunk counts keep a
/// chunk's values in `budget` bytes.
std::optional<KernelCost> chunked(const OpSet &set, Grid grid, int64_t flops,
                                  int64_t budget) {
  size_t n = grid.axes.size();
  // Values made inside are cut by every axis; inputs by some.
  int64_t made = bufferedBytes(set) + sumBytes(set.outputs);
  SmallVector<Input> inputs = inputCutsOf(grid);
  // Per axis: whether it cuts a value along its innermost dim, which must
  // keep whole vectors (16 f32) in each chunk or the chunk's loops stop
  // vectorising; the fewest indices a chunk may hold: a matmul cut along
  // its rows keeps at least kMinMatmulRows of them, along its columns
  // kMinMatmulColumns, or its tiles run part empty; and the scale of a
  // conv's output columns, of which a chunk keeps whole register tiles.
  SmallVector<bool, 2> innermost(n, false);
  SmallVector<int64_t, 2> minSize(n, 1), columnScale(n, 0), rowScale(n, 0);
  for (auto [a, axis] : llvm::enumerate(grid.axes)) {
    innermost[a] = llvm::any_of(axis.dims, [](auto &entry) {
      return entry.second.dim == (int64_t)shapeOf(entry.first).size() - 1;
    });
    for (Operation *op : set.ops)
      if (auto m = dyn_cast<MatmulOp>(op)) {
        int64_t rank = cast<RankedTensorType>(m.getType()).getRank();
        int64_t dim = axis.dims.lookup(m.getResult()).dim;
        if (dim == rank - 2)
          minSize[a] = std::max(minSize[a], kMinMatmulRows);
        else if (dim == rank - 1)
          minSize[a] = std::max(minSize[a], kMinMatmulColumns);
      }
    // A conv cut along its output columns (NHWC dim 2) keeps whole
    // register tiles of them; one that --kiln-conv-to-winograd takes, cut
    // along its rows (dim 1), whole rows of its tiles where its rows allow.
    for (Operation *op : set.ops)
      if (auto c = dyn_cast<Conv2dOp>(op)) {
        Cut cut = axis.dims.lookup(c.getResult());
        if (cut.dim == 2)
          columnScale[a] = cut.scale;
        ArrayRef<int64_t> filter = shapeOf(c.getFilter());
        // The vector width is the target's; 8 lanes (AVX2) divide both.
        if (cut.dim == 1 && filter[0] == 3 && filter[1] == 3 &&
            filter[2] >= kWinogradMinChannels && filter[2] % 8 == 0 &&
            filter[3] % 8 == 0 &&
            llvm::all_of(c.getStrides(), [](int64_t s) { return s == 1; }) &&
            llvm::all_of(c.getDilations(), [](int64_t d) { return d == 1; }) &&
            shapeOf(c.getResult())[1] % kWinogradRows == 0)
          rowScale[a] = cut.scale;
      }
  }
  auto valid = [&](ArrayRef<int64_t> chunks) {
    int64_t all = 1, live = 0;
    for (auto [a, axis] : llvm::enumerate(grid.axes)) {
      int64_t c = chunks[a], size = axis.extent / c;
      if ((innermost[a] && size % 16 != 0) || (c > 1 && size < minSize[a]) ||
          (columnScale[a] && size * columnScale[a] % kConvTileColumns != 0) ||
          (rowScale[a] && size * rowScale[a] % kWinogradRows != 0))
        return false;
      all *= c;
    }
    // Operands read whole along some axis (weights, one head's keys) are
    // streamed through by the chunk's kernels' own cache tiling and take
    // no room.
    for (const Input &in : inputs)
      if (llvm::all_of(in.cuts, [](const Cut &c) { return c.dim != kWhole; }))
        live += sliceBytes(in, grid, chunks);
    return made / all + live <= budget;
  };
  auto readCost = [&](ArrayRef<int64_t> chunks) {
    // A value read with two different cuts: the most read of them.
    llvm::DenseMap<Value, int64_t> reads;
    for (const Input &in : inputs) {
      int64_t &r = reads[in.value];
      r = std::max(r, readBytes(in, grid, chunks, budget));
    }
    int64_t sum = 0;
    for (Value v : inputsOf(set))
      sum += reads.count(v) ? reads[v] : bytesOf(v.getType());
    return sum;
  };
  // The fewest chunks that fit, raised towards enough to share among
  // threads when the work is worth it; of as many, the fewest bytes read.
  // With two axes each cuts at least in two (else it is a one-axis grid).
  int64_t parallel = flops >= 4 * kParallelFlops ? 8
                     : flops >= kParallelFlops ||
                             sumBytes(inputsOf(set)) >= kParallelBytes
                         ? 2
                         : 1;
  SmallVector<int64_t, 2> best, chunks(n, 1);
  int64_t bestReads = 0;
  auto better = [&](int64_t total, int64_t reads) {
    if (best.empty())
      return true;
    int64_t bestTotal = 1;
    for (int64_t c : best)
      bestTotal *= c;
    bool enough = total >= parallel, bestEnough = bestTotal >= parallel;
    if (enough != bestEnough)
      return enough;
    if (total != bestTotal)
      return enough ? total < bestTotal : total > bestTotal;
    return reads < bestReads;
  };
  std::function<void(size_t)> search = [&](size_t a) {
    if (a == n) {
      if (!valid(chunks))
        return;
      int64_t total = 1;
      for (int64_t c : chunks)
        total *= c;
      int64_t reads = readCost(chunks);
      if (better(total, reads)) {
        best.assign(chunks.begin(), chunks.end());
        bestReads = reads;
      }
      return;
    }
    for (int64_t c = n > 1 ? 2 : 1; c <= grid.axes[a].extent; ++c)
      if (grid.axes[a].extent % c == 0) {
        chunks[a] = c;
        search(a + 1);
      }
  };
  search(0);
  if (best.empty())
    return std::nullopt;
  KernelCost cost;
  cost.flops = flops;
  cost.bytesRead = bestReads;
  cost.bytesWritten = sumBytes(set.outputs);
  for (auto [axis, c] : llvm::zip(grid.axes, best)) {
    axis.chunks = c;
    for (Value v : set.outputs)
      cost.gridDims.push_back(axis.dims.lookup(v).dim);
  }
  cost.chunks.assign(best.begin(), best.end());
  cost.strategy = grid.chunks() > 1 ? "chunked" : "whole";
  cost.grid = std::move(grid);
  return cost;
}

/// Every grid of one or two axes along dims of the first output (others
/// take the first of their dims of the same size that no other axis
/// cuts), outer axes along outer dims.
SmallVector<SmallVector<int64_t>> candidateGrids(const OpSet &set) {
  ArrayRef<int64_t> first = shapeOf(set.outputs.front());
  int64_t rank = first.size();
  SmallVector<SmallVector<int64_t>> axesDims; // first output's dims
  for (int64_t d = 0; d < rank; ++d)
    axesDims.push_back({d});
  for (int64_t d0 = 0; d0 < rank; ++d0)
    for (int64_t d1 = d0 + 1; d1 < rank; ++d1)
      axesDims.push_back({d0, d1});
  SmallVector<SmallVector<int64_t>> grids;
  for (ArrayRef<int64_t> dims : axesDims) {
    SmallVector<SmallVector<int64_t>> perOutput; // per output, per axis
    for (Value v : set.outputs) {
      ArrayRef<int64_t> shape = shapeOf(v);
      SmallVector<int64_t> taken;
      for (int64_t d : dims) {
        int64_t pick = -1;
        for (int64_t i = 0; i < (int64_t)shape.size() && pick < 0; ++i)
          if (shape[i] == first[d] && !llvm::is_contained(taken, i))
            pick = i;
        if (v == set.outputs.front())
          pick = d;
        taken.push_back(pick);
      }
      perOutput.push_back(taken);
    }
    SmallVector<int64_t> gridDims;
    for (size_t a = 0; a < dims.size(); ++a)
      for (auto &out : perOutput)
        gridDims.push_back(out[a]);
    grids.push_back(gridDims);
  }
  return grids;
}

} // namespace

std::optional<KernelCost> estimateKernel(const OpSet &set, int64_t budget) {
  if (set.outputs.empty())
    return std::nullopt;
  int64_t flops = 0;
  for (Operation *op : set.ops)
    flops += flopsOf(op);
  KernelCost base;
  base.flops = flops;
  base.bytesRead = sumBytes(inputsOf(set));
  base.bytesWritten = sumBytes(set.outputs);
  base.gridDims.assign(set.outputs.size(), 0);

  // The cheapest chunked grid; of as cheap, the one with fewer axes, then
  // the one that cuts outer dims (a chunk's inner loops stay long: a 2x2
  // max pool's chunks of 2x2 windows of every image left loops of 2 that
  // LLVM unrolled into scalar code), then more indices.
  std::optional<KernelCost> best;
  auto extent = [](const Grid &g) {
    int64_t e = 1;
    for (const GridAxis &axis : g.axes)
      e *= axis.extent;
    return e;
  };
  auto innermostCut = [](const KernelCost &c) {
    return c.gridDims.empty()
               ? int64_t(0)
               : *std::max_element(c.gridDims.begin(), c.gridDims.end());
  };
  auto rank = [&](const KernelCost &c) {
    return std::make_tuple(c.grid.axes.size(), innermostCut(c),
                           -extent(c.grid));
  };
  for (ArrayRef<int64_t> dims : candidateGrids(set)) {
    auto grid = propagateGrid(set, dims);
    if (!grid || llvm::any_of(grid->axes, [](const GridAxis &axis) {
          return axis.extent < 2;
        }))
      continue;
    auto cost = chunked(set, std::move(*grid), flops, budget);
    if (!cost || cost->strategy != "chunked")
      continue;
    if (!best || cost->cost() < best->cost() ||
        (cost->cost() == best->cost() && rank(*cost) < rank(*best)))
      best = std::move(cost);
  }
  if (best && best->cost() <= base.cost())
    return best;
  // Run whole, when everything made inside fits in cache as it is and the
  // work is too small to share among threads (a kernel run whole runs on
  // one); or when it is one op, the others read in place (a matmul of a
  // transpose), which --kiln-tile-to-workgroups shares among threads.
  auto made = [&](Operation *op) {
    return op->getNumResults() != 1 || !readInPlace(op->getResult(0)) ||
           llvm::is_contained(set.outputs, op->getResult(0));
  };
  if (llvm::count_if(set.ops, made) == 1 ||
      (bufferedBytes(set) <= budget && flops < kParallelFlops &&
       base.bytesRead < kParallelBytes))
    return base;
  return best;
}

std::string kindOf(ArrayRef<Operation *> ops) {
  bool contraction = llvm::any_of(ops, isContraction);
  bool reduction = llvm::any_of(ops, [](Operation *op) {
    return isReduction(op) || isa<MaxPool2dOp>(op);
  });
  if (contraction)
    return reduction ? "contraction_reduction" : "contraction";
  if (reduction)
    return "reduction";
  return "elementwise";
}

} // namespace kiln
