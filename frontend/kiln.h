//===- kiln.h - The kiln C++ DSL ---------------------------------*- C++ -*-===//
//
// Declares models as graphs of tensor ops. Shapes are checked as the graph is
// built: a mismatch throws kiln::ShapeError naming the op and the shapes,
// before any MLIR exists. A finished Graph becomes a kiln dialect module with
// toModule() (frontend/ToMlir.h).
//
//   Graph g("fashion_mlp");
//   Tensor x = g.input("image", {batch, 784});
//   Tensor h = nn::dense(g, x, 128, Act::Relu);
//   g.output("probs", softmax(nn::dense(g, h, 10), 1));
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_KILN_H
#define KILN_FRONTEND_KILN_H

#include "kiln/ir/HostTensor.h"
#include "kiln/ir/Shapes.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace kiln {

/// A graph that violates an op's shape rule.
class ShapeError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class Graph;

/// One attribute of a node: ints, a list of ints, a float, a string or a
/// flag. Mapped one to one onto the op's MLIR attribute.
using AttrValue =
    std::variant<int64_t, std::vector<int64_t>, float, std::string, bool>;

/// One op of a graph. `op` is the kiln op's mnemonic ("matmul", "param").
struct Node {
  std::string op;
  std::vector<int> inputs;
  std::map<std::string, AttrValue> attrs;
  Shape shape;
  DType dtype;
  std::vector<float> constant; // kiln.constant values (row-major)
  std::string scope;           // the layer that made it ("dense0"), or ""
};

/// A value in a Graph: a handle (graph + node index), cheap to copy.
class Tensor {
public:
  Tensor() = default;
  Tensor(Graph *graph, int id) : graph_(graph), id_(id) {}
  Graph &graph() const { return *graph_; }
  int id() const { return id_; }
  const Shape &shape() const;
  DType dtype() const;
  int64_t rank() const { return (int64_t)shape().size(); }
  int64_t dim(int64_t i) const; // negative i counts from the end

private:
  Graph *graph_ = nullptr;
  int id_ = -1;
};

class Graph {
public:
  explicit Graph(std::string name) : name_(std::move(name)) {}
  Graph(Graph &&) = default;
  Graph(const Graph &) = delete;

  const std::string &name() const { return name_; }
  Tensor input(const std::string &name, Shape shape, DType dtype = DType::F32);
  /// A named parameter. `init` is "glorot_uniform", "uniform", "zeros" or
  /// "ones" (see ir/ParamInit.h).
  Tensor param(const std::string &name, Shape shape,
               const std::string &init = "glorot_uniform");
  Tensor constant(float value); // a rank-0 tensor
  Tensor constant(std::vector<float> values, Shape shape);
  void output(const std::string &name, Tensor t);

  /// A fresh parameter name prefix for a layer: "dense0", "dense1", ...
  std::string uniqueName(const std::string &kind);

  /// Adds a node whose result shape has been checked by the caller.
  Tensor add(Node node);

  /// Nodes added between pushScope and popScope belong to layer `name`: it
  /// becomes their MLIR location and ends their ShapeError messages.
  void pushScope(const std::string &name) { scopes_.push_back(name); }
  void popScope() { scopes_.pop_back(); }
  std::string scope() const { return scopes_.empty() ? "" : scopes_.back(); }

  const std::vector<Node> &nodes() const { return nodes_; }
  const std::vector<std::pair<std::string, int>> &inputs() const {
    return inputs_;
  }
  const std::vector<std::pair<std::string, int>> &outputs() const {
    return outputs_;
  }

private:
  std::string name_;
  std::vector<Node> nodes_;
  std::vector<std::pair<std::string, int>> inputs_, outputs_;
  std::map<std::string, int> counters_;
  std::vector<std::string> scopes_;
};

//===----------------------------------------------------------------------===//
// Ops, one per kiln dialect op (same names and meaning, see ir/KilnOps.td)
//===----------------------------------------------------------------------===//

Tensor add(Tensor a, Tensor b);
Tensor sub(Tensor a, Tensor b);
Tensor mul(Tensor a, Tensor b);
Tensor div(Tensor a, Tensor b);
Tensor maximum(Tensor a, Tensor b);
Tensor minimum(Tensor a, Tensor b);
Tensor operator+(Tensor a, Tensor b);
Tensor operator-(Tensor a, Tensor b);
Tensor operator*(Tensor a, Tensor b);
Tensor operator/(Tensor a, Tensor b);
Tensor operator*(Tensor a, float s);
Tensor operator+(Tensor a, float s);
Tensor operator-(Tensor a);
/// 1 where `a predicate b` holds, else 0, in the operands' element type
/// (kiln.compare); `predicate` is "eq", "ne", "lt", "le", "gt" or "ge".
/// Broadcasts as the binary ops do. Comparisons with NaN are false, but
/// "ne" is true.
Tensor compare(Tensor a, Tensor b, const std::string &predicate);
Tensor equal(Tensor a, Tensor b);         // "eq"
Tensor not_equal(Tensor a, Tensor b);     // "ne"
Tensor less(Tensor a, Tensor b);          // "lt"
Tensor less_equal(Tensor a, Tensor b);    // "le"
Tensor greater(Tensor a, Tensor b);       // "gt"
Tensor greater_equal(Tensor a, Tensor b); // "ge"

Tensor neg(Tensor x);
Tensor exp(Tensor x);
Tensor log(Tensor x);
Tensor sqrt(Tensor x);
Tensor rsqrt(Tensor x);
Tensor tanh(Tensor x);
Tensor sigmoid(Tensor x);
Tensor relu(Tensor x);
Tensor gelu(Tensor x);
Tensor erf(Tensor x);

Tensor matmul(Tensor a, Tensor b);
/// strides [2], padding [top, bottom, left, right], dilations [2].
Tensor conv2d(Tensor input, Tensor filter, std::vector<int64_t> strides = {1, 1},
              std::vector<int64_t> padding = {0, 0, 0, 0},
              std::vector<int64_t> dilations = {1, 1});
Tensor max_pool2d(Tensor input, std::vector<int64_t> window,
                  std::vector<int64_t> strides,
                  std::vector<int64_t> padding = {0, 0, 0, 0});

Tensor softmax(Tensor x, int64_t axis);
Tensor log_softmax(Tensor x, int64_t axis);
Tensor reduce_sum(Tensor x, std::vector<int64_t> axes, bool keepDims = false);
Tensor reduce_mean(Tensor x, std::vector<int64_t> axes, bool keepDims = false);
Tensor reduce_max(Tensor x, std::vector<int64_t> axes, bool keepDims = false);
Tensor layer_norm(Tensor x, Tensor gamma, Tensor beta, float epsilon = 1e-5f);

Tensor reshape(Tensor x, Shape shape);
Tensor transpose(Tensor x, std::vector<int64_t> perm);
Tensor concat(std::vector<Tensor> xs, int64_t axis);
Tensor slice(Tensor x, std::vector<int64_t> starts, std::vector<int64_t> limits,
             std::vector<int64_t> strides = {});
/// Zeros around and between elements, per dim (XLA's pad): `low` before,
/// `high` after, `interior` between each two; all >= 0, interior by default
/// none.
Tensor pad(Tensor x, std::vector<int64_t> low, std::vector<int64_t> high,
           std::vector<int64_t> interior = {});
/// Each output pixel's window of an image [N, H, W, C] as a row (im2col):
/// [N OH OW, KH KW C], windows [KH, KW] at `strides`, `dilations`, unpadded.
Tensor patches(Tensor x, std::vector<int64_t> window,
               std::vector<int64_t> strides = {1, 1},
               std::vector<int64_t> dilations = {1, 1});
Tensor gather(Tensor table, Tensor indices);
/// i32 ids [I...] -> [I..., depth] of float type `dtype`: 1 at the id, 0
/// elsewhere; an id outside [0, depth) gives a row of zeros.
Tensor one_hot(Tensor ids, int64_t depth, DType dtype = DType::F32);
Tensor cast(Tensor x, DType to);

//===----------------------------------------------------------------------===//
// Layers (Keras-like), creating their parameters in the graph
//===----------------------------------------------------------------------===//

enum class Act { None, Relu, Sigmoid, Tanh, Gelu, Softmax };
enum class Padding { Valid, Same };

Tensor activate(Tensor x, Act act);

namespace nn {
/// x [..., in] -> [..., units]; params <name>.w [in, units], <name>.b [units].
Tensor dense(Graph &g, Tensor x, int64_t units, Act act = Act::None);
/// NHWC; params <name>.w [k, k, C, filters], <name>.b [filters].
Tensor conv2d(Graph &g, Tensor x, int64_t filters, int64_t kernel,
              int64_t stride = 1, Padding padding = Padding::Valid,
              Act act = Act::None);
Tensor max_pool2d(Tensor x, int64_t pool, int64_t stride = 0 /* = pool */,
                  Padding padding = Padding::Valid);
/// [N, ...] -> [N, prod(...)].
Tensor flatten(Tensor x);
/// ids (i32) [...] -> [..., dim]; param <name>.table [vocab, dim].
Tensor embedding(Graph &g, Tensor ids, int64_t vocab, int64_t dim);
/// Over the last dim; params <name>.gamma (ones), <name>.beta (zeros).
Tensor layer_norm(Graph &g, Tensor x, float epsilon = 1e-5f);
/// Self-attention on x [B, S, D] with `heads` heads of D / heads each.
Tensor multi_head_attention(Graph &g, Tensor x, int64_t heads);
/// Post-norm encoder block: LN(x + MHA(x)), then LN(h + FFN(h)).
Tensor transformer_encoder(Graph &g, Tensor x, int64_t heads, int64_t ffDim);
} // namespace nn

//===----------------------------------------------------------------------===//
// Training: a loss on the model's output and an optimizer. The gradient graph
// and the update are made from the graph by passes (--kiln-autodiff,
// --kiln-optimizer) when the train step is compiled.
//===----------------------------------------------------------------------===//

namespace loss {
enum class Kind { MeanSquaredError, BinaryCrossEntropy, CategoricalCrossEntropy,
                  SparseCategoricalCrossEntropy };

/// A loss on the prediction (the graph's output) and a label input, named
/// `label`, that train() adds: f32 of the prediction's shape, or for the
/// sparse form i32 class ids of its shape without the last dim. The loss is
/// the mean over the examples (and positions). With `fromLogits` false the
/// prediction is a probability; when it is made by a sigmoid (binary) or a
/// softmax over the last dim (categorical), the loss is computed from that
/// op's input (the logits) instead, with log-sum-exp, so that it stays
/// finite and exact for confident predictions.
struct Loss {
  Kind kind;
  std::string label;
  bool fromLogits = false;
};
/// mean((prediction - label)^2).
Loss mse(std::string label = "target");
/// -mean(y log p + (1 - y) log(1 - p)); from logits z:
/// mean(max(z, 0) - z y + log(1 + exp(-|z|))). Probabilities are clipped to
/// [1e-7, 1 - 1e-7], as Keras does.
Loss binary_cross_entropy(std::string label = "label", bool fromLogits = false);
/// -mean(sum(y log p)) over the last dim, y one distribution per example;
/// from logits: -mean(sum(y log_softmax(z))).
Loss categorical_cross_entropy(std::string label = "label",
                               bool fromLogits = false);
/// The same with y = one_hot(label): i32 class ids.
Loss sparse_categorical_cross_entropy(std::string label = "label",
                                      bool fromLogits = false);
/// Adds the loss of `prediction` to its graph (and the label input): a
/// rank-0 f32 tensor. Throws ShapeError for a prediction it cannot apply to.
Tensor apply(const Loss &loss, Tensor prediction);
} // namespace loss

namespace optim {
/// p -= lr (g + weight_decay p).
struct SGD {
  float lr = 0.01f;
  float weightDecay = 0;
};
/// v = momentum v + g + weight_decay p; p -= lr v (PyTorch's form).
struct Momentum {
  float lr = 0.01f;
  float momentum = 0.9f;
  float weightDecay = 0;
};
/// Adam with bias correction (Kingma & Ba); weight decay as L2 in the
/// gradient, as PyTorch's Adam.
struct Adam {
  float lr = 0.001f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;
  float weightDecay = 0;
};
using Optimizer = std::variant<SGD, Momentum, Adam>;
/// "sgd", "momentum" or "adam".
std::string name(const Optimizer &o);
/// The optimizer called `name` (as name() spells it) with learning rate
/// `lr`, weight decay `weightDecay` and its other settings at their defaults.
/// Throws std::invalid_argument for another name.
Optimizer byName(const std::string &name, float lr, float weightDecay = 0);
float learningRate(const Optimizer &o);
} // namespace optim

/// A model made trainable: its graph with the label input and a rank-0
/// "loss" output added after the prediction, and the optimizer that updates
/// its parameters.
struct TrainGraph {
  Graph graph;
  optim::Optimizer optimizer;
  std::string lossName = "loss";
};

/// `graph` must have one output, the prediction.
TrainGraph train(Graph graph, const loss::Loss &loss,
                 optim::Optimizer optimizer);

} // namespace kiln

#endif // KILN_FRONTEND_KILN_H
