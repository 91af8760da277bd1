//===- InterpreterTest.cpp - Known answers of the reference interpreter ---===//
//
// The interpreter is the oracle of the e2e tests, so it is checked here
// against answers worked out by hand rather than against other kiln code.
// Tolerances: 1e-6 (kTol) where the answer is the f32 rounding of a real
// number, 0 where the element type holds the answer exactly.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln;

namespace {

constexpr double kTol = 1e-6;

HostTensor tensor(DType dtype, Shape shape, const std::vector<double> &values) {
  HostTensor t(dtype, std::move(shape));
  EXPECT_EQ((size_t)t.size(), values.size()) << "test data does not fit";
  for (size_t i = 0; i < values.size() && (int64_t)i < t.size(); ++i)
    t.set(i, values[i]);
  return t;
}

HostTensor f32(Shape shape, const std::vector<double> &values) {
  return tensor(DType::F32, std::move(shape), values);
}

void expectTensor(const HostTensor &t, DType dtype, const Shape &shape,
                  const std::vector<double> &want, double tol = kTol) {
  EXPECT_EQ(t.dtype(), dtype) << "got " << dtypeName(t.dtype());
  ASSERT_EQ(t.shape(), shape) << "got " << toString(t.shape());
  ASSERT_EQ((size_t)t.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(t.get(i), want[i], tol) << "element " << i;
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() { ctx.loadDialect<KilnDialect, mlir::func::FuncDialect>(); }

  /// Parses `src` (with "test.mlir" as its file name, which locations in
  /// errors then carry) and interprets its one public function.
  llvm::Expected<std::vector<HostTensor>>
  run(llvm::StringRef src, const std::vector<HostTensor> &inputs,
      const ParamValues &params = {}, bool verifyAfterParse = true) {
    module = mlir::parseSourceString<mlir::ModuleOp>(
        src, mlir::ParserConfig(&ctx, verifyAfterParse), "test.mlir");
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "test module does not parse");
    auto func = modelFunc(*module);
    if (!func)
      return func.takeError();
    return interpret(*func, inputs, params);
  }

  /// The one result of a run that must succeed, or an empty tensor after
  /// recording the failure.
  HostTensor runOne(llvm::StringRef src, const std::vector<HostTensor> &inputs,
                    const ParamValues &params = {}) {
    auto results = run(src, inputs, params);
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return HostTensor();
    }
    if (results->size() != 1) {
      ADD_FAILURE() << "expected one result, got " << results->size();
      return HostTensor();
    }
    return std::move(results->front());
  }

  /// The message of a run that must fail.
  std::string runError(llvm::StringRef src,
                       const std::vector<HostTensor> &inputs,
                       const ParamValues &params = {},
                       bool verifyAfterParse = true) {
    auto results = run(src, inputs, params, verifyAfterParse);
    if (results) {
      ADD_FAILURE() << "expected an error";
      return "";
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, ParamAndConstant) {
  const char *src = R"mlir(
    func.func @f() -> tensor<2x2xf32> {
      %w = kiln.param "w" {init = "zeros"} : tensor<2x2xf32>
      %c = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
      %s = kiln.constant dense<0.5> : tensor<f32>
      %a = kiln.add %w, %c : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
      %y = kiln.mul %a, %s : tensor<2x2xf32>, tensor<f32> -> tensor<2x2xf32>
      return %y : tensor<2x2xf32>
    })mlir";
  ParamValues params;
  params.emplace("w", f32({2, 2}, {10, 20, 30, 40}));
  expectTensor(runOne(src, {}, params), DType::F32, {2, 2},
               {5.5, 11, 16.5, 22});
}

TEST_F(InterpreterTest, IntegerConstant) {
  const char *src = R"mlir(
    func.func @f() -> tensor<3xi8> {
      %c = kiln.constant dense<[-128, 0, 127]> : tensor<3xi8>
      return %c : tensor<3xi8>
    })mlir";
  expectTensor(runOne(src, {}), DType::I8, {3}, {-128, 0, 127}, 0);
}

TEST_F(InterpreterTest, HalfPrecisionConstants) {
  const char *src = R"mlir(
    func.func @f() -> (tensor<2xbf16>, tensor<2xf16>) {
      %b = kiln.constant dense<[1.5, -0.25]> : tensor<2xbf16>
      %h = kiln.constant dense<[65504.0, 0.5]> : tensor<2xf16>
      return %b, %h : tensor<2xbf16>, tensor<2xf16>
    })mlir";
  auto results = run(src, {});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  expectTensor((*results)[0], DType::BF16, {2}, {1.5, -0.25}, 0);
  expectTensor((*results)[1], DType::F16, {2}, {65504, 0.5}, 0);
}

TEST_F(InterpreterTest, CastTruncatesFloatToIntAndRoundsFloats) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xf16>, tensor<4xbf16>) {
      %i = kiln.cast %x : tensor<4xf32> -> tensor<4xi32>
      %h = kiln.cast %x : tensor<4xf32> -> tensor<4xf16>
      %b = kiln.cast %x : tensor<4xf32> -> tensor<4xbf16>
      return %i, %h, %b : tensor<4xi32>, tensor<4xf16>, tensor<4xbf16>
    })mlir";
  // 1 + 2^-8 is halfway between two bf16 values and rounds to even (1.0);
  // f16 holds it exactly. 0.1 in f16 is 0x2e66 = 0.0999755859375.
  auto results = run(src, {f32({4}, {1.7, -1.7, 1.00390625, 0.1})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 3u);
  expectTensor((*results)[0], DType::I32, {4}, {1, -1, 1, 0}, 0);
  expectTensor((*results)[1], DType::F16, {4},
               {1.7001953125, -1.7001953125, 1.00390625, 0.0999755859375}, 0);
  expectTensor((*results)[2], DType::BF16, {4},
               {1.703125, -1.703125, 1.0, 0.10009765625}, 0);
}

TEST_F(InterpreterTest, CastIntToFloat) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<3xi32>) -> tensor<3xf32> {
      %y = kiln.cast %x : tensor<3xi32> -> tensor<3xf32>
      return %y : tensor<3xf32>
    })mlir";
  // 2^24 + 1 is the first integer f32 cannot hold; it rounds to even.
  expectTensor(runOne(src, {tensor(DType::I32, {3}, {-3, 7, 16777217})}),
               DType::F32, {3}, {-3, 7, 16777216}, 0);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, BinaryBroadcastsSize1Dims) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x1xf32>, %b: tensor<3xf32>, %c: tensor<1x3xf32>)
        -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>, tensor<2x3xf32>) {
      %add = kiln.add %a, %b : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %sub = kiln.sub %a, %b : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %mul = kiln.mul %a, %c : tensor<2x1xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
      %div = kiln.div %c, %a : tensor<1x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
      %max = kiln.max %a, %b : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %min = kiln.min %a, %b : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      return %add, %sub, %mul, %div, %max, %min
          : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>, tensor<2x3xf32>
    })mlir";
  HostTensor a = f32({2, 1}, {2, 4}), b = f32({3}, {1, 3, 5}),
             c = f32({1, 3}, {1, 2, 3});
  auto results = run(src, {a, b, c});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 6u);
  expectTensor((*results)[0], DType::F32, {2, 3}, {3, 5, 7, 5, 7, 9});
  expectTensor((*results)[1], DType::F32, {2, 3}, {1, -1, -3, 3, 1, -1});
  expectTensor((*results)[2], DType::F32, {2, 3}, {2, 4, 6, 4, 8, 12});
  expectTensor((*results)[3], DType::F32, {2, 3},
               {0.5, 1, 1.5, 0.25, 0.5, 0.75});
  expectTensor((*results)[4], DType::F32, {2, 3}, {2, 3, 5, 4, 4, 5});
  expectTensor((*results)[5], DType::F32, {2, 3}, {1, 2, 2, 1, 3, 4});
}

TEST_F(InterpreterTest, IntegerArithmeticWrapsAndDivisionTruncates) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<3xi8>, %b: tensor<3xi8>) -> (tensor<3xi8>, tensor<3xi8>) {
      %s = kiln.add %a, %b : tensor<3xi8>, tensor<3xi8> -> tensor<3xi8>
      %d = kiln.div %a, %b : tensor<3xi8>, tensor<3xi8> -> tensor<3xi8>
      return %s, %d : tensor<3xi8>, tensor<3xi8>
    })mlir";
  auto results = run(src, {tensor(DType::I8, {3}, {100, -7, 7}),
                           tensor(DType::I8, {3}, {100, 2, -2})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  // 100 + 100 = 200 wraps to 200 - 256; -7 / 2 truncates toward zero.
  expectTensor((*results)[0], DType::I8, {3}, {-56, -5, 5}, 0);
  expectTensor((*results)[1], DType::I8, {3}, {1, -3, -3}, 0);
}

TEST_F(InterpreterTest, UnaryOps) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<3xf32>)
        -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>) {
      %neg = kiln.neg %x : tensor<3xf32>
      %exp = kiln.exp %x : tensor<3xf32>
      %tanh = kiln.tanh %x : tensor<3xf32>
      %sig = kiln.sigmoid %x : tensor<3xf32>
      %relu = kiln.relu %x : tensor<3xf32>
      %gelu = kiln.gelu %x : tensor<3xf32>
      %sq = kiln.mul %x, %x : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
      %log = kiln.log %sq : tensor<3xf32>
      %sqrt = kiln.sqrt %sq : tensor<3xf32>
      %rsqrt = kiln.rsqrt %sq : tensor<3xf32>
      return %neg, %exp, %tanh, %sig, %relu, %gelu, %log, %sqrt, %rsqrt
          : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>
    })mlir";
  auto results = run(src, {f32({3}, {-1, 0.5, 2})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 9u);
  auto &r = *results;
  expectTensor(r[0], DType::F32, {3}, {1, -0.5, -2});
  expectTensor(r[1], DType::F32, {3},
               {0.36787944117144233, 1.6487212707001282, 7.38905609893065});
  expectTensor(r[2], DType::F32, {3},
               {-0.7615941559557649, 0.46211715726000974, 0.9640275800758169});
  expectTensor(r[3], DType::F32, {3},
               {0.2689414213699951, 0.6224593312018546, 0.8807970779778823});
  expectTensor(r[4], DType::F32, {3}, {0, 0.5, 2});
  // Exact GELU x * Phi(x); the tanh approximation would differ at 1e-4.
  expectTensor(r[5], DType::F32, {3},
               {-0.15865525393145707, 0.34573123063700656, 1.9544997361036416});
  expectTensor(r[6], DType::F32, {3},
               {0, -1.3862943611198906, 1.3862943611198906});
  expectTensor(r[7], DType::F32, {3}, {1, 0.5, 2});
  expectTensor(r[8], DType::F32, {3}, {1, 2, 0.5});
}

TEST_F(InterpreterTest, CompareBroadcastsToAMaskOfTheOperandType) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x1xf32>, %b: tensor<3xf32>)
        -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>, tensor<2x3xf32>) {
      %eq = kiln.compare %a, %b {predicate = "eq"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %ne = kiln.compare %a, %b {predicate = "ne"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %lt = kiln.compare %a, %b {predicate = "lt"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %le = kiln.compare %a, %b {predicate = "le"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %gt = kiln.compare %a, %b {predicate = "gt"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      %ge = kiln.compare %a, %b {predicate = "ge"} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
      return %eq, %ne, %lt, %le, %gt, %ge
          : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>, tensor<2x3xf32>
    })mlir";
  // Rows a = 2 and a = 4 against b = [1, 2, 5].
  auto results = run(src, {f32({2, 1}, {2, 4}), f32({3}, {1, 2, 5})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 6u);
  auto &r = *results;
  expectTensor(r[0], DType::F32, {2, 3}, {0, 1, 0, 0, 0, 0}, 0);
  expectTensor(r[1], DType::F32, {2, 3}, {1, 0, 1, 1, 1, 1}, 0);
  expectTensor(r[2], DType::F32, {2, 3}, {0, 0, 1, 0, 0, 1}, 0);
  expectTensor(r[3], DType::F32, {2, 3}, {0, 1, 1, 0, 0, 1}, 0);
  expectTensor(r[4], DType::F32, {2, 3}, {1, 0, 0, 1, 1, 0}, 0);
  expectTensor(r[5], DType::F32, {2, 3}, {1, 1, 0, 1, 1, 0}, 0);
}

TEST_F(InterpreterTest, CompareWithNaNHoldsOnlyForNe) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2xf32>, %y: tensor<f32>)
        -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %eq = kiln.compare %x, %y {predicate = "eq"} : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
      %ne = kiln.compare %x, %y {predicate = "ne"} : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
      %ge = kiln.compare %x, %y {predicate = "ge"} : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
      return %eq, %ne, %ge : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir";
  auto results = run(src, {f32({2}, {NAN, 1}), f32({}, {1})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  expectTensor((*results)[0], DType::F32, {2}, {0, 1}, 0);
  expectTensor((*results)[1], DType::F32, {2}, {1, 0}, 0);
  expectTensor((*results)[2], DType::F32, {2}, {0, 1}, 0);
}

TEST_F(InterpreterTest, CompareIntegersGivesAnIntegerMask) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
      %y = kiln.compare %a, %b {predicate = "le"} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
      return %y : tensor<4xi32>
    })mlir";
  expectTensor(runOne(src, {tensor(DType::I32, {4}, {-5, 3, 7, 2147483647.0}),
                            tensor(DType::I32, {4}, {-6, 3, 8, -2147483648.0})}),
               DType::I32, {4}, {0, 1, 1, 0}, 0);
}

TEST_F(InterpreterTest, Erf) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<5xf32>) -> tensor<5xf32> {
      %y = kiln.erf %x : tensor<5xf32>
      return %y : tensor<5xf32>
    })mlir";
  // erf is odd, 0 at 0, and within f32's epsilon of 1 from about 4 on.
  expectTensor(runOne(src, {f32({5}, {-1, 0, 0.5, 2, 6})}), DType::F32, {5},
               {-0.8427007929497149, 0, 0.5204998778130465, 0.9953222650189527,
                1});
}

TEST_F(InterpreterTest, MaxMinAndReluPropagateNaN) {
  // As numpy's maximum and arith.maximumf do; a backend that lowers to a
  // NaN-dropping max (maxnum) would disagree with the oracle here.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2xf32>, %y: tensor<2xf32>)
        -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %max = kiln.max %x, %y : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      %min = kiln.min %y, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      %relu = kiln.relu %x : tensor<2xf32>
      return %max, %min, %relu : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir";
  auto results = run(src, {f32({2}, {NAN, -1}), f32({2}, {1, 2})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  for (const HostTensor &r : *results)
    EXPECT_TRUE(std::isnan(r.get(0))) << "got " << r.get(0);
  EXPECT_EQ((*results)[0].get(1), 2);
  EXPECT_EQ((*results)[1].get(1), -1);
  EXPECT_EQ((*results)[2].get(1), 0);
}

TEST_F(InterpreterTest, F16ResultsAreRoundedAfterEachOp) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1xf16>, %y: tensor<1xf16>) -> tensor<1xf16> {
      %a = kiln.add %x, %y : tensor<1xf16>, tensor<1xf16> -> tensor<1xf16>
      %b = kiln.sub %a, %x : tensor<1xf16>, tensor<1xf16> -> tensor<1xf16>
      return %b : tensor<1xf16>
    })mlir";
  // 2048 + 1 is not an f16 (spacing 2 there) and rounds to even, 2048, so
  // (x + y) - x is 0, not y: the intermediate really was rounded.
  expectTensor(runOne(src, {tensor(DType::F16, {1}, {2048}),
                            tensor(DType::F16, {1}, {1})}),
               DType::F16, {1}, {0}, 0);
}

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, Matmul) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
      %y = kiln.matmul %a, %b : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
      return %y : tensor<2x2xf32>
    })mlir";
  expectTensor(runOne(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6}),
                            f32({3, 2}, {7, 8, 9, 10, 11, 12})}),
               DType::F32, {2, 2}, {58, 64, 139, 154});
}

TEST_F(InterpreterTest, BatchedMatmulBroadcastsBatchDims) {
  // [2, 1, 2, 2] x [3, 2, 2] -> [2, 3, 2, 2]: lhs batch b is (b + 1) * I
  // and rhs batch c is a matrix with (c + 1) everywhere, so result [b][c]
  // is (b + 1) * (c + 1) everywhere.
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x1x2x2xf32>, %b: tensor<3x2x2xf32>) -> tensor<2x3x2x2xf32> {
      %y = kiln.matmul %a, %b : tensor<2x1x2x2xf32>, tensor<3x2x2xf32> -> tensor<2x3x2x2xf32>
      return %y : tensor<2x3x2x2xf32>
    })mlir";
  HostTensor a = f32({2, 1, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  HostTensor b = f32({3, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  std::vector<double> want;
  for (int bi = 1; bi <= 2; ++bi)
    for (int c = 1; c <= 3; ++c)
      want.insert(want.end(), 4, bi * c);
  expectTensor(runOne(src, {a, b}), DType::F32, {2, 3, 2, 2}, want);
}

TEST_F(InterpreterTest, MatmulActivationTimesWeight) {
  // The [B, S, K] x [K, N] shape of a dense layer on a sequence.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x2x2xf32>, %w: tensor<2x1xf32>) -> tensor<2x2x1xf32> {
      %y = kiln.matmul %x, %w : tensor<2x2x2xf32>, tensor<2x1xf32> -> tensor<2x2x1xf32>
      return %y : tensor<2x2x1xf32>
    })mlir";
  expectTensor(runOne(src, {f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                            f32({2, 1}, {10, 1})}),
               DType::F32, {2, 2, 1}, {12, 34, 56, 78});
}

TEST_F(InterpreterTest, Conv2dStride2WithPadding) {
  // A 3x3 box filter over 1..16 (4x4), stride 2, one ring of zero padding:
  // each output is the sum of the real input cells its window covers.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x4x4x1xf32>, %w: tensor<3x3x1x1xf32>) -> tensor<1x2x2x1xf32> {
      %y = kiln.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
                               dilations = array<i64: 1, 1>}
          : tensor<1x4x4x1xf32>, tensor<3x3x1x1xf32> -> tensor<1x2x2x1xf32>
      return %y : tensor<1x2x2x1xf32>
    })mlir";
  std::vector<double> x(16), w(9, 1.0);
  for (int i = 0; i < 16; ++i)
    x[i] = i + 1;
  // Rows/cols covered: (0,0) 0-1 x 0-1; (0,1) 0-1 x 1-3; (1,0) 1-3 x 0-1;
  // (1,1) 1-3 x 1-3.
  expectTensor(runOne(src, {f32({1, 4, 4, 1}, x), f32({3, 3, 1, 1}, w)}),
               DType::F32, {1, 2, 2, 1}, {14, 30, 57, 99});
}

TEST_F(InterpreterTest, Conv2dAsymmetricPaddingAndChannels) {
  // Padding only at the top and left: [top, bottom, left, right] order.
  // Input 1x2x2x2 (two channels), 2x2 filter to two features.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x2x2x2xf32>, %w: tensor<2x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
      %y = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 0, 1, 0>,
                               dilations = array<i64: 1, 1>}
          : tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32> -> tensor<1x2x2x2xf32>
      return %y : tensor<1x2x2x2xf32>
    })mlir";
  // x[h][w][c]: channel 0 holds 1 2 / 3 4, channel 1 holds 10 20 / 30 40.
  HostTensor x = f32({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  // Feature 0 picks channel 0 at filter tap (1,1) only (so it is x shifted);
  // feature 1 sums channel 1 over all four taps.
  std::vector<double> w(16, 0.0);
  auto at = [](int kh, int kw, int c, int f) {
    return ((kh * 2 + kw) * 2 + c) * 2 + f;
  };
  w[at(1, 1, 0, 0)] = 1;
  for (int kh = 0; kh < 2; ++kh)
    for (int kw = 0; kw < 2; ++kw)
      w[at(kh, kw, 1, 1)] = 1;
  // Output (i, j) window covers input rows i-1..i, cols j-1..j.
  expectTensor(runOne(src, {x, f32({2, 2, 2, 2}, w)}), DType::F32, {1, 2, 2, 2},
               {1, 10, 2, 30, 3, 40, 4, 100});
}

TEST_F(InterpreterTest, Conv2dDilation) {
  // Dilation 2 spreads a 2x2 filter over the corners of a 3x3 input.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x3x3x1xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x1x1x1xf32> {
      %y = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                               dilations = array<i64: 2, 2>}
          : tensor<1x3x3x1xf32>, tensor<2x2x1x1xf32> -> tensor<1x1x1x1xf32>
      return %y : tensor<1x1x1x1xf32>
    })mlir";
  expectTensor(runOne(src, {f32({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}),
                            f32({2, 2, 1, 1}, {1, 2, 3, 4})}),
               DType::F32, {1, 1, 1, 1}, {1 * 1 + 2 * 3 + 3 * 7 + 4 * 9});
}

TEST_F(InterpreterTest, MaxPool2dPaddingNeverWins) {
  // All inputs are negative, so a zero from padding would win if padding
  // held 0 rather than -inf.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x3x3x1xf32>) -> tensor<1x2x2x1xf32> {
      %y = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                               padding = array<i64: 1, 1, 1, 1>}
          : tensor<1x3x3x1xf32> -> tensor<1x2x2x1xf32>
      return %y : tensor<1x2x2x1xf32>
    })mlir";
  expectTensor(
      runOne(src, {f32({1, 3, 3, 1}, {-1, -2, -3, -4, -5, -6, -7, -8, -9})}),
      DType::F32, {1, 2, 2, 1}, {-1, -2, -4, -5});
}

TEST_F(InterpreterTest, MaxPool2dPerChannel) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x2x2x2xf32>) -> tensor<1x1x1x2xf32> {
      %y = kiln.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 1, 1>,
                               padding = array<i64: 0, 0, 0, 0>}
          : tensor<1x2x2x2xf32> -> tensor<1x1x1x2xf32>
      return %y : tensor<1x1x1x2xf32>
    })mlir";
  expectTensor(runOne(src, {f32({1, 2, 2, 2}, {1, 8, 5, 6, 3, 7, 2, 4})}),
               DType::F32, {1, 1, 1, 2}, {5, 8});
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, SoftmaxIsStableAndRowsSumToOne) {
  // The second row would overflow exp() without the max subtracted; both
  // rows are the same up to a shift, so they have the same softmax.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %y = kiln.softmax %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
      return %y : tensor<2x3xf32>
    })mlir";
  HostTensor y = runOne(src, {f32({2, 3}, {1, 2, 3, 1000, 1001, 1002})});
  const double p0 = 0.09003057317038046, p1 = 0.24472847105479764,
               p2 = 0.6652409557748219;
  expectTensor(y, DType::F32, {2, 3}, {p0, p1, p2, p0, p1, p2});
  for (int r = 0; r < 2; ++r)
    EXPECT_NEAR(y.get(3 * r) + y.get(3 * r + 1) + y.get(3 * r + 2), 1.0, kTol)
        << "row " << r;
}

TEST_F(InterpreterTest, SoftmaxOnLeadingAxis) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
      %y = kiln.softmax %x {axis = 0 : i64} : tensor<2x2xf32> -> tensor<2x2xf32>
      return %y : tensor<2x2xf32>
    })mlir";
  // Column 0 is [0, ln 3]: e^0 : e^ln3 = 1 : 3.
  expectTensor(runOne(src, {f32({2, 2}, {0, 5, std::log(3.0), 5})}), DType::F32,
               {2, 2}, {0.25, 0.5, 0.75, 0.5});
}

TEST_F(InterpreterTest, LogSoftmax) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
      %y = kiln.log_softmax %x {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
      return %y : tensor<1x3xf32>
    })mlir";
  // x - log(e + e^2 + e^3) with log(e + e^2 + e^3) = 3.40760596444438.
  expectTensor(runOne(src, {f32({1, 3}, {1, 2, 3})}), DType::F32, {1, 3},
               {-2.40760596444438, -1.40760596444438, -0.40760596444438});
}

TEST_F(InterpreterTest, ReductionsWithAndWithoutKeepDims) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>)
        -> (tensor<2x1xf32>, tensor<3xf32>, tensor<1x1xf32>, tensor<f32>) {
      %s = kiln.reduce_sum %x {axes = array<i64: 1>, keep_dims = true}
          : tensor<2x3xf32> -> tensor<2x1xf32>
      %m = kiln.reduce_mean %x {axes = array<i64: 0>, keep_dims = false}
          : tensor<2x3xf32> -> tensor<3xf32>
      %x2 = kiln.reduce_max %x {axes = array<i64: 0, 1>, keep_dims = true}
          : tensor<2x3xf32> -> tensor<1x1xf32>
      %t = kiln.reduce_sum %x {axes = array<i64: 1, 0>, keep_dims = false}
          : tensor<2x3xf32> -> tensor<f32>
      return %s, %m, %x2, %t : tensor<2x1xf32>, tensor<3xf32>, tensor<1x1xf32>, tensor<f32>
    })mlir";
  auto results = run(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 4u);
  expectTensor((*results)[0], DType::F32, {2, 1}, {6, 15});
  expectTensor((*results)[1], DType::F32, {3}, {2.5, 3.5, 4.5});
  expectTensor((*results)[2], DType::F32, {1, 1}, {6});
  expectTensor((*results)[3], DType::F32, {}, {21});
}

TEST_F(InterpreterTest, ReduceMaxOfNegativesAndIntegerSum) {
  // reduce_max must start from -inf, not 0; reduce_sum works on integers.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x2xf32>, %i: tensor<2x2xi32>) -> (tensor<2xf32>, tensor<2xi32>) {
      %m = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = false}
          : tensor<2x2xf32> -> tensor<2xf32>
      %s = kiln.reduce_sum %i {axes = array<i64: 0>, keep_dims = false}
          : tensor<2x2xi32> -> tensor<2xi32>
      return %m, %s : tensor<2xf32>, tensor<2xi32>
    })mlir";
  auto results = run(src, {f32({2, 2}, {-3, -2, -5, -9}),
                           tensor(DType::I32, {2, 2}, {1, -2, 30, 40})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  expectTensor((*results)[0], DType::F32, {2}, {-2, -5});
  expectTensor((*results)[1], DType::I32, {2}, {31, 38}, 0);
}

TEST_F(InterpreterTest, LayerNorm) {
  // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25, + epsilon 0.25 = 1.5;
  // row [2, 2, 2, 2] has variance 0 and so normalises to 0, giving beta.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
      %y = kiln.layer_norm %x, %g, %b {epsilon = 0.25 : f32}
          : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    })mlir";
  const double s = 1 / std::sqrt(1.5);
  expectTensor(runOne(src, {f32({2, 4}, {1, 2, 3, 4, 2, 2, 2, 2}),
                            f32({4}, {1, 2, 1, 1}), f32({4}, {0, 0, 1, 0})}),
               DType::F32, {2, 4},
               {-1.5 * s, 2 * -0.5 * s, 0.5 * s + 1, 1.5 * s, 0, 0, 1, 0});
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, ReshapeKeepsRowMajorOrder) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
      %y = kiln.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
      return %y : tensor<3x2xf32>
    })mlir";
  expectTensor(runOne(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32,
               {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_F(InterpreterTest, Transpose) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
      %y = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
      return %y : tensor<3x2xf32>
    })mlir";
  expectTensor(runOne(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32,
               {3, 2}, {1, 4, 2, 5, 3, 6});
}

TEST_F(InterpreterTest, TransposeRank3ResultDimIIsInputDimPermI) {
  // perm [2, 0, 1] on [2, 3, 4] gives [4, 2, 3] with y[i][j][k] = x[j][k][i].
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
      %y = kiln.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      return %y : tensor<4x2x3xf32>
    })mlir";
  std::vector<double> x(24), want;
  for (int i = 0; i < 24; ++i)
    x[i] = i;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        want.push_back(j * 12 + k * 4 + i);
  expectTensor(runOne(src, {f32({2, 3, 4}, x)}), DType::F32, {4, 2, 3}, want);
}

TEST_F(InterpreterTest, Concat) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x1xf32>, %b: tensor<2x2xf32>) -> (tensor<2x3xf32>, tensor<4x2xf32>) {
      %y = kiln.concat %a, %b {axis = 1 : i64} : tensor<2x1xf32>, tensor<2x2xf32> -> tensor<2x3xf32>
      %z = kiln.concat %b, %b {axis = 0 : i64} : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
      return %y, %z : tensor<2x3xf32>, tensor<4x2xf32>
    })mlir";
  auto results = run(src, {f32({2, 1}, {1, 2}), f32({2, 2}, {3, 4, 5, 6})});
  ASSERT_TRUE((bool)results) << llvm::toString(results.takeError());
  expectTensor((*results)[0], DType::F32, {2, 3}, {1, 3, 4, 2, 5, 6});
  expectTensor((*results)[1], DType::F32, {4, 2}, {3, 4, 5, 6, 3, 4, 5, 6});
}

TEST_F(InterpreterTest, StridedSlice) {
  // x[i][j] = 5i + j over [3, 5]; rows 0, 2 and cols 1, 3 (limit 4 is
  // exclusive, and col 5 would be past it anyway).
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x5xf32>) -> tensor<2x2xf32> {
      %y = kiln.slice %x {starts = array<i64: 0, 1>, limits = array<i64: 3, 4>,
                          strides = array<i64: 2, 2>} : tensor<3x5xf32> -> tensor<2x2xf32>
      return %y : tensor<2x2xf32>
    })mlir";
  std::vector<double> x(15);
  for (int i = 0; i < 15; ++i)
    x[i] = i;
  expectTensor(runOne(src, {f32({3, 5}, x)}), DType::F32, {2, 2},
               {1, 3, 11, 13});
}

TEST_F(InterpreterTest, GatherClampsIndices) {
  // -1 clamps to row 0 and 7 to the last row, 2.
  const char *src = R"mlir(
    func.func @f(%t: tensor<3x2xf32>, %i: tensor<2x2xi32>) -> tensor<2x2x2xf32> {
      %y = kiln.gather %t, %i : tensor<3x2xf32>, tensor<2x2xi32> -> tensor<2x2x2xf32>
      return %y : tensor<2x2x2xf32>
    })mlir";
  expectTensor(runOne(src, {f32({3, 2}, {0, 1, 10, 11, 20, 21}),
                            tensor(DType::I32, {2, 2}, {2, -1, 1, 7})}),
               DType::F32, {2, 2, 2}, {20, 21, 0, 1, 10, 11, 20, 21});
}

TEST_F(InterpreterTest, PadLowHighAndInterior) {
  // The op's example: one row of zeros before, two columns after, and one
  // zero between each two columns.
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<3x7xf32> {
      %y = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>,
                        interior = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<3x7xf32>
      return %y : tensor<3x7xf32>
    })mlir";
  expectTensor(runOne(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32,
               {3, 7},
               {0, 0, 0, 0, 0, 0, 0, //
                1, 0, 2, 0, 3, 0, 0, //
                4, 0, 5, 0, 6, 0, 0},
               0);
}

TEST_F(InterpreterTest, PadInteriorOnlyAndIntegers) {
  // Interior padding alone dilates: [3] -> [3 + 2 * 2]; no zeros after the
  // last element.
  const char *src = R"mlir(
    func.func @f(%x: tensor<3xi32>) -> tensor<7xi32> {
      %y = kiln.pad %x {low = array<i64: 0>, high = array<i64: 0>,
                        interior = array<i64: 2>} : tensor<3xi32> -> tensor<7xi32>
      return %y : tensor<7xi32>
    })mlir";
  expectTensor(runOne(src, {tensor(DType::I32, {3}, {7, -8, 9})}), DType::I32,
               {7}, {7, 0, 0, -8, 0, 0, 9}, 0);
}

TEST_F(InterpreterTest, OneHotGivesZeroRowsOutOfRange) {
  // -1 and 3 lie outside [0, 3): rows of zeros, not clamped as gather is.
  const char *src = R"mlir(
    func.func @f(%i: tensor<2x2xi32>) -> tensor<2x2x3xf16> {
      %y = kiln.one_hot %i {depth = 3 : i64} : tensor<2x2xi32> -> tensor<2x2x3xf16>
      return %y : tensor<2x2x3xf16>
    })mlir";
  expectTensor(runOne(src, {tensor(DType::I32, {2, 2}, {1, -1, 3, 0})}),
               DType::F16, {2, 2, 3},
               {0, 1, 0, /**/ 0, 0, 0, /**/ 0, 0, 0, /**/ 1, 0, 0}, 0);
}

TEST_F(InterpreterTest, OneHotOfAScalarId) {
  const char *src = R"mlir(
    func.func @f(%i: tensor<i32>) -> tensor<4xf32> {
      %y = kiln.one_hot %i {depth = 4 : i64} : tensor<i32> -> tensor<4xf32>
      return %y : tensor<4xf32>
    })mlir";
  expectTensor(runOne(src, {tensor(DType::I32, {}, {3})}), DType::F32, {4},
               {0, 0, 0, 1}, 0);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

const char *kDense = R"mlir(
    func.func @dense(%x: tensor<2x3xf32> {kiln.name = "pixels"}) -> tensor<2x4xf32> {
      %w = kiln.param "dense0.w" {init = "glorot_uniform"} : tensor<3x4xf32>
      %y = kiln.matmul %x, %w : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    })mlir";

TEST_F(InterpreterTest, MissingParamIsNamed) {
  std::string msg = runError(kDense, {HostTensor(DType::F32, {2, 3})});
  EXPECT_NE(msg.find("dense0.w"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kiln.param"), std::string::npos) << msg;
  EXPECT_NE(msg.find("test.mlir:3:"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, ParamOfWrongShapeIsNamed) {
  ParamValues params;
  params.emplace("dense0.w", HostTensor(DType::F32, {4, 3}));
  std::string msg = runError(kDense, {HostTensor(DType::F32, {2, 3})}, params);
  EXPECT_NE(msg.find("dense0.w"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 3]"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, InputOfWrongShapeIsNamed) {
  ParamValues params;
  params.emplace("dense0.w", HostTensor(DType::F32, {3, 4}));
  std::string msg = runError(kDense, {HostTensor(DType::F32, {3, 2})}, params);
  EXPECT_NE(msg.find("'pixels'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 2]"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, InputOfWrongDtypeIsNamed) {
  ParamValues params;
  params.emplace("dense0.w", HostTensor(DType::F32, {3, 4}));
  std::string msg = runError(kDense, {HostTensor(DType::F16, {2, 3})}, params);
  EXPECT_NE(msg.find("'pixels'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("f16"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, WrongNumberOfInputs) {
  std::string msg = runError(kDense, {});
  EXPECT_NE(msg.find("takes 1 input, got 0"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, UnknownOpIsNamedWithItsLocation) {
  ctx.allowUnregisteredDialects();
  const char *src = R"mlir(
    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = "mystery.op"(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir";
  std::string msg = runError(src, {HostTensor(DType::F32, {2})});
  EXPECT_NE(msg.find("mystery.op"), std::string::npos) << msg;
  EXPECT_NE(msg.find("test.mlir:3:"), std::string::npos) << msg;
}

TEST_F(InterpreterTest, IntegerDivisionFollowsXla) {
  // Truncation toward zero; x / 0 = -1 and MIN / -1 = MIN, with no trap.
  const char *src = R"mlir(
    func.func @f(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
      %y = kiln.div %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
      return %y : tensor<4xi32>
    })mlir";
  HostTensor y = runOne(src, {tensor(DType::I32, {4}, {7, -8, -2147483648.0, 5}),
                              tensor(DType::I32, {4}, {0, 3, -1, -2})});
  ASSERT_EQ(y.size(), 4);
  EXPECT_EQ(y.get(0), -1);
  EXPECT_EQ(y.get(1), -2);
  EXPECT_EQ(y.get(2), -2147483648.0);
  EXPECT_EQ(y.get(3), -2);
}

TEST_F(InterpreterTest, InvalidIrIsReportedNotRun) {
  // Unverified IR whose result type disagrees with the operands: the
  // interpreter must refuse it rather than index past the operands.
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<5x5xf32> {
      %y = kiln.matmul %a, %b : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<5x5xf32>
      return %y : tensor<5x5xf32>
    })mlir";
  std::string msg = runError(
      src, {HostTensor(DType::F32, {2, 3}), HostTensor(DType::F32, {3, 2})}, {},
      /*verifyAfterParse=*/false);
  EXPECT_NE(msg.find("kiln.matmul"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid IR"), std::string::npos) << msg;
}

} // namespace
