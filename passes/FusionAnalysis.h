//===- FusionAnalysis.h - How a set of ops runs as one kernel ---*- C++ -*-===//
//
// The cost model of fusion (docs/fusion.md), shared by the fusion pass,
// which decides what goes into a kernel, by codegen, which cuts a fused
// kernel into chunks the same way, and by the fusion report. Everything
// here looks at kiln ops only.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_FUSIONANALYSIS_H
#define KILN_PASSES_FUSIONANALYSIS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

/// An operand read in full by every chunk.
constexpr int64_t kWhole = -1;

/// Bytes a fused kernel may keep live per chunk and still expect them to
/// stay in a core's cache (half the 1 MiB L2 of the Zen 4/5 hosts, the
/// rest being for streamed operands). An operand this small, read whole
/// by every chunk, also stays in cache from one chunk to the next; a
/// larger one is read again from L3 or memory by every chunk, and costs
/// its bytes each time.
constexpr int64_t kCacheBudget = 512 * 1024;

/// Work (FLOPs) from which a kernel is worth sharing among threads: a
/// fused kernel doing more is cut into at least 2 chunks (8 from four
/// times as much), or not fused.
constexpr int64_t kParallelFlops = 1 << 19;
/// Likewise the bytes a kernel reads from which it is worth sharing: a
/// memory-bound kernel (a batch-1 dense layer) runs faster on two cores.
constexpr int64_t kParallelBytes = 256 * 1024;

/// The fewest rows, and columns, of a matmul a chunk may hold: a register
/// tile's rows, and enough columns for the weights' panels to stream.
constexpr int64_t kMinMatmulRows = 8;
constexpr int64_t kMinMatmulColumns = 128;
/// A convolution's register tile runs along this many output columns: a
/// chunk of its columns holds a multiple of them.
constexpr int64_t kConvTileColumns = 8;
/// --kiln-conv-to-winograd computes a 3x3 convolution of stride 1 with at
/// least kWinogradMinChannels input channels in tiles of kWinogradRows x
/// kWinogradRows outputs (F(2x2, 3x3)), when its channels and filters are
/// whole vectors.
constexpr int64_t kWinogradRows = 2;
constexpr int64_t kWinogradMinChannels = 16;

/// What one more kernel launch costs, expressed in bytes of memory traffic
/// (about 0.1 us of dispatch and loop set-up at ~20 GB/s), so that a
/// fusion that moves no fewer bytes still wins by a launch.
constexpr int64_t kDispatchBytes = 2048;

/// How a value is cut along with the grid: a chunk of c grid indices
/// starting at a is the value's indices [a * scale, a * scale + c * scale +
/// extra) along `dim`. Values made inside a fused kernel are cut exactly
/// (extra 0); an input may overlap its neighbours' (a convolution's halo).
/// `dim` kWhole: read whole by every chunk.
struct Cut {
  int64_t dim = kWhole;
  int64_t scale = 1;
  int64_t extra = 0;
  bool operator==(const Cut &o) const {
    return dim == o.dim && scale == o.scale && extra == o.extra;
  }
};

/// When the result of `op` is cut along its dim `dim` (scale 1), how each
/// operand is cut with it (relative to the result's scale), or nullopt
/// when cutting along `dim` would change what the op computes (a reduced
/// dim, a padded window, ...).
std::optional<llvm::SmallVector<Cut>> operandDims(mlir::Operation *op,
                                                  int64_t dim);

/// Whether the fusion pass may put `op` into a kernel with others.
bool isFusable(mlir::Operation *op);
bool isElementwise(mlir::Operation *op);
/// Lowered, `v` is no buffer of its own: a 2-D transpose that f32
/// matmuls read as A (MatmulLowering reads its input as A[k, m]) or, when
/// their results have at most kMaxDotColumns static columns and their A is
/// no transpose, as B (read as B[n, k] by --kiln-tile-matmul's dot
/// products), or a reshape, a view, that only such transposes read (a
/// gradient's pixels as rows).
bool readInPlace(mlir::Value v);
constexpr int64_t kMaxDotColumns = 16;
bool isContraction(mlir::Operation *op);
bool isReduction(mlir::Operation *op);

/// Floating-point operations of `op` (2 per multiply-add; 1 per element of
/// elementwise ops and reductions).
int64_t flopsOf(mlir::Operation *op);
/// Bytes of a tensor type.
int64_t bytesOf(mlir::Type type);

/// A set of ops in program order (one block) and the values it produces
/// that are used outside it, in program order.
struct OpSet {
  llvm::SmallVector<mlir::Operation *> ops;
  llvm::SmallVector<mlir::Value> outputs;
  /// The outputs of `ops`: results used by an op not in `ops`.
  static OpSet of(llvm::ArrayRef<mlir::Operation *> ops);
  /// The ops of `block` and its terminator's operands made by them (a
  /// kernel's body and its results).
  static OpSet ofBlock(mlir::Block &block);
  bool contains(mlir::Value v) const;
};

/// One axis of a fused kernel's grid: `extent` indices cut into `chunks`
/// equal chunks, each value along its dim of that axis.
struct GridAxis {
  int64_t extent = 1;
  int64_t chunks = 1;
  /// The cut of every value the set produces (exact: extra 0).
  llvm::DenseMap<mlir::Value, Cut> dims;
  /// The cut of every use of a value from outside.
  llvm::DenseMap<mlir::OpOperand *, Cut> inputDims;
  int64_t size() const { return extent / chunks; }
};

/// How a fused kernel walks its work: chunk by chunk over a grid of one or
/// two axes (images and rows, heads and query rows, ...), the last axis
/// fastest. A value is cut along a different dim by each axis.
struct Grid {
  llvm::SmallVector<GridAxis, 2> axes;
  /// Chunks in all (1 for an empty grid).
  int64_t chunks() const;
};

/// The grid in which, along axis a, output i is cut along its dim
/// `gridDims[a * outputs + i]` (scale 1), or nullopt when some op cannot be
/// cut that way, a value inside the set would be needed whole or with a
/// halo by a chunk, or two axes cut a value along the same dim. Chunk
/// counts are left 1.
std::optional<Grid> propagateGrid(const OpSet &set,
                                  llvm::ArrayRef<int64_t> gridDims);

/// Estimated cost of running `set` as one kernel.
struct KernelCost {
  /// The strategy: "chunked" (a loop over grid chunks, every op once per
  /// chunk) or "whole".
  std::string strategy = "whole";
  /// For "chunked": the grid; empty otherwise.
  Grid grid;
  /// The grid dims of the outputs, axis by axis (kiln.fusion's grid_dims),
  /// and the chunks of each axis (its chunks: [1] when run whole).
  llvm::SmallVector<int64_t> gridDims;
  llvm::SmallVector<int64_t> chunks = {1};
  int64_t bytesRead = 0, bytesWritten = 0, flops = 0;
  /// Memory traffic plus kDispatchBytes: what fusion minimises.
  int64_t cost() const { return bytesRead + bytesWritten + kDispatchBytes; }
};

/// The cheapest way to run `set` as one kernel, or nullopt when every way
/// keeps intermediates that do not fit in `budget` (fusing would then
/// move as many bytes as not fusing, through temporaries), or the set
/// computes none of its outputs.
std::optional<KernelCost> estimateKernel(const OpSet &set,
                                         int64_t budget = kCacheBudget);

/// Keys per block when attention runs with an online softmax.
constexpr int64_t kKeyBlock = 256;

/// Attention's softmax between two matmuls, O = softmax(Q K^T [* c]) V,
/// over the last dim (the keys), which codegen runs block of keys by block
/// with an online softmax (--kiln-online-softmax, as flash attention does):
/// the scores then exist for kKeyBlock keys at a time, whatever the
/// sequence length. Its values are used only inside the chain.
struct AttentionChain {
  mlir::Operation *scores = nullptr; // kiln.matmul Q, K^T
  mlir::Operation *scale = nullptr;  // kiln.mul by a scalar constant, or null
  mlir::Operation *max = nullptr, *sub = nullptr, *exp = nullptr,
                  *sum = nullptr, *div = nullptr;
  mlir::Operation *output = nullptr; // kiln.matmul P, V
  /// Its ops in program order.
  llvm::SmallVector<mlir::Operation *> ops() const;
  /// The keys (the scores' last dim).
  int64_t keys() const;
  /// Whether blocks of keys pay: more than one block.
  bool blocked() const;
};

/// The attention chain that ends in the matmul `output`, if any.
std::optional<AttentionChain> matchAttention(mlir::Operation *output);

/// "elementwise", "reduction", "contraction" or "contraction_reduction".
std::string kindOf(llvm::ArrayRef<mlir::Operation *> ops);

} // namespace kiln

#endif // KILN_PASSES_FUSIONANALYSIS_H
