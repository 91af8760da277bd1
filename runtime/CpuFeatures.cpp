//===- CpuFeatures.cpp - What this host's CPU and OS support --------------===//
//
// CPUID says what the CPU implements; for AVX and AVX-512 the OS must also
// have enabled the registers' state in XCR0 (OSXSAVE, then XGETBV), or the
// instructions fault even on a CPU that has them. The answers are read once.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/CpuFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define KILN_X86 1
#endif

namespace kiln::rt {

namespace {

#ifdef KILN_X86
/// The CPUID leaves kCpuFeatures reads, and what XCR0 enables.
struct HostCpu {
  uint32_t leaf1[4] = {}, leaf7[4] = {}, leaf7s1[4] = {}, ext1[4] = {};
  bool avxState = false, avx512State = false;

  HostCpu() {
    unsigned a, b, c, d;
    unsigned maxLeaf = __get_cpuid_max(0, nullptr);
    auto read = [&](uint32_t leaf, uint32_t subleaf, uint32_t *out) {
      if (__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) {
        out[0] = a;
        out[1] = b;
        out[2] = c;
        out[3] = d;
      }
    };
    if (maxLeaf >= 1)
      read(1, 0, leaf1);
    if (maxLeaf >= 7) {
      read(7, 0, leaf7);
      if (leaf7[0] >= 1) // EAX of (7, 0): the highest subleaf
        read(7, 1, leaf7s1);
    }
    // int in some compilers' cpuid.h, unsigned in others.
    if (static_cast<unsigned>(__get_cpuid_max(0x80000000, nullptr)) >=
        0x80000001u)
      read(0x80000001, 0, ext1);
    bool osxsave = (leaf1[2] >> 27) & 1;
    if (osxsave) {
      uint32_t lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      uint64_t xcr0 = (uint64_t(hi) << 32) | lo;
      avxState = (xcr0 & 0x6) == 0x6;             // XMM, YMM
      avx512State = avxState && (xcr0 & 0xe0) == 0xe0; // opmask, ZMM
    }
  }

  const uint32_t *leaf(uint32_t number, uint32_t subleaf) const {
    if (number == 1)
      return leaf1;
    if (number == 7)
      return subleaf == 0 ? leaf7 : leaf7s1;
    return ext1;
  }
};

const HostCpu &hostCpu() {
  static const HostCpu cpu; // thread-safe, once
  return cpu;
}
#endif

} // namespace

bool hostHasCpuFeature(const CpuFeatureInfo &feature) {
#ifdef KILN_X86
  const HostCpu &cpu = hostCpu();
  if (!((cpu.leaf(feature.leaf, feature.subleaf)[feature.reg] >> feature.bit) &
        1))
    return false;
  switch (feature.state) {
  case CpuState::None:
    return true;
  case CpuState::Avx:
    return cpu.avxState;
  case CpuState::Avx512:
    return cpu.avx512State;
  }
  return false;
#else
  (void)feature;
  return false;
#endif
}

} // namespace kiln::rt
