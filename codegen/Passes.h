//===- Passes.h - kiln codegen passes ---------------------------*- C++ -*-===//
#ifndef KILN_CODEGEN_PASSES_H
#define KILN_CODEGEN_PASSES_H

#include "kiln/ir/KilnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

/// Argument attribute naming the parameter an argument carries.
inline constexpr const char *kParamAttr = "kiln.param";
/// Marks the kernel functions of an outlined model.
inline constexpr const char *kKernelAttr = "kiln.kernel";
/// A fused kernel's grid (kiln.fusion's grid_dims and chunks) and kind.
inline constexpr const char *kGridDimsAttr = "kiln.grid_dims";
inline constexpr const char *kChunksAttr = "kiln.chunks";
inline constexpr const char *kFusionKindAttr = "kiln.fusion_kind";
/// The loop over the chunks of a fused kernel (--kiln-chunk-fused-kernels).
inline constexpr const char *kChunkLoopAttr = "kiln.chunk_loop";
/// Memory plan attributes (--kiln-plan-memory).
inline constexpr const char *kArenaOffsetsAttr = "kiln.arena_offsets";
inline constexpr const char *kArenaSizeAttr = "kiln.arena_size";
inline constexpr const char *kArenaLowerBoundAttr = "kiln.arena_lower_bound";
/// Workgroup attributes (--kiln-tile-to-workgroups): the kernel's two
/// leading index arguments and the most workgroups worth running it on.
inline constexpr const char *kWorkgroupIdAttr = "kiln.workgroup_id";
inline constexpr const char *kWorkgroupCountAttr = "kiln.workgroup_count";
inline constexpr const char *kMaxWorkgroupsAttr = "kiln.max_workgroups";
/// Every workgroup of the kernel reads all of a large operand: run one
/// workgroup per thread, not several.
inline constexpr const char *kOneWorkgroupPerThreadAttr =
    "kiln.one_workgroup_per_thread";
/// Marks a kernel argument whose value is known when the kernel is
/// compiled (a weight of an artifact), so that its layout may be chosen.
inline constexpr const char *kConstantAttr = "kiln.constant";
/// A kernel result (then argument) that only the caller reads: the step
/// returns it and no later kernel of the step reads it
/// (--kiln-outline-kernels). --kiln-streaming-stores writes large ones past
/// the caches.
inline constexpr const char *kStepOutputAttr = "kiln.step_output";
/// --kiln-tile-matmul: [argument, panel width, ...] of the arguments it reads
/// packed (the caller stores each NR-column panel contiguously).
inline constexpr const char *kPackedRhsAttr = "kiln.packed_rhs";

/// An op --kiln-outline-kernels leaves in an outlined model function: a
/// reshape of an argument or of a step's result, a view of that buffer.
/// --kiln-plan-memory and the artifact's step list alias it.
bool isView(mlir::Operation *op);

/// `op` (on tensors or buffers) has the form --kiln-tile-matmul tiles: f32
/// C[b..., m, n] += A[.., m, k] * B[.., k, n]. On buffers the pass also
/// needs B and C to have unit-stride rows.
bool isTileableMatmul(mlir::linalg::LinalgOp op);
/// A linalg.generic on buffers computing c += a * b with these maps and
/// iterators, in the form --kiln-tile-matmul matches (its body out + a * b).
mlir::linalg::GenericOp
buildMulAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
            mlir::Value bOperand, mlir::Value c,
            llvm::ArrayRef<mlir::AffineMap> maps,
            llvm::ArrayRef<mlir::utils::IteratorType> iterators);
/// Whether --kiln-conv-to-matmul turns this convolution into matmuls (f32,
/// columns not dilated); on buffers it also needs (w, c) contiguous.
bool convertsToMatmuls(mlir::linalg::Conv2DNhwcHwcfOp op);
/// The fill of `conv`'s whole output with +0.0 right before it (on
/// buffers), or null: --kiln-conv-to-matmul and --kiln-conv-to-winograd
/// write the output instead of adding to it.
mlir::linalg::FillOp zeroFillOf(mlir::linalg::Conv2DNhwcHwcfOp conv);

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

} // namespace kiln

#endif // KILN_CODEGEN_PASSES_H
