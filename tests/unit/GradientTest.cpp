//===- GradientTest.cpp - Every gradient rule against finite differences --===//
//
// For each differentiable op: a graph whose operands are parameters,
// loss = sum(op(params) * W) with a fixed random W, differentiated by
// --kiln-autodiff. The gradients it computes (the interpreter in double)
// must match central differences (f(p + h) - f(p - h)) / 2h of the forward
// graph, also in double: |analytic - numeric| <= 1e-6 + 1e-5 |numeric|.
// Parameter values are multiples of 2^-8 in [-2, 2] and h = 2^-10, so that
// p +- h is exact; values are kept at least 2^-8 from a kink (relu at 0,
// ties of max, min and pooling), so that no difference straddles one.
// A failure names the op, the parameter and the worst element.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/ToMlir.h"
#include "kiln/frontend/kiln.h"
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"
#include "kiln/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>

using namespace kiln;

namespace {

constexpr double kStep = 1.0 / 1024;         // h
constexpr double kGrid = 1.0 / 256;          // values are multiples of this
constexpr double kAtol = 1e-6, kRtol = 1e-5; // analytic vs numeric

/// How a case's parameter values are drawn.
enum class Values {
  Any,      // in [-2, 2], at least kGrid from 0
  Positive, // in [0.25, 2] (log, sqrt, rsqrt, a divisor)
  Distinct, // all different, kGrid * 4 apart (max, min, pooling)
};

struct GradCase {
  std::string name;
  std::vector<Shape> params;
  std::function<Tensor(Graph &, const std::vector<Tensor> &)> build;
  Values values = Values::Any;
};

/// `n` values for operand `operand` of a case.
std::vector<double> draw(int64_t n, Values kind, std::mt19937 &rng,
                         int operand = 0) {
  std::vector<double> v(n);
  if (kind == Values::Distinct) {
    // Odd multiples of 2 kGrid (never 0), shifted by the operand's index so
    // that two operands never tie either.
    for (int64_t i = 0; i < n; ++i)
      v[i] = ((i - n / 2) * 4 + 2 + operand) * kGrid;
    std::shuffle(v.begin(), v.end(), rng);
    return v;
  }
  int lo = kind == Values::Positive ? 64 : 1, hi = 512;
  std::uniform_int_distribution<int> steps(lo, hi);
  std::bernoulli_distribution negative(kind == Values::Any ? 0.5 : 0.0);
  for (double &x : v)
    x = steps(rng) * kGrid * (negative(rng) ? -1 : 1);
  return v;
}

void PrintTo(const GradCase &c, std::ostream *os) { *os << c.name; }

class GradientTest : public ::testing::TestWithParam<GradCase> {
protected:
  GradientTest() { ctx.loadDialect<KilnDialect, mlir::func::FuncDialect>(); }
  mlir::MLIRContext ctx;
};

TEST_P(GradientTest, MatchesCentralDifferences) {
  const GradCase &c = GetParam();
  std::mt19937 rng(1234);
  Graph g("grad_check");
  std::vector<Tensor> params;
  for (size_t i = 0; i < c.params.size(); ++i)
    params.push_back(g.param("p" + std::to_string(i), c.params[i], "zeros"));
  Tensor y = c.build(g, params);
  std::vector<double> w = draw(numElements(y.shape()), Values::Any, rng);
  std::vector<float> wf(w.begin(), w.end());
  std::vector<int64_t> all(y.rank());
  for (int64_t i = 0; i < y.rank(); ++i)
    all[i] = i;
  g.output("loss", reduce_sum(y * g.constant(wf, y.shape()), all));

  auto forward = toModule(g, ctx);
  auto backward = forward->clone();
  mlir::PassManager pm(&ctx);
  pm.addNestedPass<mlir::func::FuncOp>(createAutodiff());
  ASSERT_TRUE(mlir::succeeded(pm.run(backward))) << c.name;
  auto forwardFunc = modelFunc(*forward), backwardFunc = modelFunc(backward);
  ASSERT_TRUE(bool(forwardFunc) && bool(backwardFunc));

  // Inputs (ids) are fixed: element i is (7 i + 3) mod 5.
  std::vector<DoubleTensor> inputs;
  for (auto &[name, id] : g.inputs()) {
    DoubleTensor t{g.nodes()[id].shape, {}};
    for (int64_t i = 0; i < numElements(t.shape); ++i)
      t.values.push_back((7 * i + 3) % 5);
    inputs.push_back(std::move(t));
  }
  std::map<std::string, DoubleTensor> values;
  for (size_t i = 0; i < c.params.size(); ++i)
    values["p" + std::to_string(i)] = {
        c.params[i], draw(numElements(c.params[i]), c.values, rng, (int)i)};

  // Analytic: the autodiff function takes the parameters as arguments.
  std::vector<DoubleTensor> args = inputs;
  for (size_t i = 0; i < c.params.size(); ++i)
    args.push_back(values["p" + std::to_string(i)]);
  auto grads = interpretInDouble(*backwardFunc, args, {});
  ASSERT_TRUE(bool(grads)) << c.name << ": " << llvm::toString(grads.takeError());
  ASSERT_EQ(grads->size(), 1 + c.params.size());

  auto lossAt = [&](const std::map<std::string, DoubleTensor> &p) {
    auto out = interpretInDouble(*forwardFunc, inputs, p);
    if (!out) {
      ADD_FAILURE() << llvm::toString(out.takeError());
      return 0.0;
    }
    return out->front().values[0];
  };
  for (size_t i = 0; i < c.params.size(); ++i) {
    std::string name = "p" + std::to_string(i);
    const std::vector<double> &analytic = (*grads)[1 + i].values;
    double worst = 0, worstAnalytic = 0, worstNumeric = 0;
    int64_t worstAt = -1;
    for (size_t k = 0; k < analytic.size(); ++k) {
      auto plus = values, minus = values;
      plus[name].values[k] += kStep;
      minus[name].values[k] -= kStep;
      double numeric = (lossAt(plus) - lossAt(minus)) / (2 * kStep);
      double excess = std::abs(analytic[k] - numeric) -
                      (kAtol + kRtol * std::abs(numeric));
      if (worstAt < 0 || excess > worst) {
        worst = excess;
        worstAt = k;
        worstAnalytic = analytic[k];
        worstNumeric = numeric;
      }
    }
    EXPECT_LE(worst, 0) << c.name << ": gradient of operand " << i << " ("
                        << toString(c.params[i]) << ") is wrong at element "
                        << worstAt << ": autodiff " << worstAnalytic
                        << ", central difference " << worstNumeric;
  }
}

Tensor relu6ish(Tensor x) { return minimum(relu(x), x * 0.5f + 1.0f); }

std::vector<GradCase> cases() {
  using P = std::vector<Tensor>;
  return {
      {"add broadcast", {{3, 4}, {4}}, [](Graph &, P p) { return p[0] + p[1]; }},
      {"add broadcast both", {{2, 1, 3}, {4, 1}},
       [](Graph &, P p) { return p[0] + p[1]; }},
      {"sub broadcast", {{3, 1}, {3, 4}}, [](Graph &, P p) { return p[0] - p[1]; }},
      {"mul broadcast", {{2, 3, 4}, {3, 1}},
       [](Graph &, P p) { return p[0] * p[1]; }},
      {"mul same operand", {{5}}, [](Graph &, P p) { return p[0] * p[0]; }},
      {"div", {{3, 4}, {4}}, [](Graph &, P p) { return p[0] / p[1]; },
       Values::Positive},
      {"max", {{3, 4}, {3, 4}}, [](Graph &, P p) { return maximum(p[0], p[1]); },
       Values::Distinct},
      {"min broadcast", {{3, 4}, {4}},
       [](Graph &, P p) { return minimum(p[0], p[1]); }, Values::Distinct},
      {"neg", {{6}}, [](Graph &, P p) { return -p[0]; }},
      {"exp", {{2, 3}}, [](Graph &, P p) { return exp(p[0]); }},
      {"log", {{2, 3}}, [](Graph &, P p) { return log(p[0]); }, Values::Positive},
      {"sqrt", {{2, 3}}, [](Graph &, P p) { return sqrt(p[0]); }, Values::Positive},
      {"rsqrt", {{2, 3}}, [](Graph &, P p) { return rsqrt(p[0]); },
       Values::Positive},
      {"tanh", {{2, 3}}, [](Graph &, P p) { return tanh(p[0]); }},
      {"sigmoid", {{2, 3}}, [](Graph &, P p) { return sigmoid(p[0]); }},
      {"relu", {{4, 5}}, [](Graph &, P p) { return relu(p[0]); }},
      {"relu and min", {{4, 5}}, [](Graph &, P p) { return relu6ish(p[0]); },
       Values::Distinct},
      {"gelu", {{4, 5}}, [](Graph &, P p) { return gelu(p[0]); }},
      {"erf", {{2, 3}}, [](Graph &, P p) { return erf(p[0]); }},
      {"compare mask", {{3, 4}}, [](Graph &g, P p) {
         return p[0] * compare(p[0], g.constant(0.0f), "gt");
       }},
      {"cast through f16", {{3}}, [](Graph &, P p) {
         return cast(cast(p[0], DType::F16), DType::F32);
       }},
      {"matmul", {{3, 4}, {4, 2}}, [](Graph &, P p) { return matmul(p[0], p[1]); }},
      {"matmul batched by a matrix", {{2, 3, 4}, {4, 5}},
       [](Graph &, P p) { return matmul(p[0], p[1]); }},
      {"matmul batched", {{2, 3, 4}, {2, 4, 5}},
       [](Graph &, P p) { return matmul(p[0], p[1]); }},
      {"matmul broadcast batch", {{1, 3, 4}, {2, 4, 2}},
       [](Graph &, P p) { return matmul(p[0], p[1]); }},
      {"conv2d", {{2, 5, 5, 3}, {3, 3, 3, 4}},
       [](Graph &, P p) { return conv2d(p[0], p[1]); }},
      {"conv2d stride 2 padded", {{1, 6, 7, 2}, {3, 2, 2, 3}},
       [](Graph &, P p) { return conv2d(p[0], p[1], {2, 2}, {1, 0, 1, 1}); }},
      {"conv2d dilated", {{1, 7, 6, 2}, {2, 2, 2, 2}},
       [](Graph &, P p) { return conv2d(p[0], p[1], {1, 2}, {0, 1, 0, 0}, {2, 1}); }},
      {"max_pool2d", {{2, 4, 6, 3}},
       [](Graph &, P p) { return max_pool2d(p[0], {2, 2}, {2, 2}); },
       Values::Distinct},
      {"max_pool2d odd size", {{1, 5, 7, 2}},
       [](Graph &, P p) { return max_pool2d(p[0], {2, 2}, {2, 2}); },
       Values::Distinct},
      {"max_pool2d 3x1", {{2, 6, 4, 1}},
       [](Graph &, P p) { return max_pool2d(p[0], {3, 1}, {3, 1}); },
       Values::Distinct},
      {"max_pool2d overlapping padded", {{1, 5, 5, 2}},
       [](Graph &, P p) { return max_pool2d(p[0], {3, 3}, {2, 2}, {1, 1, 1, 1}); },
       Values::Distinct},
      {"softmax", {{3, 5}}, [](Graph &, P p) { return softmax(p[0], 1); }},
      {"softmax axis 0", {{3, 5}}, [](Graph &, P p) { return softmax(p[0], 0); }},
      {"log_softmax", {{3, 5}}, [](Graph &, P p) { return log_softmax(p[0], 1); }},
      {"reduce_sum", {{2, 3, 4}},
       [](Graph &, P p) { return reduce_sum(p[0], {0, 2}); }},
      {"reduce_mean keep", {{2, 3, 4}},
       [](Graph &, P p) { return reduce_mean(p[0], {1}, true); }},
      {"reduce_max", {{3, 4}}, [](Graph &, P p) { return reduce_max(p[0], {1}); },
       Values::Distinct},
      {"layer_norm", {{3, 6}, {6}, {6}},
       [](Graph &, P p) { return layer_norm(p[0], p[1], p[2]); }},
      {"reshape", {{2, 6}}, [](Graph &, P p) { return reshape(p[0], {3, 4}) * p[0].graph().constant(2.0f); }},
      {"transpose", {{2, 3, 4}},
       [](Graph &, P p) { return transpose(p[0], {2, 0, 1}); }},
      {"concat", {{2, 3}, {2, 2}},
       [](Graph &, P p) { return concat({p[0], p[1], p[0]}, 1); }},
      {"slice strided", {{5, 7}},
       [](Graph &, P p) { return slice(p[0], {1, 0}, {5, 7}, {2, 3}); }},
      {"pad", {{2, 3}},
       [](Graph &, P p) { return pad(p[0], {1, 0}, {0, 2}, {0, 1}); }},
      {"one_hot mask", {{2, 4, 5}}, [](Graph &g, P p) {
         return one_hot(g.input("ids", {2, 4}, DType::I32), 5) * p[0];
       }},
      {"gather", {{5, 3}}, [](Graph &g, P p) {
         return gather(p[0], g.input("ids", {2, 4}, DType::I32));
       }},
      {"dense layer chain", {{4, 3}, {3, 5}, {5}}, [](Graph &, P p) {
         return softmax(relu(matmul(p[0], p[1]) + p[2]), 1);
       }},
  };
}

// A window whose maximum is held by several elements passes its gradient
// to the first of them in row-major window order (TensorFlow's MaxPoolGrad),
// both when windows tile the input and when they overlap.
TEST(MaxPoolGradient, TiesGoToTheFirstMaximum) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<KilnDialect, mlir::func::FuncDialect>();
  struct Case {
    std::vector<int64_t> strides;
    std::vector<double> x, expected; // [1, 3, 4, 1]
  };
  const std::vector<Case> cases = {
      // Windows (0,0)-(1,1) and (0,2)-(1,3): ties of 5 and of 0.
      {{2, 2},
       {1, 5, 0, 0, 5, 5, 0, 0, 9, 9, 9, 9},
       {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      // Stride 1: six overlapping windows over a constant input; each
      // sends its gradient to its top-left element.
      {{1, 1},
       std::vector<double>(12, 3.0),
       {1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0}},
  };
  for (const Case &c : cases) {
    Graph g("ties");
    Tensor x = g.param("x", {1, 3, 4, 1}, "zeros");
    Tensor y = max_pool2d(x, {2, 2}, c.strides);
    g.output("loss", reduce_sum(y, {0, 1, 2, 3}));
    auto module = toModule(g, ctx);
    mlir::PassManager pm(&ctx);
    pm.addNestedPass<mlir::func::FuncOp>(createAutodiff());
    ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
    auto func = modelFunc(*module);
    ASSERT_TRUE(bool(func));
    auto grads = interpretInDouble(*func, {DoubleTensor{{1, 3, 4, 1}, c.x}}, {});
    ASSERT_TRUE(bool(grads)) << llvm::toString(grads.takeError());
    EXPECT_EQ((*grads)[1].values, c.expected)
        << "strides " << c.strides[0] << "x" << c.strides[1];
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, GradientTest, ::testing::ValuesIn(cases()),
                         [](const auto &info) {
                           std::string s = info.param.name;
                           for (char &ch : s)
                             if (!std::isalnum((unsigned char)ch))
                               ch = '_';
                           return s;
                         });

} // namespace
