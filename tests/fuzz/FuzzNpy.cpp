//===- FuzzNpy.cpp - libFuzzer target: the .npy reader --------------------===//
//
// Any bytes go to kiln::parseNpy, which promises to survive them: it returns
// false with a message and leaves its output untouched, or a tensor no
// larger than the data it came from. Nothing may be thrown.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

/// A broken promise of parseNpy: libFuzzer reports the abort as a crash.
void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "npy fuzzer: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A tensor parseNpy must leave as it was when it fails.
  kiln::HostTensor out(kiln::DType::I8, {3});
  std::memcpy(out.data(), "abc", 3);
  std::string error;
  if (!kiln::parseNpy(data, size, out, error)) {
    check(!error.empty(), "a failure gave no message");
    check(out.dtype() == kiln::DType::I8 && out.shape() == kiln::Shape{3} &&
              std::memcmp(out.data(), "abc", 3) == 0,
          "a failure changed the output tensor");
    return 0;
  }
  check(out.size() >= 0, "the tensor's shape has no element count");
  check(out.byteSize() <= size, "the tensor is larger than the file");
  // Reads every element, as a tool checking its inputs would.
  (void)kiln::findNonFinite(out);
  return 0;
}
