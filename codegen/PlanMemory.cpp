//===- PlanMemory.cpp - Arena offsets for the buffers between kernels -----===//
//
// A compiled model runs in one scratch arena sized at compile time, so a run
// allocates nothing. An elementwise step writes its result over an operand
// that nothing reads later (in place); buffers whose lifetimes do not
// overlap share memory; the greedy-by-size order (largest first, lowest
// fitting offset) is simple and lands close to the lower bound on the seed
// models.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/ir/HostTensor.h"
#include "kiln/ir/Model.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <functional>

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORY
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int64_t kAlign = 64;

struct Interval {
  int64_t size, first, last; // bytes; steps that write and last read it
  int64_t offset = -1;
  bool inPlace = false; // shares the buffer of an operand; not placed
};

/// Whether `call`'s kernel is one elementwise kiln op (OpTrait::Elementwise),
/// whose result may then overwrite an operand of the same type.
bool isElementwiseStep(func::CallOp call, SymbolTable &symbols) {
  auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
  if (!kernel || kernel.isDeclaration() || call.getNumResults() != 1)
    return false;
  Operation *ret = kernel.getBody().front().getTerminator();
  Operation *root = ret->getOperand(0).getDefiningOp();
  return root && root->hasTrait<kiln::OpTrait::Elementwise>();
}

int64_t byteSize(Type type) {
  auto t = cast<RankedTensorType>(type);
  auto dtype = dtypeOf(t.getElementType());
  int64_t bytes = t.getNumElements() * (dtype ? dtypeSize(*dtype) : 8);
  if (!dtype)
    llvm::consumeError(dtype.takeError());
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

struct PlanMemoryPass : kiln::impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    auto model = modelFunc(getOperation());
    if (!model) {
      getOperation().emitError(llvm::toString(model.takeError()));
      return signalPassFailure();
    }
    func::FuncOp func = *model;
    Operation *ret = func.getBody().front().getTerminator();
    SmallVector<func::CallOp> steps;
    for (Operation &op : func.getBody().front().without_terminator()) {
      if (isView(&op))
        continue;
      auto call = dyn_cast<func::CallOp>(op);
      if (!call) {
        op.emitOpError("is not a kernel call; run --kiln-outline-kernels "
                       "before --kiln-plan-memory");
        return signalPassFailure();
      }
      steps.push_back(call);
    }

    // Lifetimes of the buffers that live in the arena. A view (a reshape
    // left in the function) is its input's buffer: its readers read that.
    llvm::DenseMap<Value, unsigned> index;
    std::vector<Interval> buffers;
    std::function<int64_t(Value)> lastReader = [&](Value v) {
      int64_t last = -1;
      for (Operation *user : v.getUsers()) {
        if (auto c = dyn_cast<func::CallOp>(user))
          last = std::max<int64_t>(
              last, std::find(steps.begin(), steps.end(), c) - steps.begin());
        else if (isView(user))
          last = std::max(last, lastReader(user->getResult(0)));
      }
      return last;
    };
    for (auto [step, call] : llvm::enumerate(steps))
      for (Value v : call.getResults()) {
        if (llvm::is_contained(ret->getOperands(), v))
          continue; // an output: the caller's buffer
        index[v] = buffers.size();
        buffers.push_back({byteSize(v.getType()), (int64_t)step,
                           std::max<int64_t>(step, lastReader(v))});
      }
    auto bufferOf = [&](Value v) {
      while (Operation *def = v.getDefiningOp()) {
        if (!isView(def))
          break;
        v = def->getOperand(0);
      }
      return index.find(v);
    };

    // In place: the result of an elementwise step takes the buffer of an
    // operand of its type whose last reader is that step. Each result
    // element reads only its own operand elements, so the kernel may write
    // over what it reads.
    SymbolTable symbols(getOperation());
    for (auto [step, call] : llvm::enumerate(steps)) {
      if (!inPlace || !isElementwiseStep(call, symbols) ||
          !index.count(call->getResult(0)))
        continue;
      Value result = call->getResult(0);
      for (Value operand : call.getOperands()) {
        auto it = bufferOf(operand);
        if (it == index.end() || operand.getType() != result.getType() ||
            buffers[it->second].last != (int64_t)step)
          continue;
        Interval &merged = buffers[it->second];
        Interval &own = buffers[index[result]];
        merged.last = own.last;
        own.inPlace = true;
        index[result] = it->second;
        break;
      }
    }

    std::vector<unsigned> order;
    for (unsigned i = 0; i < buffers.size(); ++i)
      if (!buffers[i].inPlace)
        order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
      return buffers[a].size > buffers[b].size;
    });
    int64_t arenaSize = 0;
    std::vector<unsigned> placed;
    for (unsigned i : order) {
      Interval &buf = buffers[i];
      // Placed buffers alive at the same time, by offset.
      std::vector<const Interval *> live;
      for (unsigned j : placed)
        if (buffers[j].first <= buf.last && buf.first <= buffers[j].last)
          live.push_back(&buffers[j]);
      std::sort(live.begin(), live.end(),
                [](auto *a, auto *b) { return a->offset < b->offset; });
      int64_t offset = 0;
      for (const Interval *other : live) {
        if (offset + buf.size <= other->offset)
          break;
        offset = std::max(offset, other->offset + other->size);
      }
      buf.offset = offset;
      arenaSize = std::max(arenaSize, offset + buf.size);
      placed.push_back(i);
    }

    int64_t lowerBound = 0;
    for (int64_t step = 0; step < (int64_t)steps.size(); ++step) {
      int64_t live = 0;
      for (const Interval &b : buffers)
        if (!b.inPlace && b.first <= step && step <= b.last)
          live += b.size;
      lowerBound = std::max(lowerBound, live);
    }

    Builder b(&getContext());
    for (func::CallOp call : steps) {
      SmallVector<int64_t> offsets;
      for (Value v : call.getResults())
        offsets.push_back(index.count(v) ? buffers[index[v]].offset : -1);
      call->setAttr(kArenaOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    }
    func->setAttr(kArenaSizeAttr, b.getI64IntegerAttr(arenaSize));
    func->setAttr(kArenaLowerBoundAttr, b.getI64IntegerAttr(lowerBound));
  }
};

} // namespace
