//===- Idx.cpp - Fashion-MNIST IDX files ----------------------------------===//
//
// IDX is a big-endian header (magic, then one u32 per dim) followed by raw
// bytes. The header is not trusted: buffers grow only as data actually
// arrives, so a file that claims 4 billion images costs nothing before it
// turns out to be truncated. zlib reads plain files too, so an uncompressed
// IDX file works as well.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Idx.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <unistd.h>
#include <zlib.h>

namespace kiln {

namespace {

struct GzClose {
  void operator()(gzFile_s *f) const { gzclose_r(f); } // read-only: no deflate
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

/// zlib's message without the "path: " it puts in front, since ours has it.
std::string zlibError(gzFile f, const std::string &path) {
  int errnum = Z_OK;
  const char *msg = gzerror(f, &errnum);
  if (errnum == Z_OK)
    return "";
  if (!msg || !*msg)
    return "zlib error " + std::to_string(errnum);
  std::string text = msg;
  if (text.compare(0, path.size() + 2, path + ": ") == 0)
    text.erase(0, path.size() + 2);
  return text;
}

/// Appends up to `want` bytes to `buf`. A short read (end of data) is not an
/// error here; `note` then holds zlib's reason if it has one, such as a
/// compressed stream cut short. Returns false on a read error.
bool readBytes(gzFile f, const std::string &path, uint64_t want,
               std::vector<uint8_t> &buf, std::string &note) {
  // gzread takes an unsigned count; pieces also bound each allocation step.
  constexpr uint64_t kPiece = 1 << 20;
  uint64_t end = buf.size() + want;
  while (buf.size() < end) {
    size_t old = buf.size();
    size_t n = (size_t)std::min(kPiece, end - old);
    buf.resize(old + n);
    int got = gzread(f, buf.data() + old, (unsigned)n);
    if (got < 0) {
      buf.resize(old);
      note = zlibError(f, path);
      return false;
    }
    buf.resize(old + (size_t)got);
    if (got == 0) {
      note = zlibError(f, path);
      break;
    }
  }
  return true;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/// What distinguishes the two kinds of IDX file kiln reads.
struct IdxKind {
  uint32_t magic;
  const char *fileKind; // "image": "not an IDX image file"
  const char *items;    // "images": "after the 10 images"
  const char *unit;     // "pixels": "expected 784 bytes of pixels"
};

/// Reads the header and the first N items, N = min(count, limit), `count`
/// being the items the header declares. `itemSize` is the product of the
/// dims after the first.
bool readIdx(const std::string &path, int64_t limit, const IdxKind &kind,
             std::vector<uint8_t> &data, int64_t &n, uint64_t &count,
             uint64_t &itemSize, std::string &error) {
  errno = 0;
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) {
    error = path + ": cannot open: " +
            (errno ? std::strerror(errno) : "gzopen failed");
    return false;
  }
  gzbuffer(f.get(), 1 << 17);

  std::vector<uint8_t> header;
  std::string note;
  auto readFailed = [&] {
    error = path + ": read error: " + note;
    return false;
  };
  auto truncated = [&](uint64_t want, uint64_t got, const char *what) {
    error = path + ": truncated: expected " + std::to_string(want) +
            " bytes of " + what + ", got " + std::to_string(got) +
            (note.empty() ? "" : " (" + note + ")");
    return false;
  };
  if (!readBytes(f.get(), path, 4, header, note))
    return readFailed();
  if (header.size() < 4)
    return truncated(4, header.size(), "magic number");
  uint32_t magic = bigEndian32(header.data());
  if (magic != kind.magic) {
    error = path + ": not an IDX " + kind.fileKind + " file (magic " +
            hex32(magic) + ", expected " + hex32(kind.magic) + ")";
    return false;
  }
  size_t rank = kind.magic & 0xff;
  size_t headerSize = 4 + 4 * rank;
  if (!readBytes(f.get(), path, headerSize - 4, header, note))
    return readFailed();
  if (header.size() < headerSize)
    return truncated(headerSize, header.size(), "header");

  count = bigEndian32(&header[4]);
  itemSize = 1;
  std::string dims = std::to_string(count);
  for (size_t i = 1; i < rank; ++i) {
    uint32_t d = bigEndian32(&header[4 + 4 * i]);
    dims += "x" + std::to_string(d);
    if (d == 0) {
      error = path + ": a dimension is 0 (dims " + dims + ")";
      return false;
    }
    itemSize *= d; // at most two u32 factors: cannot wrap
  }
  uint64_t items = limit < 0 ? count : std::min(count, (uint64_t)limit);
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (itemSize > kMax / std::max<uint64_t>(items, 1)) {
    error = path + ": dims " + dims + " are too large";
    return false;
  }
  n = (int64_t)items;

  uint64_t want = items * itemSize;
  if (!readBytes(f.get(), path, want, data, note))
    return readFailed();
  if (data.size() < want)
    return truncated(want, data.size(), kind.unit);
  if (items == count) {
    // Reading to the end also makes zlib check the gzip CRC.
    std::vector<uint8_t> extra;
    if (!readBytes(f.get(), path, 1, extra, note))
      return readFailed();
    if (!extra.empty()) {
      error = path + ": unexpected data after the " + std::to_string(count) +
              " " + kind.items + " the header declares";
      return false;
    }
  }
  return true;
}

bool outOfMemory(const std::string &path, const HostTensor &t,
                 std::string &error) {
  error = path + ": out of memory allocating " + std::to_string(t.byteSize()) +
          " bytes";
  return false;
}

} // namespace

std::string fashionMnistDir() { return kFashionMnistDir; }

std::string idxFileIn(const std::string &dir, const std::string &gzName) {
  std::string gz = dir + "/" + gzName;
  bool isGz = gz.size() > 3 && gz.compare(gz.size() - 3, 3, ".gz") == 0;
  if (!isGz || ::access(gz.c_str(), F_OK) == 0)
    return gz;
  std::string plain = gz.substr(0, gz.size() - 3);
  return ::access(plain.c_str(), F_OK) == 0 ? plain : gz;
}

std::string fashionMnistFile(const std::string &name) {
  std::string file = name == "train-images"   ? kFashionMnistTrainImages
                     : name == "train-labels" ? kFashionMnistTrainLabels
                     : name == "t10k-images"  ? kFashionMnistTestImages
                     : name == "t10k-labels"  ? kFashionMnistTestLabels
                                              : name;
  return idxFileIn(fashionMnistDir(), file);
}

const char *fashionMnistClassName(int64_t label) {
  static const char *const kNames[] = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return label >= 0 && label < 10 ? kNames[label] : "?";
}

bool readIdxImages(const std::string &path, int64_t limit, HostTensor &out,
                   std::string &error, int64_t *declared) {
  static const IdxKind kImages = {0x00000803, "image", "images", "pixels"};
  std::vector<uint8_t> data;
  int64_t n;
  uint64_t count, pixels;
  if (!readIdx(path, limit, kImages, data, n, count, pixels, error))
    return false;
  if (declared)
    *declared = (int64_t)count;
  HostTensor t(DType::F32, {n, (int64_t)pixels});
  if (!t.data())
    return outOfMemory(path, t, error);
  float *dst = t.as<float>();
  for (size_t i = 0; i < data.size(); ++i)
    dst[i] = data[i] / 255.0f;
  out = std::move(t);
  return true;
}

bool readIdxLabels(const std::string &path, int64_t limit, HostTensor &out,
                   std::string &error, int64_t *declared) {
  static const IdxKind kLabels = {0x00000801, "label", "labels", "labels"};
  std::vector<uint8_t> data;
  int64_t n;
  uint64_t count, itemSize;
  if (!readIdx(path, limit, kLabels, data, n, count, itemSize, error))
    return false;
  if (declared)
    *declared = (int64_t)count;
  HostTensor t(DType::I32, {n});
  if (!t.data())
    return outOfMemory(path, t, error);
  int32_t *dst = t.as<int32_t>();
  for (size_t i = 0; i < data.size(); ++i)
    dst[i] = data[i];
  out = std::move(t);
  return true;
}

} // namespace kiln
