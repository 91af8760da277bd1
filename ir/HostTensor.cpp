//===- HostTensor.cpp - A dense tensor in host memory ---------------------===//
//
// Element access across dtypes: f16 and bf16 are converted by hand so the
// host code needs no half-precision support from the compiler.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/HostTensor.h"

#include <cmath>

namespace kiln {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I8: return "i8";
  case DType::I32: return "i32";
  }
  return "?";
}

size_t dtypeSize(DType t) {
  switch (t) {
  case DType::F32: case DType::I32: return 4;
  case DType::F16: case DType::BF16: return 2;
  case DType::I8: return 1;
  }
  return 0;
}

static float bitsToFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

static uint32_t floatToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

static float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
  float v = exp == 0    ? std::ldexp((float)man, -24)
            : exp == 31 ? (man ? NAN : INFINITY)
                        : std::ldexp((float)(man | 1024), (int)exp - 25);
  return sign ? -v : v;
}

static uint16_t floatToHalf(float f) {
  uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  f = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00;
  if (f >= 65520.0f) return sign | 0x7c00;
  if (f < 6.103515625e-05f) // subnormal: multiples of 2^-24
    return sign | (uint16_t)std::nearbyint(f * 16777216.0f);
  int e;
  float m = std::frexp(f, &e); // f = m * 2^e, m in [0.5, 1)
  uint32_t man = (uint32_t)std::nearbyint(m * 2048.0f); // 11 bits
  if (man == 2048) { man = 1024; ++e; }
  return sign | (uint16_t)((e + 14) << 10) | (uint16_t)(man - 1024);
}

static uint16_t floatToBf16(float f) {
  uint32_t b = floatToBits(f);
  if (std::isnan(f)) return (uint16_t)((b >> 16) | 0x40);
  b += 0x7fff + ((b >> 16) & 1); // round to nearest even
  return (uint16_t)(b >> 16);
}

/// Float to a `bits`-wide integer: truncate toward zero, then wrap as two's
/// complement (what the integer kernels do on overflow); NaN becomes 0 and
/// magnitudes beyond 2^62 saturate, so no conversion is undefined.
static int64_t toInt(double x, unsigned bits) {
  if (std::isnan(x))
    return 0;
  x = std::trunc(x);
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  if (std::fabs(x) >= 0x1p62)
    return x < 0 ? lo : hi;
  uint64_t u = (uint64_t)(int64_t)x & ((uint64_t(1) << bits) - 1);
  int64_t v = (int64_t)u;
  return v > hi ? v - (int64_t(1) << bits) : v;
}

double HostTensor::get(int64_t i) const {
  switch (dtype_) {
  case DType::F32: return as<float>()[i];
  case DType::F16: return halfToFloat(as<uint16_t>()[i]);
  case DType::BF16: return bitsToFloat((uint32_t)as<uint16_t>()[i] << 16);
  case DType::I8: return as<int8_t>()[i];
  case DType::I32: return as<int32_t>()[i];
  }
  return 0;
}

void HostTensor::set(int64_t i, double v) {
  switch (dtype_) {
  case DType::F32: as<float>()[i] = (float)v; return;
  case DType::F16: as<uint16_t>()[i] = floatToHalf((float)v); return;
  case DType::BF16: as<uint16_t>()[i] = floatToBf16((float)v); return;
  case DType::I8: as<int8_t>()[i] = (int8_t)toInt(v, 8); return;
  case DType::I32: as<int32_t>()[i] = (int32_t)toInt(v, 32); return;
  }
}

std::string checkTensor(const HostTensor &got, const std::string &what,
                        DType wantType, const Shape &wantShape) {
  if (got.dtype() == wantType && got.shape() == wantShape)
    return "";
  return what + ": expected " + dtypeName(wantType) + " " +
         toString(wantShape) + ", got " + dtypeName(got.dtype()) + " " +
         toString(got.shape());
}

} // namespace kiln
