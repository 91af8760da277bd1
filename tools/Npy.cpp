//===- Npy.cpp - NumPy .npy files and input checks ------------------------===//
//
// The header is a Python dict literal; rather than trust it, a small parser
// accepts exactly the subset numpy writes (plus the spacing and trailing
// commas Python allows) and every size is checked against the bytes present
// before anything is allocated, so hostile files fail with a message instead
// of a crash or a huge allocation. Data is copied with memcpy because the
// input need not be aligned; kiln's hosts are little-endian, like '<' data.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Npy.h"

#include "kiln/tools/Files.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace kiln {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

/// Header bytes are untrusted; keep what we echo short and printable.
std::string printable(const std::string &s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = s[i];
    if (c >= 32 && c < 127) {
      out += (char)c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMax)
    out += "...";
  return out;
}

Shape unravel(const Shape &shape, int64_t flat) {
  Shape index(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0)
      continue;
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

std::string elementName(const Shape &shape, int64_t flat) {
  return "element " + std::to_string(flat) + " (index " +
         toString(unravel(shape, flat)) + ")";
}

std::string formatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// The Python-literal subset numpy writes:
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
public:
  HeaderParser(const char *text, size_t size, size_t fileOffset)
      : begin_(text), p_(text), end_(text + size), fileOffset_(fileOffset) {}

  bool parse(std::string &descr, bool &fortranOrder, Shape &shape,
             std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail(error, "expected '{'");
    skipSpace();
    while (!consume('}')) {
      std::string key;
      if (!parseString(key, error))
        return false;
      skipSpace();
      if (!consume(':'))
        return fail(error, "expected ':' after key '" + printable(key) + "'");
      skipSpace();
      bool *seen = key == "descr"           ? &haveDescr
                   : key == "fortran_order" ? &haveOrder
                   : key == "shape"         ? &haveShape
                                            : nullptr;
      if (!seen)
        return fail(error, "unexpected key '" + printable(key) +
                               "' (expected 'descr', 'fortran_order', "
                               "'shape')");
      if (*seen)
        return fail(error, "duplicate key '" + key + "'");
      *seen = true;
      if (key == "descr") {
        if (p_ < end_ && *p_ == '[')
          return fail(error, "'descr' is a list: structured dtypes are not "
                             "supported");
        if (!parseString(descr, error))
          return false;
      } else if (key == "fortran_order") {
        if (!parseBool(fortranOrder, error))
          return false;
      } else if (!parseShape(shape, error)) {
        return false;
      }
      skipSpace();
      if (consume(','))
        skipSpace();
      else if (p_ >= end_ || *p_ != '}')
        return fail(error,
                    "expected ',' or '}' after the value of '" + key + "'");
    }
    skipSpace();
    if (p_ != end_)
      return fail(error, "unexpected text after the closing '}'");
    for (auto [have, name] :
         {std::pair{haveDescr, "descr"}, std::pair{haveOrder, "fortran_order"},
          std::pair{haveShape, "shape"}})
      if (!have) {
        error = std::string("malformed header: no '") + name + "' key";
        return false;
      }
    return true;
  }

private:
  bool fail(std::string &error, const std::string &what) {
    error = "malformed header at byte " +
            std::to_string(fileOffset_ + (p_ - begin_)) + ": " + what;
    return false;
  }

  void skipSpace() {
    while (p_ < end_ &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  bool consume(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  bool parseString(std::string &out, std::string &error) {
    if (p_ >= end_ || (*p_ != '\'' && *p_ != '"'))
      return fail(error, "expected a quoted string");
    char quote = *p_++;
    const char *start = p_;
    while (p_ < end_ && *p_ != quote) {
      // numpy never writes escapes, and honouring them is not worth a parser.
      if (*p_ == '\\' || *p_ == '\n')
        return fail(error, "unsupported character in a string");
      ++p_;
    }
    if (p_ >= end_)
      return fail(error, "unterminated string");
    out.assign(start, p_ - start);
    ++p_;
    return true;
  }

  bool parseWord(const char *word) {
    size_t n = std::strlen(word);
    if ((size_t)(end_ - p_) < n || std::memcmp(p_, word, n) != 0)
      return false;
    const char *after = p_ + n;
    if (after < end_ && (std::isalnum((unsigned char)*after) || *after == '_'))
      return false;
    p_ = after;
    return true;
  }

  bool parseBool(bool &out, std::string &error) {
    if (parseWord("True"))
      out = true;
    else if (parseWord("False"))
      out = false;
    else
      return fail(error, "'fortran_order' must be True or False");
    return true;
  }

  bool parseDim(int64_t &out, std::string &error) {
    if (p_ < end_ && *p_ == '-')
      return fail(error, "negative dimension in 'shape'");
    if (p_ >= end_ || !std::isdigit((unsigned char)*p_))
      return fail(error, "expected a dimension (a non-negative integer)");
    int64_t v = 0;
    while (p_ < end_ && std::isdigit((unsigned char)*p_)) {
      int digit = *p_ - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return fail(error, "dimension does not fit in 64 bits");
      v = v * 10 + digit;
      ++p_;
    }
    // Python 2's numpy wrote longs as "3L".
    if (p_ < end_ && (*p_ == 'L' || *p_ == 'l'))
      ++p_;
    out = v;
    return true;
  }

  bool parseShape(Shape &shape, std::string &error) {
    if (!consume('('))
      return fail(error, "'shape' must be a tuple");
    shape.clear();
    bool trailingComma = false;
    skipSpace();
    while (!consume(')')) {
      int64_t d;
      if (!parseDim(d, error))
        return false;
      shape.push_back(d);
      skipSpace();
      trailingComma = consume(',');
      skipSpace();
      if (!trailingComma && (p_ >= end_ || *p_ != ')'))
        return fail(error, "expected ',' or ')' in 'shape'");
    }
    if (shape.size() == 1 && !trailingComma)
      return fail(error, "'shape' (" + std::to_string(shape[0]) +
                             ") is not a tuple; one dimension is written (" +
                             std::to_string(shape[0]) + ",)");
    return true;
  }

  const char *begin_, *p_, *end_;
  size_t fileOffset_;
};

/// How the bytes of one descr become a kiln dtype.
enum class Conversion { Copy, Int64ToI32, Float64ToF32 };
struct Source {
  DType dtype;
  size_t itemSize;
  Conversion conversion;
};

bool lookupDescr(const std::string &descr, Source &src, std::string &error) {
  static const struct {
    const char *descr;
    Source src;
  } kTable[] = {
      {"<f4", {DType::F32, 4, Conversion::Copy}},
      {"<f2", {DType::F16, 2, Conversion::Copy}},
      {"<i4", {DType::I32, 4, Conversion::Copy}},
      // Byte order means nothing for one byte; numpy writes '|'.
      {"|i1", {DType::I8, 1, Conversion::Copy}},
      {"<i1", {DType::I8, 1, Conversion::Copy}},
      {">i1", {DType::I8, 1, Conversion::Copy}},
      {"<i8", {DType::I32, 8, Conversion::Int64ToI32}},
      {"<f8", {DType::F32, 8, Conversion::Float64ToF32}},
  };
  for (const auto &row : kTable)
    if (descr == row.descr) {
      src = row.src;
      return true;
    }
  if (!descr.empty() && descr[0] == '>')
    error = "big-endian data is not supported (descr '" + printable(descr) +
            "'); save with arr.astype(arr.dtype.newbyteorder('<'))";
  else
    error = "unsupported descr '" + printable(descr) +
            "' (supported: '<f4', '<f2', '<i4', '|i1', and '<i8', '<f8' "
            "when exactly representable as i32, f32)";
  return false;
}

uint32_t readLE(const unsigned char *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

bool convert(const unsigned char *data, const Source &src, HostTensor &t,
             std::string &error) {
  int64_t n = t.size();
  switch (src.conversion) {
  case Conversion::Copy:
    std::memcpy(t.data(), data, t.byteSize());
    return true;
  case Conversion::Int64ToI32: {
    int32_t *dst = t.as<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, data + i * 8, 8);
      if (v < std::numeric_limits<int32_t>::min() ||
          v > std::numeric_limits<int32_t>::max()) {
        error = elementName(t.shape(), i) + " is " + std::to_string(v) +
                ", which does not fit in i32 (int64 data is read as i32)";
        return false;
      }
      dst[i] = (int32_t)v;
    }
    return true;
  }
  case Conversion::Float64ToF32: {
    float *dst = t.as<float>();
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, data + i * 8, 8);
      // Out-of-range casts to float are undefined, so test the range first.
      bool exact = std::isnan(v) || std::isinf(v) ||
                   (std::fabs(v) <= std::numeric_limits<float>::max() &&
                    (double)(float)v == v);
      if (!exact) {
        error = elementName(t.shape(), i) + " is " + formatDouble(v) +
                ", which f32 cannot represent exactly (float64 data is read "
                "as f32)";
        return false;
      }
      dst[i] = (float)v;
    }
    return true;
  }
  }
  return false;
}

const char *npyDescr(DType t) {
  switch (t) {
  case DType::F32:
  case DType::BF16:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I32:
    return "<i4";
  case DType::I8:
    return "|i1";
  }
  return "";
}

/// The format 1.0 header np.save writes, byte for byte, so files from kiln
/// and from numpy compare equal: keys sorted, spare spaces so the first dim
/// can grow in place, and data aligned to 64 bytes.
bool makeHeader(const HostTensor &t, std::string &header) {
  std::string dict = std::string("{'descr': '") + npyDescr(t.dtype()) +
                     "', 'fortran_order': False, 'shape': (";
  const Shape &shape = t.shape();
  for (size_t i = 0; i < shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  dict += shape.size() == 1 ? ",), }" : "), }";
  constexpr size_t kGrowthAxisMaxDigits = 21;
  if (!shape.empty()) {
    size_t digits = std::to_string(shape[0]).size();
    if (digits < kGrowthAxisMaxDigits)
      dict.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  constexpr size_t kAlign = 64, kPrefix = kMagicLen + 2 + 2;
  size_t hlen = dict.size() + 1;
  size_t pad = kAlign - (kPrefix + hlen) % kAlign;
  if (hlen + pad > 0xffff)
    return false;
  uint16_t total = (uint16_t)(hlen + pad);
  header.assign(kMagic, kMagicLen);
  header += '\x01';
  header += '\x00';
  header += (char)(total & 0xff);
  header += (char)(total >> 8);
  header += dict;
  header.append(pad, ' ');
  header += '\n';
  return true;
}

} // namespace

bool parseNpy(const void *bytes, size_t size, HostTensor &out,
              std::string &error) {
  const unsigned char *b = static_cast<const unsigned char *>(bytes);
  if (size == 0 || !b) {
    error = "not a .npy file: it is empty";
    return false;
  }
  if (std::memcmp(b, kMagic, std::min(size, kMagicLen)) != 0) {
    error = "not a .npy file: bad magic (expected \\x93NUMPY)";
    return false;
  }
  if (size < kMagicLen + 2) {
    error = "truncated: the file ends inside the magic and version (" +
            std::to_string(size) + " bytes)";
    return false;
  }
  unsigned major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0) {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)";
    return false;
  }
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t prefix = kMagicLen + 2 + lenBytes;
  if (size < prefix) {
    error = "truncated: the file ends inside the header length (" +
            std::to_string(size) + " bytes)";
    return false;
  }
  size_t headerLen = readLE(b + kMagicLen + 2, lenBytes);
  if (headerLen > size - prefix) {
    error = "truncated: header length " + std::to_string(headerLen) +
            " runs past the end of the file (" + std::to_string(size - prefix) +
            " bytes follow the prefix)";
    return false;
  }

  std::string descr;
  bool fortranOrder = false;
  Shape shape;
  HeaderParser parser(reinterpret_cast<const char *>(b + prefix), headerLen,
                      prefix);
  if (!parser.parse(descr, fortranOrder, shape, error))
    return false;
  Source src;
  if (!lookupDescr(descr, src, error))
    return false;
  if (fortranOrder) {
    error = "fortran_order True is not supported; save a C-ordered array "
            "(np.ascontiguousarray)";
    return false;
  }

  // Products must not wrap; zeros are skipped so that a later zero cannot
  // hide an earlier overflow from numElements, which multiplies in order.
  uint64_t elements = 1;
  constexpr uint64_t kMaxElements = std::numeric_limits<int64_t>::max();
  for (int64_t d : shape) {
    if (d != 0 && elements > kMaxElements / (uint64_t)d) {
      error = "shape " + toString(shape) +
              " has too many elements "
              "(the product overflows 64 bits)";
      return false;
    }
    if (d != 0)
      elements *= (uint64_t)d;
  }
  for (int64_t d : shape)
    if (d == 0)
      elements = 0;
  if (elements > kMaxElements / src.itemSize) {
    error = "shape " + toString(shape) +
            " has too many elements "
            "(the byte size overflows 64 bits)";
    return false;
  }
  uint64_t want = elements * src.itemSize;
  uint64_t have = size - prefix - headerLen;
  if (have < want) {
    error = "truncated: expected " + std::to_string(want) +
            " bytes of data for '" + descr + "' " + toString(shape) + ", got " +
            std::to_string(have);
    return false;
  }
  if (have > want) {
    error = std::to_string(have - want) + " trailing bytes after the " +
            std::to_string(want) + " bytes of data for '" + descr + "' " +
            toString(shape);
    return false;
  }

  HostTensor t(src.dtype, shape);
  if (!t.data()) {
    error =
        "out of memory allocating " + std::to_string(t.byteSize()) + " bytes";
    return false;
  }
  if (!convert(b + prefix + headerLen, src, t, error))
    return false;
  out = std::move(t);
  return true;
}

bool readNpy(const std::string &path, HostTensor &out, std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return false;
  if (!parseNpy(bytes.data(), bytes.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &t,
              std::string &error) {
  std::string header;
  if (!makeHeader(t, header)) {
    error = path + ": the .npy header for shape " + toString(t.shape()) +
            " exceeds the 64 KiB that format 1.0 allows";
    return false;
  }
  return writeFileAtomically(
      path,
      [&](const ByteWriter &write) {
        if (!write(header.data(), header.size()))
          return false;
        if (t.dtype() != DType::BF16)
          return write(t.data(), t.byteSize());
        // Widened in chunks so a large tensor is not copied whole.
        std::vector<float> chunk;
        constexpr int64_t kChunk = 1 << 16;
        for (int64_t i = 0; i < t.size(); i += kChunk) {
          int64_t n = std::min(kChunk, t.size() - i);
          chunk.resize(n);
          for (int64_t j = 0; j < n; ++j)
            chunk[j] = (float)t.get(i + j);
          if (!write(chunk.data(), n * sizeof(float)))
            return false;
        }
        return true;
      },
      error);
}

std::string findNonFinite(const HostTensor &t) {
  if (!isFloat(t.dtype()))
    return "";
  for (int64_t i = 0, n = t.size(); i < n; ++i) {
    double v = t.get(i);
    if (std::isfinite(v))
      continue;
    return elementName(t.shape(), i) + (std::isnan(v) ? " is NaN"
                                        : v > 0       ? " is +Inf"
                                                      : " is -Inf");
  }
  return "";
}

} // namespace kiln
