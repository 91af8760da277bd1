//===- CompareTest.cpp - The comparison behind every numerical check ------===//
//
// kiln-run --check and the e2e tests pass or fail by compareTensors; these
// tests pin that it fails where it must (beyond tolerance, NaN against a
// number, infinities of either sign) and names the worst element.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/Compare.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln;

static HostTensor tensor(std::vector<double> values) {
  HostTensor t(DType::F32, {(int64_t)values.size()});
  for (size_t i = 0; i < values.size(); ++i)
    t.set(i, values[i]);
  return t;
}

TEST(Compare, WithinToleranceIsOk) {
  Comparison c = compareTensors(tensor({1.0, 100.0, 0.0}),
                                tensor({1.00005, 100.009, 5e-6}),
                                Tolerance{1e-4, 1e-5});
  EXPECT_TRUE(c.ok());
  EXPECT_NEAR(c.maxAbs, 0.009, 1e-5);
  EXPECT_NEAR(c.maxRel, 9e-5, 1e-6);
}

TEST(Compare, BeyondToleranceNamesTheWorstElement) {
  Comparison c = compareTensors(tensor({1.0, 2.0, 3.0, 4.0}),
                                tensor({1.0, 2.001, 3.1, 4.0}),
                                Tolerance{1e-4, 1e-5});
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.worst, 2);
  EXPECT_NEAR(c.maxAbs, 0.1, 1e-6);
}

TEST(Compare, NaNAndInfinities) {
  Tolerance tol{1e-4, 1e-5};
  EXPECT_TRUE(compareTensors(tensor({NAN, INFINITY, -INFINITY}),
                             tensor({NAN, INFINITY, -INFINITY}), tol)
                  .ok());
  EXPECT_EQ(compareTensors(tensor({1.0, NAN}), tensor({1.0, 1.0}), tol).worst,
            1);
  EXPECT_EQ(compareTensors(tensor({0.0, 1.0}), tensor({NAN, 1.0}), tol).worst,
            0);
  EXPECT_EQ(compareTensors(tensor({INFINITY}), tensor({-INFINITY}), tol).worst,
            0);
  EXPECT_EQ(compareTensors(tensor({INFINITY}), tensor({1e30}), tol).worst, 0);
}

TEST(Compare, ModelOutputToleranceFollowsTheDType) {
  EXPECT_EQ(Tolerance::forModelOutput(DType::I32).rtol, 0);
  EXPECT_LT(Tolerance::forModelOutput(DType::F32).rtol,
            Tolerance::forModelOutput(DType::F16).rtol);
  EXPECT_LT(Tolerance::forModelOutput(DType::F16).rtol,
            Tolerance::forModelOutput(DType::BF16).rtol);
}
