//===- Model.h - A loaded, verified kiln model --------------------*- C++ -*-===//
//
// The C++ core behind the C API's kiln_model. A Model owns everything a run
// touches: the aligned copy of the artifact (the weights are used in place),
// the loaded code, the arena, the resolved plan and the threads that run
// its kernels' workgroups. It only exists in a verified state: the loaders
// are the sole way to make one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MODEL_H
#define KILN_RUNTIME_MODEL_H

#include "kiln/runtime/Executor.h"
#include "kiln/runtime/MappedMemory.h"
#include "kiln/runtime/SharedObject.h"
#include "kiln/runtime/Status.h"
#include "kiln/runtime/ThreadPool.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

/// One tensor of the model's interface, copied out of the artifact.
struct TensorDesc {
  std::string name;
  kiln_dtype dtype;
  size_t elementSize;
  std::vector<int64_t> shape;
  size_t byteSize;
  int64_t indexRange;
};

class Model {
public:
  /// Copies `size` bytes at `data` and loads them.
  static Status loadBytes(const void *data, size_t size,
                          std::unique_ptr<Model> &model);
  /// Loads the `size` bytes at `data` in place: they must outlive the model
  /// and be 64-byte aligned.
  static Status loadBorrowed(const void *data, size_t size,
                             std::unique_ptr<Model> &model);
  /// Reads the file at `path` and loads it; KILN_ERROR_IO if it cannot.
  static Status loadFile(const char *path, std::unique_ptr<Model> &model);

  const std::string &name() const { return name_; }
  const std::vector<TensorDesc> &inputs() const { return inputs_; }
  const std::vector<TensorDesc> &outputs() const { return outputs_; }
  size_t arenaSize() const { return arenaSize_; }

  /// Checks the caller's pointers and runs every step. Not re-entrant.
  /// With `stepSeconds`, adds each step's wall time to its entry.
  Status run(const void *const *inputs, void *const *outputs,
             double *stepSeconds = nullptr);
  size_t numSteps() const { return plan_.steps.size(); }

  /// Runs later steps on up to `threads` threads (0: defaultThreadCount()),
  /// starting the workers the model's kernels can use now, so that a run
  /// never starts one. KILN_ERROR_ARGUMENT above kMaxThreads.
  Status setNumThreads(size_t threads);
  size_t numThreads() const { return numThreads_; }

  /// The most threads a model may be given.
  static constexpr size_t kMaxThreads = 1024;

private:
  Model() = default;
  /// Verifies `size` bytes of `bytes` and makes the model ready to run.
  static Status loadVerified(MappedMemory bytes, size_t size,
                            std::unique_ptr<Model> &model);

  std::string name_;
  std::vector<TensorDesc> inputs_;
  std::vector<TensorDesc> outputs_;
  size_t arenaSize_ = 0;

  MappedMemory bytes_; // the artifact; the plan points into its weights
  SharedObject code_;
  MappedMemory arena_;
  ExecutionPlan plan_;
  CpuExecutor executor_;
  size_t numThreads_ = 1;
  size_t maxWorkgroups_ = 1; // of any step
  ThreadPool pool_;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_MODEL_H
