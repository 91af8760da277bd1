//===- IdxTest.cpp - Fashion-MNIST IDX reader -----------------------------===//
//
// The real dataset pins the format down (known first labels, pixel sums);
// small gzip files written here cover the failures, which the real files
// cannot. Tests of the real files skip where the Debian package is absent.
//
//===----------------------------------------------------------------------===//
#include "TempDir.h"
#include "kiln/tools/Idx.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <zlib.h>

using namespace kiln;
using namespace kiln::test;

namespace {


std::string be32(uint32_t v) {
  return {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
}

/// An IDX image file: 2 images of 2x3 pixels.
std::string smallImages() {
  return be32(0x803) + be32(2) + be32(2) + be32(3) +
         std::string("\x00\xff\x33\x66\x99\xcc", 6) +
         std::string("\x01\x02\x03\x04\x05\x06", 6);
}

std::string smallLabels() {
  return be32(0x801) + be32(3) + std::string("\x09\x00\xfe", 3);
}

void writeGz(const std::string &path, const std::string &data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!data.empty()) {
    ASSERT_EQ(gzwrite(f, data.data(), (unsigned)data.size()), (int)data.size());
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

bool datasetPresent() {
  return std::filesystem::exists(fashionMnistFile("t10k-images")) &&
         std::filesystem::exists(fashionMnistFile("t10k-labels"));
}

#define SKIP_WITHOUT_DATASET()                                                 \
  if (!datasetPresent())                                                       \
  GTEST_SKIP() << "Fashion-MNIST is not installed in " << fashionMnistDir()    \
               << " (Debian package dataset-fashion-mnist)"

} // namespace

TEST(IdxTest, FashionMnistPaths) {
  EXPECT_EQ(fashionMnistDir(), "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(fashionMnistFile("t10k-images"),
            "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(fashionMnistFile("t10k-labels"),
            "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(fashionMnistFile("train-images"),
            "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  EXPECT_EQ(fashionMnistFile("train-labels"),
            "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
  EXPECT_STREQ(fashionMnistClassName(9), "Ankle boot");
  EXPECT_STREQ(fashionMnistClassName(0), "T-shirt/top");
  EXPECT_STREQ(fashionMnistClassName(10), "?");
}

TEST(IdxTest, ReadsFirstTestImagesAndLabels) {
  SKIP_WITHOUT_DATASET();
  HostTensor images, labels;
  std::string error;
  ASSERT_TRUE(readIdxImages(fashionMnistFile("t10k-images"), 5, images, error))
      << error;
  EXPECT_EQ(images.dtype(), DType::F32);
  EXPECT_EQ(images.shape(), (Shape{5, 784}));
  const float *px = images.as<float>();
  double firstSum = 0;
  for (int64_t i = 0; i < images.size(); ++i) {
    ASSERT_GE(px[i], 0.0f) << "pixel " << i;
    ASSERT_LE(px[i], 1.0f) << "pixel " << i;
    if (i < 784)
      firstSum += px[i];
  }
  // The raw bytes of the first image add up to 33456.
  EXPECT_NEAR(firstSum, 33456 / 255.0, 1e-3);

  ASSERT_TRUE(readIdxLabels(fashionMnistFile("t10k-labels"), 5, labels, error))
      << error;
  EXPECT_EQ(labels.dtype(), DType::I32);
  EXPECT_EQ(labels.shape(), (Shape{5}));
  const int32_t *l = labels.as<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(l, l + 5),
            (std::vector<int32_t>{9, 2, 1, 1, 6}));
  EXPECT_STREQ(fashionMnistClassName(l[0]), "Ankle boot");
}

TEST(IdxTest, ReadsWholeTestSet) {
  SKIP_WITHOUT_DATASET();
  HostTensor images, labels;
  std::string error;
  ASSERT_TRUE(readIdxImages(fashionMnistFile("t10k-images"), -1, images, error))
      << error;
  EXPECT_EQ(images.shape(), (Shape{10000, 784}));
  ASSERT_TRUE(readIdxLabels(fashionMnistFile("t10k-labels"), -1, labels, error))
      << error;
  ASSERT_EQ(labels.shape(), (Shape{10000}));
  std::vector<int> perClass(10, 0);
  for (int64_t i = 0; i < labels.size(); ++i) {
    int32_t v = labels.as<int32_t>()[i];
    ASSERT_TRUE(v >= 0 && v <= 9) << "label " << i << " is " << v;
    ++perClass[v];
  }
  EXPECT_EQ(perClass, std::vector<int>(10, 1000));
  // A limit past the end is simply the whole file.
  ASSERT_TRUE(
      readIdxLabels(fashionMnistFile("t10k-labels"), 20000, labels, error));
  EXPECT_EQ(labels.shape(), (Shape{10000}));
}

TEST(IdxTest, ReadsSmallFiles) {
  TempDir dir;
  std::string images = dir.file("images.gz"), labels = dir.file("labels.gz");
  writeGz(images, smallImages());
  writeGz(labels, smallLabels());
  HostTensor t;
  std::string error;
  ASSERT_TRUE(readIdxImages(images, -1, t, error)) << error;
  EXPECT_EQ(t.shape(), (Shape{2, 6}));
  EXPECT_EQ(t.as<float>()[0], 0.0f);
  EXPECT_EQ(t.as<float>()[1], 1.0f);
  EXPECT_FLOAT_EQ(t.as<float>()[2], 0.2f);
  EXPECT_FLOAT_EQ(t.as<float>()[11], 6 / 255.0f);

  ASSERT_TRUE(readIdxImages(images, 1, t, error)) << error;
  EXPECT_EQ(t.shape(), (Shape{1, 6}));
  ASSERT_TRUE(readIdxImages(images, 0, t, error)) << error;
  EXPECT_EQ(t.shape(), (Shape{0, 6}));

  // Labels are passed through, even ones past 9.
  ASSERT_TRUE(readIdxLabels(labels, -1, t, error)) << error;
  EXPECT_EQ(t.shape(), (Shape{3}));
  EXPECT_EQ(std::vector<int32_t>(t.as<int32_t>(), t.as<int32_t>() + 3),
            (std::vector<int32_t>{9, 0, 254}));

  // zlib reads uncompressed files as they are.
  std::string plain = dir.file("plain");
  FILE *f = std::fopen(plain.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::string raw = smallLabels();
  std::fwrite(raw.data(), 1, raw.size(), f);
  std::fclose(f);
  ASSERT_TRUE(readIdxLabels(plain, -1, t, error)) << error;
  EXPECT_EQ(t.shape(), (Shape{3}));
}

TEST(IdxTest, RefusesWrongMagic) {
  TempDir dir;
  std::string images = dir.file("images.gz"), labels = dir.file("labels.gz");
  writeGz(images, smallImages());
  writeGz(labels, smallLabels());
  HostTensor t;
  std::string error;
  EXPECT_FALSE(readIdxImages(labels, -1, t, error));
  EXPECT_EQ(error, labels + ": not an IDX image file (magic 0x00000801, "
                            "expected 0x00000803)");
  EXPECT_FALSE(readIdxLabels(images, -1, t, error));
  EXPECT_EQ(error, images + ": not an IDX label file (magic 0x00000803, "
                            "expected 0x00000801)");
}

TEST(IdxTest, RefusesTruncatedFiles) {
  TempDir dir;
  std::string path = dir.file("cut.gz");
  HostTensor t;
  std::string error;
  std::string full = smallImages();
  for (size_t n = 0; n < full.size(); ++n) {
    writeGz(path, full.substr(0, n));
    EXPECT_FALSE(readIdxImages(path, -1, t, error)) << "cut at " << n;
    EXPECT_NE(error.find(": truncated: expected "), std::string::npos) << error;
  }
  writeGz(path, full.substr(0, 23));
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error, path + ": truncated: expected 12 bytes of pixels, got 7");
  writeGz(path, full.substr(0, 9));
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error, path + ": truncated: expected 16 bytes of header, got 9");
  // A limit within the data present is fine.
  writeGz(path, full.substr(0, 22));
  EXPECT_TRUE(readIdxImages(path, 1, t, error)) << error;

  // A header that claims four billion images costs nothing up front.
  writeGz(path, be32(0x803) + be32(0xffffffffu) + be32(28) + be32(28) +
                    std::string(784, '\x10'));
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error, path + ": truncated: expected 3367254359280 bytes of "
                          "pixels, got 784");
}

TEST(IdxTest, RefusesTrailingDataAndCorruptStreams) {
  TempDir dir;
  std::string path = dir.file("x.gz");
  HostTensor t;
  std::string error;
  writeGz(path, smallLabels() + "!");
  EXPECT_FALSE(readIdxLabels(path, -1, t, error));
  EXPECT_EQ(error,
            path + ": unexpected data after the 3 labels the header declares");
  EXPECT_TRUE(readIdxLabels(path, 2, t, error)) << error;

  // A gzip stream cut in the middle of its compressed data.
  std::string whole = dir.file("whole.gz");
  writeGz(whole, smallImages());
  FILE *f = std::fopen(whole.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::vector<char> gz(4096);
  gz.resize(std::fread(gz.data(), 1, gz.size(), f));
  std::fclose(f);
  f = std::fopen(path.c_str(), "wb");
  std::fwrite(gz.data(), 1, gz.size() - 12, f);
  std::fclose(f);
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;

  // A damaged CRC is caught when the file is read to its end.
  gz[gz.size() - 8] ^= 0x55;
  f = std::fopen(path.c_str(), "wb");
  std::fwrite(gz.data(), 1, gz.size(), f);
  std::fclose(f);
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error, path + ": read error: incorrect data check");
}

TEST(IdxTest, RefusesMissingFileAndZeroDims) {
  TempDir dir;
  HostTensor t;
  std::string error, missing = dir.file("missing.gz");
  EXPECT_FALSE(readIdxImages(missing, -1, t, error));
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");

  std::string path = dir.file("zero.gz");
  writeGz(path, be32(0x803) + be32(1) + be32(0) + be32(28));
  EXPECT_FALSE(readIdxImages(path, -1, t, error));
  EXPECT_EQ(error, path + ": a dimension is 0 (dims 1x0)");
}
