//===- Datasets.h - Training data for the seed models -----------*- C++ -*-===//
//
// Compiled training (kiln-train) feeds a train step batches of examples.
// This file holds the data: Fashion-MNIST from its IDX files, and seeded
// synthetic sets for the other seed models, each drawn from a fixed,
// documented function so that a trained model has something definite to
// learn and a test set drawn with another seed measures it; and a batcher
// that shuffles reproducibly per epoch. Plain C++17 and zlib; errors come
// back as text, nothing is thrown.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_DATASETS_H
#define KILN_TOOLS_DATASETS_H

#include "kiln/ir/HostTensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// Named tensors holding N examples: every tensor's first dim is N, and
/// example i is row i of each. The names are the model's input names
/// ("image", "features", "tokens", "x") and those its loss reads the
/// targets from ("label", "price", "y").
struct Dataset {
  std::map<std::string, HostTensor> tensors;

  /// N: the first dim of the tensors (0 when there are none).
  int64_t size() const;
  /// Whether there is at least one tensor, every tensor has rank >= 1 and
  /// all share the first dim; else `error` names the offender.
  bool check(std::string &error) const;
};

//===----------------------------------------------------------------------===//
// Fashion-MNIST
//===----------------------------------------------------------------------===//

/// Reads the training set (train-*, 60000 examples) or the test set
/// (t10k-*, 10000) of Fashion-MNIST from `dir` (fashionMnistDir() in Idx.h
/// is where Debian installs it): "image" f32 [N, 784] with pixels in [0, 1]
/// and "label" i32 [N] in [0, 10). N = min(count, limit), or every example
/// when limit < 0. On failure returns false, leaves `out` as it was, and
/// sets `error`, naming the directory or the file: a missing directory, a
/// missing, truncated or corrupt file, images not of 784 pixels, a label
/// outside [0, 10), or image and label files that hold different numbers of
/// examples (as far as the first `limit` tell).
bool loadFashionMnist(const std::string &dir, bool train, int64_t limit,
                      Dataset &out, std::string &error);

//===----------------------------------------------------------------------===//
// Synthetic data
//
// Each generator draws `n` examples from a fixed function; `seed` chooses
// the examples (and noise) only, never the function, so that sets drawn with
// different seeds are a train set and a test set of the same problem. Same
// seed, same bytes, on every machine (a generator of kiln's own, not
// <random>'s implementation-defined distributions).
//===----------------------------------------------------------------------===//

/// linreg: the four points of the seed model, whatever the seed:
/// "x" f32 [4, 1] = 2, 4, 6, 8 and "y" f32 [4, 1] = 4, 5, 7, 9 (the least
/// squares fit is y = 2 + 0.85 x).
Dataset linregData();

/// house_mlp: "features" f32 [n, 13] with x_j ~ N(0, 1) (standardized, as a
/// real house-price model would take them) and "price" f32 [n, 1]:
///   price = sum_j w_j x_j + 0.5 x_0 x_1 + 0.1 e,  e ~ N(0, 1),
///   w = (0.6, -0.4, 0.3, 0, -0.2, 0.8, 0.1, -0.5, 0.25, -0.15, 0.05, 0.35,
///        -0.7)
/// so price has mean 0 and variance 2.25 + 0.25 + 0.01; a model that learns
/// the function reaches a mean squared error of 0.01.
Dataset houseData(int64_t n, uint64_t seed);

/// binary_mlp: "features" f32 [n, 3] uniform in [-1, 1)^3 and "label" f32
/// [n, 1]: 1 inside the sphere |x|^2 < (3/pi)^(2/3) (radius 0.985, which
/// holds half the cube's volume, so the classes are balanced), else 0. The
/// boundary is not linear: it takes the hidden layer to learn.
Dataset binaryData(int64_t n, uint64_t seed);

/// cnn: "image" f32 [n, 150, 150, 3] and "label" f32 [n, 1]. Each image is
/// dim noise (uniform in [0, 0.25) per pixel and channel) plus one bright
/// blob, a Gaussian bump of amplitude 0.7 and sigma 6..12 px, the same in
/// the three channels, clipped to [0, 1]. Its centre row is uniform in
/// [20, 130); its centre column is uniform in [15, 60) (left half, label 0)
/// or in [90, 135) (right half, label 1), each with probability 1/2. An
/// image is 270 KB: keep n to a few hundred.
Dataset imageData(int64_t n, uint64_t seed);

/// text_transformer: "tokens" i32 [n, 64] uniform in [0, 1000) and "label"
/// i32 [n, 64] with label = (token + 1) % 1000 at each position: the "next
/// token" in a vocabulary read as a cycle, learnable position by position.
Dataset tokenData(int64_t n, uint64_t seed);

/// The train and test sets for seed model `model` (the names of
/// builtinModels()): Fashion-MNIST from `fashionDir` for fashion_mlp, the
/// generators above for the others, train drawn with `seed` and test with
/// another seed derived from it. Sizes (train/test): linreg 4/4 (the same
/// four points), house_mlp and binary_mlp 4096/1024, fashion_mlp
/// 60000/10000, cnn 256/64, text_transformer 512/128; `limit` >= 0 caps
/// both. False with `error` for a model without training data or a failed
/// load.
bool modelDatasets(const std::string &model, const std::string &fashionDir,
                   uint64_t seed, int64_t limit, Dataset &train, Dataset &test,
                   std::string &error);

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

enum class BatchOrder {
  /// Training: each epoch visits the examples in a new order, a permutation
  /// that depends only on (seed, epoch), so that a run resumed at an epoch
  /// sees what an unbroken run would have. Only whole batches are made:
  /// the N % B examples at the end of the permutation are dropped from that
  /// epoch (different ones each epoch), so that every step sees exactly B
  /// examples.
  Shuffled,
  /// Evaluation: every example once, in order 0..N-1; the last batch is
  /// padded with zero rows when B does not divide N, and validRows() says
  /// how many rows are examples.
  InOrder,
};

/// Cuts a Dataset into batches of B examples, copying rows into tensors of
/// shape [B, ...] with the dataset's dtypes:
///
///   auto batches = Batcher::create(train, 32, BatchOrder::Shuffled, seed,
///                                  error);
///   for (int64_t epoch = 0; epoch < epochs; ++epoch)
///     for (batches->startEpoch(epoch); batches->next();)
///       batches->fill(batch, error); // step on batch.tensors
class Batcher {
public:
  /// A batcher over `data`, which must outlive it and not change; null with
  /// `error` when `data` fails Dataset::check, `batchSize` < 1, or a
  /// Shuffled dataset has fewer than `batchSize` examples (no whole batch).
  /// Starts at epoch 0.
  static std::unique_ptr<Batcher> create(const Dataset &data,
                                         int64_t batchSize, BatchOrder order,
                                         uint64_t seed, std::string &error);
  /// A temporary dataset would be gone before the first batch.
  static std::unique_ptr<Batcher> create(Dataset &&data, int64_t batchSize,
                                         BatchOrder order, uint64_t seed,
                                         std::string &error) = delete;

  int64_t batchSize() const { return batchSize_; }
  /// Batches per epoch: N / B for Shuffled, ceil(N / B) for InOrder.
  int64_t numBatches() const;

  /// Restarts at batch `firstBatch` (0 <= firstBatch <= numBatches()) of
  /// epoch `epoch`; for Shuffled this draws the epoch's permutation.
  void startEpoch(int64_t epoch, int64_t firstBatch = 0);
  /// Moves to the next batch of the epoch; false when the epoch is done.
  bool next();
  /// The batch next() moved to: its index in the epoch, and the examples
  /// in its rows (validRows() of them).
  int64_t batchIndex() const { return batch_; }
  const int64_t *rows() const;
  int64_t validRows() const;

  /// Copies the current batch of tensor `name` into `dst`, which is reused
  /// when it already has the dtype and shape [B, ...], else replaced; rows
  /// past validRows() are zero. False with `error` for an unknown name or
  /// when there is no current batch.
  bool fill(const std::string &name, HostTensor &dst,
            std::string &error) const;
  /// The same for every tensor of the dataset, into `out.tensors` (other
  /// tensors there are left alone).
  bool fill(Dataset &out, std::string &error) const;

  /// The order of epoch `epoch` for `n` examples: a permutation of 0..n-1
  /// that depends only on (n, seed, epoch).
  static std::vector<int64_t> permutation(int64_t n, uint64_t seed,
                                          int64_t epoch);

private:
  Batcher(const Dataset &data, int64_t batchSize, BatchOrder order,
          uint64_t seed);
  const Dataset &data_;
  int64_t batchSize_;
  BatchOrder order_;
  uint64_t seed_;
  std::vector<int64_t> examples_; // the current epoch's order
  int64_t next_ = 0;              // the batch next() moves to
  int64_t batch_ = -1;            // the current batch, -1 before next()
};

} // namespace kiln

#endif // KILN_TOOLS_DATASETS_H
