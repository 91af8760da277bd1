//===- kiln-run.cpp - Compile a model for the CPU and run it --------------===//
//
//   kiln-run (--model=NAME [--batch=B] | FILE.mlir | FILE.kmod)
//            [--input=NAME=PATH]... [--output=NAME=PATH.npy]...
//            [--param=NAME=PATH.npy]... [--check] [--repeat=N] [--seed=S]
//
// Inputs come from .npy files or, for image inputs, Fashion-MNIST IDX files
// (the first rows are taken); inputs not given are seeded random values
// (token ids in range for the table they index). --check runs the reference
// interpreter too and fails when an output is beyond tolerance. A .kmod
// artifact runs through the runtime alone.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/JitModel.h"
#include "kiln/ir/Compare.h"
#include "kiln/runtime/include/kiln_runtime.h"
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/ParamInit.h"
#include "kiln/tools/Idx.h"
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/Npy.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

using namespace kiln;

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "kiln-run: " << msg << "\n";
  return 1;
}

bool isIdx(const std::string &path) {
  return path.find("idx3-ubyte") != std::string::npos;
}

/// Reads input `spec` from `path`: .npy as is, IDX images as the first rows.
bool readInput(const TensorSpec &spec, const std::string &path, HostTensor &t,
               std::string &error) {
  if (isIdx(path)) {
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
  } else if (!readNpy(path, t, error)) {
    return false;
  }
  error = checkTensor(t, "input '" + spec.name + "'", spec.dtype, spec.shape);
  if (!error.empty())
    return false;
  error = findNonFinite(t);
  if (!error.empty()) {
    error = "input '" + spec.name + "' (" + path + "): " + error;
    return false;
  }
  return true;
}

/// Number of rows of the table each integer input indexes into, so random
/// token ids stay in range.
std::map<unsigned, int64_t> indexRanges(mlir::func::FuncOp func) {
  std::map<unsigned, int64_t> ranges;
  func.walk([&](GatherOp g) {
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(g.getIndices()))
      ranges[arg.getArgNumber()] =
          llvm::cast<mlir::RankedTensorType>(g.getTable().getType())
              .getDimSize(0);
  });
  return ranges;
}

/// gather clamps ids into its table (as XLA does); a user feeding ids from a
/// file should still hear about ones that do not fit.
void warnOutOfRange(const std::string &name, const HostTensor &ids,
                    int64_t rows) {
  int64_t count = 0, first = -1;
  for (int64_t i = 0; i < ids.size(); ++i)
    if (ids.get(i) < 0 || ids.get(i) >= rows) {
      if (first < 0)
        first = i;
      ++count;
    }
  if (count)
    llvm::errs() << "kiln-run: warning: input '" << name << "': " << count
                 << " ids outside [0, " << rows
                 << ") are clamped into the table (first: element " << first
                 << " = " << (int64_t)ids.get(first) << ")\n";
}

ModelSignature signatureOfArtifact(const kiln_model *m) {
  ModelSignature sig;
  auto specs = [&](size_t n, kiln_status (*info)(const kiln_model *, size_t,
                                                  kiln_tensor_info *)) {
    std::vector<TensorSpec> out;
    for (size_t i = 0; i < n; ++i) {
      kiln_tensor_info t;
      info(m, i, &t);
      out.push_back({t.name, static_cast<DType>(t.dtype),
                     Shape(t.shape, t.shape + t.rank), ""});
    }
    return out;
  };
  sig.inputs = specs(kiln_model_num_inputs(m), kiln_model_input_info);
  sig.outputs = specs(kiln_model_num_outputs(m), kiln_model_output_info);
  return sig;
}

llvm::Expected<std::vector<HostTensor>>
runArtifact(kiln_model *m, const ModelSignature &sig,
            const std::vector<HostTensor> &inputs) {
  std::vector<const void *> in;
  for (const HostTensor &t : inputs)
    in.push_back(t.data());
  std::vector<HostTensor> outputs;
  std::vector<void *> out;
  for (const TensorSpec &o : sig.outputs) {
    outputs.emplace_back(o.dtype, o.shape);
    out.push_back(outputs.back().data());
  }
  char message[1024];
  if (kiln_model_run(m, in.data(), out.data(), message, sizeof message))
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  return outputs;
}

HostTensor randomInput(const TensorSpec &spec, int64_t range, uint64_t seed) {
  HostTensor t(spec.dtype, spec.shape);
  Rng rng(seedFor(seed, spec.name));
  bool isInt = spec.dtype == DType::I32 || spec.dtype == DType::I8;
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, isInt ? std::floor(rng.uniform(0, (double)range))
                   : rng.uniform(-1.0, 1.0));
  return t;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"kiln-run: compile a kiln model for the CPU and run it"};
  std::string modelName, file;
  std::optional<int64_t> batch;
  std::vector<std::string> inputFlags, outputFlags, paramFlags;
  bool check = false;
  int repeat = 0;
  uint64_t seed = 1;
  app.add_option("--model", modelName, "A built-in model");
  app.add_option("--batch", batch, "Batch size (default: the model's own)");
  app.add_option("file", file, "A kiln module (.mlir) or artifact (.kmod)");
  app.add_option("--input", inputFlags, "NAME=PATH (.npy or IDX images)");
  app.add_option("--output", outputFlags, "NAME=PATH.npy");
  app.add_option("--param", paramFlags, "NAME=PATH.npy parameter value");
  app.add_flag("--check", check, "Compare with the reference interpreter");
  app.add_option("--repeat", repeat, "Run N times and print the median")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--seed", seed, "Seed of random inputs and parameters");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1; // usage errors exit 1, like all others
  }

  std::map<std::string, std::string> inputPaths, outputPaths, paramPaths;
  std::string error;
  if (!splitPairs(inputFlags, "input", inputPaths, error) ||
      !splitPairs(outputFlags, "output", outputPaths, error) ||
      !splitPairs(paramFlags, "param", paramPaths, error))
    return fail(error);

  auto ctx = makeContext();
  bool isArtifact = llvm::StringRef(file).ends_with(".kmod");
  if (isArtifact && (batch || !modelName.empty() || !paramPaths.empty() ||
                     check))
    return fail("a .kmod artifact has its shapes and weights inside and no "
                "IR: --batch, --model, --param and --check do not apply");

  // What is run: the artifact through the runtime, or the module compiled
  // in-process. Either way the signature comes first, so that bad input
  // files fail before a compile.
  ModelSignature sig;
  std::string name;
  std::unique_ptr<kiln_model, void (*)(kiln_model *)> artifact(
      nullptr, kiln_model_free);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  std::map<unsigned, int64_t> ranges;
  if (isArtifact) {
    char message[1024];
    kiln_model *m = nullptr;
    if (kiln_model_load_file(file.c_str(), &m, message, sizeof message))
      return fail(message);
    artifact.reset(m);
    name = kiln_model_name(m);
    sig = signatureOfArtifact(m);
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
    ranges = indexRanges(func);
  }

  for (auto &[name, path] : inputPaths)
    if (std::none_of(sig.inputs.begin(), sig.inputs.end(),
                     [&](const TensorSpec &s) { return s.name == name; }))
      return fail("--input=" + name + "=...: the model has no input '" + name +
                  "'; its inputs are: " + namesOf(sig.inputs));
  for (auto &[name, path] : outputPaths)
    if (std::none_of(sig.outputs.begin(), sig.outputs.end(),
                     [&](const TensorSpec &s) { return s.name == name; }))
      return fail("--output=" + name + "=...: the model has no output '" +
                  name + "'; its outputs are: " + namesOf(sig.outputs));

  std::vector<HostTensor> inputs;
  for (unsigned i = 0; i < sig.inputs.size(); ++i) {
    const TensorSpec &spec = sig.inputs[i];
    auto it = inputPaths.find(spec.name);
    if (it == inputPaths.end()) {
      int64_t range = ranges.count(i) ? ranges[i] : 10;
      inputs.push_back(randomInput(spec, range, seed));
      std::printf("input  %s %s %s <- random (seed %llu)\n", spec.name.c_str(),
                  dtypeName(spec.dtype), toString(spec.shape).c_str(),
                  (unsigned long long)seed);
      continue;
    }
    HostTensor t;
    if (!readInput(spec, it->second, t, error))
      return fail(error);
    if (ranges.count(i))
      warnOutOfRange(spec.name, t, ranges[i]);
    std::printf("input  %s %s %s <- %s\n", spec.name.c_str(),
                dtypeName(spec.dtype), toString(spec.shape).c_str(),
                it->second.c_str());
    inputs.push_back(std::move(t));
  }

  ParamValues params;
  std::unique_ptr<cpu::JitModel> jit;
  if (!isArtifact) {
    auto loadedParams = loadParams(sig, seed, paramPaths);
    if (!loadedParams)
      return fail(llvm::toString(loadedParams.takeError()));
    params = std::move(*loadedParams);
    auto t0 = std::chrono::steady_clock::now();
    auto compiled = cpu::JitModel::compile(*module);
    if (!compiled)
      return fail(llvm::toString(compiled.takeError()));
    jit = std::move(*compiled);
    std::printf("model %s: compiled for the CPU in %.0f ms\n", name.c_str(),
                std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count());
  } else {
    std::printf("model %s: loaded from %s (arena %zu bytes)\n", name.c_str(),
                file.c_str(), kiln_model_arena_size(artifact.get()));
  }
  auto run = [&]() -> llvm::Expected<std::vector<HostTensor>> {
    if (jit)
      return jit->run(inputs, params);
    return runArtifact(artifact.get(), sig, inputs);
  };

  auto outputs = run();
  if (!outputs)
    return fail(llvm::toString(outputs.takeError()));
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    const TensorSpec &spec = sig.outputs[i];
    auto it = outputPaths.find(spec.name);
    std::string where = it == outputPaths.end() ? "(not saved)" : it->second;
    if (it != outputPaths.end() && !writeNpy(it->second, (*outputs)[i], error))
      return fail(error);
    std::printf("output %s %s %s -> %s\n", spec.name.c_str(),
                dtypeName(spec.dtype), toString(spec.shape).c_str(),
                where.c_str());
  }

  int status = 0;
  if (check) {
    auto ref = interpret(func, inputs, params);
    if (!ref)
      return fail("reference interpreter: " + llvm::toString(ref.takeError()));
    for (size_t i = 0; i < sig.outputs.size(); ++i) {
      Tolerance tol = Tolerance::forModelOutput(sig.outputs[i].dtype);
      Comparison e = compareTensors((*outputs)[i], (*ref)[i], tol);
      bool ok = e.ok();
      std::printf("check  %s: max_abs_err=%.3g max_rel_err=%.3g atol=%g "
                  "rtol=%g %s\n",
                  sig.outputs[i].name.c_str(), e.maxAbs, e.maxRel, tol.atol,
                  tol.rtol, ok ? "ok" : "FAILED");
      if (!ok) {
        std::printf("       worst element %lld: compiled %.9g, reference %.9g\n",
                    (long long)e.worst, (*outputs)[i].get(e.worst),
                    (*ref)[i].get(e.worst));
        status = 1;
      }
    }
  }

  if (repeat > 0) {
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      auto again = run();
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
      if (!again)
        return fail(llvm::toString(again.takeError()));
    }
    std::sort(ms.begin(), ms.end());
    std::printf("latency median_ms=%.4f runs=%d\n", ms[ms.size() / 2], repeat);
  }
  return status;
}
