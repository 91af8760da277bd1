//===- Driver.cpp - Running a compiled artifact from a tool ---------------===//
#include "kiln/tools/Driver.h"

#include "kiln/ir/ParamInit.h"
#include "kiln/runtime/include/kiln_runtime.h"
#include "kiln/tools/Idx.h"
#include "kiln/tools/Npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace kiln {

Artifact::Artifact(kiln_model *model) : model_(model) {
  name_ = kiln_model_name(model);
  auto specs = [&](size_t n, kiln_status (*info)(const kiln_model *, size_t,
                                                 kiln_tensor_info *)) {
    std::vector<TensorSpec> out;
    for (size_t i = 0; i < n; ++i) {
      kiln_tensor_info t;
      info(model, i, &t);
      out.push_back({t.name, static_cast<DType>(t.dtype),
                     Shape(t.shape, t.shape + t.rank), "", t.index_range});
    }
    return out;
  };
  sig_.inputs = specs(kiln_model_num_inputs(model), kiln_model_input_info);
  sig_.outputs = specs(kiln_model_num_outputs(model), kiln_model_output_info);
}

Artifact::~Artifact() { kiln_model_free(model_); }

std::unique_ptr<Artifact> Artifact::adopt(int status, kiln_model *m,
                                          const char *message,
                                          std::string &error) {
  if (status != KILN_OK) {
    error = message;
    return nullptr;
  }
  return std::unique_ptr<Artifact>(new Artifact(m));
}

std::unique_ptr<Artifact> Artifact::loadFile(const std::string &path,
                                             std::string &error) {
  char message[1024];
  kiln_model *m = nullptr;
  kiln_status s =
      kiln_model_load_file(path.c_str(), &m, message, sizeof message);
  return adopt(s, m, message, error);
}

std::unique_ptr<Artifact> Artifact::loadBytes(const void *data, size_t size,
                                              std::string &error) {
  char message[1024];
  kiln_model *m = nullptr;
  kiln_status s =
      kiln_model_load_bytes(data, size, &m, message, sizeof message);
  return adopt(s, m, message, error);
}

std::unique_ptr<Artifact> Artifact::loadBorrowed(const void *data, size_t size,
                                                 std::string &error) {
  char message[1024];
  kiln_model *m = nullptr;
  kiln_status s =
      kiln_model_load_borrowed(data, size, &m, message, sizeof message);
  return adopt(s, m, message, error);
}

size_t Artifact::arenaSize() const { return kiln_model_arena_size(model_); }

bool Artifact::setNumThreads(size_t threads, std::string &error) {
  char message[1024];
  if (kiln_model_set_num_threads(model_, threads, message, sizeof message)) {
    error = message;
    return false;
  }
  return true;
}

size_t Artifact::numThreads() const { return kiln_model_num_threads(model_); }

bool Artifact::run(const std::vector<HostTensor> &inputs,
                   std::vector<HostTensor> &outputs, std::string &error) {
  return call(inputs, outputs, nullptr, error);
}

bool Artifact::runProfiled(const std::vector<HostTensor> &inputs,
                           std::vector<HostTensor> &outputs,
                           std::vector<double> &stepSeconds,
                           std::string &error) {
  stepSeconds.resize(kiln_model_num_steps(model_), 0.0);
  return call(inputs, outputs, &stepSeconds, error);
}

bool Artifact::call(const std::vector<HostTensor> &inputs,
                    std::vector<HostTensor> &outputs,
                    std::vector<double> *stepSeconds, std::string &error) {
  std::vector<const void *> in;
  for (const HostTensor &t : inputs)
    in.push_back(t.data());
  if (outputs.size() != sig_.outputs.size()) {
    outputs.clear();
    for (const TensorSpec &o : sig_.outputs)
      outputs.emplace_back(o.dtype, o.shape);
  }
  std::vector<void *> out;
  for (HostTensor &t : outputs)
    out.push_back(t.data());
  char message[1024];
  kiln_status status =
      stepSeconds ? kiln_model_run_profiled(model_, in.data(), out.data(),
                                            stepSeconds->data(), message,
                                            sizeof message)
                  : kiln_model_run(model_, in.data(), out.data(), message,
                                   sizeof message);
  if (status) {
    error = message;
    return false;
  }
  return true;
}

bool Artifact::run(const void *const *inputs, void *const *outputs,
                   std::string &error) {
  char message[1024];
  if (kiln_model_run(model_, inputs, outputs, message, sizeof message)) {
    error = message;
    return false;
  }
  return true;
}

bool reportAccuracy(const HostTensor &output, const std::string &labelsPath,
                    std::string &error) {
  if (output.shape().size() != 2) {
    error = "--labels needs a first output of shape [examples, classes], "
            "got " + toString(output.shape());
    return false;
  }
  int64_t rows = output.shape()[0], classes = output.shape()[1];
  HostTensor labels;
  bool npy = labelsPath.size() > 4 &&
             labelsPath.compare(labelsPath.size() - 4, 4, ".npy") == 0;
  if (npy ? !readNpy(labelsPath, labels, error)
          : !readIdxLabels(labelsPath, rows, labels, error))
    return false;
  if (!isInteger(labels.dtype()) || labels.size() < rows) {
    error = labelsPath + ": needs at least " + std::to_string(rows) +
            " integer class ids, holds " + std::to_string(labels.size()) +
            " " + dtypeName(labels.dtype());
    return false;
  }
  int64_t correct = 0;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (output.get(i * classes + c) > output.get(i * classes + best))
        best = c;
    correct += best == (int64_t)labels.get(i);
  }
  std::printf("accuracy=%.4f correct=%lld examples=%lld\n",
              (double)correct / rows, (long long)correct, (long long)rows);
  return true;
}

bool isKmodFile(const std::string &path) {
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".kmod") == 0)
    return true;
  // Only regular files are sniffed: opening a FIFO would wait for a writer.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return false;
  char header[8];
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return false;
  bool kmod = std::fread(header, 1, sizeof header, f) == sizeof header &&
              std::memcmp(header + 4, "KMOD", 4) == 0;
  std::fclose(f);
  return kmod;
}

bool splitPairs(const std::vector<std::string> &pairs, const char *flag,
                std::map<std::string, std::string> &out, std::string &error) {
  for (const std::string &p : pairs) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size()) {
      error = std::string("--") + flag + "=" + p + ": expected NAME=PATH";
      return false;
    }
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return true;
}

std::string namesOf(const std::vector<TensorSpec> &specs) {
  std::string s;
  for (const TensorSpec &t : specs)
    s += (s.empty() ? "" : ", ") + t.name;
  return s;
}

std::string checkNames(const char *flag, const char *kind,
                       const std::map<std::string, std::string> &paths,
                       const std::vector<TensorSpec> &specs) {
  for (const auto &[name, path] : paths)
    if (std::none_of(specs.begin(), specs.end(),
                     [&](const TensorSpec &s) { return s.name == name; }))
      return std::string("--") + flag + "=" + name + "=...: the model has no " +
             kind + " '" + name + "'; its " + kind + "s are: " + namesOf(specs);
  return "";
}

HostTensor randomInput(const TensorSpec &spec, uint64_t seed) {
  int64_t indexRange = spec.indexRange ? spec.indexRange : 10;
  HostTensor t(spec.dtype, spec.shape);
  Rng rng(seedFor(seed, spec.name));
  bool isInt = isInteger(spec.dtype);
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, isInt ? std::floor(rng.uniform(0, (double)indexRange))
                   : rng.uniform(-1.0, 1.0));
  return t;
}

/// "" when `t` (from `path`) has `spec`'s dtype and shape and finite values.
static std::string checkInput(const TensorSpec &spec, const std::string &path,
                              const HostTensor &t) {
  std::string error =
      checkTensor(t, "input '" + spec.name + "'", spec.dtype, spec.shape);
  if (!error.empty())
    return error;
  error = findNonFinite(t);
  if (!error.empty())
    return "input '" + spec.name + "' (" + path + "): " + error;
  return "";
}

/// IDX images come as [N, rows * cols]; an input of N rows of the same
/// size (e.g. [N, 28, 28, 1] for the cnn) takes them reshaped.
static bool readIdxInput(const TensorSpec &spec, const std::string &path,
                         HostTensor &t, std::string &error) {
  if (spec.shape.empty()) {
    error = "input '" + spec.name + "' is a scalar; IDX images need rows";
    return false;
  }
  if (!readIdxImages(path, spec.shape[0], t, error))
    return false;
  if (t.shape()[0] == spec.shape[0] &&
      numElements(t.shape()) == numElements(spec.shape)) {
    HostTensor reshaped(t.dtype(), spec.shape);
    std::memcpy(reshaped.data(), t.data(), t.byteSize());
    t = std::move(reshaped);
  }
  return true;
}

bool readInput(const TensorSpec &spec, const std::string &path, HostTensor &t,
               std::string &error) {
  bool idx = path.find("idx3-ubyte") != std::string::npos;
  if (!(idx ? readIdxInput(spec, path, t, error) : readNpy(path, t, error)))
    return false;
  error = checkInput(spec, path, t);
  return error.empty();
}

static void printInput(const TensorSpec &spec, const std::string &from) {
  std::printf("input  %s %s %s <- %s\n", spec.name.c_str(),
              dtypeName(spec.dtype), toString(spec.shape).c_str(),
              from.c_str());
}

bool prepareInput(const TensorSpec &spec, const std::string &path,
                  uint64_t seed, const std::string &tool, HostTensor &t,
                  std::string &error) {
  if (path.empty()) {
    t = randomInput(spec, seed);
    printInput(spec, "random (seed " + std::to_string(seed) + ")");
    return true;
  }
  if (!readInput(spec, path, t, error))
    return false;
  printInput(spec, path);
  if (!spec.indexRange)
    return true;
  int64_t count = 0, first = -1;
  for (int64_t i = 0; i < t.size(); ++i)
    if (t.get(i) < 0 || t.get(i) >= spec.indexRange) {
      if (first < 0)
        first = i;
      ++count;
    }
  if (count)
    std::fprintf(stderr,
                 "%s: warning: input '%s': %lld ids outside [0, %lld) are "
                 "clamped into the table (first: element %lld = %lld)\n",
                 tool.c_str(), spec.name.c_str(), (long long)count,
                 (long long)spec.indexRange, (long long)first,
                 (long long)t.get(first));
  return true;
}

bool writeOutputs(const std::vector<TensorSpec> &specs,
                  const std::vector<HostTensor> &outputs,
                  const std::map<std::string, std::string> &paths,
                  std::string &error) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec &spec = specs[i];
    auto it = paths.find(spec.name);
    std::string where = it == paths.end() ? "(not saved)" : it->second;
    if (it != paths.end() && !writeNpy(it->second, outputs[i], error))
      return false;
    std::printf("output %s %s %s -> %s\n", spec.name.c_str(),
                dtypeName(spec.dtype), toString(spec.shape).c_str(),
                where.c_str());
  }
  return true;
}

bool reportLatency(int repeat, const std::function<bool(std::string &)> &run,
                   std::string &error) {
  if (repeat <= 0)
    return true;
  std::vector<double> ms;
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    bool ok = run(error);
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
    if (!ok)
      return false;
  }
  std::sort(ms.begin(), ms.end());
  std::printf("latency median_ms=%.4f runs=%d\n", ms[ms.size() / 2], repeat);
  return true;
}

} // namespace kiln
