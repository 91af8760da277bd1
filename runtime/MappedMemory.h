//===- MappedMemory.h - Zeroed, page-aligned memory ---------------*- C++ -*-===//
//
// The artifact copy and the arena come straight from anonymous mmap rather
// than the heap: pages are page-aligned (which covers the format's 64-byte
// promise), zero-filled and committed lazily, and an absurd size read from a
// corrupt artifact fails with ENOMEM instead of aborting a sanitizer's
// allocator or the process. An artifact linked into the program is borrowed
// instead: read where it lies, never copied or freed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MAPPEDMEMORY_H
#define KILN_RUNTIME_MAPPEDMEMORY_H

#include "kiln/runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <utility>

namespace kiln::rt {

class MappedMemory {
public:
  MappedMemory() = default;
  MappedMemory(const MappedMemory &) = delete;
  MappedMemory &operator=(const MappedMemory &) = delete;
  MappedMemory(MappedMemory &&other) noexcept { *this = std::move(other); }
  MappedMemory &operator=(MappedMemory &&other) noexcept;
  ~MappedMemory() { release(); }

  /// Maps `size` zeroed bytes; `what` names the memory in the error. A size
  /// of 0 maps nothing but still yields a non-null, aligned data().
  Status allocate(size_t size, const char *what);
  /// Refers to `size` bytes at `data` that someone else owns, read only:
  /// nothing is mapped or freed.
  void borrow(const uint8_t *data, size_t size);

  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  void release();

  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_MAPPEDMEMORY_H
