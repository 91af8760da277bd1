//===- kiln-bench.cpp - Measure compiled models ---------------------------===//
//
//   kiln-bench artifact NAME [--batch=B] [--repeat=N]
//   kiln-bench dispatch [--steps=S] [--repeat=N]
//   kiln-bench model NAME [--batch=B] [--threads=T] [--fusion=LEVEL]
//   kiln-bench train NAME [--batch=B] [--threads=T] [--fusion=LEVEL]
//                   [--optimizer=sgd|momentum|adam] [--lr=X]
//                   [--warmup=N] [--seed=S] [--save-step=DIR]
//   kiln-bench bandwidth
//   kiln-bench gemm M N K [--threads=T] [--cpu=CPU]
//
// One `key=value` line per measurement, for scripts:
//
//   artifact NAME batch=B steps=S kmod_bytes=.. weights_bytes=..
//            exe_bytes=.. exe_bytes_without_weights=.. start_to_result_ms=..
//            jit_ms=.. runtime_ms=.. runtime_vs_jit=.. arena_bytes=..
//            lower_bound_bytes=.. arena_ratio=..
//   dispatch steps=S runtime_us_per_step=.. jit_us_per_step=..
//   model NAME batch=B threads=T fusion=LEVEL kernels=K median_ms=X
//         compile_ms=.. est_bytes=.. est_gbps=..
//   (model --fusion-report=PATH.json also writes the kernels with their
//   measured times)
//   train NAME batch=B threads=T fusion=LEVEL kernels=K median_ms=X
//         compile_ms=.. examples_per_s=.. optimizer=.. lr=.. runs=..
//         first_loss=.. last_loss=..
//   bandwidth bytes=.. gbps=..
//   gemm M=.. N=.. K=.. threads=T gflops=.. [cpu=CPU, unless the host's]
//
// `artifact` compiles a built-in model into a .kmod and a standalone
// program, times the program from spawn to exit (load, one run, exit; the
// median of N spawns) and the steady-state latency of the same model through
// the runtime and through the in-process JIT (medians of N runs, same
// inputs and weights). `dispatch` runs a chain of S one-op steps on a
// 16-element tensor, so that the time per step is the runtime's dispatch
// cost plus a negligible kernel. `model` compiles a built-in model at a
// fusion level and times it through the runtime on T threads (median of
// at least 20 runs and 1 s); est_bytes is the fusion cost model's estimate
// of the memory its kernels move, est_gbps that over the median time.
// `train` compiles a built-in model's train step (autodiff and its
// optimizer, as kiln-train compiles it, the learning rate constant) and
// times one step (forward, loss, gradients, update) on a fixed synthetic
// batch, the trained tensors carried from step to step as in training:
// warm-up steps, then the median as `model` takes it; first_loss is the
// loss of the first step, last_loss of the last. --save-step=DIR writes
// what a peer framework needs to check that it computes the same step:
//   DIR/step.txt       model, batch, loss and optimizer with its settings
//                      (key=value lines)
//   DIR/batch/NAME.npy the batch, one file per data input
//   DIR/before/NAME.npy the trained tensors (parameters, optimizer state)
//                      before the first step
//   DIR/after/NAME.npy the same after it
//   DIR/outputs/NAME.npy the first step's loss and prediction
// `bandwidth` is this machine's memory bandwidth on one thread: the median
// of copying 256 MiB (bytes read plus bytes written over the time), what
// the bytes-moved estimate of a memory-bound model is to be divided by.
// `gemm` compiles y = matmul(x[M, K], w[K, N]) with w a parameter into an
// artifact and reports 2 M N K over the median time of a run through the
// runtime on T threads.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/codegen/cpu/JitModel.h"
#include "kiln/examples/Models.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/frontend/kiln.h"
#include "kiln/tools/CliChecks.h"
#include "kiln/tools/Driver.h"
#include "kiln/tools/Files.h"
#include "kiln/tools/FusionReport.h"
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/Npy.h"
#include "kiln/tools/Standalone.h"
#include "kiln/tools/TrainStep.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <type_traits>

using namespace kiln;

namespace {

int fail(const std::string &message) {
  llvm::errs() << "kiln-bench: " << message << "\n";
  return 1;
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// Median of `repeat` timings of `fn` in milliseconds; false if a call fails.
template <typename Fn>
bool medianMs(int repeat, Fn fn, double &median, std::string &error) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!fn(error))
      return false;
    ms.push_back(msSince(start));
  }
  std::sort(ms.begin(), ms.end());
  median = ms[ms.size() / 2];
  return true;
}

/// Median of the timings of `fn` in milliseconds, after `warmup` untimed
/// calls: at least 20 runs and 1 s (at most 100000), what `model` and
/// `train` report.
template <typename Fn>
bool steadyMedianMs(int warmup, Fn fn, double &median, size_t &runs,
                    std::string &error) {
  for (int i = 0; i < warmup; ++i)
    if (!fn(error))
      return false;
  std::vector<double> ms;
  auto begin = std::chrono::steady_clock::now();
  while (ms.size() < 20 || (msSince(begin) < 1000 && ms.size() < 100000)) {
    auto t0 = std::chrono::steady_clock::now();
    if (!fn(error))
      return false;
    ms.push_back(msSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  median = ms[ms.size() / 2];
  runs = ms.size();
  return true;
}

/// A compiled model, ready to time both ways on the same inputs.
struct Compiled {
  cpu::Artifact artifact;
  std::unique_ptr<cpu::JitModel> jit;
  std::unique_ptr<kiln::Artifact> loaded;
  ParamValues params;
  std::vector<HostTensor> inputs;
  size_t weightsBytes = 0;
};

llvm::Expected<Compiled> compile(mlir::ModuleOp module,
                                 const cpu::CpuCodegenOptions &options = {}) {
  Compiled c;
  auto sig = signatureOf(module);
  if (!sig)
    return sig.takeError();
  c.params = initParams(*sig, /*seed=*/1);
  for (auto &[name, value] : c.params)
    c.weightsBytes += value.byteSize();
  for (const TensorSpec &spec : sig->inputs)
    c.inputs.push_back(randomInput(spec, /*seed=*/1));
  auto artifact = cpu::compileArtifact(module, c.params, options);
  if (!artifact)
    return artifact.takeError();
  c.artifact = std::move(*artifact);
  auto jit = cpu::JitModel::compile(module);
  if (!jit)
    return jit.takeError();
  c.jit = std::move(*jit);
  std::string error;
  c.loaded = kiln::Artifact::loadBytes(c.artifact.bytes.data(),
                                       c.artifact.bytes.size(), error);
  if (!c.loaded)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  return c;
}

/// Median runtime and JIT latency of `c` in milliseconds.
bool timeBoth(Compiled &c, int repeat, double &runtimeMs, double &jitMs,
              std::string &error) {
  std::vector<HostTensor> outputs;
  auto runtime = [&](std::string &error) {
    return c.loaded->run(c.inputs, outputs, error);
  };
  auto jit = [&](std::string &error) {
    auto got = c.jit->run(c.inputs, c.params);
    if (!got)
      error = llvm::toString(got.takeError());
    return (bool)got;
  };
  // One warm-up run each: first-touch page faults are not steady state.
  return runtime(error) && jit(error) &&
         medianMs(repeat, runtime, runtimeMs, error) &&
         medianMs(repeat, jit, jitMs, error);
}

/// Median wall time of `repeat` runs of the program `exe` from spawn to
/// exit, its output discarded.
bool timeStartToResult(const std::string &exe, int repeat, double &median,
                       std::string &error) {
  std::optional<llvm::StringRef> redirects[] = {std::nullopt,
                                                llvm::StringRef(""),
                                                std::nullopt};
  return medianMs(
      repeat,
      [&](std::string &error) {
        std::string message;
        int rc = llvm::sys::ExecuteAndWait(exe, {exe}, std::nullopt, redirects,
                                           0, 0, &message);
        if (rc != 0)
          error = "'" + exe + "' failed: " +
                  (rc < 0 ? message : "exit status " + std::to_string(rc));
        return rc == 0;
      },
      median, error);
}

int benchArtifact(const std::string &name, std::optional<int64_t> batch,
                  int repeat) {
  auto ctx = makeContext();
  auto module = loadModel(name, batch, "", *ctx);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  auto c = compile(**module);
  if (!c)
    return fail(llvm::toString(c.takeError()));

  llvm::SmallString<128> exe;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-bench", "", exe))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeExe(exe);
  if (auto err = emitExe(c->artifact.bytes, std::string(exe)))
    return fail(llvm::toString(std::move(err)));
  uint64_t exeBytes = 0;
  llvm::sys::fs::file_size(exe, exeBytes);

  std::string error;
  double startMs = 0, runtimeMs = 0, jitMs = 0;
  if (!timeStartToResult(std::string(exe), std::min(repeat, 20), startMs,
                         error) ||
      !timeBoth(*c, repeat, runtimeMs, jitMs, error))
    return fail(error);

  const cpu::Artifact &a = c->artifact;
  std::printf(
      "artifact %s batch=%lld steps=%zu kmod_bytes=%zu weights_bytes=%zu "
      "exe_bytes=%llu exe_bytes_without_weights=%llu start_to_result_ms=%.3f "
      "jit_ms=%.4f runtime_ms=%.4f runtime_vs_jit=%.3f arena_bytes=%lld "
      "lower_bound_bytes=%lld arena_ratio=%.3f\n",
      name.c_str(), (long long)a.signature.inputs[0].shape[0], a.numSteps,
      a.bytes.size(), c->weightsBytes, (unsigned long long)exeBytes,
      (unsigned long long)(exeBytes - c->weightsBytes), startMs, jitMs,
      runtimeMs, runtimeMs / jitMs, (long long)a.arenaSize,
      (long long)a.arenaLowerBound,
      a.arenaLowerBound ? (double)a.arenaSize / a.arenaLowerBound : 1.0);
  return 0;
}

int benchDispatch(int steps, int repeat) {
  Graph g("dispatch_chain");
  Tensor x = g.input("x", {16});
  for (int i = 0; i < steps; ++i)
    x = neg(x);
  g.output("y", x);
  auto ctx = makeContext();
  auto module = toModule(g, *ctx);
  cpu::CpuCodegenOptions unfused; // one step per op
  unfused.fusion = "none";
  auto c = compile(*module, unfused);
  if (!c)
    return fail(llvm::toString(c.takeError()));
  std::string error;
  double runtimeMs = 0, jitMs = 0;
  if (!timeBoth(*c, repeat, runtimeMs, jitMs, error))
    return fail(error);
  std::printf("dispatch steps=%zu runtime_us_per_step=%.4f "
              "jit_us_per_step=%.4f\n",
              c->artifact.numSteps, runtimeMs * 1000 / c->artifact.numSteps,
              jitMs * 1000 / c->artifact.numSteps);
  return 0;
}

int benchModel(const std::string &name, std::optional<int64_t> batch,
               size_t threads, const std::string &fusion,
               const std::string &reportPath) {
  // The report is written after the timing runs, which take seconds: a
  // path it cannot be written to fails now.
  std::string error;
  if (!reportPath.empty() && !checkWritable(reportPath, error))
    return fail("--fusion-report: " + error);
  auto ctx = makeContext();
  auto module = loadModel(name, batch, "", *ctx);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  auto sig = signatureOf(**module);
  if (!sig)
    return fail(llvm::toString(sig.takeError()));
  ParamValues params = initParams(*sig, /*seed=*/1);
  std::vector<HostTensor> inputs;
  for (const TensorSpec &spec : sig->inputs)
    inputs.push_back(randomInput(spec, /*seed=*/1));
  cpu::CpuCodegenOptions options;
  options.fusion = fusion;
  auto start = std::chrono::steady_clock::now();
  auto artifact = cpu::compileArtifact(**module, params, options);
  if (!artifact)
    return fail(llvm::toString(artifact.takeError()));
  double compileMs = msSince(start);
  auto loaded = kiln::Artifact::loadBytes(artifact->bytes.data(),
                                          artifact->bytes.size(), error);
  if (!loaded || !loaded->setNumThreads(threads, error))
    return fail(error);
  std::vector<HostTensor> outputs;
  double median = 0;
  size_t runs = 0;
  auto run = [&](std::string &error) {
    return loaded->run(inputs, outputs, error);
  };
  if (!steadyMedianMs(/*warmup=*/1, run, median, runs, error))
    return fail(error);
  if (!reportPath.empty()) {
    // Each step's mean over as many profiled runs as timed ones.
    std::vector<double> seconds;
    for (size_t i = 0; i < runs; ++i)
      if (!loaded->runProfiled(inputs, outputs, seconds, error))
        return fail(error);
    std::vector<double> stepMs;
    for (double s : seconds)
      stepMs.push_back(s * 1000 / runs);
    if (!writeFileAtomically(
            reportPath,
            fusionReportJson(*artifact, name, fusion, stepMs), error))
      return fail(error);
  }
  int64_t bytes = 0;
  for (const cpu::KernelInfo &k : artifact->kernels)
    bytes += k.bytesRead + k.bytesWritten;
  std::printf("model %s batch=%lld threads=%zu fusion=%s kernels=%zu "
              "median_ms=%.6f compile_ms=%.0f est_bytes=%lld est_gbps=%.2f\n",
              name.c_str(), (long long)sig->inputs[0].shape[0], threads,
              fusion.c_str(), artifact->numSteps, median, compileMs,
              (long long)bytes, bytes / (median * 1e6));
  return 0;
}

/// Writes the .npy files of `tensors` into `dir` (created), one per name.
bool writeTensors(const std::string &dir,
                  const std::map<std::string, HostTensor> &tensors,
                  std::string &error) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    error = "cannot create '" + dir + "': " + ec.message();
    return false;
  }
  for (const auto &[name, t] : tensors)
    if (!writeNpy(dir + "/" + name + ".npy", t, error))
      return false;
  return true;
}

/// "key=value" lines that say which step `m` computes: enough for a peer
/// framework to build the same loss and optimizer.
std::string stepDescription(const std::string &name, int64_t batch,
                            const ModelTrainStep &m) {
  static const char *lossNames[] = {"mse", "binary_cross_entropy",
                                    "categorical_cross_entropy",
                                    "sparse_categorical_cross_entropy"};
  const loss::Loss &l = findModel(name)->training->loss;
  std::string out;
  auto add = [&](const std::string &key, const std::string &value) {
    out += key + "=" + value + "\n";
  };
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  add("model", name);
  add("batch", std::to_string(batch));
  add("loss", lossNames[static_cast<int>(l.kind)]);
  add("loss_from_logits", l.fromLogits ? "1" : "0");
  add("label", l.label);
  add("prediction", m.graph.graph.outputs().front().first);
  const optim::Optimizer &o = m.graph.optimizer;
  add("optimizer", optim::name(o));
  add("lr", num(optim::learningRate(o)));
  std::visit(
      [&](const auto &x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, optim::Momentum>)
          add("momentum", num(x.momentum));
        if constexpr (std::is_same_v<T, optim::Adam>) {
          add("beta1", num(x.beta1));
          add("beta2", num(x.beta2));
          add("epsilon", num(x.epsilon));
        }
        add("weight_decay", num(x.weightDecay));
      },
      o);
  return out;
}

int benchTrain(const std::string &name, std::optional<int64_t> batch,
               size_t threads, const std::string &fusion,
               const std::string &optimizer, std::optional<float> lr,
               int warmup, uint64_t seed, const std::string &saveDir) {
  const ModelInfo *info = findModel(name);
  if (!info)
    return fail("unknown model '" + name + "'; the built-in models are: " +
                knownModelNames());
  if (!info->training) {
    std::string trained;
    for (const ModelInfo &m : builtinModels())
      if (m.training)
        trained += (trained.empty() ? "" : ", ") + m.name;
    return fail("model '" + name + "' has no training setup; these have: " +
                trained);
  }
  int64_t b = batch.value_or(info->training->batch);
  if (b < 1)
    return fail("--batch=" + std::to_string(b) +
                ": a batch must be at least 1");
  std::string error;
  // The files are written after compiling, which takes seconds: a
  // directory that cannot hold them fails now.
  if (!saveDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(saveDir))
      return fail("--save-step: cannot create '" + saveDir +
                  "': " + ec.message());
    if (!checkWritable(saveDir + "/step.txt", error))
      return fail("--save-step: " + error);
  }
  optim::Optimizer opt = trainOptimizer(*info->training, optimizer, lr);
  cpu::CpuCodegenOptions options;
  options.fusion = fusion;
  auto ctx = makeContext();
  auto start = std::chrono::steady_clock::now();
  auto m = compileModelTrainStep(*info, b, opt, options, threads, seed, *ctx);
  if (!m)
    return fail(llvm::toString(m.takeError()));
  double compileMs = msSince(start);

  // The first step, from fresh tensors, is the one a peer checks.
  if (!saveDir.empty()) {
    std::map<std::string, HostTensor> batchData;
    for (const auto &[input, t] : m->step.data)
      if (input != kLearningRate)
        batchData.emplace(input, t);
    if (!writeTensors(saveDir + "/batch", batchData, error) ||
        !writeTensors(saveDir + "/before", m->state, error))
      return fail("--save-step: " + error);
  }
  if (!m->run(error))
    return fail(error);
  double firstLoss = m->loss();
  if (!saveDir.empty()) {
    std::map<std::string, HostTensor> outputs = {
        {m->graph.lossName, m->step.outputs[m->lossOutput]},
        {m->graph.graph.outputs().front().first,
         m->step.outputs[m->predictionOutput]}};
    if (!writeTensors(saveDir + "/after", m->state, error) ||
        !writeTensors(saveDir + "/outputs", outputs, error) ||
        !writeFileAtomically(saveDir + "/step.txt",
                             stepDescription(name, b, *m), error))
      return fail("--save-step: " + error);
  }

  double median = 0;
  size_t runs = 0;
  auto step = [&](std::string &error) { return m->run(error); };
  if (!steadyMedianMs(warmup, step, median, runs, error))
    return fail(error);
  std::printf("train %s batch=%lld threads=%zu fusion=%s kernels=%zu "
              "median_ms=%.6f compile_ms=%.0f examples_per_s=%.1f "
              "optimizer=%s lr=%g runs=%zu first_loss=%.6f last_loss=%.6f\n",
              name.c_str(), (long long)b, threads, fusion.c_str(),
              m->step.kernels, median, compileMs, b * 1000.0 / median,
              optim::name(opt).c_str(), optim::learningRate(opt), runs,
              firstLoss, m->loss());
  return 0;
}

int benchBandwidth() {
  constexpr size_t kBytes = 256u << 20;
  std::vector<char> from(kBytes, 1), to(kBytes, 0);
  std::vector<double> ms;
  for (int i = 0; i < 7; ++i) {
    auto start = std::chrono::steady_clock::now();
    std::memcpy(to.data(), from.data(), kBytes);
    ms.push_back(msSince(start));
    from[i] = to[kBytes - 1 - i]; // keep the copies observable
  }
  std::sort(ms.begin(), ms.end());
  std::printf("bandwidth bytes=%zu gbps=%.2f\n", 2 * kBytes,
              2 * kBytes / (ms[ms.size() / 2] * 1e6));
  return 0;
}

int benchGemm(int64_t m, int64_t n, int64_t k, int threads,
              const std::string &targetCpu) {
  Graph g("gemm");
  g.output("y", matmul(g.input("x", {m, k}), g.param("w", {k, n})));
  auto ctx = makeContext();
  auto module = toModule(g, *ctx);
  auto sig = signatureOf(*module);
  if (!sig)
    return fail(llvm::toString(sig.takeError()));
  ParamValues params = initParams(*sig, /*seed=*/1);
  std::vector<HostTensor> inputs = {randomInput(sig->inputs[0], 1)}, outputs;
  cpu::CpuCodegenOptions options;
  options.targetCpu = targetCpu;
  auto artifact = cpu::compileArtifact(*module, params, options);
  if (!artifact)
    return fail(llvm::toString(artifact.takeError()));
  std::string error;
  auto loaded = kiln::Artifact::loadBytes(artifact->bytes.data(),
                                          artifact->bytes.size(), error);
  if (!loaded || !loaded->setNumThreads(threads, error))
    return fail(error);
  auto run = [&](std::string &error) {
    return loaded->run(inputs, outputs, error);
  };
  // Warm up, then enough runs for about half a second (10 to 1000).
  auto start = std::chrono::steady_clock::now();
  if (!run(error) || !run(error))
    return fail(error);
  double once = msSince(start) / 2;
  int repeat = (int)std::clamp(500 / std::max(once, 1e-3), 10.0, 1000.0);
  double median = 0;
  if (!medianMs(repeat, run, median, error))
    return fail(error);
  std::printf("gemm M=%lld N=%lld K=%lld threads=%d gflops=%.2f%s\n",
              (long long)m, (long long)n, (long long)k, threads,
              2.0 * m * n * k / (median * 1e6),
              targetCpu == "host" ? "" : (" cpu=" + targetCpu).c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"kiln-bench: measure compiled kiln models"};
  app.require_subcommand(1);
  std::string name;
  std::optional<int64_t> batch;
  int repeat = 200, steps = 500;
  CLI::App *artifact = app.add_subcommand(
      "artifact", "Artifact and program sizes, start-up time, runtime vs JIT "
                  "latency and memory plan of a built-in model");
  artifact->add_option("name", name, "A built-in model")->required();
  artifact->add_option("--batch", batch, "Batch size (default: the model's)");
  artifact->add_option("--repeat", repeat, "Timed runs (median)")
      ->check(CLI::Range(1, 1000000));
  CLI::App *dispatch = app.add_subcommand(
      "dispatch", "The runtime's cost per step, on a chain of tiny steps");
  dispatch->add_option("--steps", steps, "Steps in the chain")
      ->check(CLI::Range(1, 100000));
  dispatch->add_option("--repeat", repeat, "Timed runs (median)")
      ->check(CLI::Range(1, 1000000));
  size_t threads = 1;
  std::string fusion = "full";
  CLI::App *model = app.add_subcommand(
      "model", "Median latency of a built-in model at a fusion level");
  model->add_option("name", name, "A built-in model")->required();
  model->add_option("--batch", batch, "Batch size (default: the model's)");
  model->add_option("--threads", threads, "Threads to run on")
      ->check(CLI::Range(1, 1024));
  model->add_option("--fusion", fusion, "none, elementwise or full")
      ->check(CLI::IsMember({"none", "elementwise", "full"}));
  std::string fusionReport;
  model->add_option("--fusion-report", fusionReport,
                    "Write kilnc's fusion report, with each kernel's "
                    "measured time (measured_ms), to this JSON file");
  CLI::App *trainCmd = app.add_subcommand(
      "train", "Median time of one training step of a built-in model");
  trainCmd->add_option("name", name, "A built-in model with a training setup")
      ->required();
  trainCmd->add_option("--batch", batch,
                       "Batch size (default: the model's training batch)");
  trainCmd->add_option("--threads", threads, "Threads to run on")
      ->check(CLI::Range(1, 1024));
  trainCmd->add_option("--fusion", fusion, "none, elementwise or full")
      ->check(CLI::IsMember({"none", "elementwise", "full"}));
  std::string optimizer, saveStep;
  std::optional<float> lr;
  int warmup = 3;
  uint64_t seed = 1;
  trainCmd->add_option("--optimizer", optimizer,
                       "sgd, momentum or adam (default: the model's)")
      ->check(CLI::IsMember({"sgd", "momentum", "adam"}));
  trainCmd->add_option("--lr", lr, "Learning rate (default: the model's)")
      ->check(numberAbove0());
  trainCmd->add_option("--warmup", warmup, "Untimed steps before timing")
      ->check(CLI::Range(0, 1000));
  trainCmd->add_option("--seed", seed, "Seed of the parameters and the batch");
  trainCmd->add_option("--save-step", saveStep,
                       "Write the first step's tensors (.npy) to this "
                       "directory, for a peer to check");
  CLI::App *bandwidth = app.add_subcommand(
      "bandwidth", "Memory bandwidth of one thread (a 256 MiB copy)");
  int64_t gemmM = 0, gemmN = 0, gemmK = 0;
  int gemmThreads = 1;
  CLI::App *gemm = app.add_subcommand(
      "gemm", "GFLOP/s of an f32 matmul by a weight, through the runtime");
  gemm->add_option("M", gemmM)->required()->check(CLI::Range(1, 1 << 20));
  gemm->add_option("N", gemmN)->required()->check(CLI::Range(1, 1 << 20));
  gemm->add_option("K", gemmK)->required()->check(CLI::Range(1, 1 << 20));
  gemm->add_option("--threads", gemmThreads, "Runtime threads")
      ->check(CLI::Range(1, 1024));
  std::string gemmCpu = "host";
  gemm->add_option("--cpu", gemmCpu,
                   "CPU to compile for, as kilnc --cpu (default: host)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (artifact->parsed())
    return benchArtifact(name, batch, repeat);
  if (model->parsed())
    return benchModel(name, batch, threads, fusion, fusionReport);
  if (trainCmd->parsed())
    return benchTrain(name, batch, threads, fusion, optimizer, lr, warmup,
                      seed, saveStep);
  if (bandwidth->parsed())
    return benchBandwidth();
  if (gemm->parsed())
    return benchGemm(gemmM, gemmN, gemmK, gemmThreads, gemmCpu);
  return benchDispatch(steps, repeat);
}
