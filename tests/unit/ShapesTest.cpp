//===- ShapesTest.cpp - The shared shape rules ----------------------------===//
//
// The rules in ir/Shapes.h back both the DSL and the verifiers; these tests
// pin their results and that each error names the shapes involved.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Shapes.h"

#include <gtest/gtest.h>

using namespace kiln;

TEST(Shapes, Broadcast) {
  EXPECT_EQ(broadcastShapes({4, 1, 3}, {5, 1}).shape, (Shape{4, 5, 3}));
  EXPECT_EQ(broadcastShapes({}, {2, 2}).shape, (Shape{2, 2}));
  ShapeOr bad = broadcastShapes({2, 3}, {4, 3});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("[2, 3]"), std::string::npos) << bad.error;
  EXPECT_NE(bad.error.find("[4, 3]"), std::string::npos) << bad.error;
}

TEST(Shapes, Matmul) {
  EXPECT_EQ(matmulShape({8, 784}, {784, 128}).shape, (Shape{8, 128}));
  EXPECT_EQ(matmulShape({2, 64, 512}, {512, 16}).shape, (Shape{2, 64, 16}));
  EXPECT_EQ(matmulShape({2, 8, 4, 5}, {2, 8, 5, 4}).shape, (Shape{2, 8, 4, 4}));
  ShapeOr bad = matmulShape({2, 3}, {4, 5});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("K=3"), std::string::npos) << bad.error;
  EXPECT_NE(bad.error.find("[4, 5]"), std::string::npos) << bad.error;
}

TEST(Shapes, ConvAndPool) {
  EXPECT_EQ(conv2dShape({1, 150, 150, 3}, {3, 3, 3, 32}, {1, 1}, {0, 0, 0, 0},
                        {1, 1}).shape,
            (Shape{1, 148, 148, 32}));
  EXPECT_EQ(conv2dShape({2, 7, 7, 4}, {3, 3, 4, 8}, {2, 2}, {1, 1, 1, 1},
                        {1, 1}).shape,
            (Shape{2, 4, 4, 8}));
  EXPECT_FALSE(conv2dShape({1, 8, 8, 3}, {3, 3, 4, 8}, {1, 1}, {0, 0, 0, 0},
                           {1, 1}).ok());
  EXPECT_EQ(pool2dShape({1, 148, 148, 32}, {2, 2}, {2, 2}, {0, 0, 0, 0}).shape,
            (Shape{1, 74, 74, 32}));
  EXPECT_EQ(pool2dShape({1, 5, 5, 1}, {2, 2}, {2, 2}, {0, 1, 0, 1}).shape,
            (Shape{1, 3, 3, 1}));
}

TEST(Shapes, DataMovement) {
  EXPECT_EQ(reduceShape({2, 3, 4}, {1}, false).shape, (Shape{2, 4}));
  EXPECT_EQ(reduceShape({2, 3, 4}, {0, 2}, true).shape, (Shape{1, 3, 1}));
  EXPECT_FALSE(reduceShape({2, 3}, {1, 1}, false).ok());
  EXPECT_EQ(transposeShape({2, 3, 4}, {2, 0, 1}).shape, (Shape{4, 2, 3}));
  EXPECT_FALSE(transposeShape({2, 3}, {0, 0}).ok());
  EXPECT_EQ(concatShape({{2, 3}, {2, 5}}, 1).shape, (Shape{2, 8}));
  EXPECT_FALSE(concatShape({{2, 3}, {3, 5}}, 1).ok());
  EXPECT_EQ(sliceShape({10, 4}, {1, 0}, {10, 4}, {3, 2}).shape, (Shape{3, 2}));
  EXPECT_FALSE(sliceShape({10}, {0}, {11}, {1}).ok());
  EXPECT_EQ(gatherShape({1000, 64}, {2, 16}).shape, (Shape{2, 16, 64}));
  EXPECT_FALSE(reshapeShape({2, 3}, {4, 2}).ok());
  EXPECT_FALSE(layerNormShape({2, 8}, {4}, {8}).ok());
}

TEST(Shapes, PadAndOneHot) {
  // low + n + (n - 1) * interior + high per dim.
  EXPECT_EQ(padShape({2, 3}, {1, 0}, {0, 2}, {0, 1}).shape, (Shape{3, 7}));
  EXPECT_EQ(padShape({1, 4, 4, 2}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 0})
                .shape,
            (Shape{1, 9, 9, 2}));
  EXPECT_EQ(padShape({0, 2}, {1, 0}, {1, 0}, {3, 0}).shape, (Shape{2, 2}));
  EXPECT_EQ(padShape({}, {}, {}, {}).shape, Shape{});
  ShapeOr negative = padShape({2, 3}, {0, 0}, {0, -1}, {0, 0});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error.find("dim 1"), std::string::npos) << negative.error;
  EXPECT_FALSE(padShape({2, 3}, {0}, {0, 0}, {0, 0}).ok());
  EXPECT_EQ(oneHotShape({64}, 10).shape, (Shape{64, 10}));
  EXPECT_EQ(oneHotShape({}, 3).shape, (Shape{3}));
  ShapeOr zero = oneHotShape({4}, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error.find("got 0"), std::string::npos) << zero.error;
}
