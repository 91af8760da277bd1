//===- TrainTest.cpp - Losses and optimizers against hand-computed values -===//
//
// Each loss on a tiny batch whose value is worked out by hand, including
// logits large enough to overflow a naive form; each optimizer for two
// steps of a one-weight-vector model whose gradients are known in closed
// form. All through the reference interpreter; tolerance 1e-6 (f32
// rounding of values near 1).
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/kiln.h"
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/tools/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln;

namespace {

constexpr double kTol = 1e-6;

HostTensor f32(Shape shape, const std::vector<double> &values) {
  HostTensor t(DType::F32, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i)
    t.set(i, values[i]);
  return t;
}

HostTensor i32(Shape shape, const std::vector<double> &values) {
  HostTensor t(DType::I32, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i)
    t.set(i, values[i]);
  return t;
}

class TrainTest : public ::testing::Test {
protected:
  TrainTest() { ctx.loadDialect<KilnDialect, mlir::func::FuncDialect>(); }

  /// The loss of `t` on `inputs` (by name), through the evaluation step.
  double lossOf(const TrainGraph &t, std::map<std::string, HostTensor> inputs) {
    auto module = evalStepModule(t, ctx);
    EXPECT_TRUE(bool(module));
    if (!module)
      return NAN;
    auto sig = signatureOf(**module);
    EXPECT_TRUE(bool(sig));
    std::vector<HostTensor> args;
    for (const TensorSpec &s : sig->inputs)
      args.push_back(inputs.at(s.name));
    auto out = interpret(*modelFunc(**module), args, {});
    EXPECT_TRUE(bool(out)) << (out ? "" : llvm::toString(out.takeError()));
    if (!out)
      return NAN;
    for (size_t i = 0; i < sig->outputs.size(); ++i)
      if (sig->outputs[i].name == "loss")
        return (*out)[i].get(0);
    ADD_FAILURE() << "no loss output";
    return NAN;
  }

  mlir::MLIRContext ctx;
};

/// A graph whose output is its input "z" passed through `act`.
Graph passThrough(Shape shape, Act act) {
  Graph g("loss_check");
  Tensor z = g.input("z", shape);
  g.output("prediction", activate(z * 1.0f, act));
  return g;
}

TEST_F(TrainTest, MeanSquaredError) {
  TrainGraph t = train(passThrough({2, 2}, Act::None), loss::mse("y"),
                       optim::SGD{});
  // ((1 - 0)^2 + (2 - 4)^2 + (3 - 3)^2 + (-1 - 1)^2) / 4 = 9 / 4.
  EXPECT_NEAR(lossOf(t, {{"z", f32({2, 2}, {1, 2, 3, -1})},
                         {"y", f32({2, 2}, {0, 4, 3, 1})}}),
              2.25, kTol);
}

TEST_F(TrainTest, BinaryCrossEntropyFromLogits) {
  TrainGraph t = train(passThrough({4, 1}, Act::Sigmoid),
                       loss::binary_cross_entropy("y"), optim::SGD{});
  // z = 0, y = 1: log 2; z = 2, y = 0: 2 + log(1 + e^-2); z = 100, y = 1:
  // log(1 + e^-100) ~ 0; z = -100, y = 1: 100 (a naive log(sigmoid) is
  // -inf in f32).
  double want = (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 0 + 100) / 4;
  EXPECT_NEAR(lossOf(t, {{"z", f32({4, 1}, {0, 2, 100, -100})},
                         {"y", f32({4, 1}, {1, 0, 1, 1})}}),
              want, 1e-5);
}

TEST_F(TrainTest, BinaryCrossEntropyFromProbabilities) {
  TrainGraph t = train(passThrough({3}, Act::None),
                       loss::binary_cross_entropy("y"), optim::SGD{});
  // p = 0.5, y = 1: log 2; p = 0.9, y = 0: -log 0.1; p = 0, y = 1: clipped
  // to 1e-7: -log 1e-7.
  double want = (std::log(2.0) - std::log(0.1) - std::log(1e-7)) / 3;
  EXPECT_NEAR(lossOf(t, {{"z", f32({3}, {0.5, 0.9, 0})},
                         {"y", f32({3}, {1, 0, 1})}}),
              want, 1e-5);
}

TEST_F(TrainTest, CategoricalCrossEntropyFromProbabilities) {
  TrainGraph t = train(passThrough({1, 3}, Act::None),
                       loss::categorical_cross_entropy("y"), optim::SGD{});
  EXPECT_NEAR(lossOf(t, {{"z", f32({1, 3}, {0.2, 0.3, 0.5})},
                         {"y", f32({1, 3}, {0, 1, 0})}}),
              -std::log(0.3), kTol);
}

TEST_F(TrainTest, CategoricalCrossEntropyFromSoftmax) {
  TrainGraph t = train(passThrough({1, 3}, Act::Softmax),
                       loss::categorical_cross_entropy("y"), optim::SGD{});
  // Soft labels: -(0.25 log p0 + 0.75 log p2), log p_i = z_i - lse(z).
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(lossOf(t, {{"z", f32({1, 3}, {1, 2, 3})},
                         {"y", f32({1, 3}, {0.25, 0, 0.75})}}),
              -(0.25 * (1 - lse) + 0.75 * (3 - lse)), kTol);
}

TEST_F(TrainTest, SparseCategoricalCrossEntropyIsStable) {
  TrainGraph t = train(passThrough({3, 3}, Act::Softmax),
                       loss::sparse_categorical_cross_entropy("label"),
                       optim::SGD{});
  // Row 0: lse(1, 2, 3) - 3; row 1: log 3; row 2 (logits 1000 apart, where
  // a softmax rounds to 0 and its log to -inf): 1000.
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  double want = ((lse - 3) + std::log(3.0) + 1000) / 3;
  EXPECT_NEAR(lossOf(t, {{"z", f32({3, 3}, {1, 2, 3, 1, 1, 1, 1000, 0, 0})},
                         {"label", i32({3}, {2, 0, 1})}}),
              want, 1e-4);
}

TEST_F(TrainTest, LossesFromLogitsFlag) {
  // The prediction is the logits themselves (no sigmoid or softmax to see
  // through): fromLogits says so.
  TrainGraph binary = train(passThrough({2, 1}, Act::None),
                            loss::binary_cross_entropy("y", true),
                            optim::SGD{});
  // z = -100, y = 1: 100; z = 3, y = 0: 3 + log(1 + e^-3).
  EXPECT_NEAR(lossOf(binary, {{"z", f32({2, 1}, {-100, 3})},
                              {"y", f32({2, 1}, {1, 0})}}),
              (100 + 3 + std::log1p(std::exp(-3.0))) / 2, 1e-4);
  TrainGraph categorical = train(passThrough({1, 3}, Act::None),
                                 loss::categorical_cross_entropy("y", true),
                                 optim::SGD{});
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(lossOf(categorical, {{"z", f32({1, 3}, {1, 2, 3})},
                                   {"y", f32({1, 3}, {0, 1, 0})}}),
              lse - 2, kTol);
  TrainGraph sparse = train(passThrough({2, 3}, Act::None),
                            loss::sparse_categorical_cross_entropy("label", true),
                            optim::SGD{});
  EXPECT_NEAR(lossOf(sparse, {{"z", f32({2, 3}, {1, 2, 3, 0, 0, 2000})},
                              {"label", i32({2}, {0, 1})}}),
              ((lse - 1) + 2000) / 2, 1e-3);
}

TEST_F(TrainTest, LossOfAGraphWithTwoOutputsIsRefused) {
  Graph g("two");
  Tensor x = g.input("x", {2});
  g.output("a", x * 1.0f);
  g.output("b", x * 2.0f);
  EXPECT_THROW(train(std::move(g), loss::mse(), optim::SGD{}), ShapeError);
}

/// Two train steps of prediction = x * w (w [2] a parameter, starting at
/// w0), loss = mean((x w - y)^2) with x = [1, 2], y = [3, 1]: the gradient
/// is g = (x w - y) x, given in closed form to `expected`, which returns
/// the weights after each step.
class OptimizerTest : public TrainTest {
protected:
  std::vector<std::vector<double>> steps(optim::Optimizer opt, int count) {
    Graph g("scale");
    Tensor x = g.input("x", {2});
    g.output("prediction", x * g.param("w", {2}, "zeros"));
    TrainGraph t = train(std::move(g), loss::mse("y"), opt);
    auto module = trainStepModule(t, ctx);
    EXPECT_TRUE(bool(module)) << (module ? "" : llvm::toString(module.takeError()));
    auto sig = signatureOf(**module);
    std::map<std::string, HostTensor> values{{"x", f32({2}, {1, 2})},
                                             {"y", f32({2}, {3, 1})},
                                             {"w", f32({2}, {0.5, -0.25})}};
    for (const TensorSpec &s : sig->inputs)
      if (!values.count(s.name)) {
        EXPECT_TRUE(s.init == "zeros" || s.init == "ones") << s.name;
        HostTensor v(s.dtype, s.shape);
        for (int64_t i = 0; i < v.size(); ++i)
          v.set(i, s.init == "ones" ? 1 : 0);
        values[s.name] = v;
      }
    std::vector<std::vector<double>> ws;
    for (int step = 0; step < count; ++step) {
      std::vector<HostTensor> args;
      for (const TensorSpec &s : sig->inputs)
        args.push_back(values.at(s.name));
      auto out = interpret(*modelFunc(**module), args, {});
      EXPECT_TRUE(bool(out));
      if (!out)
        return ws;
      for (size_t i = 0; i < sig->outputs.size(); ++i)
        if (values.count(sig->outputs[i].name) &&
            sig->outputs[i].name != "x" && sig->outputs[i].name != "y")
          values[sig->outputs[i].name] = (*out)[i];
      ws.push_back({values["w"].get(0), values["w"].get(1)});
    }
    return ws;
  }
  static std::vector<double> grad(const std::vector<double> &w) {
    double x[2] = {1, 2}, y[2] = {3, 1};
    return {(x[0] * w[0] - y[0]) * x[0], (x[1] * w[1] - y[1]) * x[1]};
  }
};

TEST_F(OptimizerTest, Sgd) {
  std::vector<double> w{0.5, -0.25};
  auto got = steps(optim::SGD{.lr = 0.1f, .weightDecay = 0.5f}, 2);
  ASSERT_EQ(got.size(), 2u);
  for (int s = 0; s < 2; ++s) {
    auto g = grad(w);
    for (int i = 0; i < 2; ++i)
      w[i] -= 0.1 * (g[i] + 0.5 * w[i]);
    EXPECT_NEAR(got[s][0], w[0], kTol) << "step " << s;
    EXPECT_NEAR(got[s][1], w[1], kTol) << "step " << s;
  }
}

TEST_F(OptimizerTest, Momentum) {
  std::vector<double> w{0.5, -0.25}, v{0, 0};
  auto got = steps(
      optim::Momentum{.lr = 0.1f, .momentum = 0.9f, .weightDecay = 0.5f}, 2);
  ASSERT_EQ(got.size(), 2u);
  for (int s = 0; s < 2; ++s) {
    auto g = grad(w);
    for (int i = 0; i < 2; ++i) {
      v[i] = 0.9 * v[i] + g[i] + 0.5 * w[i];
      w[i] -= 0.1 * v[i];
    }
    EXPECT_NEAR(got[s][0], w[0], kTol) << "step " << s;
    EXPECT_NEAR(got[s][1], w[1], kTol) << "step " << s;
  }
}

TEST_F(OptimizerTest, AdamIsBiasCorrected) {
  std::vector<double> w{0.5, -0.25}, m{0, 0}, v{0, 0};
  double b1 = 0.9, b2 = 0.999, eps = 1e-7, lr = 0.01;
  auto got = steps(optim::Adam{.lr = 0.01f, .weightDecay = 0.5f}, 2);
  ASSERT_EQ(got.size(), 2u);
  for (int s = 0; s < 2; ++s) {
    auto g = grad(w);
    for (int i = 0; i < 2; ++i) {
      g[i] += 0.5 * w[i]; // L2 in the gradient, as PyTorch's Adam
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      double mHat = m[i] / (1 - std::pow(b1, s + 1));
      double vHat = v[i] / (1 - std::pow(b2, s + 1));
      w[i] -= lr * mHat / (std::sqrt(vHat) + eps);
    }
    // The first step moves each weight by lr exactly (mHat / sqrt(vHat) is
    // the gradient's sign), which a missing bias correction would not.
    EXPECT_NEAR(got[s][0], w[0], kTol) << "step " << s;
    EXPECT_NEAR(got[s][1], w[1], kTol) << "step " << s;
  }
}

} // namespace
