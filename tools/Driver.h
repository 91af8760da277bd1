//===- Driver.h - Running a compiled artifact from a tool -------*- C++ -*-===//
//
// What kiln-run and the programs of `kilnc --emit=exe` share, so that the
// two take the same flags, print the same lines and compute the same
// values: a C++ handle on the runtime's C API, seeded random inputs,
// reading input files, writing outputs and timing repeats. Plain C++ over
// the runtime and zlib (no LLVM, no MLIR): standalone programs link it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_DRIVER_H
#define KILN_TOOLS_DRIVER_H

#include "kiln/ir/Signature.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct kiln_model;

namespace kiln {

/// A loaded and verified artifact, with its signature read once.
class Artifact {
public:
  /// The artifact at `path`, or null with the runtime's message in `error`.
  static std::unique_ptr<Artifact> loadFile(const std::string &path,
                                            std::string &error);
  /// The same from bytes in memory (the runtime copies them).
  static std::unique_ptr<Artifact> loadBytes(const void *data, size_t size,
                                             std::string &error);
  /// The same without a copy: the 64-byte aligned bytes must outlive the
  /// Artifact (an artifact linked into the program).
  static std::unique_ptr<Artifact> loadBorrowed(const void *data, size_t size,
                                                std::string &error);
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const std::string &name() const { return name_; }
  const ModelSignature &signature() const { return sig_; }
  size_t arenaSize() const;

  /// Runs later runs on up to `threads` threads (0: the host's CPUs); false
  /// with the runtime's message in `error`.
  bool setNumThreads(size_t threads, std::string &error);
  size_t numThreads() const;

  /// Runs once; `outputs` becomes one tensor per output of the signature.
  bool run(const std::vector<HostTensor> &inputs,
           std::vector<HostTensor> &outputs, std::string &error);
  /// The same on caller buffers, one per input and output of the
  /// signature, without copies (a training loop swaps them between steps).
  bool run(const void *const *inputs, void *const *outputs,
           std::string &error);
  /// The same, adding each step's wall time in seconds to stepSeconds
  /// (resized to the number of steps).
  bool runProfiled(const std::vector<HostTensor> &inputs,
                   std::vector<HostTensor> &outputs,
                   std::vector<double> &stepSeconds, std::string &error);

private:
  bool call(const std::vector<HostTensor> &inputs,
            std::vector<HostTensor> &outputs,
            std::vector<double> *stepSeconds, std::string &error);
  explicit Artifact(kiln_model *model);
  /// The Artifact of a load that returned `status` and `model`, or null
  /// with `message` in `error`.
  static std::unique_ptr<Artifact> adopt(int status, kiln_model *model,
                                         const char *message,
                                         std::string &error);
  kiln_model *model_;
  std::string name_;
  ModelSignature sig_;
};

/// Whether `path` names a .kmod: by its extension, or by the file identifier
/// "KMOD" at bytes 4-7 (so that a renamed artifact is not parsed as MLIR).
bool isKmodFile(const std::string &path);

/// "NAME=PATH" flag values keyed by NAME; `flag` names the flag in errors.
bool splitPairs(const std::vector<std::string> &pairs, const char *flag,
                std::map<std::string, std::string> &out, std::string &error);

/// "a, b, c": the names of `specs`, for messages.
std::string namesOf(const std::vector<TensorSpec> &specs);

/// "" when every NAME of `--flag=NAME=PATH` (keys of `paths`) is one of
/// `specs`, else a message listing the names there are; `kind` is "input",
/// "output" or "parameter".
std::string checkNames(const char *flag, const char *kind,
                       const std::map<std::string, std::string> &paths,
                       const std::vector<TensorSpec> &specs);

/// Seeded random values for input `spec`, the same in every tool: floats
/// uniform in [-1, 1), integers whole numbers in [0, spec.indexRange), or
/// [0, 10) when the input indexes nothing.
HostTensor randomInput(const TensorSpec &spec, uint64_t seed);

/// Reads input `spec` from `path`, a .npy file or an IDX image file
/// (Fashion-MNIST's, gzip-compressed or plain; the first rows are taken),
/// and checks its dtype, shape and values (NaN and Inf are refused, by
/// element).
bool readInput(const TensorSpec &spec, const std::string &path, HostTensor &t,
               std::string &error);

/// Input `spec` read from `path` (readInput) or, when `path` is empty,
/// seeded random values; prints its "input  NAME DTYPE SHAPE <- FROM" line,
/// and a warning prefixed by `tool` on stderr when ids from a file fall
/// outside spec.indexRange (gather clamps them into the table).
bool prepareInput(const TensorSpec &spec, const std::string &path,
                  uint64_t seed, const std::string &tool, HostTensor &t,
                  std::string &error);

/// Writes each output named in `paths` to its .npy file and prints
/// "output NAME DTYPE SHAPE -> PATH" (or "(not saved)") for every output.
bool writeOutputs(const std::vector<TensorSpec> &specs,
                  const std::vector<HostTensor> &outputs,
                  const std::map<std::string, std::string> &paths,
                  std::string &error);

/// For --labels=PATH: reads class ids (an IDX label file, gzip-compressed or
/// plain, or an integer .npy), takes as many as `output` has rows, and
/// prints "accuracy=X correct=C examples=N" for the argmax of `output`
/// (the model's first output, [N, classes]) against them. False with
/// `error` for a file that cannot be read or holds fewer ids than rows.
bool reportAccuracy(const HostTensor &output, const std::string &labelsPath,
                    std::string &error);

/// Calls `run` `repeat` times and prints "latency median_ms=X runs=N";
/// false with the failing run's message in `error`.
bool reportLatency(int repeat, const std::function<bool(std::string &)> &run,
                   std::string &error);

} // namespace kiln

#endif // KILN_TOOLS_DRIVER_H
