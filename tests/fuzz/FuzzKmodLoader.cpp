//===- FuzzKmodLoader.cpp - libFuzzer target: loading a .kmod -------------===//
//
// Any bytes go to kiln_model_load_bytes, the C API a program would call. A
// load must end in a clean status, or in a model whose signature, read back
// through the C API, keeps the header's promises (names, ranks, shapes that
// match the byte sizes); then the model is freed, so LeakSanitizer sees
// every allocation of the load.
//
// The target links tests/fuzz/SharedObjectStub.cpp instead of the runtime's
// dlopen step (see there): the verifier is what stands between a file and
// the system loader, and it is fuzzed here along with every step of the load
// around it, through the public entry point rather than verifyArtifact
// alone. Kernels never run: a model is only queried and freed.
//
//===----------------------------------------------------------------------===//
#include "kiln_runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

/// A broken promise of the C API: libFuzzer reports the abort as a crash.
[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "kmod-loader fuzzer: %s\n", what);
  std::abort();
}

void check(bool ok, const char *what) {
  if (!ok)
    fail(what);
}

size_t elementSize(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_F32:
  case KILN_I32:
    return 4;
  case KILN_F16:
  case KILN_BF16:
    return 2;
  case KILN_I8:
    return 1;
  }
  fail("a tensor has a dtype outside kiln_dtype");
}

/// Reads every byte of a tensor's description, checking it as it goes.
void checkTensor(const kiln_tensor_info &info) {
  check(info.name && std::strlen(info.name) > 0, "a tensor name is empty");
  check(info.rank <= 8, "a tensor rank exceeds 8");
  check(info.rank == 0 || info.shape, "a ranked tensor has no shape");
  uint64_t bytes = elementSize(info.dtype);
  for (size_t d = 0; d < info.rank; ++d) {
    check(info.shape[d] >= 0, "a dimension is negative");
    check(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(info.shape[d]),
                                  &bytes),
          "a byte size overflows");
  }
  check(bytes == info.byte_size, "byte_size differs from dtype and shape");
}

void checkModel(const kiln_model *model) {
  check(kiln_model_name(model) != nullptr, "the name is NULL");
  (void)std::strlen(kiln_model_name(model));
  (void)kiln_model_arena_size(model);
  kiln_tensor_info info;
  size_t numInputs = kiln_model_num_inputs(model);
  for (size_t i = 0; i < numInputs; ++i) {
    check(kiln_model_input_info(model, i, &info) == KILN_OK,
          "an input's info fails");
    checkTensor(info);
  }
  check(kiln_model_input_info(model, numInputs, &info) == KILN_ERROR_ARGUMENT,
        "an input index out of range is accepted");
  size_t numOutputs = kiln_model_num_outputs(model);
  for (size_t i = 0; i < numOutputs; ++i) {
    check(kiln_model_output_info(model, i, &info) == KILN_OK,
          "an output's info fails");
    checkTensor(info);
  }
  check(kiln_model_output_info(model, numOutputs, &info) ==
            KILN_ERROR_ARGUMENT,
        "an output index out of range is accepted");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char error[256];
  std::memset(error, 'x', sizeof error);
  kiln_model *model = nullptr;
  kiln_status status =
      kiln_model_load_bytes(data, size, &model, error, sizeof error);
  check(std::memchr(error, '\0', sizeof error) != nullptr,
        "the message is not NUL-terminated");
  if (status != KILN_OK) {
    check(model == nullptr, "a failed load left a model");
    check(error[0] != '\0', "a failed load gave no message");
    return 0;
  }
  check(model != nullptr, "a successful load gave no model");
  check(error[0] == '\0', "a successful load left a message");
  checkModel(model);
  kiln_model_free(model);
  return 0;
}
