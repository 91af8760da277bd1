//===- Fusion.cpp - Group ops into kiln.fusion regions --------------------===//
//
// Greedy producer-into-consumer grouping, as XLA's and Glow's fusion passes
// do, with the decision left to the cost model (FusionAnalysis.h): merge
// two groups when the merged kernel costs less than the two apart. No rule
// here names a model pattern; epilogues, softmax, norms and attention come
// out of the same test, except that an attention chain codegen runs over
// blocks of keys starts as one group.
//
//===----------------------------------------------------------------------===//
#include "kiln/passes/FusionAnalysis.h"
#include "kiln/passes/Passes.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <functional>

namespace kiln {
#define GEN_PASS_DEF_FUSION
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Whether reshaping `from` into `to` only merges runs of adjacent dims
/// ([N, H/2, 2, W/2, 2, C] -> [N, H, W, C]), splitting none.
bool onlyMerges(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  size_t d = 0;
  for (int64_t size : to) {
    int64_t run = 1;
    while (d < from.size() && run < size)
      run *= from[d++];
    if (run != size)
      return false;
  }
  return d == from.size();
}

/// An elementwise op reading a reshape that merges dims of a computed value
/// runs on the unmerged shape instead, its other operands reshaped to it
/// and its result reshaped back:
///   mul(reshape(x), m) -> reshape(mul(x, reshape(m))).
/// A merge of a dim a grid cuts has no cut (FusionAnalysis reshapeDims)
/// and would stop x's kernel there; a split has one, so the op can join
/// x's kernel, and the reshape left after it is a view. The linalg
/// counterpart is fusion by expansion of tensor.collapse_shape. Taken only
/// where the reshape has no other reader and the other operands are
/// scalars or of the result's shape (no broadcast to reshape).
void expandThroughMerges(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    if (!isElementwise(&op) || op.getNumResults() != 1)
      continue;
    auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
    auto viewOperand = llvm::find_if(op.getOperands(), [&](Value v) {
      auto reshape = v.getDefiningOp<ReshapeOp>();
      if (!reshape || !v.hasOneUse() || v.getType() != resultType)
        return false;
      Value input = reshape.getInput();
      return input.getDefiningOp() && !input.getDefiningOp<ConstantOp>() &&
             onlyMerges(
                 cast<RankedTensorType>(input.getType()).getShape(),
                 resultType.getShape()) &&
             input.getType() != v.getType();
    });
    if (viewOperand == op.getOperands().end())
      continue;
    if (!llvm::all_of(op.getOperands(), [&](Value v) {
          auto t = cast<RankedTensorType>(v.getType());
          return t.getRank() == 0 || t.getShape() == resultType.getShape();
        }))
      continue;
    auto reshape = (*viewOperand).getDefiningOp<ReshapeOp>();
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(reshape.getInput().getType()).getShape();
    OpBuilder b(&op);
    IRMapping map;
    map.map(*viewOperand, reshape.getInput());
    for (Value v : op.getOperands()) {
      auto t = cast<RankedTensorType>(v.getType());
      if (!map.contains(v) && t.getRank() != 0)
        map.map(v, b.create<ReshapeOp>(op.getLoc(), t.clone(shape), v));
    }
    Operation *expanded = b.clone(op, map);
    expanded->getResult(0).setType(resultType.clone(shape));
    op.replaceAllUsesWith(b.create<ReshapeOp>(op.getLoc(), resultType,
                                              expanded->getResult(0)));
    op.erase();
    if (reshape.use_empty())
      reshape.erase();
  }
}

/// A rank-0 value computed from arguments and constants alone (Adam's
/// bias corrections, from the step's beta powers) is computed again for
/// every other fusable op that reads it. Shared, it would be made by one
/// kernel that every reader waits for; the update of the first layer then
/// held back the update of the last one, which could otherwise run beside
/// the input gradient that reads the same weight. Each reader gets its own
/// copy of the ops the value takes (a few scalar ops), each op once.
void duplicateScalars(Block &block, function_ref<bool(Operation *)> fusable) {
  llvm::DenseSet<Operation *> scalarOps;
  auto isScalar = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank() == 0;
  };
  for (Operation &op : block.without_terminator())
    if (isElementwise(&op) && op.getNumResults() == 1 &&
        isScalar(op.getResult(0)) &&
        llvm::all_of(op.getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return isScalar(v) &&
                 (!def || isa<ConstantOp>(def) || scalarOps.contains(def));
        }))
      scalarOps.insert(&op);
  for (Operation &user : block.without_terminator()) {
    if (scalarOps.contains(&user) || !fusable(&user))
      continue;
    OpBuilder b(&user);
    IRMapping copies;
    std::function<Value(Value)> copy = [&](Value v) -> Value {
      Operation *def = v.getDefiningOp();
      if (!def || !scalarOps.contains(def))
        return v;
      if (!copies.contains(v)) {
        for (Value operand : def->getOperands())
          copies.map(operand, copy(operand));
        copies.map(v, b.clone(*def, copies)->getResult(0));
      }
      return copies.lookup(v);
    };
    for (OpOperand &operand : user.getOpOperands())
      operand.set(copy(operand.get()));
  }
  // Users before producers; a reverse iterator would point past the op.
  SmallVector<Operation *> unused;
  for (Operation &op : block.without_terminator())
    if (scalarOps.contains(&op))
      unused.push_back(&op);
  for (Operation *op : llvm::reverse(unused))
    if (op->use_empty())
      op->erase();
}

struct FusionPass : kiln::impl::FusionBase<FusionPass> {
  using FusionBase::FusionBase;

  void runOnOperation() override {
    if (level != "none" && level != "elementwise" && level != "full") {
      getOperation().emitError("--kiln-fusion: level must be none, "
                               "elementwise or full, got '")
          << level << "'";
      return signalPassFailure();
    }
    if (level == "none")
      return;
    for (Block &block : getOperation().getBody()) {
      duplicateScalars(block, [&](Operation *op) { return allowed(op); });
      if (level == "full")
        expandThroughMerges(block);
      fuseBlock(block);
    }
  }

  bool allowed(Operation *op) const {
    return level == "full" ? isFusable(op) : isElementwise(op);
  }

  void fuseBlock(Block &block) {
    llvm::DenseMap<Operation *, unsigned> order;
    // Groups by id; an op's group is groupOf[op].
    std::vector<SmallVector<Operation *>> groups;
    llvm::DenseMap<Operation *, unsigned> groupOf;
    for (Operation &op : block.without_terminator()) {
      order[&op] = order.size();
      if (allowed(&op)) {
        groupOf[&op] = groups.size();
        groups.push_back({&op});
      }
    }
    // An attention chain that codegen runs over blocks of keys starts as
    // one group: only whole does it hold one block of scores at a time,
    // and no merge of a part of it would show that.
    for (Operation &op : block.without_terminator()) {
      auto chain = matchAttention(&op);
      if (!chain || !chain->blocked() ||
          !llvm::all_of(chain->ops(), [&](Operation *o) {
            return groupOf.count(o) && groups[groupOf[o]].size() == 1;
          }))
        continue;
      SmallVector<Operation *> ops = chain->ops();
      if (!estimateKernel(OpSet::of(ops), cacheBudget))
        continue;
      unsigned g = groupOf[ops.front()];
      for (Operation *o : ops) {
        groups[groupOf[o]].clear();
        groupOf[o] = g;
      }
      groups[g] = ops;
    }
    std::vector<std::optional<KernelCost>> costs(groups.size());
    auto costOf = [&](unsigned g) -> int64_t {
      if (!costs[g])
        costs[g] = estimateKernel(OpSet::of(groups[g]), cacheBudget);
      return costs[g] ? costs[g]->cost() : INT64_MAX / 4;
    };

    // Ops read in place are no kernel of their own: they join the matmul
    // that reads them, not their producers or siblings.
    auto readInPlaceOnly = [&](unsigned g) {
      return llvm::all_of(groups[g], [](Operation *op) {
        return op->getNumResults() == 1 && readInPlace(op->getResult(0));
      });
    };
    // Merges group `from` into group `into` when the merged kernel costs
    // less than the two apart.
    auto tryMerge = [&](unsigned from, unsigned into) {
      if (from == into || groups[from].empty() || groups[into].empty() ||
          readInPlaceOnly(into) || pathOutside(groups, groupOf, from, into) ||
          pathOutside(groups, groupOf, into, from))
        return false;
      SmallVector<Operation *> merged(groups[from]);
      llvm::append_range(merged, groups[into]);
      llvm::sort(merged, [&](Operation *a, Operation *b) {
        return order[a] < order[b];
      });
      auto cost = estimateKernel(OpSet::of(merged), cacheBudget);
      if (!cost || cost->cost() >= costOf(from) + costOf(into))
        return false;
      for (Operation *op : groups[from])
        groupOf[op] = into;
      groups[into] = std::move(merged);
      groups[from].clear();
      costs[into] = std::move(cost);
      return true;
    };

    // A cast that widens joins its readers first, its producer only if
    // none took it: merged into the producer first (the greedy order), it
    // would have that kernel store the wide values, though a reader's
    // kernel could widen the narrow ones it loads (a mask the forward pass
    // stores as i8 for the backward pass).
    auto widens = [](Operation *op) {
      auto cast = dyn_cast<CastOp>(op);
      return cast &&
             getElementTypeOrSelf(cast.getType()).getIntOrFloatBitWidth() >
                 getElementTypeOrSelf(cast.getInput().getType())
                     .getIntOrFloatBitWidth();
    };
    bool wideningToProducers = false;
    bool changed = true;
    while (changed || !wideningToProducers) {
      if (!changed)
        wideningToProducers = true;
      changed = false;
      // Producer into consumer.
      for (Operation &consumer : block.without_terminator()) {
        if (!groupOf.count(&consumer) ||
            (widens(&consumer) && !wideningToProducers))
          continue;
        for (Value operand : consumer.getOperands()) {
          Operation *producer = operand.getDefiningOp();
          if (producer && groupOf.count(producer) &&
              tryMerge(groupOf[producer], groupOf[&consumer]))
            changed = true;
        }
      }
      if (changed)
        continue;
      // Siblings: groups reading one value, as XLA's multi-output fusion
      // merges them (a weight read by its input gradient and by its
      // update is then read once).
      auto siblings = [&](Value v) {
        SmallVector<unsigned> readers;
        for (Operation *user : v.getUsers())
          if (groupOf.count(user) && !readInPlaceOnly(groupOf[user]) &&
              !llvm::is_contained(readers, groupOf[user]))
            readers.push_back(groupOf[user]);
        for (unsigned i = 0; i < readers.size(); ++i)
          for (unsigned j = i + 1; j < readers.size(); ++j)
            if (tryMerge(readers[j], readers[i]))
              return true;
        return false;
      };
      for (BlockArgument arg : block.getArguments())
        changed = changed || siblings(arg);
      for (Operation &op : block.without_terminator())
        for (Value v : op.getResults())
          changed = changed || siblings(v);
    }

    bool formed = false;
    for (auto [g, ops] : llvm::enumerate(groups))
      if (ops.size() > 1) {
        costOf(g); // a seeded group may not have merged since
        buildRegion(ops, *costs[g]);
        formed = true;
      }
    // A region sits where its last op was; a value it yields may have had
    // users before that point.
    if (formed && !sortTopologically(&block, block.without_terminator())) {
      getOperation().emitError("fusion regions form a cycle");
      signalPassFailure();
    }
  }

  /// Whether a value of group `from` reaches group `to` through an op in
  /// neither: merging them would then make a cycle. Another group on the
  /// way is one kernel: reaching any of its ops reaches all its outputs.
  static bool pathOutside(const std::vector<SmallVector<Operation *>> &groups,
                          const llvm::DenseMap<Operation *, unsigned> &groupOf,
                          unsigned fromId, unsigned toId) {
    auto groupOfOp = [&](Operation *op) -> std::optional<unsigned> {
      auto it = groupOf.find(op);
      if (it == groupOf.end())
        return std::nullopt;
      return it->second;
    };
    SmallVector<Operation *> work;
    llvm::SmallPtrSet<Operation *, 32> seen;
    auto visit = [&](Operation *op) {
      if (!seen.insert(op).second)
        return;
      std::optional<unsigned> g = groupOfOp(op);
      if (g && *g != fromId && *g != toId) {
        for (Operation *member : groups[*g])
          if (seen.insert(member).second || member == op)
            work.push_back(member);
        return;
      }
      work.push_back(op);
    };
    for (Operation *op : groups[fromId])
      for (Operation *user : op->getUsers())
        if (groupOfOp(user) != fromId && groupOfOp(user) != toId)
          visit(user);
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Operation *user : op->getUsers()) {
        std::optional<unsigned> g = groupOfOp(user);
        if (g == toId)
          return true;
        if (g != fromId)
          visit(user);
      }
    }
    return false;
  }

  void buildRegion(ArrayRef<Operation *> ops, const KernelCost &cost) {
    OpSet set = OpSet::of(ops);
    SmallVector<Value> inputs;
    for (Operation *op : ops)
      for (Value v : op->getOperands())
        if (!set.contains(v) && !v.getDefiningOp<ConstantOp>() &&
            !llvm::is_contained(inputs, v))
          inputs.push_back(v);
    OpBuilder b(ops.back());
    MLIRContext *ctx = &getContext();
    auto fusion = b.create<FusionOp>(
        ops.back()->getLoc(), TypeRange(ValueRange(set.outputs)), inputs,
        StringAttr::get(ctx, kindOf(ops)),
        DenseI64ArrayAttr::get(ctx, cost.gridDims),
        DenseI64ArrayAttr::get(ctx, cost.chunks));
    Block *body = b.createBlock(&fusion.getBody());
    IRMapping map;
    for (Value v : inputs)
      map.map(v, body->addArgument(v.getType(), v.getLoc()));
    for (Operation *op : ops)
      for (Value v : op->getOperands())
        if (auto c = v.getDefiningOp<ConstantOp>(); c && !map.contains(v))
          map.map(v, b.clone(*c)->getResult(0));
    for (Operation *op : ops)
      b.clone(*op, map);
    SmallVector<Value> yielded;
    for (Value v : set.outputs)
      yielded.push_back(map.lookup(v));
    b.create<YieldOp>(fusion.getLoc(), yielded);
    for (auto [from, to] : llvm::zip(set.outputs, fusion.getResults()))
      from.replaceAllUsesWith(to);
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }
};

} // namespace
