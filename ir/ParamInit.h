//===- ParamInit.h - Fresh values for kiln.param ----------------*- C++ -*-===//
//
// Draws a parameter's initial value from its `init` kind, deterministically
// from a seed and the parameter's name, so that every tool (and every
// machine) builds the same weights for the same model.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_PARAMINIT_H
#define KILN_IR_PARAMINIT_H

#include "kiln/ir/HostTensor.h"

#include <cstdint>
#include <string_view>

namespace kiln {

/// Splitmix64: a small generator with the same output on every platform.
class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi);

private:
  uint64_t state_;
};

/// Seed for one named value: mixes `seed` with a hash of `name`.
uint64_t seedFor(uint64_t seed, std::string_view name);

/// Whether `init` is one of the kinds initParam knows; the verifier and the
/// DSL both ask here.
bool isKnownInit(std::string_view init);
inline constexpr const char *kKnownInits =
    "glorot_uniform, uniform, zeros, ones";

/// Fills `t` by `init`: "glorot_uniform" (Keras' default for dense and conv
/// kernels: U(-l, l), l = sqrt(6 / (fan_in + fan_out))), "uniform"
/// (U(-0.05, 0.05), Keras' embedding default), "zeros" or "ones".
/// Returns false for an unknown kind.
bool initParam(HostTensor &t, std::string_view init, std::string_view name,
               uint64_t seed);

} // namespace kiln

#endif // KILN_IR_PARAMINIT_H
