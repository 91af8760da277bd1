//===- Checkpoint.cpp - Training checkpoints ------------------------------===//
//
// Saving streams the file through writeFileAtomically, computing the CRC as
// it goes, so that a checkpoint of a large model is never copied whole in
// memory. Loading reads the file, checks its framing (magic, version, size,
// CRCs) before trusting any field, and still bounds-checks every field
// after that, since a checksum is no defence against a crafted file.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Checkpoint.h"
#include "kiln/tools/Files.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include <zlib.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store tensor data as the host's bytes: little-endian only"
#endif

namespace kiln {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T'};
constexpr size_t kHeaderSize = 24;
constexpr size_t kCrcSize = 4;
// Model name, counter count, tensor count: three u32s at least.
constexpr size_t kMinSize = kHeaderSize + 12 + kCrcSize;
constexpr size_t kMaxRank = 255;

uint32_t crc32Of(uint32_t crc, const void *data, size_t size) {
  // zlib's crc32 takes an unsigned count.
  auto *p = static_cast<const Bytef *>(data);
  while (size > 0) {
    size_t n = std::min<size_t>(size, 1u << 30);
    crc = (uint32_t)crc32(crc, p, (uInt)n);
    p += n;
    size -= n;
  }
  return crc;
}

void putLE(std::string &out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back((char)(v >> (8 * i)));
}

uint64_t getLE(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void putString(std::string &out, const std::string &s) {
  putLE(out, s.size(), 4);
  out += s;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

/// The format's code for each dtype, fixed whatever DType's order becomes.
uint8_t dtypeCode(DType t) {
  switch (t) {
  case DType::F32: return 0;
  case DType::F16: return 1;
  case DType::BF16: return 2;
  case DType::I8: return 3;
  case DType::I32: return 4;
  }
  return 255;
}

bool dtypeFromCode(uint8_t code, DType &t) {
  static const DType kTypes[] = {DType::F32, DType::F16, DType::BF16, DType::I8,
                                 DType::I32};
  if (code >= sizeof kTypes / sizeof kTypes[0])
    return false;
  t = kTypes[code];
  return true;
}

/// Everything of a tensor before its data.
std::string tensorHeader(const std::string &name, const HostTensor &t) {
  std::string out;
  putString(out, name);
  out.push_back((char)dtypeCode(t.dtype()));
  out.push_back((char)t.shape().size());
  for (int64_t d : t.shape())
    putLE(out, (uint64_t)d, 8);
  return out;
}

/// Reads fields of the body in order; any read past the end fails.
class Reader {
public:
  Reader(const uint8_t *p, size_t size) : p_(p), left_(size) {}
  size_t left() const { return left_; }
  bool u8(uint8_t &v) {
    if (left_ < 1)
      return false;
    v = *p_;
    skip(1);
    return true;
  }
  bool u32(uint32_t &v) { return integer(v, 4); }
  bool u64(uint64_t &v) { return integer(v, 8); }
  bool string(std::string &s) {
    uint32_t n;
    if (!u32(n) || left_ < n)
      return false;
    s.assign((const char *)p_, n);
    skip(n);
    return true;
  }
  bool bytes(void *dst, size_t n) {
    if (left_ < n)
      return false;
    std::memcpy(dst, p_, n);
    skip(n);
    return true;
  }

private:
  template <typename T> bool integer(T &v, int n) {
    if (left_ < (size_t)n)
      return false;
    v = (T)getLE(p_, n);
    skip(n);
    return true;
  }
  void skip(size_t n) {
    p_ += n;
    left_ -= n;
  }
  const uint8_t *p_;
  size_t left_;
};

/// The body after the header, up to the CRC; `error` starts "corrupt: ".
bool parseBody(Reader &r, Checkpoint &ckpt, std::string &error) {
  auto corrupt = [&](const std::string &what) {
    error = "corrupt: " + what;
    return false;
  };
  if (!r.string(ckpt.model))
    return corrupt("the model name runs past the end of the file");
  uint32_t count;
  if (!r.u32(count))
    return corrupt("the counter count runs past the end of the file");
  for (uint32_t i = 0; i < count; ++i) {
    std::string name;
    uint64_t value;
    if (!r.string(name) || !r.u64(value))
      return corrupt("counter " + std::to_string(i) +
                     " runs past the end of the file");
    if (!ckpt.counters.emplace(name, (int64_t)value).second)
      return corrupt("counter '" + name + "' appears twice");
  }
  if (!r.u32(count))
    return corrupt("the tensor count runs past the end of the file");
  for (uint32_t i = 0; i < count; ++i) {
    std::string name;
    uint8_t code, rank;
    if (!r.string(name) || !r.u8(code) || !r.u8(rank))
      return corrupt("tensor " + std::to_string(i) +
                     " runs past the end of the file");
    std::string what = "tensor '" + name + "'";
    DType dtype;
    if (!dtypeFromCode(code, dtype))
      return corrupt(what + " has unknown dtype code " + std::to_string(code));
    if (ckpt.tensors.count(name))
      return corrupt(what + " appears twice");
    Shape shape(rank);
    // The element count is bounded by the bytes left, which bounds the
    // allocation below by the file's size.
    uint64_t elements = 1, limit = r.left() / dtypeSize(dtype);
    for (int64_t &d : shape) {
      uint64_t v;
      if (!r.u64(v))
        return corrupt(what + ": its shape runs past the end of the file");
      if (v > (uint64_t)std::numeric_limits<int64_t>::max())
        return corrupt(what + " has a negative dim");
      d = (int64_t)v;
      if (v != 0 && elements > limit / v)
        elements = limit + 1; // too large; keep reading the dims
      else
        elements *= v;
    }
    if (numElements(shape) < 0)
      return corrupt(what + " of shape " + toString(shape) +
                     " has too many elements");
    if (elements > r.left() / dtypeSize(dtype))
      return corrupt(what + " of shape " + toString(shape) +
                     ": its data runs past the end of the file");
    HostTensor t(dtype, shape);
    if (!r.bytes(t.data(), t.byteSize()))
      return corrupt(what + ": its data runs past the end of the file");
    ckpt.tensors.emplace(name, std::move(t));
  }
  if (r.left() != 0)
    return corrupt(std::to_string(r.left()) +
                   " unexpected bytes after the last tensor");
  return true;
}

/// "f32 [784, 128]".
std::string typeOf(DType dtype, const Shape &shape) {
  return std::string(dtypeName(dtype)) + " " + toString(shape);
}

} // namespace

bool saveCheckpoint(const std::string &path, const Checkpoint &ckpt,
                    std::string &error) {
  auto fail = [&](const std::string &what) {
    error = "cannot write '" + path + "': " + what;
    return false;
  };
  constexpr uint64_t kMaxString = std::numeric_limits<uint32_t>::max();
  if (ckpt.model.size() > kMaxString)
    return fail("the model name is too long");
  if (ckpt.counters.size() > kMaxString || ckpt.tensors.size() > kMaxString)
    return fail("too many counters or tensors");

  // Everything but the tensors' data is small: build it first, so that the
  // total size is known for the header.
  std::string body;
  putString(body, ckpt.model);
  putLE(body, ckpt.counters.size(), 4);
  for (const auto &[name, value] : ckpt.counters) {
    if (name.size() > kMaxString)
      return fail("a counter name is too long");
    putString(body, name);
    putLE(body, (uint64_t)value, 8);
  }
  putLE(body, ckpt.tensors.size(), 4);
  std::vector<std::string> headers;
  uint64_t size = kHeaderSize + body.size() + kCrcSize;
  for (const auto &[name, t] : ckpt.tensors) {
    if (name.size() > kMaxString)
      return fail("a tensor name is too long");
    if (t.shape().size() > kMaxRank)
      return fail("tensor '" + name + "' has rank " +
                  std::to_string(t.shape().size()) + ", more than " +
                  std::to_string(kMaxRank));
    headers.push_back(tensorHeader(name, t));
    size += headers.back().size() + t.byteSize();
  }

  std::string header(kMagic, sizeof kMagic);
  putLE(header, kCheckpointVersion, 4);
  putLE(header, size, 8);
  putLE(header, crc32Of(0, header.data(), header.size()), 4);

  std::string writeError;
  bool ok = writeFileAtomically(
      path,
      [&](const ByteWriter &write) {
        uint32_t crc = 0;
        auto put = [&](const void *data, size_t n) {
          crc = crc32Of(crc, data, n);
          return write(data, n);
        };
        if (!put(header.data(), header.size()) ||
            !put(body.data(), body.size()))
          return false;
        size_t i = 0;
        for (const auto &entry : ckpt.tensors) {
          const HostTensor &t = entry.second;
          if (!put(headers[i].data(), headers[i].size()) ||
              !put(t.data(), t.byteSize()))
            return false;
          ++i;
        }
        std::string trailer;
        putLE(trailer, crc, 4);
        return write(trailer.data(), trailer.size());
      },
      writeError);
  if (!ok)
    error = writeError;
  return ok;
}

bool parseCheckpoint(const void *bytes, size_t size, Checkpoint &out,
                     std::string &error) {
  const auto *p = static_cast<const uint8_t *>(bytes);
  auto truncatedHeader = [&] {
    error = "truncated: " + std::to_string(size) + " bytes, less than the " +
            std::to_string(kHeaderSize) + "-byte header";
    return false;
  };
  // A prefix of the magic is most likely a cut-off checkpoint.
  size_t magicBytes = std::min(size, sizeof kMagic);
  if (magicBytes > 0 && std::memcmp(p, kMagic, magicBytes) != 0) {
    error = "not a kiln checkpoint (it does not start with \"KILNCKPT\")";
    return false;
  }
  if (size < 12)
    return truncatedHeader();
  uint32_t version = (uint32_t)getLE(p + 8, 4);
  if (version != kCheckpointVersion) {
    error = "unsupported checkpoint version " + std::to_string(version) +
            " (this kiln reads version " + std::to_string(kCheckpointVersion) +
            ")";
    return false;
  }
  if (size < kHeaderSize)
    return truncatedHeader();
  uint32_t headerCrc = (uint32_t)getLE(p + 20, 4);
  if (headerCrc != crc32Of(0, p, 20)) {
    error = "corrupt: header checksum mismatch";
    return false;
  }
  uint64_t declared = getLE(p + 12, 8);
  if (declared < kMinSize) {
    error = "corrupt: the header declares " + std::to_string(declared) +
            " bytes, less than any checkpoint";
    return false;
  }
  if (size < declared) {
    error = "truncated: expected " + std::to_string(declared) +
            " bytes, got " + std::to_string(size);
    return false;
  }
  if (size > declared) {
    error = "corrupt: " + std::to_string(size - declared) +
            " unexpected bytes after the " + std::to_string(declared) +
            " bytes the header declares";
    return false;
  }
  uint32_t stored = (uint32_t)getLE(p + size - kCrcSize, 4);
  uint32_t computed = crc32Of(0, p, size - kCrcSize);
  if (stored != computed) {
    error = "corrupt: checksum mismatch (stored " + hex32(stored) +
            ", computed " + hex32(computed) + ")";
    return false;
  }
  Checkpoint ckpt;
  Reader r(p + kHeaderSize, size - kHeaderSize - kCrcSize);
  try {
    if (!parseBody(r, ckpt, error))
      return false;
  } catch (const std::exception &) { // bad_alloc from HostTensor
    error = "out of memory reading a checkpoint of " + std::to_string(size) +
            " bytes";
    return false;
  }
  out = std::move(ckpt);
  return true;
}

bool loadCheckpoint(const std::string &path, Checkpoint &out,
                    std::string &error) {
  std::string bytes;
  try {
    if (!readFile(path, bytes, error))
      return false;
  } catch (const std::exception &) {
    error = path + ": out of memory reading the file";
    return false;
  }
  if (!parseCheckpoint(bytes.data(), bytes.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool checkCheckpoint(const Checkpoint &ckpt, const std::string &path,
                     const std::string &model,
                     const std::vector<TensorSpec> &expected, bool allowExtra,
                     std::string &error) {
  if (ckpt.model != model) {
    error = "checkpoint " + path + " is for model '" + ckpt.model + "', not '" +
            model + "'";
    return false;
  }
  std::vector<std::string> problems;
  std::map<std::string, const TensorSpec *> wanted;
  for (const TensorSpec &spec : expected) {
    wanted.emplace(spec.name, &spec);
    auto it = ckpt.tensors.find(spec.name);
    std::string want = typeOf(spec.dtype, spec.shape);
    if (it == ckpt.tensors.end()) {
      problems.push_back("checkpoint " + path + " has no tensor '" +
                         spec.name + "' (expected " + want + ")");
      continue;
    }
    const HostTensor &t = it->second;
    if (t.dtype() != spec.dtype || t.shape() != spec.shape)
      problems.push_back("checkpoint " + path + ": tensor '" + spec.name +
                         "' is " + typeOf(t.dtype(), t.shape()) +
                         ", expected " + want);
  }
  if (!allowExtra)
    for (const auto &[name, t] : ckpt.tensors)
      if (!wanted.count(name))
        problems.push_back("checkpoint " + path +
                           " has an unexpected tensor '" + name + "' (" +
                           typeOf(t.dtype(), t.shape()) + ")");
  if (problems.empty())
    return true;
  error = problems.front();
  if (problems.size() > 1)
    error += " (and " + std::to_string(problems.size() - 1) + " more " +
             (problems.size() == 2 ? "problem" : "problems") + ")";
  return false;
}

} // namespace kiln
