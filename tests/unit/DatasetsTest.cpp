//===- DatasetsTest.cpp - Training data and batches -----------------------===//
//
// The synthetic sets must follow the functions their header documents and
// be the same for a seed; the batcher must cover each epoch with a
// permutation and pad only evaluation batches; Fashion-MNIST must load from
// the real files (skipped where the Debian package is absent) and fail
// clearly on missing or damaged ones, written here.
//
//===----------------------------------------------------------------------===//
#include "TempDir.h"
#include "kiln/tools/Datasets.h"
#include "kiln/tools/Idx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <zlib.h>

using namespace kiln;
using namespace kiln::test;

namespace {

bool sameBytes(const HostTensor &a, const HostTensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

bool sameData(const Dataset &a, const Dataset &b) {
  if (a.tensors.size() != b.tensors.size())
    return false;
  for (const auto &[name, t] : a.tensors) {
    auto it = b.tensors.find(name);
    if (it == b.tensors.end() || !sameBytes(t, it->second))
      return false;
  }
  return true;
}

void expectTensor(const Dataset &d, const std::string &name, DType dtype,
                  const Shape &shape) {
  auto it = d.tensors.find(name);
  ASSERT_NE(it, d.tensors.end()) << name;
  EXPECT_EQ(checkTensor(it->second, name, dtype, shape), "");
}

/// A dataset of n examples whose rows say which example they are: "a" f32
/// [n, 2] = (i, -i), "b" i32 [n] = i.
Dataset numbered(int64_t n) {
  Dataset d;
  HostTensor a(DType::F32, {n, 2}), b(DType::I32, {n});
  for (int64_t i = 0; i < n; ++i) {
    a.as<float>()[2 * i] = (float)i;
    a.as<float>()[2 * i + 1] = (float)-i;
    b.as<int32_t>()[i] = (int32_t)i;
  }
  d.tensors.emplace("a", std::move(a));
  d.tensors.emplace("b", std::move(b));
  return d;
}

std::string be32(uint32_t v) {
  return {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
}

void writeGz(const std::string &path, const std::string &data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, data.data(), (unsigned)data.size()), (int)data.size());
  ASSERT_EQ(gzclose(f), Z_OK);
}

/// A Fashion-MNIST test set of `images` images and `labels` labels in `dir`.
void writeSmallFashion(const std::string &dir, uint32_t images,
                       uint32_t labels) {
  std::string pixels(784 * images, 0);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = (char)(i * i % 251); // not too compressible
  writeGz(dir + "/" + kFashionMnistTestImages,
          be32(0x803) + be32(images) + be32(28) + be32(28) + pixels);
  writeGz(dir + "/" + kFashionMnistTestLabels,
          be32(0x801) + be32(labels) + std::string(labels, '\x03'));
}

} // namespace

TEST(DatasetsTest, SyntheticShapesAndNames) {
  std::string error;
  Dataset lin = linregData();
  expectTensor(lin, "x", DType::F32, {4, 1});
  expectTensor(lin, "y", DType::F32, {4, 1});
  const float *x = lin.tensors.at("x").as<float>();
  const float *y = lin.tensors.at("y").as<float>();
  EXPECT_EQ(std::vector<float>(x, x + 4), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(std::vector<float>(y, y + 4), (std::vector<float>{4, 5, 7, 9}));

  Dataset house = houseData(100, 1);
  expectTensor(house, "features", DType::F32, {100, 13});
  expectTensor(house, "price", DType::F32, {100, 1});
  Dataset binary = binaryData(50, 1);
  expectTensor(binary, "features", DType::F32, {50, 3});
  expectTensor(binary, "label", DType::F32, {50, 1});
  Dataset images = imageData(4, 1);
  expectTensor(images, "image", DType::F32, {4, 150, 150, 3});
  expectTensor(images, "label", DType::F32, {4, 1});
  Dataset tokens = tokenData(8, 1);
  expectTensor(tokens, "tokens", DType::I32, {8, 64});
  expectTensor(tokens, "label", DType::I32, {8, 64});
  for (const Dataset *d : {&lin, &house, &binary, &images, &tokens})
    EXPECT_TRUE(d->check(error)) << error;
  EXPECT_EQ(house.size(), 100);
  EXPECT_EQ(houseData(0, 1).size(), 0);
}

TEST(DatasetsTest, SameSeedSameData) {
  EXPECT_TRUE(sameData(houseData(64, 7), houseData(64, 7)));
  EXPECT_TRUE(sameData(binaryData(64, 7), binaryData(64, 7)));
  EXPECT_TRUE(sameData(imageData(3, 7), imageData(3, 7)));
  EXPECT_TRUE(sameData(tokenData(5, 7), tokenData(5, 7)));
  EXPECT_FALSE(sameData(houseData(64, 7), houseData(64, 8)));
  EXPECT_FALSE(sameData(binaryData(64, 7), binaryData(64, 8)));
  EXPECT_FALSE(sameData(imageData(3, 7), imageData(3, 8)));
  EXPECT_FALSE(sameData(tokenData(5, 7), tokenData(5, 8)));
  // Pinned: a change of generator would silently change every run's data.
  Dataset pinned = tokenData(1, 0);
  const int32_t *t = pinned.tensors.at("tokens").as<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(t, t + 6),
            (std::vector<int32_t>{789, 366, 609, 821, 384, 843}));
}

TEST(DatasetsTest, HouseFollowsItsFunction) {
  const double w[13] = {0.6,  -0.4, 0.3,   0,    -0.2, 0.8, 0.1,
                        -0.5, 0.25, -0.15, 0.05, 0.35, -0.7};
  int64_t n = 4000;
  Dataset d = houseData(n, 3);
  const float *x = d.tensors.at("features").as<float>();
  const float *price = d.tensors.at("price").as<float>();
  double noise = 0, mean = 0;
  for (int64_t i = 0; i < n; ++i, x += 13) {
    double f = 0.5 * x[0] * x[1];
    for (int j = 0; j < 13; ++j)
      f += w[j] * x[j];
    noise += (price[i] - f) * (price[i] - f);
    mean += price[i];
  }
  EXPECT_NEAR(std::sqrt(noise / n), 0.1, 0.01);
  EXPECT_NEAR(mean / n, 0, 0.1);
}

TEST(DatasetsTest, BinaryFollowsItsRule) {
  int64_t n = 4000;
  Dataset d = binaryData(n, 3);
  const float *x = d.tensors.at("features").as<float>();
  const float *label = d.tensors.at("label").as<float>();
  double r2 = std::pow(3 / 3.14159265358979323846, 2.0 / 3.0);
  int64_t ones = 0;
  for (int64_t i = 0; i < n; ++i, x += 3) {
    double d2 = 0;
    for (int j = 0; j < 3; ++j) {
      ASSERT_TRUE(x[j] >= -1 && x[j] < 1) << x[j];
      d2 += (double)x[j] * x[j];
    }
    ASSERT_EQ(label[i], d2 < r2 ? 1.0f : 0.0f) << "example " << i;
    ones += label[i] == 1.0f;
  }
  EXPECT_NEAR((double)ones / n, 0.5, 0.03);
}

TEST(DatasetsTest, ImagesShowTheirLabel) {
  int64_t n = 40;
  Dataset d = imageData(n, 3);
  const float *px = d.tensors.at("image").as<float>();
  const float *label = d.tensors.at("label").as<float>();
  int64_t ones = 0;
  for (int64_t i = 0; i < n; ++i) {
    double left = 0, right = 0;
    for (int64_t k = 0; k < 150 * 150 * 3; ++k) {
      float v = px[i * 150 * 150 * 3 + k];
      ASSERT_TRUE(v >= 0 && v <= 1) << v;
      ((k / 3) % 150 < 75 ? left : right) += v;
    }
    EXPECT_EQ(label[i], right > left ? 1.0f : 0.0f) << "image " << i;
    ones += label[i] == 1.0f;
  }
  EXPECT_GT(ones, 5);
  EXPECT_LT(ones, n - 5);
}

TEST(DatasetsTest, TokensFollowTheirRule) {
  int64_t n = 64;
  Dataset d = tokenData(n, 3);
  const int32_t *tok = d.tensors.at("tokens").as<int32_t>();
  const int32_t *label = d.tensors.at("label").as<int32_t>();
  std::set<int32_t> seen;
  for (int64_t i = 0; i < n * 64; ++i) {
    ASSERT_TRUE(tok[i] >= 0 && tok[i] < 1000) << tok[i];
    ASSERT_EQ(label[i], (tok[i] + 1) % 1000);
    seen.insert(tok[i]);
  }
  EXPECT_GT(seen.size(), 950u); // 4096 draws leave ~2% of 1000 unseen
}

TEST(DatasetsTest, ModelDatasets) {
  std::string error;
  Dataset train, test;
  for (const char *model : {"house_mlp", "binary_mlp", "cnn",
                            "text_transformer"}) {
    ASSERT_TRUE(modelDatasets(model, "", 5, 16, train, test, error))
        << model << ": " << error;
    EXPECT_EQ(train.size(), 16) << model;
    EXPECT_EQ(test.size(), 16) << model;
    EXPECT_FALSE(sameData(train, test)) << model;
  }
  ASSERT_TRUE(modelDatasets("house_mlp", "", 5, -1, train, test, error));
  EXPECT_EQ(train.size(), 4096);
  EXPECT_EQ(test.size(), 1024);
  ASSERT_TRUE(modelDatasets("linreg", "", 5, 2, train, test, error));
  EXPECT_TRUE(sameData(train, linregData()));
  EXPECT_TRUE(sameData(test, linregData()));

  EXPECT_FALSE(modelDatasets("norm_chain", "", 5, -1, train, test, error));
  EXPECT_EQ(error, "no training data for model 'norm_chain' (there is for "
                   "linreg, house_mlp, binary_mlp, fashion_mlp, cnn, "
                   "text_transformer)");
  TempDir dir;
  std::string missing = dir.file("none");
  EXPECT_FALSE(modelDatasets("fashion_mlp", missing, 5, -1, train, test,
                             error));
  EXPECT_EQ(error.rfind("Fashion-MNIST directory '" + missing +
                            "' does not exist",
                        0),
            0u)
      << error;
}

TEST(DatasetsTest, PermutationsDependOnSeedAndEpoch) {
  for (int64_t n : {0, 1, 2, 10, 1000}) {
    std::vector<int64_t> p = Batcher::permutation(n, 42, 0);
    std::vector<int64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(sorted[i], i) << "n = " << n;
    EXPECT_EQ(p, Batcher::permutation(n, 42, 0));
  }
  std::vector<int64_t> p0 = Batcher::permutation(1000, 42, 0);
  EXPECT_NE(p0, Batcher::permutation(1000, 42, 1));
  EXPECT_NE(p0, Batcher::permutation(1000, 43, 0));
  // Pinned, as the tokens are: resuming a run relies on it.
  EXPECT_EQ(Batcher::permutation(10, 42, 0),
            (std::vector<int64_t>{4, 9, 3, 5, 1, 2, 6, 7, 0, 8}));
}

TEST(DatasetsTest, ShuffledBatchesCoverEachEpoch) {
  Dataset data = numbered(10);
  std::string error;
  auto batches = Batcher::create(data, 3, BatchOrder::Shuffled, 9, error);
  ASSERT_TRUE(batches) << error;
  EXPECT_EQ(batches->numBatches(), 3);
  std::set<int64_t> everSeen;
  std::vector<std::vector<int64_t>> epochs;
  for (int64_t epoch = 0; epoch < 8; ++epoch) {
    std::vector<int64_t> order = Batcher::permutation(10, 9, epoch), seen;
    Dataset batch;
    int64_t count = 0;
    for (batches->startEpoch(epoch); batches->next(); ++count) {
      EXPECT_EQ(batches->batchIndex(), count);
      ASSERT_EQ(batches->validRows(), 3);
      ASSERT_TRUE(batches->fill(batch, error)) << error;
      expectTensor(batch, "a", DType::F32, {3, 2});
      expectTensor(batch, "b", DType::I32, {3});
      for (int64_t r = 0; r < 3; ++r) {
        int64_t example = batches->rows()[r];
        EXPECT_EQ(example, order[count * 3 + r]);
        EXPECT_EQ(batch.tensors.at("b").as<int32_t>()[r], example);
        EXPECT_EQ(batch.tensors.at("a").as<float>()[2 * r], example);
        EXPECT_EQ(batch.tensors.at("a").as<float>()[2 * r + 1], -example);
        seen.push_back(example);
      }
    }
    EXPECT_EQ(count, 3);
    EXPECT_FALSE(batches->next());
    // Nine different examples; the tenth is left for another epoch.
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 9u);
    everSeen.insert(seen.begin(), seen.end());
    epochs.push_back(seen);
  }
  EXPECT_EQ(everSeen.size(), 10u);
  EXPECT_NE(epochs[0], epochs[1]);

  // A resumed epoch sees the batches an unbroken one would have.
  batches->startEpoch(5, 2);
  ASSERT_TRUE(batches->next());
  EXPECT_EQ(batches->batchIndex(), 2);
  EXPECT_EQ(std::vector<int64_t>(batches->rows(), batches->rows() + 3),
            std::vector<int64_t>(epochs[5].begin() + 6, epochs[5].end()));
  EXPECT_FALSE(batches->next());
}

TEST(DatasetsTest, InOrderBatchesPadTheLast) {
  Dataset data = numbered(10);
  std::string error;
  auto batches = Batcher::create(data, 4, BatchOrder::InOrder, 0, error);
  ASSERT_TRUE(batches) << error;
  EXPECT_EQ(batches->numBatches(), 3);
  HostTensor b;
  std::vector<int64_t> valid;
  const void *storage = nullptr;
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    int64_t next = 0;
    for (batches->startEpoch(epoch); batches->next();) {
      valid.push_back(batches->validRows());
      ASSERT_TRUE(batches->fill("b", b, error)) << error;
      ASSERT_EQ(b.shape(), (Shape{4}));
      if (!storage)
        storage = b.data();
      EXPECT_EQ(b.data(), storage) << "a tensor of the right shape is reused";
      for (int64_t r = 0; r < 4; ++r)
        EXPECT_EQ(b.as<int32_t>()[r], r < valid.back() ? next + r : 0);
      next += valid.back();
    }
    EXPECT_EQ(next, 10);
  }
  EXPECT_EQ(valid, (std::vector<int64_t>{4, 4, 2, 4, 4, 2}));

  // Fewer examples than a batch: one padded batch.
  Dataset three = numbered(3);
  batches = Batcher::create(three, 8, BatchOrder::InOrder, 0, error);
  ASSERT_TRUE(batches) << error;
  ASSERT_TRUE(batches->next());
  EXPECT_EQ(batches->validRows(), 3);
  ASSERT_TRUE(batches->fill("a", b, error)) << error;
  EXPECT_EQ(b.shape(), (Shape{8, 2}));
  EXPECT_EQ(b.as<float>()[4], 2.0f);
  EXPECT_EQ(b.as<float>()[6], 0.0f);
  EXPECT_FALSE(batches->next());
}

TEST(DatasetsTest, BatcherErrors) {
  std::string error;
  Dataset data = numbered(10);
  EXPECT_FALSE(Batcher::create(data, 0, BatchOrder::Shuffled, 0, error));
  EXPECT_EQ(error, "batch size must be at least 1, got 0");
  EXPECT_FALSE(Batcher::create(data, 11, BatchOrder::Shuffled, 0, error));
  EXPECT_EQ(error, "dataset of 10 examples holds no whole batch of 11");
  Dataset empty;
  EXPECT_FALSE(Batcher::create(empty, 1, BatchOrder::InOrder, 0, error));
  EXPECT_EQ(error, "dataset has no tensors");

  Dataset uneven = numbered(10);
  uneven.tensors["c"] = HostTensor(DType::F32, {9, 1});
  EXPECT_FALSE(Batcher::create(uneven, 2, BatchOrder::InOrder, 0, error));
  EXPECT_EQ(error, "dataset tensors disagree on the number of examples: 'a' "
                   "is [10, 2], 'c' is [9, 1]");
  Dataset scalar = numbered(10);
  scalar.tensors["s"] = HostTensor(DType::F32, {});
  EXPECT_FALSE(Batcher::create(scalar, 2, BatchOrder::InOrder, 0, error));
  EXPECT_EQ(error, "dataset tensor 's' is a scalar; every tensor needs a "
                   "first dim, the example count");

  auto batches = Batcher::create(data, 2, BatchOrder::InOrder, 0, error);
  ASSERT_TRUE(batches) << error;
  HostTensor t;
  EXPECT_FALSE(batches->fill("a", t, error));
  EXPECT_EQ(error, "no current batch: call next() first");
  ASSERT_TRUE(batches->next());
  EXPECT_FALSE(batches->fill("label", t, error));
  EXPECT_EQ(error, "the dataset has no tensor 'label'");
}

TEST(DatasetsTest, LoadsFashionMnist) {
  std::string dir = fashionMnistDir();
  if (!std::filesystem::exists(dir + "/" + kFashionMnistTestImages) ||
      !std::filesystem::exists(dir + "/" + kFashionMnistTrainImages))
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << dir
                 << " (Debian package dataset-fashion-mnist)";
  Dataset test, train;
  std::string error;
  ASSERT_TRUE(loadFashionMnist(dir, false, -1, test, error)) << error;
  expectTensor(test, "image", DType::F32, {10000, 784});
  expectTensor(test, "label", DType::I32, {10000});
  const int32_t *l = test.tensors.at("label").as<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(l, l + 5),
            (std::vector<int32_t>{9, 2, 1, 1, 6}));
  const float *px = test.tensors.at("image").as<float>();
  EXPECT_TRUE(std::all_of(px, px + 10000 * 784,
                          [](float v) { return v >= 0 && v <= 1; }));

  ASSERT_TRUE(loadFashionMnist(dir, true, 100, train, error)) << error;
  expectTensor(train, "image", DType::F32, {100, 784});
  expectTensor(train, "label", DType::I32, {100});
  EXPECT_TRUE(train.check(error)) << error;
}

TEST(DatasetsTest, FashionMnistErrorsNameTheFile) {
  TempDir dir;
  Dataset out = numbered(2);
  std::string error, missing = dir.file("no-such-dir");
  EXPECT_FALSE(loadFashionMnist(missing, false, -1, out, error));
  EXPECT_EQ(error, "Fashion-MNIST directory '" + missing +
                       "' does not exist (Debian's dataset-fashion-mnist "
                       "installs the dataset in "
                       "/usr/share/datasets/fashion-mnist)");
  EXPECT_TRUE(sameData(out, numbered(2))) << "a failed load changes nothing";

  std::string images = dir.file(kFashionMnistTestImages),
              labels = dir.file(kFashionMnistTestLabels);
  EXPECT_FALSE(loadFashionMnist(dir.path(), false, -1, out, error));
  EXPECT_EQ(error, images + ": cannot open: No such file or directory");

  writeSmallFashion(dir.path(), 3, 3);
  ASSERT_TRUE(loadFashionMnist(dir.path(), false, -1, out, error)) << error;
  expectTensor(out, "image", DType::F32, {3, 784});
  EXPECT_EQ(out.tensors.at("label").as<int32_t>()[2], 3);

  writeSmallFashion(dir.path(), 3, 2);
  EXPECT_FALSE(loadFashionMnist(dir.path(), false, -1, out, error));
  EXPECT_EQ(error, images + " holds 3 images but " + labels + " holds 2 labels");

  // A .gz cut short: the compressed stream ends before its data.
  writeSmallFashion(dir.path(), 3, 3);
  std::string gz = slurp(images);
  spit(images, gz.substr(0, gz.size() / 2));
  EXPECT_FALSE(loadFashionMnist(dir.path(), false, -1, out, error));
  EXPECT_EQ(error.rfind(images + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  writeSmallFashion(dir.path(), 3, 3);
  writeGz(labels, be32(0x801) + be32(3) + "\x01\x0a\x02");
  EXPECT_FALSE(loadFashionMnist(dir.path(), false, -1, out, error));
  EXPECT_EQ(error, labels + ": label 1 is 10, expected 0..9");
  EXPECT_EQ(out.size(), 3) << "the last good load is kept";
}

TEST(DatasetsTest, FashionMnistUnpacked) {
  // The files without .gz, as gunzip leaves them, are read the same.
  TempDir packed, unpacked;
  writeSmallFashion(packed.path(), 3, 3);
  for (const char *name : {kFashionMnistTestImages, kFashionMnistTestLabels}) {
    gzFile f = gzopen(packed.file(name).c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::string data(1 << 16, '\0');
    int n = gzread(f, data.data(), (unsigned)data.size());
    gzclose(f);
    ASSERT_GT(n, 0);
    std::string plain = unpacked.file(name);
    spit(plain.substr(0, plain.size() - 3), data.substr(0, n));
  }
  Dataset a, b;
  std::string error;
  ASSERT_TRUE(loadFashionMnist(packed.path(), false, -1, a, error)) << error;
  ASSERT_TRUE(loadFashionMnist(unpacked.path(), false, -1, b, error)) << error;
  EXPECT_TRUE(sameData(a, b));
}
