//===- Npy.h - NumPy .npy files and input checks ----------------*- C++ -*-===//
//
// Tensors enter and leave the kiln tools as .npy files, so that a model's
// inputs and outputs can be made and checked with numpy. The reader must
// survive any bytes at all (a fuzzer drives parseNpy), and the writer must
// never leave a half-written file behind. Plain C++17; errors come back as
// text, nothing is thrown.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_NPY_H
#define KILN_TOOLS_NPY_H

#include "kiln/ir/HostTensor.h"

#include <cstddef>
#include <string>

namespace kiln {

/// Reads a .npy file (format 1.0, 2.0 or 3.0). Accepts '<f4', '<f2', '<i4',
/// '|i1' (also '<i1'), and '<i8' / '<f8' when every value is exactly
/// representable as i32 / f32. On failure returns false, leaves `out` as it
/// was, and sets `error` to a message starting with the path.
bool readNpy(const std::string &path, HostTensor &out, std::string &error);

/// readNpy on bytes already in memory; `error` carries no file name.
bool parseNpy(const void *bytes, size_t size, HostTensor &out,
              std::string &error);

/// Writes `t` as format 1.0 with the same bytes np.save would produce: f32
/// '<f4', f16 '<f2', i32 '<i4', i8 '|i1', and bf16 widened to '<f4' (numpy
/// has no bf16). The file is written beside `path` under a temporary name and
/// renamed into place, so `path` is either the old file or the whole new one.
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);

/// "" when every element is finite (always for integer tensors), else the
/// first offender, e.g. "element 17 (index [0, 17]) is NaN" (or +Inf, -Inf).
std::string findNonFinite(const HostTensor &t);

} // namespace kiln

#endif // KILN_TOOLS_NPY_H
