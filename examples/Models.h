//===- Models.h - The built-in seed models ----------------------*- C++ -*-===//
//
// The seed models of kiln, each a short function in the DSL, known to the
// tools by name (kilnc --model=NAME, kiln-run --model=NAME).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_EXAMPLES_MODELS_H
#define KILN_EXAMPLES_MODELS_H

#include "kiln/frontend/kiln.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// How kiln-train trains a model unless told otherwise: the loss on its
/// output, the optimizer (sgd, momentum, adam) and learning rate, the batch,
/// how long (epochs over the training set, or steps when epochs is 0) and
/// the learning rate's schedule (constant, or cosine: decaying to 0 along
/// half a cosine over the run).
struct TrainDefaults {
  loss::Loss loss;
  std::string optimizer;
  float lr;
  int64_t batch;
  int64_t epochs = 0, steps = 0;
  std::string schedule = "constant";
};

struct ModelInfo {
  std::string name;
  std::string summary; // one line, for --list-models
  int64_t defaultBatch;
  std::function<Graph(int64_t batch)> build;
  std::optional<TrainDefaults> training; // none: not a trained model
};

/// Every built-in model, in the order of DESIGN.md's table.
const std::vector<ModelInfo> &builtinModels();
/// The model called `name`, or nullptr.
const ModelInfo *findModel(const std::string &name);

// One function per model (examples/<name>.cpp).
Graph linreg(int64_t batch);
Graph house_mlp(int64_t batch);
Graph binary_mlp(int64_t batch);
Graph fashion_mlp(int64_t batch);
Graph cnn(int64_t batch);
Graph text_transformer(int64_t batch); // sequence length 64
Graph norm_chain(int64_t batch);       // x [batch, 1024]
Graph long_attention(int64_t batch);   // x [batch, 1024, 256]

} // namespace kiln

#endif // KILN_EXAMPLES_MODELS_H
