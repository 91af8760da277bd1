//===- CpuFeatures.h - The x86 features an artifact may need ------*- C++ -*-===//
//
// An artifact's code is compiled for one CPU and may use any instruction set
// extension that CPU has; on a host without one it dies with SIGILL. kilnc
// records the extensions it enabled (LLVM's names, Module.cpu_features) and
// the runtime refuses to load code that needs one the host lacks.
//
// This table is the one list of names both sides know, with where CPUID
// reports each: kilnc records only features in it, and the runtime refuses
// a name not in it, as one it cannot check. Extensions only intrinsics
// would emit (system and security instructions) are left out; the vector,
// FMA, conversion and bit-manipulation extensions that compiled loops use
// are in. Header-only data, so that the compiler uses it without linking
// the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CPUFEATURES_H
#define KILN_RUNTIME_CPUFEATURES_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln::rt {

/// Which register state the OS must save for a feature to be usable
/// (XCR0, read with XGETBV): none, AVX's YMM, or AVX-512's ZMM and masks.
enum class CpuState : uint8_t { None, Avx, Avx512 };

/// CPUID.(leaf, subleaf).reg[bit] says the CPU has the feature.
struct CpuFeatureInfo {
  std::string_view name; // LLVM's name, as in -mattr
  uint32_t leaf, subleaf;
  uint8_t reg; // 0 EAX, 1 EBX, 2 ECX, 3 EDX
  uint8_t bit;
  CpuState state;
};

namespace cpuid {
constexpr uint8_t EAX = 0, EBX = 1, ECX = 2, EDX = 3;
constexpr uint32_t kExt = 0x80000001;
} // namespace cpuid

inline constexpr CpuFeatureInfo kCpuFeatures[] = {
    // CPUID.1
    {"x87", 1, 0, cpuid::EDX, 0, CpuState::None},
    {"cx8", 1, 0, cpuid::EDX, 8, CpuState::None},
    {"cmov", 1, 0, cpuid::EDX, 15, CpuState::None},
    {"mmx", 1, 0, cpuid::EDX, 23, CpuState::None},
    {"fxsr", 1, 0, cpuid::EDX, 24, CpuState::None},
    {"sse", 1, 0, cpuid::EDX, 25, CpuState::None},
    {"sse2", 1, 0, cpuid::EDX, 26, CpuState::None},
    {"sse3", 1, 0, cpuid::ECX, 0, CpuState::None},
    {"pclmul", 1, 0, cpuid::ECX, 1, CpuState::None},
    {"ssse3", 1, 0, cpuid::ECX, 9, CpuState::None},
    {"fma", 1, 0, cpuid::ECX, 12, CpuState::Avx},
    {"cx16", 1, 0, cpuid::ECX, 13, CpuState::None},
    {"sse4.1", 1, 0, cpuid::ECX, 19, CpuState::None},
    {"sse4.2", 1, 0, cpuid::ECX, 20, CpuState::None},
    {"crc32", 1, 0, cpuid::ECX, 20, CpuState::None}, // part of SSE4.2
    {"movbe", 1, 0, cpuid::ECX, 22, CpuState::None},
    {"popcnt", 1, 0, cpuid::ECX, 23, CpuState::None},
    {"aes", 1, 0, cpuid::ECX, 25, CpuState::None},
    {"xsave", 1, 0, cpuid::ECX, 26, CpuState::None},
    {"avx", 1, 0, cpuid::ECX, 28, CpuState::Avx},
    {"f16c", 1, 0, cpuid::ECX, 29, CpuState::Avx},
    {"rdrnd", 1, 0, cpuid::ECX, 30, CpuState::None},
    // CPUID.(7, 0)
    {"fsgsbase", 7, 0, cpuid::EBX, 0, CpuState::None},
    {"bmi", 7, 0, cpuid::EBX, 3, CpuState::None},
    {"avx2", 7, 0, cpuid::EBX, 5, CpuState::Avx},
    {"bmi2", 7, 0, cpuid::EBX, 8, CpuState::None},
    {"avx512f", 7, 0, cpuid::EBX, 16, CpuState::Avx512},
    // 512-bit vectors of AVX-512 (LLVM 18+): every AVX-512 CPU so far.
    {"evex512", 7, 0, cpuid::EBX, 16, CpuState::Avx512},
    {"avx512dq", 7, 0, cpuid::EBX, 17, CpuState::Avx512},
    {"rdseed", 7, 0, cpuid::EBX, 18, CpuState::None},
    {"adx", 7, 0, cpuid::EBX, 19, CpuState::None},
    {"avx512ifma", 7, 0, cpuid::EBX, 21, CpuState::Avx512},
    {"clflushopt", 7, 0, cpuid::EBX, 23, CpuState::None},
    {"clwb", 7, 0, cpuid::EBX, 24, CpuState::None},
    {"avx512cd", 7, 0, cpuid::EBX, 28, CpuState::Avx512},
    {"sha", 7, 0, cpuid::EBX, 29, CpuState::None},
    {"avx512bw", 7, 0, cpuid::EBX, 30, CpuState::Avx512},
    {"avx512vl", 7, 0, cpuid::EBX, 31, CpuState::Avx512},
    {"avx512vbmi", 7, 0, cpuid::ECX, 1, CpuState::Avx512},
    {"avx512vbmi2", 7, 0, cpuid::ECX, 6, CpuState::Avx512},
    {"gfni", 7, 0, cpuid::ECX, 8, CpuState::None},
    {"vaes", 7, 0, cpuid::ECX, 9, CpuState::Avx},
    {"vpclmulqdq", 7, 0, cpuid::ECX, 10, CpuState::Avx},
    {"avx512vnni", 7, 0, cpuid::ECX, 11, CpuState::Avx512},
    {"avx512bitalg", 7, 0, cpuid::ECX, 12, CpuState::Avx512},
    {"avx512vpopcntdq", 7, 0, cpuid::ECX, 14, CpuState::Avx512},
    {"avx512vp2intersect", 7, 0, cpuid::EDX, 8, CpuState::Avx512},
    {"avx512fp16", 7, 0, cpuid::EDX, 23, CpuState::Avx512},
    // CPUID.(7, 1)
    {"avxvnni", 7, 1, cpuid::EAX, 4, CpuState::Avx},
    {"avx512bf16", 7, 1, cpuid::EAX, 5, CpuState::Avx512},
    // CPUID.0x80000001
    {"sahf", cpuid::kExt, 0, cpuid::ECX, 0, CpuState::None},
    {"lzcnt", cpuid::kExt, 0, cpuid::ECX, 5, CpuState::None},
    {"sse4a", cpuid::kExt, 0, cpuid::ECX, 6, CpuState::None},
    {"prfchw", cpuid::kExt, 0, cpuid::ECX, 8, CpuState::None},
    {"xop", cpuid::kExt, 0, cpuid::ECX, 11, CpuState::Avx},
    {"fma4", cpuid::kExt, 0, cpuid::ECX, 16, CpuState::Avx},
    {"tbm", cpuid::kExt, 0, cpuid::ECX, 21, CpuState::None},
};

/// The feature named `name`, or null when kiln does not track it.
inline const CpuFeatureInfo *findCpuFeature(std::string_view name) {
  for (const CpuFeatureInfo &f : kCpuFeatures)
    if (f.name == name)
      return &f;
  return nullptr;
}

/// Whether this host can run code using `feature`: the CPU reports it and,
/// for AVX and AVX-512 features, the OS saves the registers. False on
/// hosts other than x86.
bool hostHasCpuFeature(const CpuFeatureInfo &feature);

} // namespace kiln::rt

#endif // KILN_RUNTIME_CPUFEATURES_H
