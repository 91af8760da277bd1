//===- Main.cpp - main() of a standalone kiln executable ------------------===//
//
//   NAME [--input=NAME=PATH.npy]... [--output=NAME=PATH.npy]...
//        [--repeat=N] [--seed=S]
//
// `kilnc --emit=exe` links this main, the runtime and one artifact embedded
// as data (kiln_embedded_kmod .. kiln_embedded_kmod_end) into a program that
// runs that model with nothing else installed. Its flags and its lines of
// output are kiln-run's for a .kmod, so that the two can be swapped in
// scripts. No CLI11 and nothing of LLVM: the program must depend on libc,
// libm, libstdc++ and libgcc_s alone, and IDX inputs (zlib) are left out for
// the same reason.
//
//===----------------------------------------------------------------------===//
#include "kiln/ir/HostTensor.h"
#include "kiln/ir/ParamInit.h"
#include "kiln/runtime/include/kiln_runtime.h"
#include "kiln/tools/Npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

// Defined by the object kilnc generates from the artifact (an .incbin).
extern "C" const unsigned char kiln_embedded_kmod[];
extern "C" const unsigned char kiln_embedded_kmod_end[];

using namespace kiln;

namespace {

std::string programName = "kiln-model";

int fail(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n", programName.c_str(), message.c_str());
  return 1;
}

void printUsage() {
  std::printf(
      "Runs the kiln model compiled into this program.\n\n"
      "usage: %s [--input=NAME=PATH.npy]... [--output=NAME=PATH.npy]...\n"
      "       [--repeat=N] [--seed=S]\n\n"
      "  --input=NAME=PATH.npy   input NAME from a .npy file (inputs not\n"
      "                          given are seeded random values)\n"
      "  --output=NAME=PATH.npy  write output NAME to a .npy file\n"
      "  --repeat=N              run N more times and print the median\n"
      "                          latency\n"
      "  --seed=S                seed of the random inputs (default 1)\n"
      "  --help                  this text\n",
      programName.c_str());
}

struct Spec {
  std::string name;
  DType dtype;
  Shape shape;
};

std::vector<Spec> specsOf(const kiln_model *m, bool inputs) {
  std::vector<Spec> specs;
  size_t n = inputs ? kiln_model_num_inputs(m) : kiln_model_num_outputs(m);
  for (size_t i = 0; i < n; ++i) {
    kiln_tensor_info t;
    if (inputs)
      kiln_model_input_info(m, i, &t);
    else
      kiln_model_output_info(m, i, &t);
    specs.push_back({t.name, static_cast<DType>(t.dtype),
                     Shape(t.shape, t.shape + t.rank)});
  }
  return specs;
}

std::string namesOf(const std::vector<Spec> &specs) {
  std::string s;
  for (const Spec &t : specs)
    s += (s.empty() ? "" : ", ") + t.name;
  return s;
}

bool hasName(const std::vector<Spec> &specs, const std::string &name) {
  return std::any_of(specs.begin(), specs.end(),
                     [&](const Spec &s) { return s.name == name; });
}

/// kiln-run's random input for a .kmod, value for value: the same seed
/// gives the same inputs in both, so their outputs can be compared.
HostTensor randomInput(const Spec &spec, uint64_t seed) {
  HostTensor t(spec.dtype, spec.shape);
  Rng rng(seedFor(seed, spec.name));
  bool isInt = spec.dtype == DType::I32 || spec.dtype == DType::I8;
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, isInt ? std::floor(rng.uniform(0, 10.0)) : rng.uniform(-1, 1));
  return t;
}

/// A whole decimal number in [lo, hi], or false.
bool parseNumber(const std::string &text, unsigned long long lo,
                 unsigned long long hi, unsigned long long &value) {
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos ||
      text.size() > 19)
    return false;
  value = std::strtoull(text.c_str(), nullptr, 10);
  return value >= lo && value <= hi;
}

struct Options {
  std::map<std::string, std::string> inputs, outputs;
  unsigned long long repeat = 0, seed = 1;
  bool help = false;
};

/// Accepts "--flag=VALUE" and "--flag VALUE", as kiln-run does.
bool parseArgs(int argc, char **argv, Options &o, std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    std::string flag = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (arg == "--input" || arg == "--output" || arg == "--repeat" ||
               arg == "--seed") {
      if (i + 1 == argc) {
        error = arg + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (flag == "--input" || flag == "--output") {
      size_t sep = value.find('=');
      if (sep == std::string::npos || sep == 0 || sep + 1 == value.size()) {
        error = flag + "=" + value + ": expected NAME=PATH";
        return false;
      }
      (flag == "--input" ? o.inputs : o.outputs)[value.substr(0, sep)] =
          value.substr(sep + 1);
    } else if (flag == "--repeat") {
      if (!parseNumber(value, 0, 1000000, o.repeat)) {
        error = "--repeat=" + value + ": expected a count in [0, 1000000]";
        return false;
      }
    } else if (flag == "--seed") {
      if (!parseNumber(value, 0, ~0ull, o.seed)) {
        error = "--seed=" + value + ": expected an unsigned integer";
        return false;
      }
    } else {
      error = "unknown argument '" + arg + "' (see --help)";
      return false;
    }
  }
  return true;
}

bool readInput(const Spec &spec, const std::string &path, HostTensor &t,
               std::string &error) {
  if (!readNpy(path, t, error))
    return false;
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

int runMain(int argc, char **argv) {
  Options opts;
  std::string error;
  if (!parseArgs(argc, argv, opts, error))
    return fail(error);
  if (opts.help) {
    printUsage();
    return 0;
  }

  char message[1024];
  kiln_model *raw = nullptr;
  if (kiln_model_load_bytes(kiln_embedded_kmod,
                            kiln_embedded_kmod_end - kiln_embedded_kmod, &raw,
                            message, sizeof message))
    return fail(std::string("the embedded model does not load: ") + message);
  std::unique_ptr<kiln_model, void (*)(kiln_model *)> model(raw,
                                                            kiln_model_free);
  std::vector<Spec> ins = specsOf(raw, true), outs = specsOf(raw, false);

  for (auto &[name, path] : opts.inputs)
    if (!hasName(ins, name))
      return fail("--input=" + name + "=...: the model has no input '" + name +
                  "'; its inputs are: " + namesOf(ins));
  for (auto &[name, path] : opts.outputs)
    if (!hasName(outs, name))
      return fail("--output=" + name + "=...: the model has no output '" +
                  name + "'; its outputs are: " + namesOf(outs));

  std::vector<HostTensor> inputs;
  for (const Spec &spec : ins) {
    auto it = opts.inputs.find(spec.name);
    if (it == opts.inputs.end()) {
      inputs.push_back(randomInput(spec, opts.seed));
      std::printf("input  %s %s %s <- random (seed %llu)\n", spec.name.c_str(),
                  dtypeName(spec.dtype), toString(spec.shape).c_str(),
                  opts.seed);
      continue;
    }
    HostTensor t;
    if (!readInput(spec, it->second, t, error))
      return fail(error);
    std::printf("input  %s %s %s <- %s\n", spec.name.c_str(),
                dtypeName(spec.dtype), toString(spec.shape).c_str(),
                it->second.c_str());
    inputs.push_back(std::move(t));
  }
  std::printf("model %s: embedded (arena %zu bytes)\n", kiln_model_name(raw),
              kiln_model_arena_size(raw));

  std::vector<const void *> in;
  for (const HostTensor &t : inputs)
    in.push_back(t.data());
  std::vector<HostTensor> outputs;
  std::vector<void *> out;
  for (const Spec &o : outs) {
    outputs.emplace_back(o.dtype, o.shape);
    out.push_back(outputs.back().data());
  }
  auto run = [&] {
    return kiln_model_run(raw, in.data(), out.data(), message, sizeof message);
  };

  if (run())
    return fail(message);
  for (size_t i = 0; i < outs.size(); ++i) {
    const Spec &spec = outs[i];
    auto it = opts.outputs.find(spec.name);
    std::string where = it == opts.outputs.end() ? "(not saved)" : it->second;
    if (it != opts.outputs.end() && !writeNpy(it->second, outputs[i], error))
      return fail(error);
    std::printf("output %s %s %s -> %s\n", spec.name.c_str(),
                dtypeName(spec.dtype), toString(spec.shape).c_str(),
                where.c_str());
  }

  if (opts.repeat > 0) {
    std::vector<double> ms;
    for (unsigned long long r = 0; r < opts.repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      kiln_status status = run();
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
      if (status)
        return fail(message);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("latency median_ms=%.4f runs=%llu\n", ms[ms.size() / 2],
                opts.repeat);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 0 && argv[0]) {
    programName = argv[0];
    size_t slash = programName.rfind('/');
    if (slash != std::string::npos)
      programName = programName.substr(slash + 1);
  }
  // HostTensor throws for shapes it cannot allocate; a message and exit 1
  // beat std::terminate's abort.
  try {
    return runMain(argc, argv);
  } catch (const std::exception &e) {
    return fail(e.what());
  }
}
