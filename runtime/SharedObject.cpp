//===- SharedObject.cpp - An artifact's code, loaded from memory ----------===//
//
// memfd_create gives a file with no name in any directory, so the code
// cannot be swapped between the write and the dlopen and leaves nothing
// behind. Where memfd is refused (old kernels, seccomp, vm.memfd_noexec) an
// mkstemp file unlinked right after creation plays the same part; it needs a
// temporary directory that allows execution.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/SharedObject.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U // Linux 6.3: keep exec permission under memfd_noexec=1
#endif

namespace kiln::rt {

namespace {

int createMemfd(const char *name) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) // a kernel older than MFD_EXEC
    fd = memfd_create(name, MFD_CLOEXEC);
  return fd;
}

int createTempFile(std::string &error) {
  const char *dir = std::getenv("TMPDIR");
  if (!dir || !*dir)
    dir = "/tmp";
  std::string path = strCat(dir, "/kiln-code-XXXXXX");
  std::vector<char> buf(path.begin(), path.end());
  buf.push_back('\0');
  int fd = mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) {
    error = strCat("cannot create a temporary file in ", dir, ": ",
                   std::strerror(errno));
    return -1;
  }
  unlink(buf.data());
  return fd;
}

bool writeAll(int fd, const uint8_t *data, size_t size, std::string &error) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = strCat("cannot write the code to an anonymous file: ",
                     n < 0 ? std::strerror(errno) : "no progress");
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string fdPath(int fd) { return strCat("/proc/self/fd/", fd); }

/// dlopens the file open as `fd`; on success `fd` may have been replaced by
/// a duplicate with another number (see below) and the handle is returned.
void *openThroughProc(int &fd, std::string &error) {
  // glibc returns an already loaded object whose path matches, without
  // opening the file; should one still be registered under our path (a
  // NODELETE object whose descriptor was closed), move to another number.
  std::vector<int> retired;
  for (int attempt = 0; attempt < 8; ++attempt) {
    void *stale = dlopen(fdPath(fd).c_str(), RTLD_NOW | RTLD_LOCAL |
                                                 RTLD_NOLOAD);
    if (!stale)
      break;
    dlclose(stale);
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
    if (dup < 0)
      break;
    retired.push_back(fd);
    fd = dup;
  }
  for (int old : retired)
    close(old);
  dlerror(); // drop any message left by the probe
  void *handle = dlopen(fdPath(fd).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *msg = dlerror();
    error = msg ? msg : "dlopen failed without a message";
  }
  return handle;
}

} // namespace

SharedObject::~SharedObject() {
  if (handle_)
    dlclose(handle_);
  if (fd_ >= 0)
    close(fd_);
}

Status SharedObject::load(const uint8_t *code, size_t size, const char *name) {
  std::string memfdError, tempError;
  // First a memfd, then a temporary file: a memfd can be non-executable
  // (vm.memfd_noexec), which only shows when the loader maps it.
  for (int useTemp = 0; useTemp < 2 && !handle_; ++useTemp) {
    std::string &error = useTemp ? tempError : memfdError;
    int fd = useTemp ? createTempFile(error) : createMemfd(name);
    if (fd < 0) {
      if (!useTemp)
        error = strCat("memfd_create: ", std::strerror(errno));
      continue;
    }
    if (!writeAll(fd, code, size, error)) {
      close(fd);
      continue;
    }
    void *handle = openThroughProc(fd, error);
    if (!handle) {
      close(fd);
      continue;
    }
    handle_ = handle;
    fd_ = fd;
  }
  if (handle_)
    return Status::ok();
  return Status::error(KILN_ERROR_PLATFORM,
                       strCat("cannot load the artifact's ", size,
                              "-byte code: ", memfdError,
                              "; from a temporary file: ", tempError));
}

KernelFn SharedObject::lookup(const char *symbol) const {
  if (!handle_)
    return nullptr;
  void *address = dlsym(handle_, symbol);
  if (!address)
    return nullptr;
  // dlsym searches the object's dependencies too; a kernel named "free"
  // must not be libc's.
  struct link_map *self = nullptr, *owner = nullptr;
  Dl_info info;
  if (dlinfo(handle_, RTLD_DI_LINKMAP, &self) != 0 ||
      !dladdr1(address, &info, reinterpret_cast<void **>(&owner),
               RTLD_DL_LINKMAP) ||
      owner != self)
    return nullptr;
  // POSIX guarantees that a data pointer from dlsym converts to a function.
  return reinterpret_cast<KernelFn>(address);
}

} // namespace kiln::rt
