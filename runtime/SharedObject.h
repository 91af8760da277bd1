//===- SharedObject.h - An artifact's code, loaded from memory ----*- C++ -*-===//
//
// The kernels arrive as the bytes of an ELF shared object inside the
// artifact. The system loader needs a file, so the bytes go to an anonymous
// one that no other process can see or replace, and it is dlopen'ed through
// /proc/self/fd. The handle closes (and unloads the code) with the object.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SHAREDOBJECT_H
#define KILN_RUNTIME_SHAREDOBJECT_H

#include "kiln/runtime/Status.h"

#include <cstddef>
#include <cstdint>

namespace kiln::rt {

/// The signature of every kiln kernel: args[i] points at its i-th buffer;
/// a call computes workgroup `workgroupId` of `workgroupCount`.
using KernelFn = void (*)(void **args, int64_t workgroupId,
                          int64_t workgroupCount);

class SharedObject {
public:
  SharedObject() = default;
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;
  ~SharedObject();

  /// Loads `size` bytes of ELF code; `name` labels the anonymous file (it
  /// shows in /proc/self/maps and in profilers). KILN_ERROR_PLATFORM with
  /// dlerror()'s text when the loader refuses the code.
  Status load(const uint8_t *code, size_t size, const char *name);

  /// The function `symbol` defined by this object itself (not one of its
  /// dependencies, such as libc), or null.
  KernelFn lookup(const char *symbol) const;

private:
  void *handle_ = nullptr;
  // Kept open while the code is loaded: glibc recognizes an already loaded
  // object by its path, so no other model may reuse this "/proc/self/fd/N".
  int fd_ = -1;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_SHAREDOBJECT_H
