//===- TileToWorkgroups.cpp - Split each kernel's work across threads -----===//
//
// The runtime runs a step on several threads by calling its kernel once per
// workgroup with (workgroup_id, workgroup_count). This pass gives every
// kernel function those two leading index arguments and makes it compute
// only its share: the op that produces the returned value (the root) is
// tiled along one of its parallel loops with scf::tileConsumerAndFuseProducersUsingSCF,
// the tile size being ceil(extent / workgroup_count), and its producers
// (the fill of its output, broadcasts) are fused into the tile. The tile
// loop, which would run one iteration, becomes that iteration:
// [id * chunk, min((id + 1) * chunk, extent)).
//
// Tiling along a parallel loop leaves each output element's computation,
// reductions included, exactly as it was: results are bitwise the same for
// any workgroup count. What stays outside the tile runs in every workgroup,
// so it must only write memory of its own: the pass tiles a root only when
// its output starts as a tensor.empty (through fusable ops), so that no
// workgroup writes another's part of the shared output buffer.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace kiln {
#define GEN_PASS_DEF_TILETOWORKGROUPS
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// A parallel loop at least this long is long enough to share among the
/// threads of a usual host; the outermost one is tiled.
constexpr int64_t kLongLoop = 16;

/// Workgroups write disjoint parts of the output, but two parts that share
/// a cache line would still make the threads fight over it, every store.
constexpr int64_t kCacheLine = 64;

/// The rows of --kiln-tile-matmul's AVX-512 register tile, and the columns
/// of its widest panel (which --kiln-tile-matmul relies on).
constexpr int64_t kMatmulRows = 8;
constexpr int64_t kMatmulColumns = 32;

/// A matmul operand from this size on (bytes) is streamed from memory.
constexpr int64_t kLargeOperand = 1 << 20;

struct Plan {
  /// A fused kernel's loop over its chunks (--kiln-chunk-fused-kernels):
  /// workgroups take whole chunks.
  scf::ForOp chunkLoop;
  linalg::LinalgOp root;
  unsigned loop = 0;
  int64_t extent = 0;
  int64_t maxWorkgroups = 1;
  // Chunks are a multiple of this many iterations of `loop`, so that each
  // starts on a cache line of the output (given one that starts on one).
  int64_t align = 1;
  // Each workgroup reads all of an operand of kLargeOperand or more.
  bool onePerThread = false;
};

/// `v` starts as a tensor.empty, possibly through destination-style ops that
/// tiling fuses into the tile (fills, elementwise generics writing it).
bool startsEmpty(Value v) {
  while (true) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isa<tensor::EmptyOp>(def))
      return true;
    auto dps = dyn_cast<linalg::LinalgOp>(def);
    if (!dps || def->getNumResults() != 1 || dps.getNumDpsInits() != 1)
      return false;
    v = dps.getDpsInits()[0];
  }
}

/// An input of `root` indexed by `loop` is a kernel argument marked
/// kiln.constant, which --kiln-tile-matmul may read packed: as it is, or
/// with its leading dims collapsed (a filter read as a matrix).
bool readsConstantArgument(linalg::LinalgOp root, unsigned loop) {
  for (OpOperand *in : root.getDpsInputOperands()) {
    if (!root.getMatchingIndexingMap(in).isFunctionOfDim(loop))
      continue;
    Value v = in->get();
    while (auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>()) {
      if (collapse.getReassociationIndices().back().size() != 1)
        break;
      v = collapse.getSrc();
    }
    auto arg = dyn_cast<BlockArgument>(v);
    auto func = arg ? dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp())
                    : func::FuncOp();
    if (func && func.getArgAttr(arg.getArgNumber(), kConstantAttr))
      return true;
  }
  return false;
}

/// The chunk loop that computes every result of `kernel`, if that is how
/// the kernel ends, its outputs starting empty.
scf::ForOp chunkLoopOf(func::FuncOp kernel) {
  auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
  auto loop = ret.getNumOperands() ? ret.getOperand(0).getDefiningOp<scf::ForOp>()
                                   : scf::ForOp();
  if (!loop || !loop->hasAttr(kChunkLoopAttr) ||
      ret.getOperands() != ValueRange(loop.getResults()) ||
      !llvm::all_of(loop.getInitArgs(), [](Value v) {
        return v.getDefiningOp<tensor::EmptyOp>() != nullptr;
      }))
    return {};
  return loop;
}

/// How `kernel` is shared among workgroups; maxWorkgroups 1 when it is not.
Plan planKernel(func::FuncOp kernel, int64_t minWork) {
  Plan plan;
  if (scf::ForOp loop = chunkLoopOf(kernel)) {
    // The fusion cost model sized the chunks; more workgroups than chunks
    // would have nothing to do.
    std::optional<int64_t> trips = constantTripCount(
        loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    if (trips && *trips > 1) {
      plan.chunkLoop = loop;
      plan.maxWorkgroups = *trips;
    }
    return plan;
  }
  auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1)
    return plan;
  auto root = ret.getOperand(0).getDefiningOp<linalg::LinalgOp>();
  if (!root || root->getNumResults() != 1 || root.getNumDpsInits() != 1 ||
      !root.hasPureTensorSemantics() ||
      !isa<TilingInterface>(root.getOperation()))
    return plan;
  // A fused kernel run whole is small (its intermediates fit in cache), and
  // tiling its root would compute a producer with two users twice; unless,
  // lowered, the root is all there is (a matmul that reads a transpose in
  // place), as in a kernel of one op.
  if (kernel->hasAttr(kChunksAttr)) {
    bool alone = true;
    kernel.walk([&](linalg::LinalgOp op) {
      alone &= op == root || isa<linalg::FillOp>(op.getOperation());
    });
    if (!alone)
      return plan;
  }
  if (!startsEmpty(root.getDpsInits()[0]))
    return plan;
  // The tile's slice of an operand spans the map's values at the tile's
  // first and last index, which is all it reads only where the map grows
  // with the index. Across a mod or floordiv of a loop (kiln.patches' rows:
  // image p floordiv (OH OW), row (p floordiv OW) mod OH, column p mod
  // OW), tiles must then cover whole periods of that loop (whole images);
  // any other wrapping map is not split.
  llvm::DenseMap<unsigned, int64_t> periods; // loop -> lcm of its periods
  bool wrapsOtherwise = false;
  std::function<std::optional<std::pair<unsigned, int64_t>>(AffineExpr)>
      period = [&](AffineExpr e) -> std::optional<std::pair<unsigned, int64_t>> {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return std::make_pair(d.getPosition(), int64_t(1));
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    auto rhs = bin ? dyn_cast<AffineConstantExpr>(bin.getRHS())
                   : AffineConstantExpr();
    if (!rhs || rhs.getValue() < 1 ||
        (e.getKind() != AffineExprKind::Mod &&
         e.getKind() != AffineExprKind::FloorDiv))
      return std::nullopt;
    auto inner = period(bin.getLHS());
    if (!inner)
      return std::nullopt;
    return std::make_pair(inner->first, inner->second * rhs.getValue());
  };
  for (AffineMap map : root.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      e.walk([&](AffineExpr sub) {
        if (sub.getKind() != AffineExprKind::Mod &&
            sub.getKind() != AffineExprKind::FloorDiv &&
            sub.getKind() != AffineExprKind::CeilDiv)
          return;
        auto p = period(sub);
        if (!p) {
          wrapsOtherwise = true;
          return;
        }
        int64_t &lcm = periods.try_emplace(p->first, 1).first->second;
        lcm = std::lcm(lcm, p->second);
      });
  if (wrapsOtherwise)
    return plan;
  SmallVector<int64_t> extents = root.getStaticLoopRanges();
  int64_t work = 1;
  for (int64_t e : extents) {
    if (ShapedType::isDynamic(e))
      return plan;
    if (__builtin_mul_overflow(work, e, &work))
      work = INT64_MAX;
  }
  // Only a loop that indexes the output directly splits it into disjoint
  // parts.
  AffineMap out = root.getMatchingIndexingMap(root.getDpsInitOperand(0));
  auto outputDim = [&](unsigned loop) -> std::optional<unsigned> {
    for (unsigned r = 0; r < out.getNumResults(); ++r) {
      auto d = dyn_cast<AffineDimExpr>(out.getResult(r));
      if (d && d.getPosition() == loop)
        return r;
    }
    return std::nullopt;
  };
  auto indexesOutput = [&](unsigned loop) {
    return outputDim(loop).has_value();
  };
  SmallVector<utils::IteratorType> iterators = root.getIteratorTypesArray();
  std::optional<unsigned> chosen;
  for (unsigned i = 0; i < extents.size(); ++i) {
    if (!linalg::isParallelIterator(iterators[i]) || !indexesOutput(i) ||
        extents[i] < 2 ||
        (periods.count(i) && extents[i] % periods.lookup(i) != 0))
      continue;
    if (extents[i] >= kLongLoop) {
      chosen = i;
      break;
    }
    if (!chosen || extents[i] > extents[*chosen])
      chosen = i;
  }
  if (!chosen)
    return plan;
  // A reduction over the outer dims (a bias gradient: [N, H, W, C] summed
  // to [C]) split along its input's innermost dim has every workgroup walk
  // all of the input, each taking a part of every line pair (the pairs the
  // hardware prefetches together): 2 workgroups ran 1.4-3x slower than 1.
  if (root.getNumReductionLoops() != 0 && !isTileableMatmul(root))
    for (OpOperand *in : root.getDpsInputOperands()) {
      AffineMap map = root.getMatchingIndexingMap(in);
      if (map.getNumResults() != 0 &&
          map.getResults().back() ==
              getAffineDimExpr(*chosen, root->getContext()))
        return plan;
    }
  // A matmul split by rows reads all of B in every workgroup, split by
  // columns all of A. With more columns than rows and a B beyond the
  // caches (a filter gradient: 64 rows by 288 columns, summed over 41472
  // pixels), rows would make every thread stream the whole of B.
  if (isTileableMatmul(root) && *outputDim(*chosen) + 2 == out.getNumResults()) {
    int64_t k = 1;
    for (unsigned i = 0; i < extents.size(); ++i)
      if (!linalg::isParallelIterator(iterators[i]))
        k *= extents[i];
    for (unsigned i = 0; i < extents.size(); ++i)
      if (outputDim(i) == out.getNumResults() - 1 &&
          linalg::isParallelIterator(iterators[i]) &&
          extents[i] > extents[*chosen] && k * extents[i] * 4 > kLargeOperand)
        chosen = i;
  }
  // Bytes of the output between one index of the chosen dim and the next.
  auto outType = cast<RankedTensorType>(root->getResult(0).getType());
  Type element = outType.getElementType();
  if (!element.isIntOrFloat())
    return plan;
  int64_t stride = std::max<int64_t>(element.getIntOrFloatBitWidth() / 8, 1);
  for (int64_t d = *outputDim(*chosen) + 1; d < outType.getRank(); ++d)
    stride *= outType.getDimSize(d);
  int64_t align = stride > 0 ? kCacheLine / std::gcd(kCacheLine, stride) : 1;
  // A wrapping loop is cut at whole periods (a loop split otherwise stays
  // whole in every tile, its maps then spanning all they read).
  if (periods.count(*chosen))
    align = std::lcm(align, periods.lookup(*chosen));
  if (isTileableMatmul(root)) {
    // --kiln-tile-matmul runs a matmul's iterations about twice as fast as
    // other vectorised loops: two workgroups paid off from ~48^3 on, not
    // at 40^3. Its rows go in whole register tiles (8 rows): a workgroup
    // starting mid-tile would compute the rows around its edges in small
    // tiles, each reading all of B again.
    // Split along N, a weight packed into panels (kiln.constant) is cut
    // at whole 32-column panels, so that each chunk reads from a panel's
    // start. Any other B only needs whole cache lines: a filter gradient's
    // 288 columns split 144 + 144, not 160 + 128.
    work /= 2;
    if (*outputDim(*chosen) + 2 == outType.getRank())
      align = std::lcm(align, kMatmulRows);
    if (*outputDim(*chosen) + 1 == outType.getRank() &&
        readsConstantArgument(root, *chosen))
      align = std::lcm(align, kMatmulColumns);
  }
  int64_t extent = extents[*chosen];
  int64_t useful =
      std::min({extent, (extent + align - 1) / align,
                work / std::max<int64_t>(minWork, 1)});
  if (useful < 2)
    return plan;
  plan.root = root;
  plan.loop = *chosen;
  plan.extent = extent;
  plan.maxWorkgroups = useful;
  plan.align = align;
  // A matmul's operand that the split loop does not index is read whole by
  // every workgroup (and packed by each, when it is a transposed A): with
  // the runtime's several workgroups per thread, cnn's filter gradients
  // read and packed G 3 times per thread (9.9 ms on 2 cores with one
  // workgroup per thread, 12.1 with four) and its dense forward read X 4
  // times (3.4 ms against 4.7).
  if (isTileableMatmul(root))
    for (OpOperand *in : root.getDpsInputOperands()) {
      auto type = cast<RankedTensorType>(in->get().getType());
      plan.onePerThread |=
          !root.getMatchingIndexingMap(in).isFunctionOfDim(*chosen) &&
          type.hasStaticShape() &&
          type.getNumElements() * 4 >= kLargeOperand; // f32
    }
  return plan;
}

struct TileToWorkgroupsPass
    : kiln::impl::TileToWorkgroupsBase<TileToWorkgroupsPass> {
  using TileToWorkgroupsBase::TileToWorkgroupsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (f->hasAttr(kKernelAttr) && !f.isExternal())
        kernels.push_back(f);
    for (func::FuncOp kernel : kernels) {
      // New leading arguments would break every call.
      if (!SymbolTable::symbolKnownUseEmpty(kernel, module)) {
        kernel.emitError("kernel @")
            << kernel.getSymName()
            << " is called from the module; --kiln-tile-to-workgroups "
               "changes the signature of kernels and expects no callers";
        return signalPassFailure();
      }
      if (failed(tileKernel(kernel, ctx)))
        return signalPassFailure();
    }
  }

  /// Workgroup `id` of `count` runs chunks [id * per, (id + 1) * per) of
  /// the loop's `trips`, per = ceil(trips / count). Chunks write disjoint
  /// parts of the outputs, which start empty.
  LogicalResult splitChunkLoop(scf::ForOp loop, func::FuncOp kernel,
                               int64_t trips) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value id = kernel.getArgument(0), count = kernel.getArgument(1);
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    Value total = b.create<arith::ConstantIndexOp>(loc, trips);
    count = b.create<arith::MaxSIOp>(loc, count, one);
    id = b.create<arith::MaxSIOp>(loc, id, zero);
    Value per = b.create<arith::DivUIOp>(
        loc,
        b.create<arith::SubIOp>(loc, b.create<arith::AddIOp>(loc, total, count),
                                one),
        count);
    auto at = [&](Value chunk) {
      Value c = b.create<arith::MinSIOp>(loc, chunk, total);
      return b.create<arith::AddIOp>(
          loc, loop.getLowerBound(),
          b.create<arith::MulIOp>(loc, c, loop.getStep()));
    };
    Value first = b.create<arith::MulIOp>(loc, id, per);
    Value lb = at(first);
    Value ub = at(b.create<arith::AddIOp>(loc, first, per));
    loop.getLowerBoundMutable().assign(lb);
    loop.getUpperBoundMutable().assign(ub);
    return success();
  }

  LogicalResult tileKernel(func::FuncOp kernel, MLIRContext *ctx) {
    Plan plan = planKernel(kernel, minWorkPerWorkgroup);
    Type index = IndexType::get(ctx);
    Location loc = kernel.getLoc();
    kernel.insertArguments(
        {0, 0}, {index, index},
        {DictionaryAttr::get(ctx, {NamedAttribute(
                                      StringAttr::get(ctx, kWorkgroupIdAttr),
                                      UnitAttr::get(ctx))}),
         DictionaryAttr::get(
             ctx, {NamedAttribute(StringAttr::get(ctx, kWorkgroupCountAttr),
                                  UnitAttr::get(ctx))})},
        {loc, loc});
    kernel->setAttr(kMaxWorkgroupsAttr,
                    IntegerAttr::get(IntegerType::get(ctx, 64),
                                     plan.maxWorkgroups));
    if (plan.maxWorkgroups < 2)
      return success();
    if (plan.onePerThread)
      kernel->setAttr(kOneWorkgroupPerThreadAttr, UnitAttr::get(ctx));
    if (plan.chunkLoop)
      return splitChunkLoop(plan.chunkLoop, kernel, *constantTripCount(
          plan.chunkLoop.getLowerBound(), plan.chunkLoop.getUpperBound(),
          plan.chunkLoop.getStep()));

    // chunk = ceil(extent / count) rounded up to a multiple of align, with
    // count and id kept in range even if a caller breaks the contract
    // (count <= 0, id < 0).
    IRRewriter rewriter(ctx);
    rewriter.setInsertionPointToStart(&kernel.getBody().front());
    Value id = kernel.getArgument(0), count = kernel.getArgument(1);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    Value extent = rewriter.create<arith::ConstantIndexOp>(loc, plan.extent);
    count = rewriter.create<arith::MaxSIOp>(loc, count, one);
    id = rewriter.create<arith::MaxSIOp>(loc, id, zero);
    Value chunk = rewriter.create<arith::DivUIOp>(
        loc,
        rewriter.create<arith::SubIOp>(
            loc, rewriter.create<arith::AddIOp>(loc, extent, count), one),
        count);
    if (plan.align > 1) {
      Value align = rewriter.create<arith::ConstantIndexOp>(loc, plan.align);
      Value alignLess1 =
          rewriter.create<arith::ConstantIndexOp>(loc, plan.align - 1);
      chunk = rewriter.create<arith::MulIOp>(
          loc,
          rewriter.create<arith::DivUIOp>(
              loc, rewriter.create<arith::AddIOp>(loc, chunk, alignLess1),
              align),
          align);
    }

    SmallVector<OpFoldResult> sizes(plan.root.getNumLoops(),
                                    rewriter.getIndexAttr(0));
    sizes[plan.loop] = chunk;
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(scf::SCFTilingOptions().setTileSizes(sizes));
    rewriter.setInsertionPoint(plan.root);
    Operation *root = plan.root.getOperation();
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(root), options);
    if (failed(tiled) || tiled->loops.size() != 1)
      return root->emitOpError("could not be tiled into workgroups");
    Value result = root->getResult(0);
    Value replacement = tiled->replacements.lookup(result);
    if (!replacement)
      return root->emitOpError("has no replacement after tiling");
    rewriter.replaceAllUsesWith(result, replacement);

    // Every workgroup runs what is outside the tile: the shared output must
    // start as a fresh tensor there, never be written in full.
    auto loop = cast<scf::ForOp>(tiled->loops.front().getOperation());
    if (!loop.getInitArgs()[0].getDefiningOp<tensor::EmptyOp>())
      return root->emitOpError(
          "kept a producer of its output outside the workgroup tile");

    // The loop's one iteration, this workgroup's tile, as straight-line
    // code: [lb, lb + min(chunk, extent - lb)) with lb = min(id * chunk,
    // extent), empty past the end. The kernel then returns the insert_slice
    // into the tensor.empty, which bufferizes to returning that allocation
    // itself, and buffer-results-to-out-params turns it into the caller's
    // output buffer. Returned through a loop, the output would be a private
    // allocation copied out in full by every workgroup.
    rewriter.setInsertionPoint(loop);
    Value lb = rewriter.create<arith::MinSIOp>(
        loc, rewriter.create<arith::MulIOp>(loc, id, chunk), extent);
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    SmallVector<Value> yielded(yield.getOperands());
    SmallVector<Value> blockArgs = {lb};
    llvm::append_range(blockArgs, loop.getInitArgs());
    rewriter.inlineBlockBefore(loop.getBody(), loop, blockArgs);
    rewriter.eraseOp(yield);
    rewriter.replaceOp(loop, yielded);

    // The untiled root and what only it used (its fill, the tensor.empty)
    // would still run, in full, in every workgroup.
    // So would the unused slices tiling leaves in the tile: a dead
    // tensor.empty there becomes an allocation per call.
    kernel->walk<WalkOrder::PostOrder, ReverseIterator>(
        [&](Operation *op) {
          if (op == kernel.getOperation())
            return;
          // linalg ops on tensors write nothing, but MLIR 19 does not
          // call them trivially dead.
          auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
          if (isOpTriviallyDead(op) ||
              (linalgOp && op->use_empty() &&
               linalgOp.hasPureTensorSemantics()))
            rewriter.eraseOp(op);
        });
    return success();
  }
};

} // namespace
