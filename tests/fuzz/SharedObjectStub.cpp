//===- SharedObjectStub.cpp - The loader's code step, without dlopen ------===//
//
// Links in place of runtime/SharedObject.cpp in the kmod-loader fuzzer. An
// artifact that passes ArtifactVerifier hands its code to the system loader,
// and that is the runtime's trust boundary: ld.so is not a hardened parser
// and dlopen runs the object's constructors, so a fuzzer that reaches it
// (libFuzzer learns Module.code_hash from the comparison that checks it)
// would test ld.so, or run whatever code it made up. This stub accepts any
// code and resolves every symbol to a kernel that traps; everything else in
// the load (the copy, the verifier, the signature, the plan with its
// pointers into the weights and the arena) is the runtime's own code.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/SharedObject.h"

#include <cstring>

namespace kiln::rt {

namespace {

/// The fuzzer never runs a model; should a step's kernel be called anyway,
/// this stops it. Deduced from KernelFn, so that it follows the signature.
template <typename... Args> void trappingKernel(Args...) { __builtin_trap(); }
template <typename... Args> KernelFn trappingKernelFor(void (*)(Args...)) {
  return &trappingKernel<Args...>;
}

} // namespace

SharedObject::~SharedObject() { handle_ = nullptr; }

Status SharedObject::load(const uint8_t *code, size_t size, const char *name) {
  // The real loader writes all `size` bytes to a file and passes `name` to
  // memfd_create: read them the same way, so that AddressSanitizer checks
  // the ranges the verifier promised.
  uint8_t sum = static_cast<uint8_t>(std::strlen(name));
  for (size_t i = 0; i < size; ++i)
    sum ^= code[i];
  volatile uint8_t sink = sum;
  (void)sink;
  handle_ = this; // any non-null value: "loaded"
  fd_ = -1;       // no file to keep open
  return Status::ok();
}

KernelFn SharedObject::lookup(const char *symbol) const {
  // dlsym reads `symbol` as a C string.
  if (!handle_ || std::strlen(symbol) == 0)
    return nullptr;
  return trappingKernelFor(KernelFn());
}

} // namespace kiln::rt
