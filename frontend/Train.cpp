//===- Train.cpp - Losses, optimizers and train() of the kiln DSL ---------===//
//
// Losses are ordinary DSL ops added after the model's output, so that the
// interpreter checks them and autodiff differentiates them like any layer.
// The stable forms read the logits under a final sigmoid or softmax, as
// Keras does for its probability losses.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/kiln.h"

#include <numeric>
#include <optional>

namespace kiln {

namespace {

[[noreturn]] void fail(const std::string &msg) {
  throw ShapeError("loss: " + msg);
}

/// The mean over every element: a rank-0 tensor.
Tensor meanAll(Tensor x) {
  std::vector<int64_t> axes(x.rank());
  std::iota(axes.begin(), axes.end(), 0);
  return reduce_mean(x, axes);
}

/// The input of the op that made `t`, if that op is `op` (over the last dim,
/// for softmax): the logits under a final activation.
std::optional<Tensor> logitsUnder(Tensor t, const std::string &op) {
  const Node &node = t.graph().nodes()[t.id()];
  if (node.op != op)
    return std::nullopt;
  if (op == "softmax") {
    int64_t axis = std::get<int64_t>(node.attrs.at("axis"));
    if (axis != t.rank() - 1 && axis != -1)
      return std::nullopt;
  }
  return Tensor(&t.graph(), node.inputs[0]);
}

Tensor clipProbability(Tensor p) {
  constexpr float eps = 1e-7f;
  Graph &g = p.graph();
  return minimum(maximum(p, g.constant(eps)), g.constant(1.0f - eps));
}

/// -sum(y log p) over the last dim, per example.
Tensor crossEntropy(Tensor y, Tensor logProbs) {
  return -reduce_sum(y * logProbs, {logProbs.rank() - 1});
}

} // namespace

namespace loss {

Loss mse(std::string label) { return {Kind::MeanSquaredError, label, false}; }
Loss binary_cross_entropy(std::string label, bool fromLogits) {
  return {Kind::BinaryCrossEntropy, label, fromLogits};
}
Loss categorical_cross_entropy(std::string label, bool fromLogits) {
  return {Kind::CategoricalCrossEntropy, label, fromLogits};
}
Loss sparse_categorical_cross_entropy(std::string label, bool fromLogits) {
  return {Kind::SparseCategoricalCrossEntropy, label, fromLogits};
}

Tensor apply(const Loss &loss, Tensor pred) {
  Graph &g = pred.graph();
  if (pred.dtype() != DType::F32)
    fail("the prediction must be f32, got " +
         std::string(dtypeName(pred.dtype())));
  if (pred.rank() < 1)
    fail("the prediction must have a dim of examples, got a scalar");
  g.pushScope("loss");
  Tensor result;
  switch (loss.kind) {
  case Kind::MeanSquaredError: {
    Tensor d = pred - g.input(loss.label, pred.shape());
    result = meanAll(d * d);
    break;
  }
  case Kind::BinaryCrossEntropy: {
    Tensor y = g.input(loss.label, pred.shape());
    std::optional<Tensor> z =
        loss.fromLogits ? std::optional<Tensor>(pred) : logitsUnder(pred, "sigmoid");
    if (z) {
      Tensor zero = g.constant(0.0f);
      Tensor absZ = maximum(*z, -*z);
      result = meanAll(maximum(*z, zero) - *z * y +
                       log(exp(-absZ) + g.constant(1.0f)));
    } else {
      Tensor p = clipProbability(pred);
      Tensor one = g.constant(1.0f);
      result = meanAll(-(y * log(p) + (one - y) * log(one - p)));
    }
    break;
  }
  case Kind::CategoricalCrossEntropy:
  case Kind::SparseCategoricalCrossEntropy: {
    Tensor y;
    if (loss.kind == Kind::CategoricalCrossEntropy) {
      y = g.input(loss.label, pred.shape());
    } else {
      Shape ids(pred.shape().begin(), pred.shape().end() - 1);
      y = one_hot(g.input(loss.label, ids, DType::I32), pred.dim(-1));
    }
    std::optional<Tensor> z =
        loss.fromLogits ? std::optional<Tensor>(pred) : logitsUnder(pred, "softmax");
    Tensor logProbs = z ? log_softmax(*z, z->rank() - 1) : log(clipProbability(pred));
    result = meanAll(crossEntropy(y, logProbs));
    break;
  }
  }
  g.popScope();
  return result;
}

} // namespace loss

namespace optim {

std::string name(const Optimizer &o) {
  static const char *names[] = {"sgd", "momentum", "adam"};
  return names[o.index()];
}

Optimizer byName(const std::string &name, float lr, float weightDecay) {
  if (name == "sgd")
    return SGD{lr, weightDecay};
  if (name == "momentum")
    return Momentum{lr, Momentum{}.momentum, weightDecay};
  if (name == "adam") {
    Adam a;
    a.lr = lr;
    a.weightDecay = weightDecay;
    return a;
  }
  throw std::invalid_argument("unknown optimizer '" + name +
                              "'; known: sgd, momentum, adam");
}

float learningRate(const Optimizer &o) {
  return std::visit([](const auto &x) { return x.lr; }, o);
}

} // namespace optim

TrainGraph train(Graph graph, const loss::Loss &loss,
                 optim::Optimizer optimizer) {
  if (graph.outputs().size() != 1)
    fail("train() needs a graph with one output (the prediction), '" +
         graph.name() + "' has " + std::to_string(graph.outputs().size()));
  Tensor pred(&graph, graph.outputs().front().second);
  Tensor value = loss::apply(loss, pred);
  TrainGraph t{std::move(graph), optimizer};
  t.graph.output(t.lossName, Tensor(&t.graph, value.id()));
  return t;
}

} // namespace kiln
