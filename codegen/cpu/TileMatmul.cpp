//===- TileMatmul.cpp - Cache- and register-tiled f32 matmul --------------===//
//
// convert-linalg-to-loops turns a matmul into three loops that LLVM
// vectorises along one dim at best, with no register blocking or cache
// tiling: a small fraction of the FMA peak. This pass replaces every f32
// matmul-shaped linalg op
// on buffers (linalg.matmul, its loop-reordered generic, the batched generic
// with broadcast batch dims, the 2-D generic reading A transposed) with the
// BLIS loop nest:
//
//   for k0 (KC)        reduction block: a B block of KC x NR stays in L1
//     for i0 (MC)      an A block of MC x KC stays in L2
//       for j (NR)     one panel of NR columns of B and C
//         for i (MR)   the register tile: MR x NR accumulators, loaded from
//                      C, updated by one broadcast-FMA per row and vector per
//                      k, stored back
//
// The accumulators are the iter_args of the k loop, so they are SSA values
// that LLVM keeps in registers (hoisting memory accesses out of the loop
// after bufferization does not get there reliably). With AVX-512 the tile is
// 8 x 32 (16 zmm accumulators), with AVX2 6 x 16 (12 ymm). Edges need no
// padding: a last panel narrower than NR uses masked loads and stores, and
// the r < MR rows past the last whole tile run as tiles of 4, 2 and 1 rows.
// A zero fill of C right before the op is folded into its first k block, and
// each tile prefetches the C of the next.
//
// Every C element accumulates its products in k order with one FMA each, in
// every variant of the tile, so the result does not depend on where a
// workgroup's rows start: splitting the rows across threads is bitwise
// stable.
//
// Two operands may be stored transposed (MatmulLowering reads a transpose
// in place): A as [K, M], each tile row broadcasting from A's column; B as
// [N, K] when C has at most kMaxDotColumns columns (a wide dense layer's
// input gradient W G^T at a small batch), where the tile would waste most
// of its lanes: then vectors run along k instead, one accumulator per C
// element of a rows x columns tile, summed across lanes at the end
// (Emitter::dotMatmul), A's rows streaming through once.
//
// A convolution row from --kiln-conv-to-matmul has K split in two
// reduction dims, A[m, k1, k2] * B[k1, k2, n]: B is read as the matrix
// [K1*K2, N] and A through a flat view, and the accumulators stay in
// registers over the whole window (kh, kw, c), not just one filter row's
// KW*C: a loop over k1 around one over k2 carries them (K2 of 16 or more;
// convolutions ran 8-10% faster than with the one loop below), or one k
// loop carries A's column, k2 wrapping to the next k1.
//
// Packing: a B that is a function argument marked `kiln.constant` (a weight
// of an ahead-of-time artifact; a filter through a collapse_shape), used by
// nothing else, is read in the packed layout instead: panel p (columns
// [p NR, p NR + w), w = min(NR, N - p NR)) holds its K x w elements row by
// row at offset p NR K, so that a panel is contiguous. The function gets
// `kiln.packed_rhs = [arg, NR, ...]` and the caller must store the weight that
// way (compileArtifact does). The buffer keeps its size and type. Any other
// large B (activations, 1 MiB and up) is packed at run time, one KC x 128 block
// at a time, on the stack: its panels' rows a page apart cost up to a third of
// the speed. An A read transposed over a K of a whole k block or more, with
// 4 panels or more to share the copy (a filter gradient), is packed at run
// time too, each MC x KC block into groups of MR rows, KC x MR floats each;
// the loops then run i0 outside B's column blocks (a B packed at run time
// is then packed once per i0), so that each A block is packed once per k
// block. Unpacked, each k of a tile broadcasts from another row of A (256
// lines 256 bytes apart per tile, a quarter of L1's sets): cnn's conv3
// filter gradient took 19.0 ms on one core, packed 15.7. A few rows of A
// times a large weight read in place (a trained dense layer's) run k blocks
// of 32 rows instead of KC (kStreamedKC).
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/Passes.h"
#include "kiln/codegen/VectorBody.h"
#include "kiln/passes/FusionAnalysis.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_TILEMATMUL
#include "codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The register and cache tiles.
struct Tile {
  int64_t vectorWidth; // f32 lanes per vector register
  int64_t vectors;     // vector registers per row of the tile
  int64_t rows;        // MR
  int64_t nr() const { return vectorWidth * vectors; }
  // An MC x KC block of A in L2 (96-128 KiB), a KC x NR block of B in L1.
  int64_t kc() const { return 256; }
  int64_t mc() const { return rows * 16; }
};

/// A matched contraction C[b..., m, n] += A[b'..., m, k] * B[b''..., k, n],
/// on buffers, f32.
struct Match {
  linalg::LinalgOp op;
  Value a, b, c;
  unsigned batch = 0; // leading batch dims of C
  // For each leading dim of A (B): the batch dim of C it follows, or -1 for
  // a broadcast (size-1) dim.
  SmallVector<int64_t> aBatch, bBatch;
  // K split in two reduction dims (k1, k2): A[m, k1, k2], B[k1, k2, n], as
  // --kiln-conv-to-matmul makes of a convolution. The tile reads B as
  // [K1*K2, N] and A through a flat view (Emitter::flattenSplitK).
  bool splitK = false;
  // A stored transposed, [K, M] (no batch dims): a weight gradient
  // X^T * G reads X as it is instead of from a transposed copy.
  bool aTransposed = false;
  // B stored transposed, [N, K] (no batch dims), N static and small: an
  // input gradient W G^T of a wide dense layer (Emitter::dotMatmul).
  bool bTransposed = false;
};

/// `region` computes out + a * b (in any operand order), nothing else.
bool isMulAdd(Region &region) {
  Block &body = region.front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        c = body.getArgument(2);
  Value other;
  if (add.getLhs() == c)
    other = add.getRhs();
  else if (add.getRhs() == c)
    other = add.getLhs();
  else
    return false;
  auto mul = other.getDefiningOp<arith::MulFOp>();
  return mul && ((mul.getLhs() == a && mul.getRhs() == b) ||
                 (mul.getLhs() == b && mul.getRhs() == a));
}

/// The last stride of `type` is 1 (vector loads need contiguous rows).
bool unitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(getStridesAndOffset(type, strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// A[m, k1, k2] * B[k1, k2, n] into C[m, n], no batch dims, K2 static.
std::optional<Match> matchSplitK(Match &m) {
  linalg::LinalgOp op = m.op;
  auto dims = [](AffineMap map) {
    SmallVector<int64_t> d;
    for (AffineExpr e : map.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      d.push_back(dim ? (int64_t)dim.getPosition() : -1);
    }
    return d;
  };
  auto mapOf = [&](OpOperand *o) { return op.getMatchingIndexingMap(o); };
  SmallVector<int64_t> a = dims(mapOf(op.getDpsInputOperand(0)));
  SmallVector<int64_t> b = dims(mapOf(op.getDpsInputOperand(1)));
  SmallVector<int64_t> c = dims(mapOf(op.getDpsInitOperand(0)));
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  auto isReduction = [&](int64_t d) {
    return d >= 0 && iters[d] == utils::IteratorType::reduction;
  };
  if (a.size() != 3 || b.size() != 3 || c.size() != 2 || c[0] < 0 || c[1] < 0 ||
      c[0] == c[1] || a[0] != c[0] || b[2] != c[1] || a[1] != b[0] ||
      a[2] != b[1] || a[1] == a[2] || !isReduction(a[1]) ||
      !isReduction(a[2]) ||
      ShapedType::isDynamic(cast<ShapedType>(m.a.getType()).getDimSize(2)))
    return std::nullopt;
  m.splitK = true;
  return m;
}

/// The op's structure, on tensors or buffers, without the layout checks.
std::optional<Match> matchStructure(linalg::LinalgOp op, bool allowSplitK) {
  unsigned reductions = op.getNumReductionLoops();
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !(reductions == 1 || (allowSplitK && reductions == 2)) ||
      op->getNumRegions() != 1 || !isMulAdd(op->getRegion(0)))
    return std::nullopt;
  Match m;
  m.op = op;
  m.a = op.getDpsInputOperand(0)->get();
  m.b = op.getDpsInputOperand(1)->get();
  m.c = op.getDpsInitOperand(0)->get();
  for (Value v : {m.a, m.b, m.c}) {
    auto t = dyn_cast<ShapedType>(v.getType());
    if (!t || !t.getElementType().isF32() || !t.hasRank() || t.getRank() < 2)
      return std::nullopt;
  }
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (reductions == 2)
    return matchSplitK(m);
  unsigned k = 0;
  for (unsigned i = 0; i < iters.size(); ++i)
    if (iters[i] == utils::IteratorType::reduction)
      k = i;
  // C's map: every dim a plain loop, the last two m and n.
  AffineMap cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (cMap.getNumResults() + 1 != op.getNumLoops() ||
      !cMap.isProjectedPermutation())
    return std::nullopt;
  auto dimOf = [](AffineExpr e) -> int64_t {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return d.getPosition();
    return -1;
  };
  unsigned rank = cMap.getNumResults();
  m.batch = rank - 2;
  int64_t mDim = dimOf(cMap.getResult(rank - 2)),
          nDim = dimOf(cMap.getResult(rank - 1));
  // A[.., m, k], B[.., k, n]; their leading dims follow C's batch dims or
  // are broadcast (constant 0).
  auto operand = [&](OpOperand *o, int64_t row, int64_t col,
                     SmallVector<int64_t> &batchOf) {
    AffineMap map = op.getMatchingIndexingMap(o);
    unsigned r = map.getNumResults();
    if (r < 2 || r - 2 > m.batch || dimOf(map.getResult(r - 2)) != row ||
        dimOf(map.getResult(r - 1)) != col)
      return false;
    for (unsigned i = 0; i + 2 < r; ++i) {
      AffineExpr e = map.getResult(i);
      if (auto c = dyn_cast<AffineConstantExpr>(e)) {
        if (c.getValue() != 0)
          return false;
        batchOf.push_back(-1);
        continue;
      }
      int64_t d = dimOf(e);
      std::optional<unsigned> pos;
      for (unsigned j = 0; j < m.batch; ++j)
        if (dimOf(cMap.getResult(j)) == d)
          pos = j;
      if (d < 0 || !pos)
        return false;
      batchOf.push_back(*pos);
    }
    return true;
  };
  auto twoResults = [&](unsigned input) {
    return op.getMatchingIndexingMap(op.getDpsInputOperand(input))
               .getNumResults() == 2;
  };
  if (!operand(op.getDpsInputOperand(1), k, nDim, m.bBatch)) {
    m.bBatch.clear();
    auto cType = cast<ShapedType>(m.c.getType());
    if (m.batch != 0 || !twoResults(1) || cType.isDynamicDim(1) ||
        cType.getDimSize(1) > kMaxDotColumns ||
        !operand(op.getDpsInputOperand(1), nDim, k, m.bBatch) ||
        !operand(op.getDpsInputOperand(0), mDim, k, m.aBatch))
      return std::nullopt;
    m.bTransposed = true;
    return m;
  }
  if (!operand(op.getDpsInputOperand(0), mDim, k, m.aBatch)) {
    m.aBatch.clear();
    if (m.batch != 0 || !twoResults(0) ||
        !operand(op.getDpsInputOperand(0), k, mDim, m.aBatch))
      return std::nullopt;
    m.aTransposed = true;
  }
  return m;
}

std::optional<Match> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  std::optional<Match> m = matchStructure(op, /*allowSplitK=*/true);
  if (!m || !unitInnerStride(cast<MemRefType>(m->b.getType())) ||
      !unitInnerStride(cast<MemRefType>(m->c.getType())) ||
      (m->bTransposed && !unitInnerStride(cast<MemRefType>(m->a.getType()))))
    return std::nullopt;
  if (m->splitK) {
    // B's (k1, k2) must collapse into one dim: rows K2 * (k2 stride) apart.
    auto bType = cast<MemRefType>(m->b.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(getStridesAndOffset(bType, strides, offset)) ||
        bType.isDynamicDim(1) || ShapedType::isDynamic(strides[0]) ||
        ShapedType::isDynamic(strides[1]) ||
        strides[0] != bType.getDimSize(1) * strides[1])
      return std::nullopt;
    // A is read through a flat view of static strides: [s0, s1, 1].
    auto aType = cast<MemRefType>(m->a.getType());
    if (failed(getStridesAndOffset(aType, strides, offset)) ||
        llvm::any_of(strides, ShapedType::isDynamic) || strides[2] != 1)
      return std::nullopt;
  }
  return m;
}

/// `v` is provably a multiple of `n`: a constant, or arithmetic on such
/// values that keeps it one (TileToWorkgroups' id * chunk with chunk a
/// multiple of 32, an scf.for counter stepping by one).
bool isMultipleOf(Value v, int64_t n, int depth = 0) {
  if (depth > 12)
    return false;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c % n == 0;
  auto all = [&](ValueRange values) {
    return llvm::all_of(values,
                        [&](Value x) { return isMultipleOf(x, n, depth + 1); });
  };
  if (auto iv = dyn_cast<BlockArgument>(v)) {
    auto loop = dyn_cast<scf::ForOp>(iv.getOwner()->getParentOp());
    return loop && loop.getInductionVar() == iv &&
           all({loop.getLowerBound(), loop.getStep()});
  }
  Operation *def = v.getDefiningOp();
  if (auto mul = dyn_cast_or_null<arith::MulIOp>(def))
    return isMultipleOf(mul.getLhs(), n, depth + 1) ||
           isMultipleOf(mul.getRhs(), n, depth + 1);
  if (isa_and_nonnull<arith::AddIOp, arith::SubIOp, arith::MinSIOp,
                      arith::MaxSIOp, arith::MinUIOp, arith::MaxUIOp>(def))
    return all(def->getOperands());
  if (auto select = dyn_cast_or_null<arith::SelectOp>(def))
    return all({select.getTrueValue(), select.getFalseValue()});
  return false;
}

/// The function argument `v` is a view of, through subviews that take all
/// its rows; `offsets` get the subviews' column offsets, which added give
/// the view's first column.
BlockArgument columnsOfArgument(Value v, SmallVector<OpFoldResult> &offsets) {
  // A weight of higher rank read as a matrix (a convolution's filter): its
  // last dim, the columns, kept whole.
  auto rowsCollapsed = [](memref::CollapseShapeOp op) {
    return op && op.getReassociationIndices().back().size() == 1 &&
           op.getSrcType().getLayout().isIdentity();
  };
  while (auto collapse = v.getDefiningOp<memref::CollapseShapeOp>()) {
    if (!rowsCollapsed(collapse))
      return {};
    v = collapse.getSrc();
  }
  while (auto sub = v.getDefiningOp<memref::SubViewOp>()) {
    if (sub.getSourceType().getRank() != 2 || sub.getType().getRank() != 2 ||
        !sub.hasUnitStride() ||
        !isConstantIntValue(sub.getMixedOffsets()[0], 0) ||
        sub.getSourceType().isDynamicDim(0) ||
        sub.getType().getDimSize(0) != sub.getSourceType().getDimSize(0))
      return {};
    offsets.push_back(sub.getMixedOffsets()[1]);
    v = sub.getSource();
  }
  return dyn_cast<BlockArgument>(v);
}

/// `v` has no user but `op`, directly or through such subviews and
/// collapses.
bool onlyUsedBy(Value v, Operation *op) {
  for (Operation *user : v.getUsers()) {
    if (user == op)
      continue;
    if (!isa<memref::SubViewOp, memref::CollapseShapeOp>(user) ||
        !onlyUsedBy(user->getResult(0), op))
      return false;
  }
  return true;
}

class Emitter {
public:
  Emitter(OpBuilder &b, Location loc, Tile tile) : b(b), loc(loc), tile(tile) {
    vecType = VectorType::get({tile.vectorWidth}, b.getF32Type());
  }

  /// C += A * B for 2-D buffers; `packedB` is B's packed flat view, or null.
  /// With `zeroC`, C's old contents are taken to be 0 and not read.
  /// B's columns start at `column0` of the packed weight.
  void matmul(Value a, Value bMat, Value c, Value packedB, Value column0,
              bool zeroC) {
    Value m = dim(c, 0);
    packedColumn0 = column0;
    // A few rows of A (a batch-8 dense layer) use each weight once: the
    // weight streams from memory, ahead of the hardware prefetchers. Many
    // rows reuse each panel from cache, where prefetches only cost issue
    // slots.
    std::optional<int64_t> rows = getConstantIntValue(m);
    prefetchB = streamsFromMemory(packedB ? packedB : bMat) && rows &&
                *rows <= kPrefetchMaxRows;
    a = flattenSplitK(a);
    // Both ways when `cond`: then with `flag` set, else without.
    auto either = [&](Value cond, bool &flag, llvm::function_ref<void()> emit) {
      auto branch = b.create<scf::IfOp>(loc, cond, /*withElse=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      flag = true;
      emit();
      b.setInsertionPointToStart(branch.elseBlock());
      flag = false;
      emit();
    };
    auto nests = [&]() {
      if (packedB || !worthPackingB(bMat))
        return loopNest(a, bMat, c, packedB, zeroC, /*packEachBlock=*/false);
      // A large B read in place has each panel's rows a page apart: pack
      // each KC x NC block into panels first (on the stack, 128 KiB), when
      // there are enough rows of A to repay the copy.
      bool packEachBlock;
      either(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, m,
                                     cst(kMinRowsToPackB)),
             packEachBlock, [&]() {
               loopNest(a, bMat, c,
                        packEachBlock ? stackAlloca(*stackBuffer,
                                                    tile.kc() * kPackedColumns)
                                      : Value(),
                        zeroC, packEachBlock);
             });
    };
    packA = false;
    if (!aTransposed || !worthPackingA(a))
      return nests();
    // C's columns (a workgroup's share) decide at run time.
    either(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, dim(c, 1),
                                   cst(kMinPanelsToPackA * tile.nr())),
           packA, nests);
  }

  /// A is [K, M]: row r of a tile reads A's column r (Match::aTransposed).
  bool aTransposed = false;
  /// C[m, n] (+)= sum_k A[m, k] * Bt[n, k], N static and small: vectors run
  /// along k, one accumulator per element of a tile of rows x columns of
  /// C, summed across its lanes at the end. A's rows (a wide dense layer's
  /// weight) stream through once; Bt (N rows) stays in L1. The standard
  /// tile would spend most of its lanes on columns C does not have.
  void dotMatmul(Value a, Value bt, Value c, bool zeroC) {
    int64_t n = cast<MemRefType>(c.getType()).getDimSize(1);
    // 16 zmm accumulators, 8 ymm (with A's and Bt's vectors, 16 registers).
    int64_t accumulators = tile.vectorWidth == 16 ? 16 : 8;
    Value m = dim(c, 0);
    prefetchA = streamsFromMemory(a);
    if (n > accumulators) {
      // Row by row, its columns in groups, the row read from L1 after the
      // first.
      forLoop(cst(0), m, cst(1), [&](Value i) {
        for (int64_t c0 = 0; c0 < n; c0 += accumulators)
          dotTile(a, bt, c, i, 1, c0, std::min(accumulators, n - c0), zeroC);
      });
      return;
    }
    int64_t rows = accumulators / n;
    Value whole = b.create<arith::SubIOp>(
        loc, m, b.create<arith::RemUIOp>(loc, m, cst(rows)));
    forLoop(cst(0), whole, cst(rows), [&](Value i) {
      dotTile(a, bt, c, i, rows, 0, n, zeroC);
    });
    if (rows > 1)
      forLoop(whole, m, cst(1),
              [&](Value i) { dotTile(a, bt, c, i, 1, 0, n, zeroC); });
  }

  /// The packed weight's first column (matmul's column0).
  Value packedColumn0;
  /// The function's one buffer for packing A, as stackBuffer for B.
  Value *aStackBuffer = nullptr;
  /// Where a kernel's stack buffers go: allocas outside every loop.
  Block *entryBlock = nullptr;
  /// The function's one buffer for packing B, shared by its matmuls (which
  /// run one after the other); created on first use.
  Value *stackBuffer = nullptr;

private:
  /// Packing B at run time pays off from about this many rows of A.
  static constexpr int64_t kMinRowsToPackB = 64;
  /// Columns of B packed at a time (NC): a multiple of every NR.
  static constexpr int64_t kPackedColumns = 128;

  /// Rows of a packed weight that a panel's k loop prefetches ahead: 8 KiB
  /// at NR = 32, enough to cover the memory's latency at the FMAs' pace.
  static constexpr int64_t kPrefetchRows = 64;
  /// The same for a weight read in place.
  static constexpr int64_t kPrefetchRowsInPlace = 32;
  /// The most rows of A for which the weight is prefetched.
  static constexpr int64_t kPrefetchMaxRows = 32;
  /// KC for such a weight read in place (not packed): a k block's panels
  /// then read rows of B a few KiB long, one after the other, instead of
  /// 256 lines a page or more apart per panel. cnn's dense layer forward
  /// ([8, 36992] x [36992, 512], its weight read in place) took 5.6 ms on
  /// 2 cores, 7.9 with 256.
  static constexpr int64_t kStreamedKC = 32;
  /// The packed weight is prefetched in the k loop.
  bool prefetchB = false;
  /// A is read from blocks that packABlock packs.
  bool packA = false;
  /// Each element of a packed A is read once per panel of C: from 4 panels
  /// on the copy pays (cnn's conv1 filter gradient, 27 columns, ran a third
  /// slower packed).
  static constexpr int64_t kMinPanelsToPackA = 4;
  /// A split K of at least this many k2 runs as loops over k1 and k2.
  static constexpr int64_t kNestedK2 = 16;
  /// dotMatmul's A streamed from memory is prefetched this many rows ahead
  /// (16 KiB of rows of 512 floats, a few tiles): a 76 MB weight read at
  /// 5.4 GB/s without, 6.4 with.
  static constexpr int64_t kDotPrefetchRows = 8;
  bool prefetchA = false;

  /// A packed weight of 1 MiB or more, read from beyond L2 at each call.
  /// The hardware prefetchers follow its panels (one stream per panel, 16
  /// at N = 512) too late once the tile has more than a row's FMAs per
  /// byte to do: an [8, 36992] x [36992, 512] matmul reached half the
  /// memory bandwidth that the same weight times one row did.
  /// So is a weight read in place (a trained one, which changes every
  /// step): its rows a page or more apart, each panel's k loop a stream
  /// of its own. A chunk of such a weight (a fused kernel's slice of its
  /// rows) streams as the weight does.
  static bool streamsFromMemory(Value weight) {
    while (auto slice = weight.getDefiningOp<memref::SubViewOp>())
      weight = slice.getSource();
    auto t = cast<MemRefType>(weight.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (ShapedType::isDynamic(t.getDimSize(0)) ||
        failed(getStridesAndOffset(t, strides, offset)) ||
        ShapedType::isDynamic(strides[0]))
      return false;
    return t.getDimSize(0) * strides[0] * 4 >= 1024 * 1024;
  }

  /// A read transposed over at least a whole k block: each k of a tile
  /// broadcasts from another row of A, so that the tile's KC rows span
  /// KC lines (a filter gradient's: 256 lines 256 bytes apart, which map
  /// to a quarter of L1's sets) and come from L2 at every panel. Packed,
  /// the tile's A is KC x MR floats in a row. Whether C has the
  /// kMinPanelsToPackA panels to repay the copy is known at run time.
  bool worthPackingA(Value a) {
    auto t = cast<MemRefType>(a.getType());
    return entryBlock && aStackBuffer && unitInnerStride(t) &&
           !t.isDynamicDim(0) && t.getDimSize(0) >= tile.kc();
  }
  /// The function's stack buffer of `floats` f32 in `slot`, made on first
  /// use.
  Value stackAlloca(Value &slot, int64_t floats) {
    if (!slot) {
      OpBuilder::InsertionGuard entry(b);
      b.setInsertionPointToStart(entryBlock);
      slot = b.create<memref::AllocaOp>(
          loc, MemRefType::get({floats}, b.getF32Type()),
          b.getI64IntegerAttr(64));
    }
    return slot;
  }
  /// Floats copied per row of A and group (MR rounded up to a power of
  /// two), and the floats from one packed group to the next.
  int64_t aCopyLanes() { return llvm::PowerOf2Ceil(tile.rows); }
  int64_t aGroupStride() {
    return tile.kc() * tile.rows + aCopyLanes() - tile.rows;
  }
  /// A's block [k0, kEnd) x [i0, iEnd) (A stored [K, M]) in the stack
  /// buffer, its MR-row groups one after the other, each as KC rows of MR
  /// floats: element (k, i0 + g MR + r) at g aGroupStride + (k - k0) MR + r.
  /// Each k copies one vector of aCopyLanes floats: the lanes past MR land
  /// on the next k's place, written after, or past the group's last k.
  Value packABlock(Value a, Value i0, Value iEnd, Value k0, Value kEnd) {
    int64_t lanes = aCopyLanes();
    Value buffer =
        stackAlloca(*aStackBuffer, tile.mc() / tile.rows * aGroupStride());
    auto copyType = VectorType::get({lanes}, b.getF32Type());
    Value zero = b.create<arith::ConstantOp>(
        loc, copyType, DenseElementsAttr::get(copyType, 0.0f));
    Value m = dim(a, 1);
    // Row by row of A, each read once along.
    forLoop(k0, kEnd, cst(1), [&](Value kk) {
      Value at = mul(b.create<arith::SubIOp>(loc, kk, k0), cst(tile.rows));
      forLoop(i0, iEnd, cst(tile.rows), [&](Value i) {
        // The elements of A's row left from i, at most `lanes`.
        Value mask = b.create<vector::CreateMaskOp>(
            loc, VectorType::get({lanes}, b.getI1Type()),
            ValueRange{minOf(b.create<arith::SubIOp>(loc, m, i), cst(lanes))});
        Value v = b.create<vector::MaskedLoadOp>(loc, copyType, a,
                                                 ValueRange{kk, i}, mask, zero);
        b.create<vector::StoreOp>(
            loc, v, buffer,
            ValueRange{add(mul(b.create<arith::DivUIOp>(
                                   loc, b.create<arith::SubIOp>(loc, i, i0),
                                   cst(tile.rows)),
                               cst(aGroupStride())),
                           at)});
      });
    });
    return buffer;
  }

  /// A B of static shape of 1 MiB and more whose panels span at least 256
  /// rows.
  bool worthPackingB(Value bMat) {
    auto t = cast<MemRefType>(bMat.getType());
    return entryBlock && stackBuffer && t.hasStaticShape() &&
           t.getDimSize(0) >= 256 &&
           t.getDimSize(0) * t.getDimSize(1) * 4 >= 1024 * 1024;
  }

  /// The masks of the vectors of a panel `width` wide.
  SmallVector<Value> masksFor(Value width) {
    SmallVector<Value> masks;
    for (int64_t v = 0; v < tile.vectors; ++v) {
      Value lanes =
          b.create<arith::SubIOp>(loc, width, cst(v * tile.vectorWidth));
      lanes = b.create<arith::MaxSIOp>(
          loc, b.create<arith::MinSIOp>(loc, lanes, cst(tile.vectorWidth)),
          cst(0));
      masks.push_back(b.create<vector::CreateMaskOp>(
          loc, VectorType::get({tile.vectorWidth}, b.getI1Type()),
          ValueRange{lanes}));
    }
    return masks;
  }

  /// The cache blocks and panels. `packedB` is B's packed flat view (a
  /// weight, packed K rows at a time) or, with `packEachBlock`, a buffer
  /// that each k block packs B's KC rows into; null: B read in place.
  void loopNest(Value a, Value bMat, Value c, Value packedB, bool zeroC,
                bool packEachBlock) {
    Value m = dim(c, 0), n = dim(c, 1),
          k = split.inner ? split.k : dim(a, aTransposed ? 0 : 1);
    Value kc = cst(prefetchB && !packedB ? kStreamedKC : tile.kc()),
          mc = cst(tile.mc()), nr = cst(tile.nr());
    auto eachPanel =
        [&](Value jBegin, Value jEnd,
            llvm::function_ref<void(Value j, Value width, bool masked)> body) {
          forLoop(jBegin, jEnd, nr, [&](Value j) {
            Value width = minOf(nr, b.create<arith::SubIOp>(loc, n, j));
            Value full = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                                 width, nr);
            auto branch = b.create<scf::IfOp>(loc, full, /*withElse=*/true);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(branch.thenBlock());
            body(j, width, false);
            b.setInsertionPointToStart(branch.elseBlock());
            body(j, width, true);
          });
        };
    // Panel j of a k block starts at j * K (a weight: all K rows packed)
    // or (j - j0) * KC (the block's buffer), less k0 rows of its width.
    auto panelBase = [&](Value j, Value j0, Value width, Value k0) {
      if (!packEachBlock)
        return mul(packedColumn0 ? add(packedColumn0, j) : j, k);
      return b
          .create<arith::SubIOp>(
              loc, mul(b.create<arith::SubIOp>(loc, j, j0), kc), mul(k0, width))
          .getResult();
    };
    forLoop(cst(0), k, kc, [&](Value k0) {
      Value kEnd = minOf(add(k0, kc), k);
      // B's columns [j0, jEnd) into the k block's buffer.
      auto packColumns = [&](Value j0, Value jEnd) {
        eachPanel(j0, jEnd, [&](Value j, Value width, bool masked) {
          Panel p{a,      bMat,  c,     packedB, panelBase(j, j0, width, k0),
                  k,      j,     width, k0,      kEnd,
                  masked, false, {}};
          if (masked)
            p.masks = masksFor(width);
          Value stride = masked ? width : nr;
          forLoop(k0, kEnd, cst(1), [&](Value kk) {
            Value to = add(p.packedBase, mul(kk, stride));
            for (int64_t v = 0; v < tile.vectors; ++v) {
              Value off = cst(v * tile.vectorWidth);
              Value x = load(p, bMat, {kk, v ? add(j, off) : j}, v);
              store(p, x, packedB, {v ? add(to, off) : to}, v);
            }
          });
        });
      };
      // The panels of columns [j0, jEnd) in rows [i0, iEnd).
      auto panels = [&](Value j0, Value jEnd, Value i0, Value iEnd,
                        Value packedA) {
        eachPanel(j0, jEnd, [&](Value j, Value width, bool masked) {
          Panel p{a,
                  bMat,
                  c,
                  packedB,
                  packedB ? panelBase(j, j0, width, k0) : Value(),
                  k,
                  j,
                  width,
                  k0,
                  kEnd,
                  masked,
                  zeroC,
                  {},
                  packedA,
                  i0};
          if (masked)
            p.masks = masksFor(width);
          // Whole MR-row tiles first.
          Value rows = b.create<arith::SubIOp>(loc, iEnd, i0);
          Value wholeEnd = b.create<arith::SubIOp>(
              loc, iEnd, b.create<arith::RemUIOp>(loc, rows, cst(tile.rows)));
          forLoop(i0, wholeEnd, cst(tile.rows),
                  [&](Value i) { registerTile(p, i, tile.rows); });
          // The r < MR rows left: tiles of 4, 2 and 1 rows as r's bits
          // say, each reading the panel of B once.
          Value left = b.create<arith::SubIOp>(loc, iEnd, wholeEnd);
          Value i = wholeEnd;
          for (int64_t rows = 4; rows >= 1; rows /= 2) {
            if (rows >= tile.rows)
              continue;
            Value bit = b.create<arith::CmpIOp>(
                loc, arith::CmpIPredicate::ne,
                b.create<arith::AndIOp>(loc, left, cst(rows)), cst(0));
            auto branch = b.create<scf::IfOp>(loc, bit, false);
            {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(branch.thenBlock());
              registerTile(p, i, rows);
            }
            if (rows > 1)
              i = b.create<arith::SelectOp>(loc, bit, add(i, cst(rows)), i);
          }
        });
      };
      // Packed at run time: NC columns at a time, so that the block fits
      // the stack buffer.
      auto eachColumnBlock = [&](llvm::function_ref<void(Value, Value)> body) {
        if (!packEachBlock)
          return body(cst(0), n);
        Value nc = cst(kPackedColumns);
        forLoop(cst(0), n, nc,
                [&](Value j0) { body(j0, minOf(add(j0, nc), n)); });
      };
      auto eachRowBlock = [&](llvm::function_ref<void(Value, Value)> body) {
        forLoop(cst(0), m, mc,
                [&](Value i0) { body(i0, minOf(add(i0, mc), m)); });
      };
      if (packA) {
        // A's block is packed once for all the panels of its rows.
        eachRowBlock([&](Value i0, Value iEnd) {
          Value packedA = packABlock(a, i0, iEnd, k0, kEnd);
          eachColumnBlock([&](Value j0, Value jEnd) {
            if (packEachBlock)
              packColumns(j0, jEnd);
            panels(j0, jEnd, i0, iEnd, packedA);
          });
        });
        return;
      }
      eachColumnBlock([&](Value j0, Value jEnd) {
        if (packEachBlock)
          packColumns(j0, jEnd);
        eachRowBlock([&](Value i0, Value iEnd) {
          panels(j0, jEnd, i0, iEnd, Value());
        });
      });
    });
  }

  /// Rows [i, i + rows) x columns [c0, c0 + cols) of dotMatmul's C.
  void dotTile(Value a, Value bt, Value c, Value i, int64_t rows, int64_t c0,
               int64_t cols, bool zeroC) {
    Value k = dim(a, 1), vw = cst(tile.vectorWidth);
    Value whole =
        b.create<arith::SubIOp>(loc, k, b.create<arith::RemUIOp>(loc, k, vw));
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(r ? add(i, cst(r)) : i);
    for (int64_t col = 0; col < cols; ++col)
      colIdx.push_back(cst(c0 + col));
    Value zero = b.create<arith::ConstantOp>(
        loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    // One step of vectors at kk, masked past K (a K that is no multiple of
    // the width: its last step reads zeros there).
    auto step = [&](Value kk, ValueRange acc, Value mask) {
      auto load = [&](Value mem, Value row) -> Value {
        if (!mask)
          return b.create<vector::LoadOp>(loc, vecType, mem,
                                          ValueRange{row, kk});
        return b.create<vector::MaskedLoadOp>(loc, vecType, mem,
                                              ValueRange{row, kk}, mask, zero);
      };
      SmallVector<Value> av, bv, next;
      // A streamed from memory: the same lines kDotPrefetchRows rows on.
      if (!mask && prefetchA)
        for (Value row : rowIdx)
          b.create<memref::PrefetchOp>(
              loc, a, ValueRange{add(row, cst(kDotPrefetchRows)), kk},
              /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
      for (Value row : rowIdx)
        av.push_back(load(a, row));
      for (Value col : colIdx)
        bv.push_back(load(bt, col));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t col = 0; col < cols; ++col)
          next.push_back(b.create<vector::FMAOp>(loc, av[r], bv[col],
                                                 acc[r * cols + col]));
      return next;
    };
    auto loop = b.create<scf::ForOp>(
        loc, cst(0), whole, vw, SmallVector<Value>(rows * cols, zero),
        [&](OpBuilder &nested, Location, Value kk, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          b.create<scf::YieldOp>(loc, step(kk, acc, Value()));
        });
    SmallVector<Value> acc(loop.getResults());
    std::optional<int64_t> staticK = getConstantIntValue(k);
    if (!staticK || *staticK % tile.vectorWidth != 0) {
      Value mask = b.create<vector::CreateMaskOp>(
          loc, VectorType::get({tile.vectorWidth}, b.getI1Type()),
          ValueRange{b.create<arith::SubIOp>(loc, k, whole)});
      acc = step(whole, acc, mask);
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col) {
        Value sum = b.create<vector::ReductionOp>(
            loc, vector::CombiningKind::ADD, acc[r * cols + col],
            arith::FastMathFlags::reassoc);
        SmallVector<Value, 2> at{rowIdx[r], colIdx[col]};
        if (!zeroC)
          sum = b.create<arith::AddFOp>(
              loc, b.create<memref::LoadOp>(loc, c, at), sum);
        b.create<memref::StoreOp>(loc, sum, c, at);
      }
  }

  /// One NR-wide panel of C within one k block.
  struct Panel {
    Value a, b, c, packedB, packedBase, k, j, width, k0, kEnd;
    bool masked, zeroC;
    SmallVector<Value> masks;
    /// A's block [k0, kEnd) x [i0, i0 + MC) packed by packABlock, or null.
    Value packedA = {}, i0 = {};
  };

  Value cst(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulIOp>(loc, x, y); }
  Value minOf(Value x, Value y) { return b.create<arith::MinSIOp>(loc, x, y); }
  /// An A split [M, K1, K2] read as [M, span]: column k1 * stride + k2
  /// holds A[m, k1, k2].
  struct SplitK {
    int64_t inner = 0;  // K2; 0: A is a plain [M, K]
    int64_t stride = 0; // of k1 in A
    Value k;            // K1 * K2
  } split;

  /// A plain [M, K] A as it is; a split one as its flat view, `split` set.
  /// The k loop then carries A's column along instead of running k2 in a
  /// loop of its own: LLVM unrolls a short inner loop of constant trip
  /// count fully, then hoists B's loads out of the row tiles and spills
  /// them (a 3x3 RGB convolution ran at a quarter of the FMA peak so).
  Value flattenSplitK(Value a) {
    auto type = cast<MemRefType>(a.getType());
    if (type.getRank() != 3)
      return a;
    SmallVector<int64_t> strides;
    int64_t offset;
    (void)getStridesAndOffset(type, strides, offset);
    split.inner = type.getDimSize(2);
    split.stride = strides[1];
    split.k = mul(dim(a, 1), cst(split.inner));
    auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, a);
    // Columns from A[m, 0, 0] to A[m, K1 - 1, K2 - 1].
    OpFoldResult span;
    int64_t staticSpan = ShapedType::kDynamic;
    if (!type.isDynamicDim(1)) {
      staticSpan = (type.getDimSize(1) - 1) * split.stride + split.inner;
      span = b.getIndexAttr(staticSpan);
    } else {
      span = add(mul(b.create<arith::SubIOp>(loc, dim(a, 1), cst(1)),
                     cst(split.stride)),
                 cst(split.inner));
    }
    auto flatType = MemRefType::get(
        {type.getDimSize(0), staticSpan}, type.getElementType(),
        StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                               {strides[0], 1}));
    return b.create<memref::ReinterpretCastOp>(
        loc, flatType, meta.getBaseBuffer(), OpFoldResult(meta.getOffset()),
        ArrayRef<OpFoldResult>{
            type.isDynamicDim(0)
                ? OpFoldResult(meta.getSizes()[0])
                : OpFoldResult(b.getIndexAttr(type.getDimSize(0))),
            span},
        ArrayRef<OpFoldResult>{b.getIndexAttr(strides[0]), b.getIndexAttr(1)});
  }
  Value dim(Value memref, int64_t d) {
    auto t = cast<MemRefType>(memref.getType());
    if (!t.isDynamicDim(d))
      return cst(t.getDimSize(d));
    return b.create<memref::DimOp>(loc, memref, d);
  }
  void forLoop(Value lb, Value ub, Value step,
               llvm::function_ref<void(Value)> body) {
    b.create<scf::ForOp>(
        loc, lb, ub, step, ValueRange{},
        [&](OpBuilder &nested, Location, Value iv, ValueRange) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          body(iv);
          b.create<scf::YieldOp>(loc);
        });
  }

  Value load(const Panel &p, Value mem, ValueRange idx, int64_t v) {
    if (!p.masked)
      return b.create<vector::LoadOp>(loc, vecType, mem, idx);
    Value zero = b.create<arith::ConstantOp>(
        loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    return b.create<vector::MaskedLoadOp>(loc, vecType, mem, idx, p.masks[v],
                                          zero);
  }
  void store(const Panel &p, Value value, Value mem, ValueRange idx,
             int64_t v) {
    if (!p.masked)
      b.create<vector::StoreOp>(loc, value, mem, idx);
    else
      b.create<vector::MaskedStoreOp>(loc, mem, idx, p.masks[v], value);
  }

  /// C[i, i + rows) x [j, j + width) += A[.., k0:kEnd] * B[k0:kEnd, ..].
  void registerTile(const Panel &p, Value i, int64_t rows) {
    int64_t vw = tile.vectorWidth;
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(r ? add(i, cst(r)) : i);
    for (int64_t v = 0; v < tile.vectors; ++v)
      colIdx.push_back(v ? add(p.j, cst(v * vw)) : p.j);
    // C of the next row tile, ahead of its use: C is read (and written) once
    // per k block, too rarely for the hardware prefetchers, and its misses
    // would stall every tile's start.
    if (rows == tile.rows && !p.masked)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t line = 0; line < tile.nr(); line += 16)
          b.create<memref::PrefetchOp>(
              loc, p.c,
              ValueRange{add(i, cst(rows + r)),
                         line ? add(p.j, cst(line)) : p.j},
              /*isWrite=*/true, /*localityHint=*/3, /*isDataCache=*/true);
    auto loadC = [&]() {
      SmallVector<Value> acc;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < tile.vectors; ++v)
          acc.push_back(load(p, p.c, {rowIdx[r], colIdx[v]}, v));
      return acc;
    };
    SmallVector<Value> acc;
    if (!p.zeroC) {
      acc = loadC();
    } else {
      // The first k block starts from 0 instead of a zero-filled C.
      Value first =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, p.k0, cst(0));
      SmallVector<Type> types(rows * tile.vectors, vecType);
      auto branch = b.create<scf::IfOp>(loc, types, first, true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      Value zero = b.create<arith::ConstantOp>(
          loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
      b.create<scf::YieldOp>(loc, SmallVector<Value>(types.size(), zero));
      b.setInsertionPointToStart(branch.elseBlock());
      b.create<scf::YieldOp>(loc, loadC());
      acc.assign(branch.getResults().begin(), branch.getResults().end());
    }
    // Packed: element (k, j + c) of the panel at base + k * width + c.
    Value panelBase = p.packedBase;
    // Packed A: element (k, i + r) at aPackedBase + k * MR + r.
    Value aPackedBase;
    if (p.packedA) {
      Value row = b.create<arith::SubIOp>(loc, i, p.i0);
      aPackedBase = b.create<arith::SubIOp>(
          loc,
          add(mul(b.create<arith::DivUIOp>(loc, row, cst(tile.rows)),
                  cst(aGroupStride())),
              b.create<arith::RemUIOp>(loc, row, cst(tile.rows))),
          mul(p.k0, cst(tile.rows)));
    }
    // One k: a row of B, a column of A (`aK`: kk, or a split K's carried
    // column of the flat view), rows x vectors FMAs.
    auto step = [&](Value kk, ValueRange aK, ValueRange carried) {
      SmallVector<Value> bv;
      Value rowStart =
          p.packedB
              ? add(panelBase, mul(kk, p.masked ? p.width : cst(tile.nr())))
              : Value();
      // A weight streamed from memory: its row kPrefetchRows ahead,
      // each 64-byte line of it.
      if (p.packedB && !p.masked && prefetchB)
        for (int64_t line = 0; line < tile.nr(); line += 16)
          b.create<memref::PrefetchOp>(
              loc, p.packedB,
              ValueRange{add(rowStart, cst(kPrefetchRows * tile.nr() + line))},
              /*isWrite=*/false, /*localityHint=*/3,
              /*isDataCache=*/true);
      // In place, rows lie a page or more apart: fewer rows ahead cover
      // the latency (a prefetch past B's end is dropped, not a fault).
      if (!p.packedB && !p.masked && prefetchB)
        for (int64_t line = 0; line < tile.nr(); line += 16)
          b.create<memref::PrefetchOp>(
              loc, p.b,
              ValueRange{add(kk, cst(kPrefetchRowsInPlace)),
                         line ? add(p.j, cst(line)) : p.j},
              /*isWrite=*/false, /*localityHint=*/3,
              /*isDataCache=*/true);
      for (int64_t v = 0; v < tile.vectors; ++v) {
        if (p.packedB)
          bv.push_back(load(p, p.packedB,
                            {v ? add(rowStart, cst(v * vw)) : rowStart}, v));
        else
          bv.push_back(load(p, p.b, {kk, colIdx[v]}, v));
      }
      SmallVector<Value> next;
      for (int64_t r = 0; r < rows; ++r) {
        Value s;
        if (p.packedA) {
          s = b.create<memref::LoadOp>(
              loc, p.packedA,
              ValueRange{add(aPackedBase, add(mul(kk, cst(tile.rows)),
                                              cst(r)))});
        } else {
          SmallVector<Value> aIdx{rowIdx[r]};
          aIdx.append(aK.begin(), aK.end());
          if (aTransposed)
            std::swap(aIdx[0], aIdx[1]);
          s = b.create<memref::LoadOp>(loc, p.a, aIdx);
        }
        Value splat = b.create<vector::BroadcastOp>(loc, vecType, s);
        for (int64_t v = 0; v < tile.vectors; ++v)
          next.push_back(b.create<vector::FMAOp>(
              loc, splat, bv[v], carried[r * tile.vectors + v]));
      }
      return next;
    };
    auto kLoop =
        [&](Value lb, Value ub, ValueRange init,
            llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body) {
          return b.create<scf::ForOp>(
              loc, lb, ub, cst(1), init,
              [&](OpBuilder &nested, Location, Value iv, ValueRange carried) {
                OpBuilder::InsertionGuard guard(b);
                b.setInsertionPoint(nested.getInsertionBlock(),
                                    nested.getInsertionPoint());
                b.create<scf::YieldOp>(loc, body(iv, carried));
              });
        };
    scf::ForOp loop;
    if (int64_t k2 = split.inner; k2 >= kNestedK2) {
      // A loop over k1 around one over k2 (a k block starts and ends
      // anywhere in a k1 step): in the inner one A's column and B's row
      // both advance by one, a pointer increment each.
      Value k2Size = cst(k2);
      Value k1End = b.create<arith::DivUIOp>(
          loc, add(p.kEnd, cst(k2 - 1)), k2Size);
      loop = kLoop(
          b.create<arith::DivUIOp>(loc, p.k0, k2Size), k1End, acc,
          [&](Value k1, ValueRange carried) {
            Value row0 = mul(k1, k2Size), column0 = mul(k1, cst(split.stride));
            Value lo = b.create<arith::MaxSIOp>(
                loc, b.create<arith::SubIOp>(loc, p.k0, row0), cst(0));
            Value hi = minOf(b.create<arith::SubIOp>(loc, p.kEnd, row0),
                             k2Size);
            auto inner = kLoop(lo, hi, carried, [&](Value j, ValueRange acc) {
              return step(add(row0, j), add(column0, j), acc);
            });
            return SmallVector<Value>(inner.getResults());
          });
    } else if (k2) {
      // Carried along: A's column and k2, which wraps at K2 to the next k1.
      // A k block starts anywhere in a k1 step. (A loop of a few k2, an RGB
      // input's, LLVM unrolls, and hoists and spills B's loads.)
      SmallVector<Value> init(acc);
      Value k2Size = cst(k2);
      Value k2First = b.create<arith::RemUIOp>(loc, p.k0, k2Size);
      init.push_back(add(
          mul(b.create<arith::DivUIOp>(loc, p.k0, k2Size), cst(split.stride)),
          k2First));
      init.push_back(k2First);
      loop = kLoop(p.k0, p.kEnd, init, [&](Value kk, ValueRange carried) {
        Value column = carried[carried.size() - 2],
              k2Now = carried[carried.size() - 1];
        SmallVector<Value> next = step(kk, column, carried.drop_back(2));
        Value k2Next = add(k2Now, cst(1));
        Value wrap = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                             k2Next, k2Size);
        next.push_back(
            add(column, b.create<arith::SelectOp>(
                            loc, wrap, cst(split.stride - k2 + 1), cst(1))));
        next.push_back(b.create<arith::SelectOp>(loc, wrap, cst(0), k2Next));
        return next;
      });
    } else {
      loop = kLoop(p.k0, p.kEnd, acc, [&](Value kk, ValueRange carried) {
        return step(kk, kk, carried);
      });
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < tile.vectors; ++v)
        store(p, loop.getResult(r * tile.vectors + v), p.c,
              {rowIdx[r], colIdx[v]}, v);
  }

  OpBuilder &b;
  Location loc;
  Tile tile;
  VectorType vecType;
};

/// A rank-2 view of `mem` at the batch position `ivs` (C's batch indices).
Value batchSlice(OpBuilder &b, Location loc, Value mem,
                 ArrayRef<int64_t> batchOf, ValueRange ivs) {
  auto type = cast<MemRefType>(mem.getType());
  if (batchOf.empty())
    return mem;
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t d : batchOf) {
    offsets.push_back(d < 0 ? OpFoldResult(b.getIndexAttr(0))
                            : OpFoldResult(ivs[d]));
    sizes.push_back(b.getIndexAttr(1));
  }
  for (int64_t d = type.getRank() - 2; d < type.getRank(); ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(
        type.isDynamicDim(d)
            ? OpFoldResult(b.create<memref::DimOp>(loc, mem, d).getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
  strides.assign(type.getRank(), b.getIndexAttr(1));
  auto resultType =
      cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          type.getShape().take_back(2), type, offsets, sizes, strides));
  return b.create<memref::SubViewOp>(loc, resultType, mem, offsets, sizes,
                                     strides);
}

struct TileMatmulPass : kiln::impl::TileMatmulBase<TileMatmulPass> {
  using TileMatmulBase::TileMatmulBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(checkVectorWidth(func, "kiln-tile-matmul", vectorWidth)))
      return signalPassFailure();
    // 16 zmm or 12 ymm accumulators, leaving registers for B and A.
    Tile tile{vectorWidth, 2, vectorWidth == 16 ? 8 : 6};
    SmallVector<Match> matches;
    func.walk([&](linalg::LinalgOp op) {
      if (auto m = match(op))
        matches.push_back(*m);
    });
    SmallVector<int64_t> packed;
    Value stackBuffer, aStackBuffer;
    for (Match &m : matches) {
      OpBuilder b(m.op);
      Location loc = m.op.getLoc();
      Emitter emit(b, loc, tile);
      emit.aTransposed = m.aTransposed;
      emit.entryBlock = &func.getBody().front();
      emit.stackBuffer = &stackBuffer;
      emit.aStackBuffer = &aStackBuffer;
      // Before anything is inserted between the fill and the op.
      linalg::FillOp fill = zeroFillOf(m);
      if (m.splitK)
        m.b = b.create<memref::CollapseShapeOp>(
            loc, m.b, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
      if (m.bTransposed) {
        emit.dotMatmul(m.a, m.b, m.c, /*zeroC=*/(bool)fill);
        m.op->erase();
        if (fill)
          fill->erase();
        continue;
      }
      Value packedB, column0;
      // A 2-D B (a weight applied to every batch) is packed once for all.
      if (m.bBatch.empty())
        packedB = packedView(b, loc, m, tile, func, packed, column0);
      // One loop per batch dim of C around the 2-D matmul.
      SmallVector<Value> ivs;
      OpBuilder::InsertionGuard guard(b);
      for (unsigned d = 0; d < m.batch; ++d) {
        auto t = cast<MemRefType>(m.c.getType());
        Value ub = t.isDynamicDim(d)
                       ? b.create<memref::DimOp>(loc, m.c, d).getResult()
                       : b.create<arith::ConstantIndexOp>(loc, t.getDimSize(d))
                             .getResult();
        auto loop =
            b.create<scf::ForOp>(loc, b.create<arith::ConstantIndexOp>(loc, 0),
                                 ub, b.create<arith::ConstantIndexOp>(loc, 1));
        ivs.push_back(loop.getInductionVar());
        b.setInsertionPoint(loop.getBody()->getTerminator());
      }
      SmallVector<int64_t> cBatch;
      for (unsigned d = 0; d < m.batch; ++d)
        cBatch.push_back(d);
      emit.matmul(batchSlice(b, loc, m.a, m.aBatch, ivs),
                  batchSlice(b, loc, m.b, m.bBatch, ivs),
                  batchSlice(b, loc, m.c, cBatch, ivs), packedB, column0,
                  /*zeroC=*/(bool)fill);
      m.op->erase();
      if (fill)
        fill->erase();
    }
    if (!packed.empty())
      func->setAttr(kPackedRhsAttr,
                    DenseI64ArrayAttr::get(&getContext(), packed));
    contractLeftovers(func);
  }

  /// The tiles round each product-and-add once (an FMA where the target has
  /// one). Contractions left as loops (fused with a producer, B transposed,
  /// several N dims) get the same rounding through `contract` on their
  /// mul-add, so that a model gives bitwise the same results whichever
  /// contractions are tiled: the JIT's whole-model function fuses more than
  /// an artifact's one-op kernels.
  void contractLeftovers(func::FuncOp func) {
    auto contract = arith::FastMathFlagsAttr::get(
        &getContext(), arith::FastMathFlags::contract);
    func.walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() == 0 || op->getNumRegions() != 1)
        return;
      Block &body = op->getRegion(0).front();
      for (BlockArgument out :
           body.getArguments().take_back(op.getNumDpsInits()))
        for (Operation *user : out.getUsers()) {
          auto addOp = dyn_cast<arith::AddFOp>(user);
          if (!addOp || !addOp.getType().isF32())
            continue;
          Value other = addOp.getLhs() == out ? addOp.getRhs() : addOp.getLhs();
          // A square summed (a variance) is no product of two operands:
          // an artifact squares and sums in two kernels, unfused.
          auto mulOp = other.getDefiningOp<arith::MulFOp>();
          if (!mulOp || !mulOp->hasOneUse() || mulOp.getLhs() == mulOp.getRhs())
            continue;
          mulOp.setFastmathAttr(contract);
          addOp.setFastmathAttr(contract);
        }
    });
  }

  /// The zero fill of C right before the matmul, which the tiles replace
  /// by starting from 0: C is then written once instead of three times.
  /// Only when every element of C is stored (K > 0).
  static linalg::FillOp zeroFillOf(Match &m) {
    auto fill = dyn_cast_or_null<linalg::FillOp>(m.op->getPrevNode());
    if (!fill || !fill.hasPureBufferSemantics() ||
        fill.getDpsInitOperand(0)->get() != m.c)
      return {};
    auto aType = cast<MemRefType>(m.a.getType());
    int64_t k = aType.getDimSize(m.aTransposed ? 0 : aType.getRank() - 1);
    if (m.splitK)
      k = ShapedType::isDynamic(aType.getDimSize(1)) ? ShapedType::kDynamic
                                                     : k * aType.getDimSize(1);
    if (ShapedType::isDynamic(k) || k == 0)
      return {};
    auto zero =
        fill.getDpsInputOperand(0)->get().getDefiningOp<arith::ConstantOp>();
    auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
    if (!value || !value.getValue().isPosZero())
      return {};
    return fill;
  }

  /// The flat view of B that reads it packed, when B is a constant argument
  /// that this matmul alone reads; records it in `packed`.
  ///
  /// B may be a view of the argument's columns [column0, ..): a matmul
  /// split into workgroups along N. Its panels must then start at panels
  /// of the argument, column0 a multiple of NR: --kiln-tile-to-workgroups
  /// splits a kiln.constant B's N in multiples of 32 columns.
  Value packedView(OpBuilder &b, Location loc, Match &m, Tile tile,
                   func::FuncOp func, SmallVector<int64_t> &packed,
                   Value &column0) {
    SmallVector<OpFoldResult> offsets;
    BlockArgument arg = columnsOfArgument(m.b, offsets);
    if (!arg || arg.getOwner() != &func.getBody().front() ||
        !func.getArgAttr(arg.getArgNumber(), kConstantAttr) ||
        !onlyUsedBy(arg, m.op))
      return {};
    // A view starting inside a panel would read across two of them.
    for (OpFoldResult offset : offsets) {
      auto value = dyn_cast<Value>(offset);
      if (value ? !isMultipleOf(value, tile.nr())
                : cast<IntegerAttr>(cast<Attribute>(offset)).getInt() %
                          tile.nr() !=
                      0)
        return {};
    }
    auto type = cast<MemRefType>(arg.getType());
    // A weight of higher rank is read as [product of the leading dims, N].
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        type.getRank() < 2)
      return {};
    for (size_t i = 0; i < packed.size(); i += 2)
      if (packed[i] == arg.getArgNumber())
        return {};
    packed.append({(int64_t)arg.getArgNumber(), tile.nr()});
    column0 = b.create<arith::ConstantIndexOp>(loc, 0);
    for (OpFoldResult offset : offsets)
      column0 = b.create<arith::AddIOp>(
          loc, column0, getValueOrCreateConstantIndexOp(b, loc, offset));
    int64_t n = type.getNumElements();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&func.getBody().front());
    return b.create<memref::ReinterpretCastOp>(
        loc, MemRefType::get({n}, type.getElementType()), arg, 0,
        ArrayRef<int64_t>{n}, ArrayRef<int64_t>{1});
  }
};

} // namespace

bool kiln::isTileableMatmul(linalg::LinalgOp op) {
  return matchStructure(op, /*allowSplitK=*/false).has_value();
}

linalg::GenericOp kiln::buildMulAdd(OpBuilder &b, Location loc, Value a,
                                    Value bOperand, Value c,
                                    ArrayRef<AffineMap> maps,
                                    ArrayRef<utils::IteratorType> iterators) {
  return b.create<linalg::GenericOp>(
      loc, ValueRange{a, bOperand}, ValueRange{c}, maps, iterators,
      [&](OpBuilder &nested, Location l, ValueRange args) {
        Value product = nested.create<arith::MulFOp>(l, args[0], args[1]);
        nested.create<linalg::YieldOp>(
            l, nested.create<arith::AddFOp>(l, args[2], product).getResult());
      });
}
