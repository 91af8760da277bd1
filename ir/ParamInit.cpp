//===- ParamInit.cpp - Fresh values for kiln.param ------------------------===//
#include "kiln/ir/ParamInit.h"

#include <cmath>

namespace kiln {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * ((next() >> 11) * 0x1.0p-53);
}

uint64_t seedFor(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return h ^ (seed * 0x9e3779b97f4a7c15ull);
}

bool isKnownInit(std::string_view init) {
  return init == "glorot_uniform" || init == "uniform" || init == "zeros" ||
         init == "ones";
}

bool initParam(HostTensor &t, std::string_view init, std::string_view name,
               uint64_t seed) {
  const Shape &s = t.shape();
  double limit;
  if (init == "zeros" || init == "ones") {
    for (int64_t i = 0; i < t.size(); ++i)
      t.set(i, init == "ones" ? 1.0 : 0.0);
    return true;
  }
  if (init == "uniform") {
    limit = 0.05;
  } else if (init == "glorot_uniform") {
    // Kernels are [..., fan_in, fan_out]; leading dims are the receptive
    // field (conv [KH, KW, C, F]).
    double receptive = 1, fanIn = 1, fanOut = 1;
    if (s.size() >= 2) {
      for (size_t i = 0; i + 2 < s.size(); ++i)
        receptive *= s[i];
      fanIn = s[s.size() - 2] * receptive;
      fanOut = s.back() * receptive;
    } else if (s.size() == 1) {
      fanIn = fanOut = s[0];
    }
    limit = std::sqrt(6.0 / (fanIn + fanOut));
  } else {
    return false;
  }
  Rng rng(seedFor(seed, name));
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, rng.uniform(-limit, limit));
  return true;
}

} // namespace kiln
