//===- FloatMode.h - Denormals flushed to zero while kernels run -*- C++ -*-===//
//
// Kernels run with denormal (subnormal) floats flushed to zero: operands
// read as 0 (DAZ) and results written as 0 (FTZ), as XLA and TensorFlow run
// on CPUs. On x86 a denormal costs about a hundred cycles per operation in
// microcode, and training makes them: Adam's moments of a weight whose
// gradient stays zero decay geometrically through the denormal range, which
// slowed a training step 2.5x. Worker threads set the mode once; the
// caller's thread holds it for one run and gets its own mode back.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FLOATMODE_H
#define KILN_RUNTIME_FLOATMODE_H

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace kiln::rt {

class ScopedFlushDenormals {
public:
#if defined(__SSE__)
  static constexpr unsigned kFtzDaz = 0x8040; // MXCSR bits FTZ (15), DAZ (6)
  ScopedFlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
  ~ScopedFlushDenormals() { _mm_setcsr(saved_); }
  /// For a thread that only ever runs kernels.
  static void setForThread() { _mm_setcsr(_mm_getcsr() | kFtzDaz); }

private:
  unsigned saved_;
#else
  static void setForThread() {}
#endif
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_FLOATMODE_H
