//===- Datasets.cpp - Training data for the seed models -------------------===//
//
// The random numbers here come from splitmix64 with kiln's own uniform,
// bounded and normal draws, because the shuffles and synthetic sets must be
// the same bytes wherever kiln is built: <random>'s distributions (and
// std::shuffle) are implementation-defined.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Datasets.h"
#include "kiln/tools/Idx.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <sys/stat.h>

namespace kiln {

namespace {

constexpr double kPi = 3.14159265358979323846;

/// splitmix64's finalizer: a good 64-bit mix of `z`.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// A seed for stream `stream` of `seed`, so that streams (generators,
/// epochs) of one seed are unrelated.
uint64_t streamSeed(uint64_t seed, uint64_t stream) {
  return mix(seed ^ mix(stream + 0x632be59bd9b4e019ull));
}

class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix(state_ += 0x9e3779b97f4a7c15ull); }
  /// Uniform in [0, 1), 53 bits.
  double uniform() { return (double)(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform in [0, n), n >= 1, without modulo bias.
  uint64_t below(uint64_t n) {
    uint64_t threshold = (0 - n) % n; // 2^64 mod n
    for (;;) {
      uint64_t r = next();
      if (r >= threshold)
        return r % n;
    }
  }
  /// N(0, 1) by Box-Muller (one of the pair, for simplicity).
  double normal() {
    double u = 1.0 - uniform(); // (0, 1]: log is finite
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * kPi * uniform());
  }

private:
  uint64_t state_;
};

// One stream per generator, so that houseData(n, s) and binaryData(n, s)
// are not built from the same numbers.
enum Stream : uint64_t { kHouse = 1, kBinary, kImage, kToken, kEpoch = 1000 };

} // namespace

int64_t Dataset::size() const {
  if (tensors.empty() || tensors.begin()->second.shape().empty())
    return 0;
  return tensors.begin()->second.shape()[0];
}

bool Dataset::check(std::string &error) const {
  if (tensors.empty()) {
    error = "dataset has no tensors";
    return false;
  }
  const auto &[firstName, first] = *tensors.begin();
  for (const auto &[name, t] : tensors) {
    if (t.shape().empty()) {
      error = "dataset tensor '" + name + "' is a scalar; every tensor " +
              "needs a first dim, the example count";
      return false;
    }
    if (t.shape()[0] != first.shape()[0]) {
      error = "dataset tensors disagree on the number of examples: '" +
              firstName + "' is " + toString(first.shape()) + ", '" + name +
              "' is " + toString(t.shape());
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Fashion-MNIST
//===----------------------------------------------------------------------===//

bool loadFashionMnist(const std::string &dir, bool train, int64_t limit,
                      Dataset &out, std::string &error) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "Fashion-MNIST directory '" + dir +
            "' does not exist (Debian's dataset-fashion-mnist installs the "
            "dataset in " +
            fashionMnistDir() + ")";
    return false;
  }
  std::string imagesFile = idxFileIn(
      dir, train ? kFashionMnistTrainImages : kFashionMnistTestImages);
  std::string labelsFile = idxFileIn(
      dir, train ? kFashionMnistTrainLabels : kFashionMnistTestLabels);
  HostTensor images, labels;
  int64_t imageCount = 0, labelCount = 0;
  if (!readIdxImages(imagesFile, limit, images, error, &imageCount) ||
      !readIdxLabels(labelsFile, limit, labels, error, &labelCount))
    return false;
  if (images.shape()[1] != 784) {
    error = imagesFile + ": images of " + std::to_string(images.shape()[1]) +
            " pixels, expected 784 (28x28)";
    return false;
  }
  // The headers' counts, not those read: a limit reads as many of each.
  if (imageCount != labelCount) {
    error = imagesFile + " holds " + std::to_string(imageCount) +
            " images but " + labelsFile + " holds " +
            std::to_string(labelCount) + " labels";
    return false;
  }
  const int32_t *l = labels.as<int32_t>();
  for (int64_t i = 0; i < labels.size(); ++i)
    if (l[i] < 0 || l[i] > 9) {
      error = labelsFile + ": label " + std::to_string(i) + " is " +
              std::to_string(l[i]) + ", expected 0..9";
      return false;
    }
  Dataset data;
  data.tensors.emplace("image", std::move(images));
  data.tensors.emplace("label", std::move(labels));
  out = std::move(data);
  return true;
}

//===----------------------------------------------------------------------===//
// Synthetic data
//===----------------------------------------------------------------------===//

Dataset linregData() {
  Dataset data;
  HostTensor x(DType::F32, {4, 1}), y(DType::F32, {4, 1});
  const float xs[] = {2, 4, 6, 8}, ys[] = {4, 5, 7, 9};
  std::memcpy(x.data(), xs, sizeof xs);
  std::memcpy(y.data(), ys, sizeof ys);
  data.tensors.emplace("x", std::move(x));
  data.tensors.emplace("y", std::move(y));
  return data;
}

Dataset houseData(int64_t n, uint64_t seed) {
  static const double kW[13] = {0.6,  -0.4, 0.3,   0,    -0.2, 0.8, 0.1,
                                -0.5, 0.25, -0.15, 0.05, 0.35, -0.7};
  n = std::max<int64_t>(n, 0);
  Rng rng(streamSeed(seed, kHouse));
  HostTensor features(DType::F32, {n, 13}), price(DType::F32, {n, 1});
  float *x = features.as<float>();
  for (int64_t i = 0; i < n; ++i, x += 13) {
    double y = 0;
    for (int j = 0; j < 13; ++j) {
      x[j] = (float)rng.normal();
      y += kW[j] * x[j];
    }
    y += 0.5 * x[0] * x[1] + 0.1 * rng.normal();
    price.as<float>()[i] = (float)y;
  }
  Dataset data;
  data.tensors.emplace("features", std::move(features));
  data.tensors.emplace("price", std::move(price));
  return data;
}

Dataset binaryData(int64_t n, uint64_t seed) {
  const double r2 = std::pow(3 / kPi, 2.0 / 3.0); // half the cube's volume
  n = std::max<int64_t>(n, 0);
  Rng rng(streamSeed(seed, kBinary));
  HostTensor features(DType::F32, {n, 3}), label(DType::F32, {n, 1});
  float *x = features.as<float>();
  for (int64_t i = 0; i < n; ++i, x += 3) {
    double d2 = 0;
    for (int j = 0; j < 3; ++j) {
      x[j] = (float)rng.uniform(-1, 1);
      d2 += (double)x[j] * x[j];
    }
    label.as<float>()[i] = d2 < r2 ? 1.0f : 0.0f;
  }
  Dataset data;
  data.tensors.emplace("features", std::move(features));
  data.tensors.emplace("label", std::move(label));
  return data;
}

Dataset imageData(int64_t n, uint64_t seed) {
  constexpr int64_t kSide = 150, kChannels = 3;
  n = std::max<int64_t>(n, 0);
  Rng rng(streamSeed(seed, kImage));
  HostTensor image(DType::F32, {n, kSide, kSide, kChannels}),
      label(DType::F32, {n, 1});
  float *px = image.as<float>();
  for (int64_t i = 0; i < n; ++i, px += kSide * kSide * kChannels) {
    for (int64_t k = 0; k < kSide * kSide * kChannels; ++k)
      px[k] = (float)rng.uniform(0, 0.25);
    bool right = rng.below(2);
    double cy = rng.uniform(20, 130);
    double cx = right ? rng.uniform(90, 135) : rng.uniform(15, 60);
    double sigma = rng.uniform(6, 12);
    // Beyond 4 sigma the bump is below 0.7 * e^-8: nothing to add.
    int64_t y0 = std::max<int64_t>(0, (int64_t)(cy - 4 * sigma)),
            y1 = std::min<int64_t>(kSide, (int64_t)(cy + 4 * sigma) + 1),
            x0 = std::max<int64_t>(0, (int64_t)(cx - 4 * sigma)),
            x1 = std::min<int64_t>(kSide, (int64_t)(cx + 4 * sigma) + 1);
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) {
        double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        float bump = (float)(0.7 * std::exp(-d2 / (2 * sigma * sigma)));
        float *p = px + (y * kSide + x) * kChannels;
        for (int64_t c = 0; c < kChannels; ++c)
          p[c] = std::min(1.0f, p[c] + bump);
      }
    label.as<float>()[i] = right ? 1.0f : 0.0f;
  }
  Dataset data;
  data.tensors.emplace("image", std::move(image));
  data.tensors.emplace("label", std::move(label));
  return data;
}

Dataset tokenData(int64_t n, uint64_t seed) {
  constexpr int64_t kSeqLen = 64, kVocab = 1000;
  n = std::max<int64_t>(n, 0);
  Rng rng(streamSeed(seed, kToken));
  HostTensor tokens(DType::I32, {n, kSeqLen}), label(DType::I32, {n, kSeqLen});
  for (int64_t i = 0; i < n * kSeqLen; ++i) {
    int32_t t = (int32_t)rng.below(kVocab);
    tokens.as<int32_t>()[i] = t;
    label.as<int32_t>()[i] = (t + 1) % kVocab;
  }
  Dataset data;
  data.tensors.emplace("tokens", std::move(tokens));
  data.tensors.emplace("label", std::move(label));
  return data;
}

bool modelDatasets(const std::string &model, const std::string &fashionDir,
                   uint64_t seed, int64_t limit, Dataset &train, Dataset &test,
                   std::string &error) {
  auto cap = [&](int64_t n) { return limit < 0 ? n : std::min(n, limit); };
  uint64_t testSeed = mix(seed ^ 0x7e57da7a5eedull);
  Dataset trainSet, testSet;
  try {
    if (model == "linreg") {
      // Four points, not to be cut: the model's batch is 4.
      trainSet = testSet = linregData();
    } else if (model == "fashion_mlp") {
      if (!loadFashionMnist(fashionDir, true, cap(60000), trainSet, error) ||
          !loadFashionMnist(fashionDir, false, cap(10000), testSet, error))
        return false;
    } else {
      Dataset (*generate)(int64_t, uint64_t) = nullptr;
      int64_t trainSize = 0, testSize = 0;
      if (model == "house_mlp" || model == "binary_mlp") {
        generate = model == "house_mlp" ? houseData : binaryData;
        trainSize = 4096;
        testSize = 1024;
      } else if (model == "cnn") {
        generate = imageData;
        trainSize = 256;
        testSize = 64;
      } else if (model == "text_transformer") {
        generate = tokenData;
        trainSize = 512;
        testSize = 128;
      } else {
        error = "no training data for model '" + model +
                "' (there is for linreg, house_mlp, binary_mlp, fashion_mlp, "
                "cnn, text_transformer)";
        return false;
      }
      trainSet = generate(cap(trainSize), seed);
      testSet = generate(cap(testSize), testSeed);
    }
  } catch (const std::exception &) { // bad_alloc from HostTensor
    error = "out of memory making the data for model '" + model + "'";
    return false;
  }
  train = std::move(trainSet);
  test = std::move(testSet);
  return true;
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

Batcher::Batcher(const Dataset &data, int64_t batchSize, BatchOrder order,
                 uint64_t seed)
    : data_(data), batchSize_(batchSize), order_(order), seed_(seed) {}

std::unique_ptr<Batcher> Batcher::create(const Dataset &data,
                                         int64_t batchSize, BatchOrder order,
                                         uint64_t seed, std::string &error) {
  if (!data.check(error))
    return nullptr;
  if (batchSize < 1) {
    error = "batch size must be at least 1, got " + std::to_string(batchSize);
    return nullptr;
  }
  if (order == BatchOrder::Shuffled && data.size() < batchSize) {
    error = "dataset of " + std::to_string(data.size()) +
            " examples holds no whole batch of " + std::to_string(batchSize);
    return nullptr;
  }
  std::unique_ptr<Batcher> b(new Batcher(data, batchSize, order, seed));
  b->startEpoch(0);
  return b;
}

int64_t Batcher::numBatches() const {
  int64_t n = data_.size();
  return order_ == BatchOrder::Shuffled ? n / batchSize_
                                        : (n + batchSize_ - 1) / batchSize_;
}

std::vector<int64_t> Batcher::permutation(int64_t n, uint64_t seed,
                                          int64_t epoch) {
  std::vector<int64_t> p(std::max<int64_t>(n, 0));
  std::iota(p.begin(), p.end(), 0);
  Rng rng(streamSeed(seed, kEpoch + (uint64_t)epoch));
  // Fisher-Yates.
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[rng.below((uint64_t)i + 1)]);
  return p;
}

void Batcher::startEpoch(int64_t epoch, int64_t firstBatch) {
  if (order_ == BatchOrder::Shuffled) {
    examples_ = permutation(data_.size(), seed_, epoch);
  } else if ((int64_t)examples_.size() != data_.size()) {
    examples_.resize(data_.size());
    std::iota(examples_.begin(), examples_.end(), 0);
  }
  next_ = std::clamp<int64_t>(firstBatch, 0, numBatches());
  batch_ = -1;
}

bool Batcher::next() {
  if (next_ >= numBatches()) {
    batch_ = -1;
    return false;
  }
  batch_ = next_++;
  return true;
}

const int64_t *Batcher::rows() const {
  return batch_ < 0 ? nullptr : examples_.data() + batch_ * batchSize_;
}

int64_t Batcher::validRows() const {
  if (batch_ < 0)
    return 0;
  return std::min(batchSize_, data_.size() - batch_ * batchSize_);
}

bool Batcher::fill(const std::string &name, HostTensor &dst,
                   std::string &error) const {
  auto it = data_.tensors.find(name);
  if (it == data_.tensors.end()) {
    error = "the dataset has no tensor '" + name + "'";
    return false;
  }
  if (batch_ < 0) {
    error = "no current batch: call next() first";
    return false;
  }
  const HostTensor &src = it->second;
  Shape shape = src.shape();
  shape[0] = batchSize_;
  if (dst.dtype() != src.dtype() || dst.shape() != shape)
    dst = HostTensor(src.dtype(), shape);
  size_t rowBytes = src.byteSize() / src.shape()[0];
  const char *from = static_cast<const char *>(src.data());
  char *to = static_cast<char *>(dst.data());
  int64_t valid = validRows();
  const int64_t *rows = this->rows();
  for (int64_t i = 0; i < valid; ++i)
    std::memcpy(to + i * rowBytes, from + rows[i] * rowBytes, rowBytes);
  std::memset(to + valid * rowBytes, 0, (batchSize_ - valid) * rowBytes);
  return true;
}

bool Batcher::fill(Dataset &out, std::string &error) const {
  for (const auto &entry : data_.tensors)
    if (!fill(entry.first, out.tensors[entry.first], error))
      return false;
  return true;
}

} // namespace kiln
