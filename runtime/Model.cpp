//===- Model.cpp - Checks a run's arguments and runs it -------------------===//
//
// The caller's pointers are the one thing the verifier could not check. A
// null or misaligned buffer is refused with the tensor's name before any
// kernel runs, so a bad call never leaves outputs half-written.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/Model.h"
#include "kiln/runtime/FloatMode.h"

#include <algorithm>
#include <cstdint>

namespace kiln::rt {

namespace {

const char *dtypeName(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_F32:
    return "f32";
  case KILN_F16:
    return "f16";
  case KILN_BF16:
    return "bf16";
  case KILN_I8:
    return "i8";
  case KILN_I32:
    return "i32";
  }
  return "?";
}

Status checkPointers(const char *what, const void *const *pointers,
                     const std::vector<TensorDesc> &tensors) {
  if (tensors.empty())
    return Status::ok();
  if (!pointers)
    return Status::error(KILN_ERROR_ARGUMENT,
                         strCat("the ", what, "s array is NULL; the model has ",
                                tensors.size(), " ", what, "s"));
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorDesc &t = tensors[i];
    if (!pointers[i])
      return Status::error(KILN_ERROR_ARGUMENT,
                           strCat(what, " ", i, " ('", t.name, "') is NULL"));
    // Kernels load whole elements; a misaligned one is undefined behaviour.
    auto address = reinterpret_cast<uintptr_t>(pointers[i]);
    if (address % t.elementSize != 0)
      return Status::error(KILN_ERROR_ARGUMENT,
                           strCat(what, " ", i, " ('", t.name,
                                  "') is not aligned to its ", t.elementSize,
                                  "-byte ", dtypeName(t.dtype),
                                  " elements"));
  }
  return Status::ok();
}

/// Outputs are written while inputs and other outputs are read: compiled
/// kernels assume their buffers do not overlap (LLVM noalias), so a caller
/// running "in place" is refused rather than given wrong numbers.
Status checkDisjoint(const void *const *inputs, void *const *outputs,
                     const std::vector<TensorDesc> &ins,
                     const std::vector<TensorDesc> &outs) {
  auto overlap = [](const void *a, size_t an, const void *b, size_t bn) {
    auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
    return an && bn && x < y + bn && y < x + an;
  };
  for (size_t i = 0; i < outs.size(); ++i) {
    auto clash = [&](const char *what, size_t j, const TensorDesc &t) {
      return Status::error(
          KILN_ERROR_ARGUMENT,
          strCat("output ", i, " ('", outs[i].name, "') overlaps ", what, " ",
                 j, " ('", t.name, "'); every output needs a buffer of its "
                 "own"));
    };
    for (size_t j = 0; j < ins.size(); ++j)
      if (overlap(outputs[i], outs[i].byteSize, inputs[j], ins[j].byteSize))
        return clash("input", j, ins[j]);
    for (size_t j = 0; j < i; ++j)
      if (overlap(outputs[i], outs[i].byteSize, outputs[j], outs[j].byteSize))
        return clash("output", j, outs[j]);
  }
  return Status::ok();
}

} // namespace

Status Model::run(const void *const *inputs, void *const *outputs,
                  double *stepSeconds) {
  if (Status s = checkPointers("input", inputs, inputs_))
    return s;
  if (Status s = checkPointers("output", outputs, outputs_))
    return s;
  if (Status s = checkDisjoint(inputs, outputs, inputs_, outputs_))
    return s;
  ScopedFlushDenormals flush;
  executor_.run(plan_, pool_, inputs, outputs, stepSeconds);
  return Status::ok();
}

Status Model::setNumThreads(size_t threads) {
  if (threads > kMaxThreads)
    return Status::error(KILN_ERROR_ARGUMENT,
                         strCat("cannot run on ", threads,
                                " threads; at most ", kMaxThreads));
  if (threads == 0)
    threads = defaultThreadCount();
  numThreads_ = threads;
  // Workers no step could use would only sleep.
  size_t workers = std::min(threads, maxWorkgroups_) - 1;
  if (workers == pool_.workers())
    return Status::ok();
  pool_.stop();
  return pool_.start(workers);
}

} // namespace kiln::rt
