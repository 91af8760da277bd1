//===- DslTest.cpp - Tests of the kiln C++ DSL ----------------------------===//
//
// The DSL's promise is that a bad graph fails while it is built, naming the
// op and the shapes, and that a graph it accepts becomes a module that
// verifies and survives a print/parse round trip. These tests hold it to
// that, layer by layer and for every built-in model.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/frontend/kiln.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kiln;
using ::testing::HasSubstr;

namespace {

/// The message of the ShapeError that `build` throws, or "" if none.
template <typename F> std::string shapeErrorOf(F build) {
  try {
    build();
  } catch (const ShapeError &e) {
    return e.what();
  }
  return "";
}

std::string print(mlir::Operation *op, bool debugInfo = false) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo();
  op->print(os, flags);
  return text;
}

class DslTest : public ::testing::Test {
protected:
  void SetUp() override {
    ctx.loadDialect<KilnDialect, mlir::func::FuncDialect>();
  }
  mlir::MLIRContext ctx;
};

const Node &nodeOf(Tensor t) { return t.graph().nodes()[t.id()]; }

} // namespace

//===----------------------------------------------------------------------===//
// Shape and type errors, before any MLIR exists
//===----------------------------------------------------------------------===//

TEST(DslErrors, MatmulContractionMismatchNamesOpAndShapes) {
  Graph g("g");
  Tensor a = g.input("a", {2, 3}), b = g.input("b", {4, 5});
  std::string msg = shapeErrorOf([&] { matmul(a, b); });
  EXPECT_THAT(msg, HasSubstr("kiln.matmul"));
  EXPECT_THAT(msg, HasSubstr("[2, 3]"));
  EXPECT_THAT(msg, HasSubstr("[4, 5]"));
  EXPECT_EQ(msg, "kiln.matmul: contraction dims differ: lhs [2, 3] has K=3, "
                 "rhs [4, 5] has K=4");
}

TEST(DslErrors, BroadcastMismatchNamesOpAndShapes) {
  Graph g("g");
  Tensor a = g.input("a", {2, 3}), b = g.input("b", {4});
  std::string msg = shapeErrorOf([&] { a + b; });
  EXPECT_THAT(msg, HasSubstr("kiln.add"));
  EXPECT_THAT(msg, HasSubstr("[2, 3]"));
  EXPECT_THAT(msg, HasSubstr("[4]"));
  EXPECT_THAT(shapeErrorOf([&] { maximum(a, b); }), HasSubstr("kiln.max:"));
}

TEST(DslErrors, ConvChannelMismatchNamesOpAndShapes) {
  Graph g("g");
  Tensor x = g.input("x", {1, 8, 8, 3});
  Tensor w = g.param("w", {3, 3, 4, 16});
  std::string msg = shapeErrorOf([&] { conv2d(x, w); });
  EXPECT_THAT(msg, HasSubstr("kiln.conv2d"));
  EXPECT_THAT(msg, HasSubstr("[1, 8, 8, 3]"));
  EXPECT_THAT(msg, HasSubstr("[3, 3, 4, 16]"));
}

TEST(DslErrors, ErrorInsideALayerNamesTheLayer) {
  Graph g("g");
  Tensor x = g.input("x", {8, 8, 3}); // no batch dim
  std::string msg = shapeErrorOf([&] { nn::conv2d(g, x, 16, 3); });
  EXPECT_THAT(msg, HasSubstr("kiln.conv2d"));
  EXPECT_THAT(msg, HasSubstr("[8, 8, 3]"));
  EXPECT_THAT(msg, HasSubstr("(in layer conv2d0)"));
  // The layer's scope ends with it, even when it throws.
  EXPECT_EQ(g.scope(), "");
  Tensor y = g.input("y", {2, 3}), z = g.input("z", {4, 5});
  EXPECT_THAT(shapeErrorOf([&] { matmul(y, z); }),
              ::testing::Not(HasSubstr("in layer")));
}

TEST(DslErrors, ElementTypesAreChecked) {
  Graph g("g");
  Tensor f = g.input("f", {4}), i = g.input("i", {4}, DType::I32);
  EXPECT_THAT(shapeErrorOf([&] { f + i; }),
              HasSubstr("kiln.add: operands must share one element type, got "
                        "f32 [4] and i32 [4]"));
  EXPECT_THAT(shapeErrorOf([&] { exp(i); }),
              HasSubstr("kiln.exp: expects a float tensor"));
  EXPECT_THAT(shapeErrorOf([&] { softmax(i, 0); }), HasSubstr("kiln.softmax"));
  Tensor table = g.param("table", {10, 3});
  EXPECT_THAT(shapeErrorOf([&] { gather(table, f); }),
              HasSubstr("kiln.gather: indices must be i32, got f32 [4]"));
  EXPECT_EQ(gather(table, i).shape(), (Shape{4, 3}));
  EXPECT_EQ(neg(i).dtype(), DType::I32); // neg is not float-only
  EXPECT_EQ(cast(i, DType::F32).dtype(), DType::F32);
}

TEST(DslErrors, CompareChecksPredicateShapesAndTypes) {
  Graph g("g");
  Tensor a = g.input("a", {2, 3}), b = g.input("b", {4});
  Tensor i = g.input("i", {3}, DType::I32);
  EXPECT_EQ(shapeErrorOf([&] { compare(a, a, "greater"); }),
            "kiln.compare: predicate must be one of eq, ne, lt, le, gt, ge; "
            "got 'greater'");
  std::string msg = shapeErrorOf([&] { greater(a, b); });
  EXPECT_THAT(msg, HasSubstr("kiln.compare:"));
  EXPECT_THAT(msg, HasSubstr("[2, 3]"));
  EXPECT_THAT(msg, HasSubstr("[4]"));
  EXPECT_THAT(shapeErrorOf([&] { less(a, i); }),
              HasSubstr("kiln.compare: operands must share one element type, "
                        "got f32 [2, 3] and i32 [3]"));
  // The mask keeps the operands' type, and integers compare too.
  Tensor m = less_equal(a, g.input("row", {3}));
  EXPECT_EQ(m.shape(), (Shape{2, 3}));
  EXPECT_EQ(m.dtype(), DType::F32);
  EXPECT_EQ(std::get<std::string>(nodeOf(m).attrs.at("predicate")), "le");
  EXPECT_EQ(equal(i, i).dtype(), DType::I32);
}

TEST(DslErrors, PadChecksItsPadding) {
  Graph g("g");
  Tensor x = g.input("x", {1, 4, 4, 2});
  std::string msg =
      shapeErrorOf([&] { pad(x, {0, 1, 1, 0}, {0, -1, 1, 0}); });
  EXPECT_THAT(msg, HasSubstr("kiln.pad: dim 1: padding must be non-negative"));
  EXPECT_THAT(shapeErrorOf([&] { pad(x, {1, 1}, {1, 1}); }),
              HasSubstr("kiln.pad: low [1, 1], high [1, 1] and interior "
                        "[0, 0, 0, 0] must each have one entry per dim of "
                        "[1, 4, 4, 2]"));
  // Interior padding is none unless given, and goes between elements only.
  EXPECT_EQ(pad(x, {0, 1, 0, 0}, {0, 0, 2, 0}).shape(), (Shape{1, 5, 6, 2}));
  EXPECT_EQ(pad(x, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 2, 0}).shape(),
            (Shape{1, 7, 10, 2}));
}

TEST(DslErrors, OneHotChecksIdsDepthAndType) {
  Graph g("g");
  Tensor ids = g.input("ids", {8}, DType::I32);
  Tensor f = g.input("f", {8});
  EXPECT_EQ(shapeErrorOf([&] { one_hot(f, 10); }),
            "kiln.one_hot: ids must be i32, got f32 [8]");
  EXPECT_EQ(shapeErrorOf([&] { one_hot(ids, 0); }),
            "kiln.one_hot: depth must be at least 1, got 0");
  EXPECT_EQ(shapeErrorOf([&] { one_hot(ids, 10, DType::I32); }),
            "kiln.one_hot: the result must be a float type (f32, f16, bf16), "
            "got i32");
  Tensor y = one_hot(ids, 10, DType::BF16);
  EXPECT_EQ(y.shape(), (Shape{8, 10}));
  EXPECT_EQ(y.dtype(), DType::BF16);
  EXPECT_THAT(shapeErrorOf([&] { erf(ids); }),
              HasSubstr("kiln.erf: expects a float tensor"));
}

TEST(DslErrors, TensorsOfTwoGraphsDoNotMix) {
  Graph g1("one"), g2("two");
  Tensor a = g1.input("a", {2}), b = g2.input("b", {2});
  std::string msg = shapeErrorOf([&] { a + b; });
  EXPECT_THAT(msg, HasSubstr("kiln.add"));
  EXPECT_THAT(msg, HasSubstr("two graphs"));
  EXPECT_THAT(shapeErrorOf([&] { g1.output("b", b); }), HasSubstr("'two'"));
  EXPECT_THAT(shapeErrorOf([&] { Tensor() + a; }), HasSubstr("empty Tensor"));
}

TEST(DslErrors, NamesAreChecked) {
  Graph g("g");
  Tensor x = g.input("x", {2});
  EXPECT_THAT(shapeErrorOf([&] { g.input("x", {3}); }),
              HasSubstr("already has an input 'x'"));
  g.output("y", x);
  EXPECT_THAT(shapeErrorOf([&] { g.output("y", x); }),
              HasSubstr("already has an output 'y'"));
  EXPECT_THAT(shapeErrorOf([&] { g.param("w", {2}, "normal"); }),
              HasSubstr("init \"normal\""));
  EXPECT_THAT(shapeErrorOf([&] { g.constant({1, 2, 3}, {2, 2}); }),
              HasSubstr("kiln.constant: 3 values for shape [2, 2]"));
}

//===----------------------------------------------------------------------===//
// Graph building
//===----------------------------------------------------------------------===//

TEST(DslGraph, UniqueNamesCountPerKind) {
  Graph g("g");
  EXPECT_EQ(g.uniqueName("dense"), "dense0");
  EXPECT_EQ(g.uniqueName("dense"), "dense1");
  EXPECT_EQ(g.uniqueName("conv2d"), "conv2d0");
}

TEST(DslGraph, ParamsWithOneNameAreShared) {
  Graph g("g");
  Tensor w1 = g.param("w", {2, 3});
  Tensor w2 = g.param("w", {2, 3});
  EXPECT_EQ(w1.id(), w2.id());
  EXPECT_THAT(shapeErrorOf([&] { g.param("w", {3, 2}); }),
              HasSubstr("'w' is already [2, 3]"));
}

TEST(DslGraph, NegativeAxesCountFromTheEnd) {
  Graph g("g");
  Tensor x = g.input("x", {2, 3, 4});
  EXPECT_EQ(std::get<int64_t>(nodeOf(softmax(x, -1)).attrs.at("axis")), 2);
  EXPECT_EQ(reduce_sum(x, {-1, 0}).shape(), (Shape{3}));
  EXPECT_THAT(shapeErrorOf([&] { softmax(x, -4); }),
              HasSubstr("kiln.softmax: axis -4 is out of range"));
  EXPECT_EQ(x.dim(-1), 4);
}

TEST(DslGraph, ScalarOperandsTakeTheTensorsElementType) {
  Graph g("g");
  Tensor h = g.input("h", {4}, DType::F16);
  Tensor y = h * 0.5f + 1.0f;
  EXPECT_EQ(y.dtype(), DType::F16);
  EXPECT_EQ(y.shape(), (Shape{4}));
}

//===----------------------------------------------------------------------===//
// Layer output shapes
//===----------------------------------------------------------------------===//

TEST(DslLayers, DenseOnThreeDims) {
  Graph g("g");
  Tensor x = g.input("x", {2, 5, 7});
  Tensor y = nn::dense(g, x, 16, Act::Relu);
  EXPECT_EQ(y.shape(), (Shape{2, 5, 16}));
  EXPECT_EQ(g.param("dense0.w", {7, 16}).shape(), (Shape{7, 16}));
  EXPECT_EQ(g.param("dense0.b", {16}, "zeros").shape(), (Shape{16}));
  EXPECT_EQ(nn::dense(g, y, 3).shape(), (Shape{2, 5, 3}));
  EXPECT_EQ(nodeOf(y).scope, "dense0");
}

TEST(DslLayers, ConvValidAndSame) {
  Graph g("g");
  Tensor x = g.input("x", {1, 150, 150, 3});
  EXPECT_EQ(nn::conv2d(g, x, 32, 3).shape(), (Shape{1, 148, 148, 32}));
  EXPECT_EQ(nn::conv2d(g, x, 32, 3, 1, Padding::Same).shape(),
            (Shape{1, 150, 150, 32}));
  EXPECT_EQ(nn::conv2d(g, x, 8, 3, 2, Padding::Same).shape(),
            (Shape{1, 75, 75, 8}));

  // TF's SAME padding puts the odd row at the bottom/right.
  Tensor small = g.input("small", {1, 6, 5, 2});
  Tensor y = nn::conv2d(g, small, 4, 3, 2, Padding::Same);
  EXPECT_EQ(y.shape(), (Shape{1, 3, 3, 4}));
  const Node &bias = nodeOf(y);
  const Node &conv = g.nodes()[bias.inputs[0]];
  ASSERT_EQ(conv.op, "conv2d");
  EXPECT_EQ(std::get<std::vector<int64_t>>(conv.attrs.at("padding")),
            (std::vector<int64_t>{0, 1, 1, 1}));
}

TEST(DslLayers, MaxPoolAndFlatten) {
  Graph g("g");
  Tensor x = g.input("x", {2, 148, 148, 32});
  Tensor p = nn::max_pool2d(x, 2);
  EXPECT_EQ(p.shape(), (Shape{2, 74, 74, 32}));
  EXPECT_EQ(nn::max_pool2d(g.input("odd", {1, 5, 5, 1}), 2, 2, Padding::Same)
                .shape(),
            (Shape{1, 3, 3, 1}));
  EXPECT_EQ(nn::max_pool2d(x, 3, 1).shape(), (Shape{2, 146, 146, 32}));
  EXPECT_EQ(nn::flatten(p).shape(), (Shape{2, 74 * 74 * 32}));
}

TEST(DslLayers, EmbeddingAndLayerNorm) {
  Graph g("g");
  Tensor ids = g.input("ids", {2, 16}, DType::I32);
  Tensor e = nn::embedding(g, ids, 100, 32);
  EXPECT_EQ(e.shape(), (Shape{2, 16, 32}));
  EXPECT_EQ(nn::layer_norm(g, e).shape(), (Shape{2, 16, 32}));
  EXPECT_EQ(g.param("layer_norm0.gamma", {32}, "ones").shape(), (Shape{32}));
}

TEST(DslLayers, Attention) {
  Graph g("g");
  Tensor x = g.input("x", {2, 10, 64});
  EXPECT_EQ(nn::multi_head_attention(g, x, 8).shape(), (Shape{2, 10, 64}));
  EXPECT_EQ(g.param("mha0.q.w", {64, 64}).shape(), (Shape{64, 64}));
  EXPECT_EQ(nn::transformer_encoder(g, x, 4, 128).shape(), (Shape{2, 10, 64}));
  EXPECT_EQ(g.param("encoder0.ffn1.w", {64, 128}).shape(), (Shape{64, 128}));
  EXPECT_THAT(shapeErrorOf([&] { nn::multi_head_attention(g, x, 5); }),
              HasSubstr("does not split into 5 heads"));
  // The scores are [B, H, S, S] and the softmax runs along their last axis.
  bool sawScores = false;
  for (const Node &n : g.nodes())
    if (n.op == "softmax" && n.scope == "mha0") {
      EXPECT_EQ(n.shape, (Shape{2, 8, 10, 10}));
      EXPECT_EQ(std::get<int64_t>(n.attrs.at("axis")), 3);
      sawScores = true;
    }
  EXPECT_TRUE(sawScores);
}

//===----------------------------------------------------------------------===//
// To MLIR
//===----------------------------------------------------------------------===//

TEST_F(DslTest, UnusedNodesAndPassThroughOutputsConvert) {
  Graph g("tiny");
  Tensor x = g.input("x", {2, 3});
  exp(x); // unused
  g.output("same", x);
  g.output("scaled", x * 2.0f);
  auto module = toModule(g, ctx);
  ASSERT_TRUE(module);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  std::string text = print(*module);
  EXPECT_THAT(text, HasSubstr("func.func @tiny"));
  EXPECT_THAT(text, HasSubstr("kiln.exp"));
  EXPECT_THAT(text, HasSubstr("dense<2.000000e+00> : tensor<f32>"));
}

TEST_F(DslTest, ComparePadOneHotAndErfConvertAndVerify) {
  Graph g("masks");
  Tensor x = g.input("x", {2, 4, 4, 3});
  Tensor ids = g.input("ids", {2, 4}, DType::I32);
  Tensor mask = greater(x, g.constant(0.0f));
  g.output("padded", pad(erf(x) * mask, {0, 1, 1, 0}, {0, 1, 1, 0},
                         {0, 1, 1, 0}));
  g.output("hot", one_hot(ids, 5, DType::F16));
  auto module = toModule(g, ctx);
  ASSERT_TRUE(module);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
  std::string text = print(*module);
  EXPECT_THAT(text, HasSubstr("{predicate = \"gt\"}"));
  EXPECT_THAT(text, HasSubstr("kiln.erf"));
  EXPECT_THAT(text, HasSubstr("-> tensor<2x9x9x3xf32>"));
  EXPECT_THAT(text, HasSubstr("{depth = 5 : i64} : tensor<2x4xi32> -> "
                              "tensor<2x4x5xf16>"));
}

TEST_F(DslTest, OpsCarryTheirLayerAsLocation) {
  Graph g = text_transformer(1);
  auto module = toModule(g, ctx);
  ASSERT_TRUE(module);
  std::string text = print(*module, /*debugInfo=*/true);
  EXPECT_THAT(text, HasSubstr("loc(\"encoder0.mha.q\""));
  EXPECT_THAT(text, HasSubstr("loc(\"embedding0\""));
}

namespace {
struct ModelExpectation {
  std::string model;
  std::vector<TensorSpec> inputs, outputs;
  int64_t params;
};
} // namespace

TEST_F(DslTest, BuiltinModelsConvertVerifyAndRoundTrip) {
  const std::vector<ModelExpectation> expected = {
      {"linreg", {{"x", DType::F32, {4, 1}, ""}},
       {{"y", DType::F32, {4, 1}, ""}}, 2},
      {"house_mlp", {{"features", DType::F32, {32, 13}, ""}},
       {{"price", DType::F32, {32, 1}, ""}}, 5121},
      {"binary_mlp", {{"features", DType::F32, {32, 3}, ""}},
       {{"prob", DType::F32, {32, 1}, ""}}, 51},
      {"fashion_mlp", {{"image", DType::F32, {64, 784}, ""}},
       {{"probs", DType::F32, {64, 10}, ""}}, 101770},
      {"cnn", {{"image", DType::F32, {1, 150, 150, 3}, ""}},
       {{"prob", DType::F32, {1, 1}, ""}}, 19034177},
      {"text_transformer", {{"tokens", DType::I32, {1, 64}, ""}},
       {{"probs", DType::F32, {1, 64, 1000}, ""}}, 4177384},
      {"norm_chain", {{"x", DType::F32, {4096, 1024}, ""}},
       {{"y", DType::F32, {4096, 1024}, ""}}, 4096},
      {"long_attention", {{"x", DType::F32, {1, 1024, 256}, ""}},
       {{"y", DType::F32, {1, 1024, 256}, ""}}, 4 * (256 * 256 + 256)},
  };
  const std::vector<ModelInfo> &models = builtinModels();
  ASSERT_EQ(models.size(), expected.size());
  for (size_t m = 0; m < models.size(); ++m) {
    const ModelInfo &info = models[m];
    const ModelExpectation &want = expected[m];
    SCOPED_TRACE(info.name);
    EXPECT_EQ(info.name, want.model);
    EXPECT_EQ(findModel(info.name), &info);
    EXPECT_FALSE(info.summary.empty());

    Graph g = info.build(info.defaultBatch);
    EXPECT_EQ(g.name(), info.name);
    auto module = toModule(g, ctx);
    ASSERT_TRUE(module);
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));

    std::string text = print(*module);
    auto parsed = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(print(*parsed), text);

    auto func = modelFunc(*parsed);
    ASSERT_TRUE(bool(func)) << llvm::toString(func.takeError());
    EXPECT_EQ(func->getSymName(), info.name);
    auto sig = signatureOf(*func);
    ASSERT_TRUE(bool(sig)) << llvm::toString(sig.takeError());
    auto check = [](const std::vector<TensorSpec> &got,
                    const std::vector<TensorSpec> &want) {
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].name, want[i].name);
        EXPECT_EQ(got[i].dtype, want[i].dtype);
        EXPECT_EQ(got[i].shape, want[i].shape);
      }
    };
    check(sig->inputs, want.inputs);
    check(sig->outputs, want.outputs);
    int64_t params = 0;
    for (const TensorSpec &p : sig->params)
      params += numElements(p.shape);
    EXPECT_EQ(params, want.params);
  }
  EXPECT_EQ(findModel("no_such_model"), nullptr);
}

TEST_F(DslTest, BuiltinModelsTakeTheirBatchSize) {
  for (const ModelInfo &info : builtinModels()) {
    SCOPED_TRACE(info.name);
    Graph g = info.build(3);
    ASSERT_EQ(g.inputs().size(), 1u);
    EXPECT_EQ(g.nodes()[g.inputs()[0].second].shape[0], 3);
    EXPECT_EQ(g.nodes()[g.outputs()[0].second].shape[0], 3);
    EXPECT_TRUE(toModule(g, ctx));
  }
}
