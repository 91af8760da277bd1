//===- Models.cpp - The registry of built-in seed models ------------------===//
//
// The one list that tools, tests and benchmarks consult, so that a model is
// known everywhere by the same name and default batch size once it is here.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

const std::vector<ModelInfo> &builtinModels() {
  static const std::vector<ModelInfo> models = {
      {"linreg", "linear regression y = b0 + b1*x: x [B,1] -> y [B,1]", 4,
       linreg,
       TrainDefaults{loss::mse("y"), "sgd", 0.01f, 4, 0, 3000}},
      {"house_mlp",
       "regression MLP 13 -> 64 relu -> 64 relu -> 1: features -> price", 32,
       house_mlp,
       TrainDefaults{loss::mse("price"), "adam", 1e-3f, 32, 20}},
      {"binary_mlp",
       "binary classifier 3 -> 10 relu -> 1 sigmoid: features -> prob", 32,
       binary_mlp,
       TrainDefaults{loss::binary_cross_entropy("label"), "adam", 1e-2f, 32,
                     20}},
      {"fashion_mlp",
       "Fashion-MNIST MLP 784 -> 128 relu -> 10 softmax: image -> probs", 64,
       fashion_mlp,
       TrainDefaults{loss::sparse_categorical_cross_entropy("label"), "adam",
                     2e-3f, 32, 5, 0, "cosine"}},
      {"cnn",
       "150x150x3 CNN, 3x (conv 3x3 relu + max pool 2), dense 512 relu, "
       "dense 1 sigmoid: image -> prob",
       1, cnn,
       TrainDefaults{loss::binary_cross_entropy("label"), "adam", 1e-4f, 8, 0,
                     300}},
      {"text_transformer",
       "token ids [B,64] -> embedding 512, 8-head encoder block (FFN 2048), "
       "dense 1000 softmax: tokens -> probs",
       1, text_transformer,
       TrainDefaults{loss::sparse_categorical_cross_entropy("label"), "adam",
                     1e-3f, 8, 0, 200}},
      {"norm_chain",
       "x [B,1024] -> layer_norm -> gelu -> add x -> layer_norm: a "
       "memory-bound benchmark of fusion",
       4096, norm_chain, std::nullopt},
      {"long_attention",
       "x [B,1024,256] -> 4-head self-attention: a benchmark of attention "
       "fusion over long sequences",
       1, long_attention, std::nullopt},
  };
  return models;
}

const ModelInfo *findModel(const std::string &name) {
  for (const ModelInfo &m : builtinModels())
    if (m.name == name)
      return &m;
  return nullptr;
}

} // namespace kiln
