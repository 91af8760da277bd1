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
// A failure names the op, the parameter and the worst element. Each rule
// runs on hand-picked shapes (the edge cases of its op) and, for the ops
// with shapes to vary, on shapes drawn at random with a fixed seed
// (randomCases: broadcasting, batch dims, axes, windows, strides).
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
      {"patches", {{2, 4, 5, 2}},
       [](Graph &, P p) { return patches(p[0], {2, 3}); }},
      {"patches strided dilated", {{1, 7, 6, 2}},
       [](Graph &, P p) { return patches(p[0], {2, 2}, {2, 1}, {2, 2}); }},
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

/// The same rules on shapes drawn at random (a fixed seed, so a failure
/// reproduces; each case's name gives its shapes), every op: operands
/// broadcast against each other by dropped leading dims and dims of 1,
/// batched matmuls broadcasting their batch, reductions over random axes,
/// random permutations, windows, strides, padding, slices and concats.
std::vector<GradCase> randomCases() {
  using P = std::vector<Tensor>;
  std::mt19937 rng(20261202);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto shapeOf = [&](int64_t rank) {
    Shape s;
    for (int64_t i = 0; i < rank; ++i)
      s.push_back(pick(1, 4));
    return s;
  };
  // `full` with some leading dims dropped and some dims set to 1.
  auto broadcastFrom = [&](const Shape &full) {
    Shape s(full.begin() + pick(0, (int64_t)full.size() - 1), full.end());
    for (int64_t &d : s)
      if (pick(0, 2) == 0)
        d = 1;
    return s;
  };
  auto text = [](const Shape &s) {
    std::string t;
    for (int64_t d : s)
      t += (t.empty() ? "" : "x") + std::to_string(d);
    return t.empty() ? std::string("scalar") : t;
  };
  auto list = [](const std::vector<int64_t> &v) {
    std::string t;
    for (int64_t d : v)
      t += (t.empty() ? "" : ",") + std::to_string(d);
    return t;
  };
  std::vector<GradCase> out;
  for (int i = 0; i < 6; ++i) {
    size_t first = out.size();
    // Binary elementwise ops, either operand the broadcast one.
    Shape full = shapeOf(pick(1, 4)), part = broadcastFrom(full);
    bool swap = pick(0, 1);
    Shape a = swap ? part : full, b = swap ? full : part;
    std::string shapes = " " + text(a) + " by " + text(b);
    out.push_back({"random add" + shapes, {a, b},
                   [](Graph &, P p) { return p[0] + p[1]; }});
    out.push_back({"random sub" + shapes, {a, b},
                   [](Graph &, P p) { return p[0] - p[1]; }});
    out.push_back({"random mul" + shapes, {a, b},
                   [](Graph &, P p) { return p[0] * p[1]; }});
    // A divisor of at least 1.25: near 0.25 the central difference's own
    // error (h^2 / 6 times the third derivative) passes the tolerance.
    out.push_back({"random div" + shapes, {a, b},
                   [](Graph &, P p) { return p[0] / (p[1] + 1.0f); },
                   Values::Positive});
    out.push_back({"random max" + shapes, {a, b},
                   [](Graph &, P p) { return maximum(p[0], p[1]); },
                   Values::Distinct});
    out.push_back({"random min" + shapes, {a, b},
                   [](Graph &, P p) { return minimum(p[0], p[1]); },
                   Values::Distinct});

    // Matmul with a broadcast batch.
    int64_t m = pick(1, 4), k = pick(1, 4), n = pick(1, 4);
    Shape x = shapeOf(pick(0, 2)), y = x.empty() ? Shape{} : broadcastFrom(x);
    if (pick(0, 1))
      std::swap(x, y);
    x.push_back(m), x.push_back(k), y.push_back(k), y.push_back(n);
    out.push_back({"random matmul " + text(x) + " by " + text(y), {x, y},
                   [](Graph &, P p) { return matmul(p[0], p[1]); }});

    // Reductions and softmax over random axes.
    Shape r = shapeOf(pick(1, 4));
    std::vector<int64_t> axes;
    for (int64_t d = 0; d < (int64_t)r.size(); ++d)
      if (pick(0, 1))
        axes.push_back(d);
    if (axes.empty())
      axes.push_back(pick(0, (int64_t)r.size() - 1));
    bool keep = pick(0, 1);
    std::string over = " " + text(r) + " axes " + list(axes) +
                       (keep ? " kept" : "");
    out.push_back({"random reduce_sum" + over, {r},
                   [axes, keep](Graph &, P p) { return reduce_sum(p[0], axes, keep); }});
    out.push_back({"random reduce_mean" + over, {r},
                   [axes, keep](Graph &, P p) { return reduce_mean(p[0], axes, keep); }});
    out.push_back({"random reduce_max" + over, {r},
                   [axes, keep](Graph &, P p) { return reduce_max(p[0], axes, keep); },
                   Values::Distinct});
    int64_t axis = pick(0, (int64_t)r.size() - 1);
    out.push_back({"random softmax " + text(r) + " axis " + std::to_string(axis),
                   {r}, [axis](Graph &, P p) { return softmax(p[0], axis); }});
    out.push_back({"random log_softmax " + text(r) + " axis " +
                       std::to_string(axis),
                   {r}, [axis](Graph &, P p) { return log_softmax(p[0], axis); }});

    // A random permutation.
    std::vector<int64_t> perm(r.size());
    for (size_t d = 0; d < perm.size(); ++d)
      perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), rng);
    out.push_back({"random transpose " + text(r) + " perm " + list(perm), {r},
                   [perm](Graph &, P p) { return transpose(p[0], perm); }});

    // A convolution and a max pool: random sizes, strides, padding and
    // dilations.
    std::vector<int64_t> strides = {pick(1, 2), pick(1, 2)},
                         padding = {pick(0, 1), pick(0, 1), pick(0, 1), pick(0, 1)},
                         dilations = {pick(1, 2), pick(1, 2)};
    int64_t kh = pick(1, 3), kw = pick(1, 3);
    Shape image = {pick(1, 2), pick(kh * dilations[0], 6),
                   pick(kw * dilations[1], 6), pick(1, 3)};
    Shape filter = {kh, kw, image[3], pick(1, 3)};
    out.push_back({"random conv2d " + text(image) + " by " + text(filter) +
                       " strides " + list(strides) + " padding " +
                       list(padding) + " dilations " + list(dilations),
                   {image, filter}, [=](Graph &, P p) {
                     return conv2d(p[0], p[1], strides, padding, dilations);
                   }});
    std::vector<int64_t> window = {pick(1, 3), pick(1, 3)},
                         poolStrides = {pick(1, 3), pick(1, 3)};
    std::vector<int64_t> poolPadding = {pick(0, window[0] - 1), pick(0, window[0] - 1),
                                        pick(0, window[1] - 1), pick(0, window[1] - 1)};
    Shape pooled = {pick(1, 2), pick(window[0], 6), pick(window[1], 6), pick(1, 3)};
    out.push_back({"random max_pool2d " + text(pooled) + " window " +
                       list(window) + " strides " + list(poolStrides) +
                       " padding " + list(poolPadding),
                   {pooled}, [=](Graph &, P p) {
                     return max_pool2d(p[0], window, poolStrides, poolPadding);
                   },
                   Values::Distinct});
    // Unary elementwise ops, and casts and masks, on a random shape.
    Shape u = shapeOf(pick(1, 4));
    std::string on = " " + text(u);
    out.push_back({"random neg" + on, {u}, [](Graph &, P p) { return -p[0]; }});
    out.push_back({"random exp" + on, {u}, [](Graph &, P p) { return exp(p[0]); }});
    out.push_back({"random log" + on, {u}, [](Graph &, P p) { return log(p[0]); },
                   Values::Positive});
    out.push_back({"random sqrt" + on, {u},
                   [](Graph &, P p) { return sqrt(p[0]); }, Values::Positive});
    out.push_back({"random rsqrt" + on, {u},
                   [](Graph &, P p) { return rsqrt(p[0]); }, Values::Positive});
    out.push_back({"random tanh" + on, {u}, [](Graph &, P p) { return tanh(p[0]); }});
    out.push_back({"random sigmoid" + on, {u},
                   [](Graph &, P p) { return sigmoid(p[0]); }});
    out.push_back({"random relu" + on, {u}, [](Graph &, P p) { return relu(p[0]); }});
    out.push_back({"random gelu" + on, {u}, [](Graph &, P p) { return gelu(p[0]); }});
    out.push_back({"random erf" + on, {u}, [](Graph &, P p) { return erf(p[0]); }});
    out.push_back({"random compare mask" + on, {u}, [](Graph &g, P p) {
                     return p[0] * compare(p[0], g.constant(0.0f), "gt");
                   }});
    out.push_back({"random cast through f16" + on, {u}, [](Graph &, P p) {
                     return cast(cast(p[0], DType::F16), DType::F32);
                   }});
    // A reshape to the flat shape, and a layer norm over the last dim.
    int64_t elements = 1;
    for (int64_t d : u)
      elements *= d;
    out.push_back({"random reshape" + on, {u}, [elements](Graph &g, P p) {
                     return reshape(p[0], {elements}) * g.constant(2.0f);
                   }});
    Shape norm = shapeOf(pick(1, 3)), scale = {norm.back()};
    out.push_back({"random layer_norm " + text(norm), {norm, scale, scale},
                   [](Graph &, P p) { return layer_norm(p[0], p[1], p[2]); }});

    // Data movement: a concat along a random axis, a strided slice, a pad
    // with interior zeros, the patches of random windows, a gather.
    Shape c1 = shapeOf(pick(1, 3)), c2 = c1;
    int64_t cat = pick(0, (int64_t)c1.size() - 1);
    c2[cat] = pick(1, 4);
    out.push_back({"random concat " + text(c1) + " and " + text(c2) + " axis " +
                       std::to_string(cat),
                   {c1, c2}, [cat](Graph &, P p) {
                     return concat({p[0], p[1], p[0]}, cat);
                   }});
    Shape sl = shapeOf(pick(1, 3));
    std::vector<int64_t> starts, limits, steps, low, high, interior;
    for (int64_t d : sl) {
      starts.push_back(pick(0, d - 1));
      limits.push_back(pick(starts.back() + 1, d));
      steps.push_back(pick(1, 2));
      low.push_back(pick(0, 2));
      high.push_back(pick(0, 2));
      interior.push_back(pick(0, 1));
    }
    out.push_back({"random slice " + text(sl) + " from " + list(starts) +
                       " to " + list(limits) + " by " + list(steps),
                   {sl}, [=](Graph &, P p) {
                     return slice(p[0], starts, limits, steps);
                   }});
    out.push_back({"random pad " + text(sl) + " low " + list(low) + " high " +
                       list(high) + " interior " + list(interior),
                   {sl}, [=](Graph &, P p) {
                     return pad(p[0], low, high, interior);
                   }});
    std::vector<int64_t> win = {pick(1, 3), pick(1, 3)},
                         winStrides = {pick(1, 2), pick(1, 2)},
                         winDilations = {pick(1, 2), pick(1, 2)};
    Shape pix = {pick(1, 2), pick((win[0] - 1) * winDilations[0] + 1, 6),
                 pick((win[1] - 1) * winDilations[1] + 1, 6), pick(1, 3)};
    out.push_back({"random patches " + text(pix) + " window " + list(win) +
                       " strides " + list(winStrides) + " dilations " +
                       list(winDilations),
                   {pix}, [=](Graph &, P p) {
                     return patches(p[0], win, winStrides, winDilations);
                   }});
    Shape table = {pick(1, 6), pick(1, 4)}, ids = shapeOf(pick(1, 2));
    out.push_back({"random gather " + text(table) + " by ids " + text(ids),
                   {table}, [ids](Graph &g, P p) {
                     return gather(p[0], g.input("ids", ids, DType::I32));
                   }});
    for (size_t c = first; c < out.size(); ++c)
      out[c].name += " (draw " + std::to_string(i + 1) + ")";
  }
  return out;
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

std::string testName(const ::testing::TestParamInfo<GradCase> &info) {
  std::string s = info.param.name;
  for (char &ch : s)
    if (!std::isalnum((unsigned char)ch))
      ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Ops, GradientTest, ::testing::ValuesIn(cases()),
                         testName);
INSTANTIATE_TEST_SUITE_P(RandomShapes, GradientTest,
                         ::testing::ValuesIn(randomCases()), testName);

} // namespace
