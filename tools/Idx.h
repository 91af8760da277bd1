//===- Idx.h - Fashion-MNIST IDX files --------------------------*- C++ -*-===//
//
// The examples train and test on Fashion-MNIST as Debian's
// dataset-fashion-mnist package installs it: gzip-compressed IDX files.
// Reading them here, into the HostTensors the rest of kiln uses, keeps the
// examples free of Python. Plain C++17 and zlib; errors come back as text.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_IDX_H
#define KILN_TOOLS_IDX_H

#include "kiln/ir/HostTensor.h"

#include <cstdint>
#include <string>

namespace kiln {

/// Where dataset-fashion-mnist puts its files.
inline constexpr const char *kFashionMnistDir =
    "/usr/share/datasets/fashion-mnist";
inline constexpr const char *kFashionMnistTrainImages =
    "train-images-idx3-ubyte.gz";
inline constexpr const char *kFashionMnistTrainLabels =
    "train-labels-idx1-ubyte.gz";
inline constexpr const char *kFashionMnistTestImages =
    "t10k-images-idx3-ubyte.gz";
inline constexpr const char *kFashionMnistTestLabels =
    "t10k-labels-idx1-ubyte.gz";

/// "/usr/share/datasets/fashion-mnist".
std::string fashionMnistDir();

/// `dir`/`gzName`, or the same name without ".gz" when only that file
/// exists (the files as the dataset's site serves them, unpacked): the
/// reader takes either.
std::string idxFileIn(const std::string &dir, const std::string &gzName);

/// The full path of one of the four files, named "train-images",
/// "train-labels", "t10k-images" or "t10k-labels"; any other name is taken
/// as a file name inside fashionMnistDir().
std::string fashionMnistFile(const std::string &name);

/// "T-shirt/top", ..., "Ankle boot" for labels 0..9; "?" otherwise.
const char *fashionMnistClassName(int64_t label);

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, 3 dims) into
/// f32 [N, rows * cols] with pixels scaled to [0, 1] ([N, 784] for
/// Fashion-MNIST), N = min(count, limit), or all images when limit < 0. The
/// file may be gzip-compressed or plain. `declared`, if given, gets the
/// count the header declares. On failure returns false, leaves `out` as it
/// was, and sets `error` to a message starting with the path.
bool readIdxImages(const std::string &path, int64_t limit, HostTensor &out,
                   std::string &error, int64_t *declared = nullptr);

/// Reads an IDX label file (magic 0x00000801: unsigned bytes, 1 dim) into
/// i32 [N], N as for readIdxImages. Values are passed through as they are.
bool readIdxLabels(const std::string &path, int64_t limit, HostTensor &out,
                   std::string &error, int64_t *declared = nullptr);

} // namespace kiln

#endif // KILN_TOOLS_IDX_H
