//===- CodeHash.h - The checksum of an artifact's code ------------*- C++ -*-===//
//
// The system loader is not a hardened parser: a shared object with one
// corrupt relocation or constructor pointer can crash dlopen. The artifact
// therefore carries a hash of its code, checked before the code is handed
// to the loader. FNV-1a is enough: it detects every single-byte change (each
// step is a bijection of the state) and is short enough to be written the
// same way by the artifact writer, which may include this header; it needs
// nothing beyond <cstdint>.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CODEHASH_H
#define KILN_RUNTIME_CODEHASH_H

#include <cstddef>
#include <cstdint>

namespace kiln::rt {

/// 64-bit FNV-1a of `size` bytes at `data`: Module.code_hash in kmod.fbs.
inline uint64_t codeHash(const uint8_t *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_CODEHASH_H
