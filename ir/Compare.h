//===- Compare.h - Compiled results against the reference -------*- C++ -*-===//
//
// The one comparison every numerical check uses (kiln-run --check, the e2e
// tests): per element, |got - ref| <= atol + rtol * |ref|, with NaN equal
// only to NaN and an infinity only to itself.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_COMPARE_H
#define KILN_IR_COMPARE_H

#include "kiln/ir/HostTensor.h"

namespace kiln {

struct Tolerance {
  double rtol = 1e-5, atol = 1e-6;

  /// kiln-run --check's tolerance for a whole model's output of `t`. f32
  /// kernels accumulate in f32 and the interpreter in double, so long
  /// reductions (cnn's 36992-long dense) need more than f32's epsilon;
  /// 1e-4 relative covers them with margin and still catches any real
  /// miscompilation. Half precision gets two steps of its own precision;
  /// integers must be exact.
  static Tolerance forModelOutput(DType t);
};

struct Comparison {
  double maxAbs = 0; // largest |got - ref|
  double maxRel = 0; // largest |got - ref| / |ref| where |ref| > atol
  int64_t worst = -1; // the element furthest beyond tolerance, or -1
  bool ok() const { return worst < 0; }
};

/// Compares two tensors of the same shape element by element.
Comparison compareTensors(const HostTensor &got, const HostTensor &ref,
                          Tolerance tol);

} // namespace kiln

#endif // KILN_IR_COMPARE_H
