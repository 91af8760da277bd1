//===- ArtifactVerifier.h - Checks a .kmod before it is used ------*- C++ -*-===//
//
// Everything the loader and the executor later rely on without checking is
// established here, once: the flatbuffers structure, the format version, and
// that every index, offset and size in the plan stays inside what it refers
// to. After verifyArtifact succeeds no field of the module can make the
// runtime read or write out of bounds (what a kernel does with its buffers
// is the compiler's contract).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ARTIFACTVERIFIER_H
#define KILN_RUNTIME_ARTIFACTVERIFIER_H

#include "kiln/runtime/Status.h"
#include "schema/kmod_generated.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln::rt {

/// The format version this runtime reads (Module.version).
constexpr uint32_t kSupportedVersion = 4;
/// The largest rank a TensorSig may have.
constexpr size_t kMaxRank = 8;
/// The alignment of Param and Arena offsets and of the weights.
constexpr uint64_t kBufferAlignment = 64;

/// Bytes of one element of `dtype`, or 0 for a value outside the enum.
size_t dtypeSize(kmod::DType dtype);

/// The byte size of a tensor, or false if a dimension is negative, the dtype
/// unknown, or the product overflows.
bool tensorByteSize(const kmod::TensorSig &sig, uint64_t &bytes);

/// A string from the artifact, quoted and escaped for a message, shortened
/// if long (it may be anything in a corrupt file).
std::string quoted(const flatbuffers::String *s);

/// KILN_ERROR_FORMAT unless `size` bytes can hold an artifact: checked before
/// the bytes are copied or read.
Status checkArtifactSize(uint64_t size);

/// Verifies `size` bytes at `data`, which must be 64-byte aligned so that
/// the weights' alignment can be checked as offsets. On success `module`
/// points into `data`; on failure the status is KILN_ERROR_FORMAT with a
/// message that names the field and the values found.
Status verifyArtifact(const uint8_t *data, size_t size,
                      const kmod::Module *&module);

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARTIFACTVERIFIER_H
