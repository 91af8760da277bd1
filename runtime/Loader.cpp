//===- Loader.cpp - Makes a Model from an artifact ------------------------===//
//
// Loading is verify, then build: nothing is allocated for the model, and no
// code is mapped, until the whole artifact has passed ArtifactVerifier. The
// bytes are copied once into page-aligned memory (files are read straight
// into it) so that the weights, 64-byte aligned inside the artifact, can be
// used in place.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/ArtifactVerifier.h"
#include "kiln/runtime/CpuFeatures.h"
#include "kiln/runtime/Model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace kiln::rt {

namespace {

/// The target string of code this runtime can run (Module.target).
#if defined(__x86_64__)
constexpr const char *kHostTarget = "x86_64-cpu";
#elif defined(__aarch64__)
constexpr const char *kHostTarget = "aarch64-cpu";
#else
constexpr const char *kHostTarget = "unknown-cpu";
#endif

TensorDesc describe(const kmod::TensorSig &sig) {
  TensorDesc t;
  t.name = sig.name()->str();
  // kiln_dtype mirrors kmod::DType value for value.
  t.dtype = static_cast<kiln_dtype>(sig.dtype());
  t.elementSize = dtypeSize(sig.dtype());
  t.shape.assign(sig.shape()->begin(), sig.shape()->end());
  uint64_t bytes = 0;
  (void)tensorByteSize(sig, bytes); // verified
  t.byteSize = bytes;
  t.indexRange = sig.index_range();
  return t;
}

/// "a, b, c", at most 8 of them and then how many more.
std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 8; ++i)
    out += (i ? ", " : "") + names[i];
  if (names.size() > 8)
    out += strCat(" and ", names.size() - 8, " more");
  return out;
}

/// A label for the code's anonymous file: printable and short.
std::string codeFileName(const std::string &modelName) {
  std::string out = "kiln:";
  for (char c : modelName) {
    if (out.size() >= 48)
      break;
    out += (c > 0x20 && c < 0x7f && c != '/') ? c : '_';
  }
  return out;
}

Status readError(const char *path, const char *what, int err) {
  return Status::error(KILN_ERROR_IO, strCat("cannot ", what, " '", path,
                                             "': ", std::strerror(err)));
}

/// Reads `size` bytes from `fd` into `out`; false with errno set (0 for a
/// file that ended early).
bool readExactly(int fd, uint8_t *out, size_t size) {
  while (size > 0) {
    ssize_t n = read(fd, out, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = 0;
      return false;
    }
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Reads a stream of unknown length (a pipe, a character device).
Status readStream(int fd, const char *path, std::vector<uint8_t> &bytes) {
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return readError(path, "read", errno);
    if (n == 0)
      return Status::ok();
    bytes.insert(bytes.end(), chunk, chunk + n);
    // Stop early rather than buffer an endless stream.
    if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
      return checkArtifactSize(bytes.size());
  }
}

/// Closes a descriptor on every path out of loadFile.
struct FdCloser {
  int fd;
  ~FdCloser() { close(fd); }
};

} // namespace

Status Model::loadBytes(const void *data, size_t size,
                        std::unique_ptr<Model> &model) {
  model.reset();
  // NULL with size 0 is an empty range (what an empty std::vector gives),
  // and fails below as too small.
  if (!data && size != 0)
    return Status::error(KILN_ERROR_ARGUMENT,
                         strCat("the artifact's data is NULL but its size is ",
                                size));
  if (Status s = checkArtifactSize(size))
    return s;
  MappedMemory bytes;
  if (Status s = bytes.allocate(size, "copy of the artifact"))
    return s;
  std::memcpy(bytes.data(), data, size);
  return loadVerified(std::move(bytes), size, model);
}

Status Model::loadBorrowed(const void *data, size_t size,
                           std::unique_ptr<Model> &model) {
  model.reset();
  if (!data || reinterpret_cast<uintptr_t>(data) % kBufferAlignment != 0)
    return Status::error(KILN_ERROR_ARGUMENT,
                         strCat("an artifact loaded in place must start at a ",
                                kBufferAlignment,
                                "-byte aligned address; it is NULL or not"));
  if (Status s = checkArtifactSize(size))
    return s;
  MappedMemory bytes;
  bytes.borrow(static_cast<const uint8_t *>(data), size);
  return loadVerified(std::move(bytes), size, model);
}

Status Model::loadFile(const char *path, std::unique_ptr<Model> &model) {
  model.reset();
  if (!path)
    return Status::error(KILN_ERROR_ARGUMENT, "the path is NULL");
  // O_NONBLOCK: opening a FIFO no one writes to must not hang; reads block
  // again below, and a writer-less FIFO then reads as empty.
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return readError(path, "open", errno);
  FdCloser closer{fd};
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
    return readError(path, "read", errno);
  struct stat st;
  if (fstat(fd, &st) != 0)
    return readError(path, "stat", errno);
  if (S_ISDIR(st.st_mode))
    return Status::error(KILN_ERROR_IO,
                         strCat("cannot read '", path,
                                "': it is a directory, not a .kmod file"));
  if (!S_ISREG(st.st_mode)) {
    std::vector<uint8_t> stream;
    if (Status s = readStream(fd, path, stream))
      return s;
    if (Status s = loadBytes(stream.data(), stream.size(), model))
      return Status::error(s.code(), strCat("'", path, "': ", s.message()));
    return Status::ok();
  }

  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (Status s = checkArtifactSize(size))
    return Status::error(s.code(), strCat("'", path, "': ", s.message()));
  MappedMemory bytes;
  if (Status s = bytes.allocate(size, "copy of the artifact"))
    return s;
  if (!readExactly(fd, bytes.data(), size)) {
    if (errno != 0)
      return readError(path, "read", errno);
    return Status::error(KILN_ERROR_IO,
                         strCat("cannot read '", path, "': it ended before ",
                                "the ", size, " bytes it had when opened"));
  }
  if (Status s = loadVerified(std::move(bytes), size, model))
    return Status::error(s.code(), strCat("'", path, "': ", s.message()));
  return Status::ok();
}

Status Model::loadVerified(MappedMemory bytes, size_t size,
                           std::unique_ptr<Model> &model) {
  const kmod::Module *module = nullptr;
  if (Status s = verifyArtifact(bytes.data(), size, module))
    return s;
  const kmod::Module &m = *module;
  if (m.target()->str() != kHostTarget)
    return Status::error(KILN_ERROR_PLATFORM,
                         strCat("the artifact's code is for target ",
                                quoted(m.target()), "; this runtime runs '",
                                kHostTarget, "' code"));
  // Code for a CPU this host is not would die of SIGILL mid-run.
  std::vector<std::string> missing, unknown;
  for (const flatbuffers::String *f : *m.cpu_features()) {
    const CpuFeatureInfo *feature = findCpuFeature(std::string_view(f->c_str(), f->size()));
    if (!feature)
      unknown.push_back(quoted(f));
    else if (!hostHasCpuFeature(*feature))
      missing.push_back(f->str());
  }
  if (!unknown.empty())
    return Status::error(
        KILN_ERROR_PLATFORM,
        strCat("the artifact's code needs CPU features this runtime cannot "
               "check: ",
               joined(unknown), " (from a newer kilnc?)"));
  if (!missing.empty())
    return Status::error(
        KILN_ERROR_PLATFORM,
        strCat("this CPU lacks ", joined(missing),
               ", which the artifact's code (compiled for ", quoted(m.cpu()),
               ") may use; compile it for this CPU, or for an older one "
               "with kilnc --cpu (e.g. --cpu=x86-64-v3 for any AVX2 CPU)"));

  std::unique_ptr<Model> result(new Model());
  Model &r = *result;
  r.name_ = m.name()->str();
  for (const kmod::TensorSig *sig : *m.inputs())
    r.inputs_.push_back(describe(*sig));
  for (const kmod::TensorSig *sig : *m.outputs())
    r.outputs_.push_back(describe(*sig));
  r.arenaSize_ = m.arena_size();

  if (Status s = r.code_.load(m.code()->data(), m.code()->size(),
                              codeFileName(r.name_).c_str()))
    return s;
  std::vector<KernelFn> kernels;
  kernels.reserve(m.kernels()->size());
  for (size_t k = 0; k < m.kernels()->size(); ++k) {
    const flatbuffers::String *symbol = m.kernels()->Get(k)->symbol();
    KernelFn fn = r.code_.lookup(symbol->c_str());
    if (!fn)
      return formatError("kernel ", k, ": symbol ", quoted(symbol),
                         " is not defined by the artifact's code");
    kernels.push_back(fn);
  }
  if (Status s = r.arena_.allocate(r.arenaSize_, "arena"))
    return s;

  // Resolve every step; Param and Arena slots get their final pointers now.
  const uint8_t *weights = m.weights()->data();
  ExecutionPlan &plan = r.plan_;
  plan.steps.reserve(m.steps()->size());
  for (const kmod::Step *step : *m.steps()) {
    const kmod::Kernel *kernel = m.kernels()->Get(step->kernel());
    uint32_t workgroups = kernel->max_workgroups();
    ExecutionPlan::Step planned{kernels[step->kernel()], plan.argv.size(),
                                step->args()->size(), workgroups,
                                kernel->one_workgroup_per_thread()};
    r.maxWorkgroups_ = std::max<size_t>(r.maxWorkgroups_, workgroups);
    for (uint32_t arg : *step->args()) {
      const kmod::Buffer &b = *m.buffers()->Get(arg);
      size_t slot = plan.argv.size();
      void *pointer = nullptr;
      switch (b.kind()) {
      case kmod::BufferKind::Input:
        plan.inputBindings.push_back({slot, b.index()});
        break;
      case kmod::BufferKind::Output:
        plan.outputBindings.push_back({slot, b.index()});
        break;
      case kmod::BufferKind::Param:
        // Kernels only read parameters; the bytes are the model's own copy.
        pointer = const_cast<uint8_t *>(weights) + b.offset();
        break;
      case kmod::BufferKind::Arena:
        pointer = r.arena_.data() + b.offset();
        break;
      }
      plan.argv.push_back(pointer);
    }
    plan.steps.push_back(planned);
  }
  r.bytes_ = std::move(bytes);
  if (Status s = r.setNumThreads(0))
    return s;
  model = std::move(result);
  return Status::ok();
}

} // namespace kiln::rt
