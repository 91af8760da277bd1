//===- MappedMemory.cpp - Zeroed, page-aligned memory ---------------------===//
//
// Anonymous private mappings with MAP_NORESERVE: an arena the plan sizes for
// the worst case costs only the pages a run touches.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/MappedMemory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kiln::rt {

// Zero-sized regions point here, so kernels never receive a null pointer.
alignas(64) static uint8_t emptyRegion[64];
constexpr size_t kHugePage = 2 << 20;

MappedMemory &MappedMemory::operator=(MappedMemory &&other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

Status MappedMemory::allocate(size_t size, const char *what) {
  release();
  if (size == 0) {
    data_ = emptyRegion;
    return Status::ok();
  }
  void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    return Status::error(KILN_ERROR_PLATFORM,
                         strCat("cannot allocate the ", size, "-byte ", what,
                                ": ", std::strerror(err)));
  }
  // Huge pages where the kernel allows them: a large arena walked in
  // strided tiles would otherwise miss the TLB on most rows.
  if (size >= kHugePage)
    madvise(p, size, MADV_HUGEPAGE);
  data_ = static_cast<uint8_t *>(p);
  size_ = size;
  mapped_ = true;
  return Status::ok();
}

void MappedMemory::borrow(const uint8_t *data, size_t size) {
  release();
  // Never written through: the loader only reads the artifact.
  data_ = const_cast<uint8_t *>(data);
  size_ = size;
}

void MappedMemory::release() {
  if (mapped_)
    munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
}

} // namespace kiln::rt
