//===- ArtifactVerifier.cpp - Checks a .kmod before it is used ------------===//
//
// flatbuffers' Verifier proves that every offset, string and vector lies
// inside the buffer; the checks after it are kiln's own, in the order a
// reader would look for the fault: header, signature, buffers, kernels,
// steps, outputs, code. Each failure names the table, its position and the
// values that disagree, because a compiler bug shows up here first.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/ArtifactVerifier.h"

#include "kiln/runtime/CodeHash.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>
#include <vector>

namespace kiln::rt {

using kmod::BufferKind;
using kmod::DType;

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
    return 1;
  }
  return 0;
}

bool tensorByteSize(const kmod::TensorSig &sig, uint64_t &bytes) {
  uint64_t total = dtypeSize(sig.dtype());
  if (total == 0 || !sig.shape())
    return false;
  for (int64_t dim : *sig.shape()) {
    if (dim < 0 ||
        __builtin_mul_overflow(total, static_cast<uint64_t>(dim), &total))
      return false;
  }
  // Sizes travel as size_t through the C API and are added to offsets.
  static_assert(sizeof(size_t) >= sizeof(uint64_t), "a 64-bit host");
  if (total > static_cast<uint64_t>(INT64_MAX))
    return false;
  bytes = total;
  return true;
}

std::string quoted(const flatbuffers::String *s) {
  constexpr size_t kMaxShown = 80;
  std::string out = "'";
  if (s) {
    size_t n = s->size();
    for (size_t i = 0; i < n && i < kMaxShown; ++i) {
      unsigned char c = static_cast<unsigned char>(s->c_str()[i]);
      if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      }
    }
    if (n > kMaxShown)
      out += "...";
  }
  out += '\'';
  return out;
}

namespace {

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

std::string shapeString(const flatbuffers::Vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += strCat(i ? ", " : "", shape[i]);
  return out + "]";
}

const char *dtypeName(DType dtype) {
  const char *name = kmod::EnumNameDType(dtype);
  return *name ? name : "?";
}

/// `[offset, offset + size)` lies within `[0, limit)`, without overflow.
bool rangeInside(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

/// The file identifier bytes, printable or escaped, for the message.
std::string identifierString(const uint8_t *id) {
  std::string out = "\"";
  for (int i = 0; i < 4; ++i) {
    if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '"' && id[i] != '\\') {
      out += static_cast<char>(id[i]);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", id[i]);
      out += hex;
    }
  }
  return out + "\"";
}

Status versionError(uint32_t version) {
  return formatError("unsupported format version ", version,
                     "; this runtime reads version ", kSupportedVersion);
}

/// Reads Module.version from a buffer whose whole structure did not verify:
/// another version may lay its tables out differently, and then "version 2"
/// says more than "corrupt". Only the root table's vtable and that one field
/// are checked and read.
bool peekVersion(const uint8_t *data, size_t size, uint32_t &version) {
  flatbuffers::Verifier verifier(data, size);
  flatbuffers::uoffset_t root = verifier.VerifyOffset(0);
  if (root == 0)
    return false;
  // Module derives privately from Table; the root is a Table at that address.
  const auto *table = reinterpret_cast<const flatbuffers::Table *>(data + root);
  if (!table->VerifyTableStart(verifier) ||
      !table->VerifyField<uint32_t>(verifier, kmod::Module::VT_VERSION,
                                    sizeof(uint32_t)))
    return false;
  version = table->GetField<uint32_t>(kmod::Module::VT_VERSION, 0);
  return true;
}

Status checkSignatures(const char *what,
                       const flatbuffers::Vector<
                           flatbuffers::Offset<kmod::TensorSig>> &sigs,
                       const uint8_t *base) {
  for (size_t i = 0; i < sigs.size(); ++i) {
    const kmod::TensorSig &sig = *sigs.Get(i);
    std::string where = strCat(what, " ", i);
    if (sig.name()->size() == 0)
      return formatError(where, ": the name is empty");
    where += strCat(" (", quoted(sig.name()), ")");
    // The C API hands names out as C strings: an embedded NUL would cut one
    // short, to "" when it comes first.
    if (std::memchr(sig.name()->c_str(), '\0', sig.name()->size()))
      return formatError(where, ": the name contains a NUL byte");
    if (dtypeSize(sig.dtype()) == 0)
      return formatError(where, ": unknown dtype ",
                         static_cast<int>(sig.dtype()),
                         "; expected F32, F16, BF16, I8 or I32");
    if (sig.index_range() < 0 ||
        (sig.index_range() != 0 && sig.dtype() != kmod::DType::I32 &&
         sig.dtype() != kmod::DType::I8))
      return formatError(where, ": index range ", sig.index_range(),
                         " is negative or on a non-integer tensor");
    const auto &shape = *sig.shape();
    if (shape.size() > kMaxRank)
      return formatError(where, ": rank ", shape.size(),
                         " exceeds the maximum of ", kMaxRank);
    // flatbuffers' Verifier checks the alignment of a vector's length, not
    // of its elements: a corrupt file can place the dimensions off their
    // 8-byte alignment, and reading them would be undefined behaviour. A
    // scalar's empty shape has none to read, and flatbuffers' builder does
    // not align empty vectors at all.
    uint64_t dimsAt = static_cast<uint64_t>(shape.Data() - base);
    if (shape.size() != 0 && dimsAt % alignof(int64_t) != 0)
      return formatError(where, ": the dimensions of its shape start at byte ",
                         dimsAt, " of the artifact, not at a multiple of ",
                         alignof(int64_t), " (the file is corrupt)");
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] < 0)
        return formatError(where, ": dimension ", d, " of shape ",
                           shapeString(shape), " is negative");
    uint64_t bytes;
    if (!tensorByteSize(sig, bytes))
      return formatError(where, ": the byte size of shape ",
                         shapeString(shape), " of ", dtypeName(sig.dtype()),
                         " overflows");
  }
  return Status::ok();
}

Status checkBuffers(const kmod::Module &m) {
  const auto &buffers = *m.buffers();
  uint64_t weightsSize = m.weights()->size();
  for (size_t i = 0; i < buffers.size(); ++i) {
    const kmod::Buffer &b = *buffers.Get(i);
    std::string where = strCat("buffer ", i);
    switch (b.kind()) {
    case BufferKind::Input:
    case BufferKind::Output: {
      bool isInput = b.kind() == BufferKind::Input;
      const auto &sigs = isInput ? *m.inputs() : *m.outputs();
      const char *what = isInput ? "input" : "output";
      if (b.index() >= sigs.size())
        return formatError(where, ": ", what, " index ", b.index(),
                           " is out of range; the model has ", sigs.size(),
                           " ", what, "s");
      const kmod::TensorSig &sig = *sigs.Get(b.index());
      uint64_t bytes = 0;
      (void)tensorByteSize(sig, bytes); // checked with the signatures
      if (b.size() != bytes)
        return formatError(where, ": size ", b.size(), " differs from the ",
                           bytes, "-byte ", what, " ", b.index(), " (",
                           quoted(sig.name()), ", ", dtypeName(sig.dtype()),
                           " ", shapeString(*sig.shape()), ")");
      break;
    }
    case BufferKind::Param:
    case BufferKind::Arena: {
      bool isParam = b.kind() == BufferKind::Param;
      const char *what = isParam ? "weights" : "arena";
      uint64_t limit = isParam ? weightsSize : m.arena_size();
      if (b.offset() % kBufferAlignment != 0)
        return formatError(where, ": ", what, " offset ", b.offset(),
                           " is not a multiple of ", kBufferAlignment);
      if (!rangeInside(b.offset(), b.size(), limit)) {
        std::string end = b.size() <= UINT64_MAX - b.offset()
                              ? strCat(b.offset() + b.size())
                              : strCat(b.offset(), " + ", b.size());
        return formatError(where, ": ", what, " range [", b.offset(), ", ",
                           end, ") is outside the ", limit, "-byte ", what);
      }
      break;
    }
    default:
      return formatError(where, ": unknown kind ", static_cast<int>(b.kind()),
                         "; expected Input, Output, Param or Arena");
    }
  }
  return Status::ok();
}

Status checkKernels(const kmod::Module &m) {
  const auto &kernels = *m.kernels();
  // A kernel's arg sizes describe its own code only: two entries naming one
  // symbol (a corrupt offset pointing at another kernel's name) would call
  // code with the other's buffers.
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const flatbuffers::String &symbol = *kernels.Get(i)->symbol();
    if (!seen.insert(std::string_view(symbol.c_str(), symbol.size())).second)
      return formatError("kernel ", i, ": symbol ", quoted(&symbol),
                         " is named by an earlier kernel too");
    if (symbol.size() == 0)
      return formatError("kernel ", i, ": the symbol is empty");
    // dlsym takes a C string; an embedded NUL would look up another name.
    if (std::memchr(symbol.c_str(), '\0', symbol.size()))
      return formatError("kernel ", i, ": symbol ", quoted(&symbol),
                         " contains a NUL byte");
    if (kernels.Get(i)->max_workgroups() == 0)
      return formatError("kernel ", i, " (", quoted(&symbol),
                         "): max_workgroups is 0; every kernel runs as at "
                         "least one workgroup");
  }
  return Status::ok();
}

Status checkCpuFeatures(const kmod::Module &m) {
  const auto &features = *m.cpu_features();
  for (size_t i = 0; i < features.size(); ++i) {
    const flatbuffers::String &name = *features.Get(i);
    if (name.size() == 0 || std::memchr(name.c_str(), '\0', name.size()))
      return formatError("cpu feature ", i, " ", quoted(&name),
                         " is empty or contains a NUL byte");
  }
  return Status::ok();
}

Status checkSteps(const kmod::Module &m) {
  const auto &steps = *m.steps();
  const auto &kernels = *m.kernels();
  const auto &buffers = *m.buffers();
  if (steps.size() == 0)
    return formatError("the module has no steps; at least one is needed");
  // written[i]: some step passes an Output buffer for model output i.
  std::vector<bool> written(m.outputs()->size(), false);
  for (size_t s = 0; s < steps.size(); ++s) {
    const kmod::Step &step = *steps.Get(s);
    if (step.kernel() >= kernels.size())
      return formatError("step ", s, ": kernel index ", step.kernel(),
                         " is out of range; the module has ", kernels.size(),
                         " kernels");
    const kmod::Kernel &kernel = *kernels.Get(step.kernel());
    const auto &args = *step.args();
    const auto &sizes = *kernel.arg_sizes();
    std::string what = strCat("step ", s, " (kernel ", step.kernel(), ", ",
                              quoted(kernel.symbol()), ")");
    if (args.size() != kernel.num_args() || sizes.size() != args.size())
      return formatError(what, ": ", args.size(), " args, ", sizes.size(),
                         " arg sizes; the kernel takes ", kernel.num_args());
    if (kernel.num_outputs() == 0 || kernel.num_outputs() > args.size())
      return formatError(what, ": ", kernel.num_outputs(),
                         " of its ", args.size(), " args are outputs");
    size_t firstOutput = args.size() - kernel.num_outputs();
    for (size_t a = 0; a < args.size(); ++a) {
      uint32_t buffer = args[a];
      if (buffer >= buffers.size())
        return formatError(what, ": arg ", a, " is buffer ", buffer,
                           ", out of range; the module has ", buffers.size(),
                           " buffers");
      const kmod::Buffer &b = *buffers.Get(buffer);
      // The kernel touches exactly sizes[a] bytes through the arg: a smaller
      // buffer would be overrun.
      if (b.size() != sizes[a])
        return formatError(what, ": arg ", a, " is buffer ", buffer, " of ",
                           b.size(), " bytes; the kernel uses ", sizes[a]);
      if (a >= firstOutput && (b.kind() == BufferKind::Input ||
                               b.kind() == BufferKind::Param))
        return formatError(what, ": arg ", a, " is written, but buffer ",
                           buffer, " is ",
                           b.kind() == BufferKind::Input ? "an input"
                                                         : "a parameter",
                           ", which kernels only read");
      if (b.kind() == BufferKind::Output)
        written[b.index()] = true; // index checked with the buffers
    }
  }
  for (size_t o = 0; o < written.size(); ++o)
    if (!written[o])
      return formatError("output ", o, " (",
                         quoted(m.outputs()->Get(o)->name()),
                         ") is never written: no step has an Output buffer "
                         "with index ",
                         o, " among its args");
  return Status::ok();
}

Status checkPayload(const kmod::Module &m, const uint8_t *base) {
  const auto &weights = *m.weights();
  // An empty vector is not force-aligned by the builder, and nothing reads it.
  if (weights.size() != 0) {
    uint64_t start = static_cast<uint64_t>(weights.data() - base);
    if (start % kBufferAlignment != 0)
      return formatError("the weights start at byte ", start,
                         " of the artifact, not at a multiple of ",
                         kBufferAlignment,
                         " (the writer must force_align them)");
  }
  const auto &code = *m.code();
  if (code.size() == 0)
    return formatError("the code is empty; the kernels' shared object is "
                       "missing");
  uint64_t hash = codeHash(code.data(), code.size());
  if (hash != m.code_hash())
    return formatError("code hash mismatch: the artifact records ",
                       hex64(m.code_hash()), " but its ", code.size(),
                       "-byte code hashes to ", hex64(hash),
                       " (the code is corrupt)");
  uint64_t weightsHashed = weightsHash(weights.data(), weights.size());
  if (weightsHashed != m.weights_hash())
    return formatError("weights hash mismatch: the artifact records ",
                       hex64(m.weights_hash()), " but its ", weights.size(),
                       "-byte weights hash to ", hex64(weightsHashed),
                       " (the weights are corrupt)");
  return Status::ok();
}

} // namespace

Status checkArtifactSize(uint64_t size) {
  // The root offset and the identifier come first; read neither past the end.
  constexpr size_t kHeader = sizeof(flatbuffers::uoffset_t) +
                             flatbuffers::kFileIdentifierLength;
  if (size < kHeader)
    return formatError("the artifact is ", size, " bytes; a .kmod has at "
                       "least ", kHeader,
                       " (a root offset and the file identifier)");
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return formatError("the artifact is ", size, " bytes; the format holds "
                       "at most ",
                       static_cast<uint64_t>(FLATBUFFERS_MAX_BUFFER_SIZE) - 1);
  return Status::ok();
}

Status verifyArtifact(const uint8_t *data, size_t size,
                      const kmod::Module *&module) {
  module = nullptr;
  if (Status s = checkArtifactSize(size))
    return s;
  if (!kmod::ModuleBufferHasIdentifier(data))
    return formatError("wrong file identifier: expected \"",
                       kmod::ModuleIdentifier(), "\" at bytes 4-7, found ",
                       identifierString(data + sizeof(flatbuffers::uoffset_t)),
                       "; this is not a kiln artifact");
  flatbuffers::Verifier verifier(data, size);
  if (!kmod::VerifyModuleBuffer(verifier)) {
    uint32_t version;
    if (peekVersion(data, size, version) && version != kSupportedVersion)
      return versionError(version);
    return formatError("the artifact's structure is corrupt or truncated: "
                       "flatbuffers verification of the ",
                       size, "-byte Module failed");
  }

  const kmod::Module &m = *kmod::GetModule(data);
  if (m.version() != kSupportedVersion)
    return versionError(m.version());
  if (Status s = checkSignatures("input", *m.inputs(), data))
    return s;
  if (Status s = checkSignatures("output", *m.outputs(), data))
    return s;
  if (Status s = checkSignatures("param", *m.params(), data))
    return s;
  if (Status s = checkBuffers(m))
    return s;
  if (Status s = checkKernels(m))
    return s;
  if (Status s = checkCpuFeatures(m))
    return s;
  if (Status s = checkSteps(m))
    return s;
  if (Status s = checkPayload(m, data))
    return s;
  module = &m;
  return Status::ok();
}

} // namespace kiln::rt
