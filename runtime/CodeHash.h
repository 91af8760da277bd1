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
#include <cstring>

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

/// Module.weights_hash: as fast as memory can be read, for weights of tens
/// of megabytes checked at every load. Four lanes take 8-byte words in
/// turn; each step h -> m((h ^ w) * p) is a bijection of h (odd multiplier,
/// xor-shift), so a change confined to one word always changes its lane,
/// and the final combination is a bijection in each lane given the others.
inline uint64_t weightsHash(const uint8_t *data, size_t size) {
  constexpr uint64_t p = 0x9e3779b97f4a7c15ull;
  auto step = [](uint64_t h, uint64_t w) {
    h = (h ^ w) * p;
    return h ^ (h >> 29);
  };
  uint64_t lane[4] = {size, 1, 2, 3};
  size_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, data + i + 8 * k, 8);
      lane[k] = step(lane[k], w);
    }
  for (; i < size; ++i)
    lane[0] = step(lane[0], data[i]);
  uint64_t h = lane[0];
  for (int k = 1; k < 4; ++k)
    h = step(h, lane[k]);
  return h;
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_CODEHASH_H
