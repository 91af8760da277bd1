//===- Checkpoint.h - Training checkpoints ----------------------*- C++ -*-===//
//
// A training run saves its state (parameters, optimizer state, counters) so
// that it can stop and resume, and so that trained weights can be frozen
// and shipped. A checkpoint is one file written atomically: a crash or a
// full disk leaves the previous checkpoint as it was. The file carries a
// checksum, so that a truncated or damaged checkpoint is refused with a
// clear message instead of resuming from garbage. Plain C++17 and zlib;
// errors come back as text naming the path, nothing is thrown.
//
// File format, version 1. All integers little-endian; a string is a u32
// byte count followed by that many bytes (no terminator).
//
//   offset  size  field
//   0       8     magic "KILNCKPT"
//   8       4     u32 version (1)
//   12      8     u64 total file size in bytes, this header and the CRC
//                 included (a shorter file is "truncated")
//   20      4     u32 CRC-32 (zlib) of bytes 0..19 (a damaged header is
//                 "corrupt", not misread as a truncation)
//   24            string model name
//                 u32 counter count, then per counter: string name, i64
//                 value
//                 u32 tensor count, then per tensor: string name, u8 dtype
//                 (0 f32, 1 f16, 2 bf16, 3 i8, 4 i32), u8 rank, i64 per
//                 dim, then the elements row-major (dtype size * element
//                 count bytes, little-endian)
//   size-4  4     u32 CRC-32 (zlib) of bytes 0..size-5
//
// Names are unique within counters and within tensors, and written in
// sorted order, so that the same state always gives the same bytes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_CHECKPOINT_H
#define KILN_TOOLS_CHECKPOINT_H

#include "kiln/ir/HostTensor.h"
#include "kiln/ir/Signature.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {

inline constexpr uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  /// The model it trains, e.g. "fashion_mlp".
  std::string model;
  /// Integer state of the run, e.g. "step", "epoch".
  std::map<std::string, int64_t> counters;
  /// Parameters and optimizer state by name, e.g. "dense0.w",
  /// "dense0.w.m", "adam.beta1_power".
  std::map<std::string, HostTensor> tensors;
};

/// Writes `ckpt` to `path` atomically: on any failure `path` still holds
/// what it held before (or nothing, if there was nothing), and `error` says
/// why, naming the path.
bool saveCheckpoint(const std::string &path, const Checkpoint &ckpt,
                    std::string &error);

/// Reads the checkpoint at `path`. On failure returns false, leaves `out` as
/// it was, and sets `error` to "PATH: " and what is wrong: "cannot open:
/// ...", "not a kiln checkpoint (...)", "unsupported checkpoint version N
/// (this kiln reads version 1)", "truncated: ...", "corrupt: ...".
bool loadCheckpoint(const std::string &path, Checkpoint &out,
                    std::string &error);

/// loadCheckpoint on bytes in memory; `error` carries no path.
bool parseCheckpoint(const void *bytes, size_t size, Checkpoint &out,
                     std::string &error);

/// Whether `ckpt` (read from `path`, named in messages) fits a run of
/// `model` that expects exactly the tensors `expected` (name, dtype, shape;
/// other fields are ignored), or at least them when `allowExtra` (e.g.
/// taking only the parameters from a checkpoint that also holds optimizer
/// state). On a mismatch returns false and sets `error` to the first
/// problem, with a count of any others:
///   "checkpoint PATH is for model 'cnn', not 'fashion_mlp'"
///   "checkpoint PATH has no tensor 'dense0.w' (expected f32 [784, 128])"
///   "checkpoint PATH: tensor 'dense0.w' is f32 [784, 64], expected f32
///    [784, 128]"
///   "checkpoint PATH has an unexpected tensor 'x' (f32 [3])"
bool checkCheckpoint(const Checkpoint &ckpt, const std::string &path,
                     const std::string &model,
                     const std::vector<TensorSpec> &expected, bool allowExtra,
                     std::string &error);

} // namespace kiln

#endif // KILN_TOOLS_CHECKPOINT_H
