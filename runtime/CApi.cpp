//===- CApi.cpp - The C API over kiln::rt ---------------------------------===//
//
// The boundary between C callers and the C++ core. The core reports failure
// as Status values; what can still throw here (std::bad_alloc from a
// container, anything unforeseen) is caught in every entry point, because an
// exception unwinding into C code is undefined behaviour.
//
//===----------------------------------------------------------------------===//
#include "kiln_runtime.h"

#include "kiln/runtime/Model.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

using kiln::rt::Model;
using kiln::rt::Status;

struct kiln_model {
  std::unique_ptr<Model> impl;
};

namespace {

/// Writes as much of `message` as fits, always NUL-terminated; nothing when
/// there is no room at all.
void writeMessage(char *error, size_t errorSize, const char *message,
                  size_t length) {
  if (!error || errorSize == 0)
    return;
  size_t n = std::min(length, errorSize - 1);
  std::memcpy(error, message, n);
  error[n] = '\0';
}

kiln_status report(const Status &status, char *error, size_t errorSize) {
  writeMessage(error, errorSize, status.message().data(),
               status.message().size());
  return status.code();
}

/// Runs `body` (returning a Status) with every exception caught.
template <typename Body>
kiln_status guarded(char *error, size_t errorSize, Body &&body) noexcept {
  try {
    return report(body(), error, errorSize);
  } catch (const std::bad_alloc &) {
    static const char kMessage[] = "out of memory";
    writeMessage(error, errorSize, kMessage, sizeof kMessage - 1);
  } catch (...) {
    static const char kMessage[] = "internal error: unexpected exception in "
                                   "the kiln runtime";
    writeMessage(error, errorSize, kMessage, sizeof kMessage - 1);
  }
  return KILN_ERROR_PLATFORM;
}

kiln_status fillInfo(const kiln_model *model, size_t index,
                     kiln_tensor_info *info, bool input) noexcept {
  if (!model || !info)
    return KILN_ERROR_ARGUMENT;
  const auto &tensors =
      input ? model->impl->inputs() : model->impl->outputs();
  if (index >= tensors.size())
    return KILN_ERROR_ARGUMENT;
  const kiln::rt::TensorDesc &t = tensors[index];
  info->name = t.name.c_str();
  info->dtype = t.dtype;
  info->rank = t.shape.size();
  info->shape = t.shape.data();
  info->byte_size = t.byteSize;
  info->index_range = t.indexRange;
  return KILN_OK;
}

/// The shared tail of both loaders: *model is NULL unless the load worked.
template <typename Loader>
kiln_status loadModel(kiln_model **model, char *error, size_t errorSize,
                      Loader &&loader) noexcept {
  if (!model) {
    static const char kMessage[] = "the model out-pointer is NULL";
    writeMessage(error, errorSize, kMessage, sizeof kMessage - 1);
    return KILN_ERROR_ARGUMENT;
  }
  *model = nullptr;
  return guarded(error, errorSize, [&]() -> Status {
    std::unique_ptr<Model> impl;
    if (Status s = loader(impl))
      return s;
    *model = new kiln_model{std::move(impl)};
    return Status::ok();
  });
}

} // namespace

extern "C" {

kiln_status kiln_model_load_file(const char *path, kiln_model **model,
                                 char *error, size_t error_size) {
  return loadModel(model, error, error_size,
                   [&](std::unique_ptr<Model> &impl) {
                     return Model::loadFile(path, impl);
                   });
}

kiln_status kiln_model_load_bytes(const void *data, size_t size,
                                  kiln_model **model, char *error,
                                  size_t error_size) {
  return loadModel(model, error, error_size,
                   [&](std::unique_ptr<Model> &impl) {
                     return Model::loadBytes(data, size, impl);
                   });
}

kiln_status kiln_model_load_borrowed(const void *data, size_t size,
                                     kiln_model **model, char *error,
                                     size_t error_size) {
  return loadModel(model, error, error_size,
                   [&](std::unique_ptr<Model> &impl) {
                     return Model::loadBorrowed(data, size, impl);
                   });
}

void kiln_model_free(kiln_model *model) { delete model; }

const char *kiln_model_name(const kiln_model *model) {
  return model ? model->impl->name().c_str() : "";
}

size_t kiln_model_num_inputs(const kiln_model *model) {
  return model ? model->impl->inputs().size() : 0;
}

size_t kiln_model_num_outputs(const kiln_model *model) {
  return model ? model->impl->outputs().size() : 0;
}

kiln_status kiln_model_input_info(const kiln_model *model, size_t index,
                                  kiln_tensor_info *info) {
  return fillInfo(model, index, info, /*input=*/true);
}

kiln_status kiln_model_output_info(const kiln_model *model, size_t index,
                                   kiln_tensor_info *info) {
  return fillInfo(model, index, info, /*input=*/false);
}

size_t kiln_model_arena_size(const kiln_model *model) {
  return model ? model->impl->arenaSize() : 0;
}

kiln_status kiln_model_set_num_threads(kiln_model *model, size_t threads,
                                       char *error, size_t error_size) {
  return guarded(error, error_size, [&]() -> Status {
    if (!model)
      return Status::error(KILN_ERROR_ARGUMENT, "the model is NULL");
    return model->impl->setNumThreads(threads);
  });
}

size_t kiln_model_num_threads(const kiln_model *model) {
  return model ? model->impl->numThreads() : 0;
}

kiln_status kiln_model_run(kiln_model *model, const void *const *inputs,
                           void *const *outputs, char *error,
                           size_t error_size) {
  return guarded(error, error_size, [&]() -> Status {
    if (!model)
      return Status::error(KILN_ERROR_ARGUMENT, "the model is NULL");
    return model->impl->run(inputs, outputs);
  });
}

size_t kiln_model_num_steps(const kiln_model *model) {
  return model ? model->impl->numSteps() : 0;
}

kiln_status kiln_model_run_profiled(kiln_model *model,
                                    const void *const *inputs,
                                    void *const *outputs,
                                    double *step_seconds, char *error,
                                    size_t error_size) {
  return guarded(error, error_size, [&]() -> Status {
    if (!model)
      return Status::error(KILN_ERROR_ARGUMENT, "the model is NULL");
    if (!step_seconds)
      return Status::error(KILN_ERROR_ARGUMENT, "step_seconds is NULL");
    return model->impl->run(inputs, outputs, step_seconds);
  });
}

} // extern "C"
