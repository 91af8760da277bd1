//===- kiln-run.cpp - Compile a model for the CPU and run it --------------===//
//
//   kiln-run (--model=NAME [--batch=B] | FILE.mlir | FILE.kmod)
//            [--input=NAME=PATH]... [--output=NAME=PATH.npy]...
//            [--param=NAME=PATH.npy]... [--checkpoint=PATH]
//            [--check [--compare=NAME=PATH.npy]...]
//            [--labels=PATH] [--repeat=N] [--seed=S] [--threads=T]
//
// Inputs come from .npy files or, for image inputs, Fashion-MNIST IDX files
// (the first rows are taken); inputs not given are seeded random values
// (token ids in range for the table they index). --check runs the reference
// interpreter too and fails when an output is beyond tolerance; --compare
// holds a file made elsewhere (a standalone program's output) to the same
// check. A .kmod artifact runs through the runtime alone, on --threads
// threads (default: the host's CPUs); a model compiled in-process runs on
// one.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/ir/Compare.h"
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/tools/Checkpoint.h"
#include "kiln/tools/Driver.h"
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/Npy.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>

using namespace kiln;

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "kiln-run: " << msg << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"kiln-run: compile a kiln model for the CPU and run it"};
  std::string modelName, file;
  std::optional<int64_t> batch;
  std::vector<std::string> inputFlags, outputFlags, paramFlags, compareFlags;
  bool check = false;
  int repeat = 0;
  uint64_t seed = 1;
  app.add_option("--model", modelName, "A built-in model");
  app.add_option("--batch", batch, "Batch size (default: the model's own)");
  app.add_option("file", file, "A kiln module (.mlir) or artifact (.kmod)");
  app.add_option("--input", inputFlags, "NAME=PATH (.npy or IDX images)");
  app.add_option("--output", outputFlags, "NAME=PATH.npy");
  app.add_option("--param", paramFlags, "NAME=PATH.npy parameter value");
  std::string checkpoint;
  app.add_option("--checkpoint", checkpoint,
                 "Parameters from a kiln-train checkpoint (--save)");
  std::string labels;
  app.add_option("--labels", labels,
                 "Class ids (IDX labels or .npy): print the accuracy of the "
                 "first output's argmax");
  app.add_flag("--check", check, "Compare with the reference interpreter");
  app.add_option("--compare", compareFlags,
                 "NAME=PATH.npy: with --check, also check this file (another "
                 "program's output NAME) against the reference");
  app.add_option("--repeat", repeat, "Run N more times and print the median latency")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--seed", seed, "Seed of random inputs and parameters");
  std::optional<size_t> threads;
  app.add_option("--threads", threads,
                 "Threads to run on (default, or 0: the host's CPUs)")
      ->check(CLI::Range(0, 1024));
  std::optional<std::string> fusion;
  app.add_option("--fusion", fusion,
                 "Kernel fusion: none (one op per kernel), elementwise or "
                 "full (the default)")
      ->check(CLI::IsMember({"none", "elementwise", "full"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1; // usage errors exit 1, like all others
  }

  std::map<std::string, std::string> inputPaths, outputPaths, paramPaths,
      comparePaths;
  std::string error;
  if (!splitPairs(inputFlags, "input", inputPaths, error) ||
      !splitPairs(outputFlags, "output", outputPaths, error) ||
      !splitPairs(paramFlags, "param", paramPaths, error) ||
      !splitPairs(compareFlags, "compare", comparePaths, error))
    return fail(error);
  // Outputs are written after the compile and the run, which take
  // seconds: a path that cannot be written fails first.
  for (const auto &[output, path] : outputPaths)
    if (!checkWritable(path, error))
      return fail("--output=" + output + "=" + path + ": " + error);
  if (!comparePaths.empty() && !check)
    return fail("--compare needs --check: files are compared with the "
                "reference interpreter");

  auto ctx = makeContext();
  bool isArtifact = isKmodFile(file);
  if (isArtifact &&
      (batch || !modelName.empty() || !paramPaths.empty() ||
       !checkpoint.empty() || check || fusion))
    return fail("a .kmod artifact has its shapes, weights and kernels inside "
                "and no IR: --batch, --model, --param, --checkpoint, --check "
                "and --fusion do not apply");

  // What is run: the artifact through the runtime, or the module compiled
  // in-process. Either way the signature comes first, so that bad input
  // files fail before a compile.
  ModelSignature sig;
  std::string name;
  std::unique_ptr<Artifact> artifact;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  if (isArtifact) {
    artifact = Artifact::loadFile(file, error);
    if (!artifact)
      return fail(error);
    name = artifact->name();
    sig = artifact->signature();
  } else {
    auto loaded = loadModel(modelName, batch, file, *ctx);
    if (!loaded)
      return fail(llvm::toString(loaded.takeError()));
    module = std::move(*loaded);
    func = llvm::cantFail(modelFunc(*module));
    name = func.getSymName().str();
    auto sigOr = signatureOf(func);
    if (!sigOr)
      return fail(llvm::toString(sigOr.takeError()));
    sig = std::move(*sigOr);
  }

  for (std::string bad :
       {checkNames("input", "input", inputPaths, sig.inputs),
        checkNames("output", "output", outputPaths, sig.outputs),
        checkNames("compare", "output", comparePaths, sig.outputs)})
    if (!bad.empty())
      return fail(bad);
  std::map<std::string, HostTensor> compared;
  for (const TensorSpec &spec : sig.outputs) {
    auto it = comparePaths.find(spec.name);
    if (it == comparePaths.end())
      continue;
    HostTensor t;
    if (!readNpy(it->second, t, error))
      return fail(error);
    error = checkTensor(t, "--compare file for '" + spec.name + "'",
                        spec.dtype, spec.shape);
    if (!error.empty())
      return fail(error);
    compared.emplace(spec.name, std::move(t));
  }

  std::vector<HostTensor> inputs(sig.inputs.size());
  for (unsigned i = 0; i < sig.inputs.size(); ++i) {
    auto it = inputPaths.find(sig.inputs[i].name);
    if (!prepareInput(sig.inputs[i],
                      it == inputPaths.end() ? "" : it->second, seed,
                      "kiln-run", inputs[i], error))
      return fail(error);
  }

  ParamValues params;
  if (!isArtifact) {
    // Compiled in memory exactly as kilnc --emit=kmod would, then run
    // through the runtime.
    auto loadedParams = loadParams(sig, seed, paramPaths);
    if (!loadedParams)
      return fail(llvm::toString(loadedParams.takeError()));
    params = std::move(*loadedParams);
    if (!checkpoint.empty()) {
      Checkpoint ckpt;
      if (!loadCheckpoint(checkpoint, ckpt, error) ||
          !checkCheckpoint(ckpt, checkpoint, name, sig.params,
                           /*allowExtra=*/true, error))
        return fail(error);
      for (const TensorSpec &p : sig.params)
        params[p.name] = ckpt.tensors.at(p.name);
    }
    auto t0 = std::chrono::steady_clock::now();
    cpu::CpuCodegenOptions options;
    options.fusion = fusion.value_or("full");
    auto compiled = cpu::compileArtifact(*module, params, options);
    if (!compiled)
      return fail(llvm::toString(compiled.takeError()));
    artifact = Artifact::loadBytes(compiled->bytes.data(),
                                   compiled->bytes.size(), error);
    if (!artifact)
      return fail(error);
    std::printf("model %s: compiled for the CPU in %.0f ms (%zu kernels, "
                "fusion=%s)\n",
                name.c_str(),
                std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count(),
                compiled->numSteps, options.fusion.c_str());
  } else {
    std::printf("model %s: loaded from %s (arena %zu bytes)\n", name.c_str(),
                file.c_str(), artifact->arenaSize());
  }
  if (threads && !artifact->setNumThreads(*threads, error))
    return fail(error);
  std::vector<HostTensor> outputs;
  auto run = [&](std::string &error) {
    return artifact->run(inputs, outputs, error);
  };

  if (!run(error) || !writeOutputs(sig.outputs, outputs, outputPaths, error) ||
      (!labels.empty() && !reportAccuracy(outputs.front(), labels, error)))
    return fail(error);

  int status = 0;
  if (check) {
    auto ref = interpret(func, inputs, params);
    if (!ref)
      return fail("reference interpreter: " + llvm::toString(ref.takeError()));
    auto report = [&](const std::string &label, const HostTensor &got,
                      const HostTensor &want, DType dtype) {
      Tolerance tol = Tolerance::forModelOutput(dtype);
      Comparison e = compareTensors(got, want, tol);
      std::printf("check  %s: max_abs_err=%.3g max_rel_err=%.3g atol=%g "
                  "rtol=%g %s\n",
                  label.c_str(), e.maxAbs, e.maxRel, tol.atol, tol.rtol,
                  e.ok() ? "ok" : "FAILED");
      if (!e.ok()) {
        std::printf(
            "       worst element %lld: compiled %.9g, reference %.9g\n",
            (long long)e.worst, got.get(e.worst), want.get(e.worst));
        status = 1;
      }
    };
    for (size_t i = 0; i < sig.outputs.size(); ++i) {
      const TensorSpec &spec = sig.outputs[i];
      report(spec.name, outputs[i], (*ref)[i], spec.dtype);
      auto it = compared.find(spec.name);
      if (it != compared.end())
        report(spec.name + " (" + comparePaths[spec.name] + ")", it->second,
               (*ref)[i], spec.dtype);
    }
  }

  if (!reportLatency(repeat, run, error))
    return fail(error);
  return status;
}
