//===- NpyTest.cpp - .npy reader and writer -------------------------------===//
//
// The fixtures are the exact bytes numpy 2.4 wrote with np.save (header
// text, its space padding and the data, copied from the files), so the
// reader is checked against numpy itself and the writer must reproduce them
// byte for byte. Every malformed case must fail with a message, never crash.
//
//===----------------------------------------------------------------------===//
#include "TempDir.h"
#include "kiln/tools/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace kiln;
using namespace kiln::test;

namespace {

/// A literal with embedded NULs, without its terminator.
template <size_t N> std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

const std::string kV1 = bytes("\223NUMPY\001\000v\000");

/// A numpy file: prefix, header dict, numpy's space padding, '\n', data.
struct Fixture {
  std::string prefix, dict;
  size_t pad;
  std::string data;
  size_t numpySize; // the size of the file np.save wrote
  std::string file() const {
    return prefix + dict + std::string(pad, ' ') + "\n" + data;
  }
};

// np.arange(6, dtype='<f4').reshape(2, 3)
const Fixture kF32 = {
    kV1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58,
    bytes("\000\000\000\000\000\000\200\077\000\000\000@\000\000@@\000\000\200@"
          "\000\000\240@"),
    152};
// np.array([1.5, -2, 0.25], dtype='<f2')
const Fixture kF16 = {
    kV1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", 60,
    bytes("\000>\000\300\0004"), 134};
// np.array([[1, -2], [3, 2147483647]], dtype='<i4')
const Fixture kI32 = {
    kV1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", 58,
    bytes("\001\000\000\000\376\377\377\377\003\000\000\000\377\377\377\177"),
    144};
// np.array([-128, 0, 127], dtype='i1')
const Fixture kI8 = {
    kV1, "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", 60,
    bytes("\200\000\177"), 131};
// np.array([1, -2, 3], dtype='<i8')
const Fixture kI64 = {
    kV1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 60,
    bytes("\001\000\000\000\000\000\000\000\376\377\377\377\377\377\377\377"
          "\003\000\000\000\000\000\000\000"),
    152};
// np.array([0, 2**40], dtype='<i8')
const Fixture kI64Big = {
    kV1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 60,
    bytes("\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000"),
    144};
// np.array([0.5, 1.0, -3.0], dtype='<f8')
const Fixture kF64 = {
    kV1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 60,
    bytes("\000\000\000\000\000\000\340\077\000\000\000\000\000\000\360\077"
          "\000\000\000\000\000\000\010\300"),
    152};
// np.array([[0.5], [0.1]], dtype='<f8')
const Fixture kF64Inexact = {
    kV1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", 58,
    bytes("\000\000\000\000\000\000\340\077\232\231\231\231\231\231\271\077"),
    144};
// np.float32(3.5)
const Fixture kScalar = {
    kV1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 62,
    bytes("\000\000`@"), 132};
// np.zeros((0, 3), dtype='<f4')
const Fixture kEmpty = {
    kV1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", 58, "",
    128};
// np.lib.format.write_array(f, np.array([1, 2], dtype='<f4'), version=(2, 0))
const Fixture kV2 = {
    bytes("\223NUMPY\002\000t\000\000\000"),
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 58,
    bytes("\000\000\200\077\000\000\000@"), 136};
// ... version=(3, 0)
const Fixture kV3 = {
    bytes("\223NUMPY\003\000t\000\000\000"),
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 58,
    bytes("\000\000\200\077\000\000\000@"), 136};
// np.array([1, 2], dtype='>f4')
const Fixture kBigEndian = {
    kV1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 60,
    bytes("\077\200\000\000@\000\000\000"), 136};
// np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))
const Fixture kFortran = {
    kV1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 59,
    bytes("\000\000\000\000\000\000@@\000\000\200\077\000\000\200@\000\000\000@"
          "\000\000\240@"),
    152};
// np.array([1, 2], dtype='u1')
const Fixture kU8 = {
    kV1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 60,
    bytes("\001\002"), 130};

/// A format 1.0 file around any header text, for hand-made headers.
std::string withHeader(const std::string &header, const std::string &data) {
  std::string out = bytes("\223NUMPY\001\000");
  out += (char)(header.size() & 0xff);
  out += (char)(header.size() >> 8);
  return out + header + data;
}

std::string parseError(const std::string &file) {
  HostTensor t;
  std::string error;
  EXPECT_FALSE(parseNpy(file.data(), file.size(), t, error));
  return error;
}

HostTensor parseOk(const std::string &file) {
  HostTensor t;
  std::string error;
  EXPECT_TRUE(parseNpy(file.data(), file.size(), t, error)) << error;
  return t;
}

std::vector<double> values(const HostTensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.size(); ++i)
    v.push_back(t.get(i));
  return v;
}




} // namespace

TEST(NpyTest, FixturesHaveNumpysSizes) {
  for (const Fixture *f :
       {&kF32, &kF16, &kI32, &kI8, &kI64, &kI64Big, &kF64, &kF64Inexact,
        &kScalar, &kEmpty, &kV2, &kV3, &kBigEndian, &kFortran, &kU8})
    EXPECT_EQ(f->file().size(), f->numpySize) << f->dict;
}

TEST(NpyTest, ReadsNumpyFiles) {
  HostTensor f32 = parseOk(kF32.file());
  EXPECT_EQ(f32.dtype(), DType::F32);
  EXPECT_EQ(f32.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(f32), (std::vector<double>{0, 1, 2, 3, 4, 5}));

  HostTensor f16 = parseOk(kF16.file());
  EXPECT_EQ(f16.dtype(), DType::F16);
  EXPECT_EQ(f16.shape(), (Shape{3}));
  EXPECT_EQ(values(f16), (std::vector<double>{1.5, -2, 0.25}));

  HostTensor i32 = parseOk(kI32.file());
  EXPECT_EQ(i32.dtype(), DType::I32);
  EXPECT_EQ(i32.shape(), (Shape{2, 2}));
  EXPECT_EQ(values(i32), (std::vector<double>{1, -2, 3, 2147483647}));

  HostTensor i8 = parseOk(kI8.file());
  EXPECT_EQ(i8.dtype(), DType::I8);
  EXPECT_EQ(values(i8), (std::vector<double>{-128, 0, 127}));
}

TEST(NpyTest, ReadsScalarAndEmpty) {
  HostTensor scalar = parseOk(kScalar.file());
  EXPECT_EQ(scalar.shape(), Shape{});
  EXPECT_EQ(values(scalar), (std::vector<double>{3.5}));

  HostTensor empty = parseOk(kEmpty.file());
  EXPECT_EQ(empty.shape(), (Shape{0, 3}));
  EXPECT_EQ(empty.size(), 0);
}

TEST(NpyTest, ReadsFormatVersions2And3) {
  for (const Fixture *f : {&kV2, &kV3}) {
    HostTensor t = parseOk(f->file());
    EXPECT_EQ(t.shape(), (Shape{2}));
    EXPECT_EQ(values(t), (std::vector<double>{1, 2}));
  }
}

TEST(NpyTest, ReadsInt64AndFloat64WhenExact) {
  HostTensor i = parseOk(kI64.file());
  EXPECT_EQ(i.dtype(), DType::I32);
  EXPECT_EQ(values(i), (std::vector<double>{1, -2, 3}));

  HostTensor f = parseOk(kF64.file());
  EXPECT_EQ(f.dtype(), DType::F32);
  EXPECT_EQ(values(f), (std::vector<double>{0.5, 1, -3}));
}

TEST(NpyTest, RefusesInexactInt64AndFloat64) {
  EXPECT_EQ(parseError(kI64Big.file()),
            "element 1 (index [1]) is 1099511627776, which does not fit in "
            "i32 (int64 data is read as i32)");
  EXPECT_EQ(parseError(kF64Inexact.file()),
            "element 1 (index [1, 0]) is 0.10000000000000001, which f32 "
            "cannot represent exactly (float64 data is read as f32)");
}

TEST(NpyTest, WriterMatchesNumpyBytes) {
  TempDir dir;
  for (const Fixture *f : {&kF32, &kF16, &kI32, &kI8, &kScalar, &kEmpty}) {
    HostTensor t = parseOk(f->file());
    std::string path = dir.file("t.npy"), error;
    ASSERT_TRUE(writeNpy(path, t, error)) << error;
    EXPECT_EQ(slurp(path), f->file()) << f->dict;
  }
}

TEST(NpyTest, RoundTripsEveryDType) {
  TempDir dir;
  const std::vector<double> vals = {0, 1, -2, 3.5, 100, -0.25};
  for (DType dt :
       {DType::F32, DType::F16, DType::BF16, DType::I8, DType::I32}) {
    HostTensor t(dt, {2, 3});
    for (int64_t i = 0; i < t.size(); ++i)
      t.set(i, vals[i]);
    std::string path = dir.file(std::string(dtypeName(dt)) + ".npy"), error;
    ASSERT_TRUE(writeNpy(path, t, error)) << error;
    HostTensor back;
    ASSERT_TRUE(readNpy(path, back, error)) << error;
    // numpy has no bf16, so it comes back widened to f32.
    EXPECT_EQ(back.dtype(), dt == DType::BF16 ? DType::F32 : dt);
    EXPECT_EQ(back.shape(), t.shape());
    EXPECT_EQ(values(back), values(t)) << dtypeName(dt);
  }
  // Rank 1 and a larger tensor that crosses the writer's bf16 chunks.
  HostTensor big(DType::BF16, {70000});
  for (int64_t i = 0; i < big.size(); ++i)
    big.set(i, (double)(i % 256) - 128);
  std::string path = dir.file("big.npy"), error;
  ASSERT_TRUE(writeNpy(path, big, error)) << error;
  HostTensor back;
  ASSERT_TRUE(readNpy(path, back, error)) << error;
  EXPECT_EQ(values(back), values(big));
}

TEST(NpyTest, WriteReplacesAtomicallyAndLeavesNoTemporary) {
  TempDir dir;
  std::string path = dir.file("out.npy"), error;
  spit(path, "old contents");
  HostTensor t(DType::F32, {4});
  ASSERT_TRUE(writeNpy(path, t, error)) << error;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.npy"});
  HostTensor back;
  EXPECT_TRUE(readNpy(path, back, error)) << error;

  std::string missing = dir.file("no/such/dir/out.npy");
  EXPECT_FALSE(writeNpy(missing, t, error));
  EXPECT_NE(error.find(missing), std::string::npos) << error;
  EXPECT_NE(error.find("cannot create temporary file"), std::string::npos)
      << error;
}

TEST(NpyTest, ReadErrorsNameThePath) {
  TempDir dir;
  HostTensor t;
  std::string error, missing = dir.file("missing.npy");
  EXPECT_FALSE(readNpy(missing, t, error));
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");

  std::string bad = dir.file("bad.npy");
  spit(bad, "PK\003\004 a zip file");
  EXPECT_FALSE(readNpy(bad, t, error));
  EXPECT_EQ(error, bad + ": not a .npy file: bad magic (expected \\x93NUMPY)");
}

TEST(NpyTest, RefusesBadMagicAndVersion) {
  EXPECT_EQ(parseError(""), "not a .npy file: it is empty");
  std::string file = kF32.file();
  file[1] = 'n';
  EXPECT_EQ(parseError(file),
            "not a .npy file: bad magic (expected \\x93NUMPY)");
  file = kF32.file();
  file[6] = 4;
  EXPECT_EQ(parseError(file),
            "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  file = kF32.file();
  file[7] = 1;
  EXPECT_EQ(parseError(file),
            "unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)");
}

TEST(NpyTest, RefusesEveryTruncation) {
  for (const Fixture *f : {&kF32, &kV2, &kI64, &kF16}) {
    std::string file = f->file();
    for (size_t n = 0; n < file.size(); ++n) {
      std::string cut = file.substr(0, n);
      // A fresh heap copy, so that ASan sees any read past the end.
      std::vector<char> heap(cut.begin(), cut.end());
      HostTensor t;
      std::string error;
      EXPECT_FALSE(parseNpy(heap.data(), heap.size(), t, error))
          << f->dict << " cut at " << n;
      EXPECT_FALSE(error.empty());
    }
  }
  EXPECT_EQ(parseError(kF32.file().substr(0, 148)),
            "truncated: expected 24 bytes of data for '<f4' [2, 3], got 20");
  EXPECT_EQ(parseError(kF32.file().substr(0, 100)),
            "truncated: header length 118 runs past the end of the file (90 "
            "bytes follow the prefix)");
}

TEST(NpyTest, RefusesTrailingBytes) {
  EXPECT_EQ(parseError(kF32.file() + "xyz"),
            "3 trailing bytes after the 24 bytes of data for '<f4' [2, 3]");
}

TEST(NpyTest, RefusesBigEndianFortranAndUnknownDescr) {
  EXPECT_NE(parseError(kBigEndian.file())
                .find("big-endian data is not supported (descr '>f4')"),
            std::string::npos);
  EXPECT_NE(parseError(kFortran.file())
                .find("fortran_order True is not "
                      "supported"),
            std::string::npos);
  EXPECT_NE(parseError(kU8.file()).find("unsupported descr '|u1'"),
            std::string::npos);
}

TEST(NpyTest, RefusesHugeAndNegativeDims) {
  auto header = [](const std::string &shape) {
    return withHeader(
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n",
        "");
  };
  EXPECT_EQ(parseError(header("(4294967296, 4294967296, 2)")),
            "shape [4294967296, 4294967296, 2] has too many elements (the "
            "product overflows 64 bits)");
  // A trailing zero must not hide the overflow before it.
  EXPECT_NE(parseError(header("(4611686018427387904, 4, 0)")).find("overflows"),
            std::string::npos);
  EXPECT_EQ(parseError(header("(4611686018427387904,)")),
            "shape [4611686018427387904] has too many elements (the byte "
            "size overflows 64 bits)");
  EXPECT_NE(parseError(header("(99999999999999999999,)"))
                .find("dimension does not fit in 64 bits"),
            std::string::npos);
  EXPECT_NE(parseError(header("(2, -3)")).find("negative dimension"),
            std::string::npos);
  // Large but representable: a size mismatch, not an allocation.
  EXPECT_EQ(parseError(header("(1000000000000,)")),
            "truncated: expected 4000000000000 bytes of data for '<f4' "
            "[1000000000000], got 0");
}

TEST(NpyTest, ToleratesPythonSpacingAndCommas) {
  std::string file = withHeader(
      " {  \"shape\" :( 2 ,3 , ) ,'fortran_order':False,\t'descr':'<f4'}\n",
      kF32.data);
  HostTensor t = parseOk(file);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(t), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  // Python 2's numpy wrote dims as longs.
  t = parseOk(withHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (6L,), }", kF32.data));
  EXPECT_EQ(t.shape(), (Shape{6}));
}

TEST(NpyTest, RefusesMalformedHeaders) {
  const std::pair<const char *, const char *> cases[] = {
      {"", "expected '{'"},
      {"['descr']", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
      {"{'descr': '<f4', 'shape': (6,)}", "no 'fortran_order' key"},
      {"{'descr': '<f4', 'descr': '<f4'", "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}",
       "is not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [6]}",
       "'shape' must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (6,)}",
       "must be True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsehood, 'shape': (6,)}",
       "must be True or False"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}",
       "expected ',' or '}' after the value of 'descr'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected ':' after key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",
       "unexpected text after the closing '}'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}",
       "structured dtypes are not supported"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}",
       "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6 7)}",
       "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}",
       "expected a dimension"},
      {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (6,)}",
       "unsupported character"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,", "expected"},
      {"{'descr': '<f4", "unterminated string"},
  };
  for (const auto &[header, want] : cases) {
    std::string error = parseError(withHeader(header, kF32.data));
    EXPECT_NE(error.find(want), std::string::npos)
        << "header: " << header << "\nerror: " << error;
    if (!std::string(header).empty()) {
      EXPECT_EQ(error.rfind("malformed header", 0), 0u) << error;
    }
  }
}

TEST(NpyTest, SurvivesRandomCorruption) {
  // Not a fuzzer, but run under ASan it catches the same class of bug.
  std::mt19937 rng(1234);
  const std::string base = kF32.file();
  for (int iter = 0; iter < 20000; ++iter) {
    std::string file = base;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % file.size();
      switch (rng() % 3) {
      case 0:
        file[pos] = (char)(rng() % 256);
        break;
      case 1:
        file.erase(pos, 1 + rng() % 8);
        break;
      case 2:
        file.insert(pos, 1, "0123456789(),: '{}-L"[rng() % 20]);
        break;
      }
      if (file.empty())
        file = "x";
    }
    std::vector<char> heap(file.begin(), file.end());
    HostTensor t;
    std::string error;
    if (!parseNpy(heap.data(), heap.size(), t, error)) {
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(NpyTest, CheckTensorNamesBothSides) {
  HostTensor t(DType::I32, {2, 784});
  EXPECT_EQ(checkTensor(t, "input 'image'", DType::F32, {1, 784}),
            "input 'image': expected f32 [1, 784], got i32 [2, 784]");
  EXPECT_EQ(checkTensor(t, "input 'image'", DType::I32, {1, 784}),
            "input 'image': expected i32 [1, 784], got i32 [2, 784]");
  EXPECT_EQ(checkTensor(t, "input 'image'", DType::I32, {2, 784}), "");
}

TEST(NpyTest, FindNonFiniteReportsTheFirst) {
  HostTensor t(DType::F32, {2, 20});
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, 0.5);
  EXPECT_EQ(findNonFinite(t), "");
  t.set(25, -INFINITY);
  EXPECT_EQ(findNonFinite(t), "element 25 (index [1, 5]) is -Inf");
  t.set(17, NAN);
  EXPECT_EQ(findNonFinite(t), "element 17 (index [0, 17]) is NaN");

  HostTensor h(DType::F16, {3});
  h.set(2, 1e6); // beyond f16's range
  EXPECT_EQ(findNonFinite(h), "element 2 (index [2]) is +Inf");
  HostTensor b(DType::BF16, {});
  b.set(0, NAN);
  EXPECT_EQ(findNonFinite(b), "element 0 (index []) is NaN");
  HostTensor i(DType::I32, {4});
  EXPECT_EQ(findNonFinite(i), "");
}
