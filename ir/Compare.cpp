//===- Compare.cpp - Compiled results against the reference ---------------===//
#include "kiln/ir/Compare.h"

#include <algorithm>
#include <cmath>

namespace kiln {

Tolerance Tolerance::forModelOutput(DType t) {
  switch (t) {
  case DType::F32: return {1e-4, 1e-5};
  case DType::F16: return {2e-3, 1e-3};   // 2^-10 per step
  case DType::BF16: return {1.6e-2, 1e-2}; // 2^-7 per step
  case DType::I8: case DType::I32: return {0, 0};
  }
  return {0, 0};
}

Comparison compareTensors(const HostTensor &got, const HostTensor &ref,
                          Tolerance tol) {
  Comparison c;
  double worstExcess = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    double g = got.get(i), r = ref.get(i);
    double d = (g == r || (std::isnan(g) && std::isnan(r)))
                   ? 0
                   : std::fabs(g - r); // NaN or inf where they differ
    if (std::isnan(d))
      d = INFINITY;
    c.maxAbs = std::max(c.maxAbs, d);
    if (std::fabs(r) > tol.atol)
      c.maxRel = std::max(c.maxRel, d / std::fabs(r));
    // A non-finite reference allows no difference at all.
    double allowed = std::isfinite(r) ? tol.atol + tol.rtol * std::fabs(r) : 0;
    double excess = d - allowed;
    if (excess > worstExcess) {
      worstExcess = excess;
      c.worst = i;
    }
  }
  return c;
}

} // namespace kiln
