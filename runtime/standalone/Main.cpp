//===- Main.cpp - main() of a standalone kiln executable ------------------===//
//
//   NAME [--input=NAME=PATH]... [--output=NAME=PATH.npy]...
//        [--labels=PATH] [--repeat=N] [--seed=S] [--threads=T]
//
// `kilnc --emit=exe` links this main, the runtime and one artifact embedded
// as data (kiln_embedded_kmod .. kiln_embedded_kmod_end) into a program that
// runs that model with nothing else installed. Its flags and its lines of
// output are kiln-run's for a .kmod, so that the two can be swapped in
// scripts (tools/Driver holds what they share). No CLI11 and nothing of
// LLVM: the program must depend on libc, libm, libstdc++ and libgcc_s alone
// (zlib, for gzip IDX inputs, is linked in statically).
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/Driver.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
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
      "usage: %s [--input=NAME=PATH]... [--output=NAME=PATH.npy]...\n"
      "       [--labels=PATH] [--repeat=N] [--seed=S] [--threads=T]\n\n"
      "  --input=NAME=PATH       input NAME from a .npy file or IDX images\n"
      "                          (inputs not given are seeded random values)\n"
      "  --output=NAME=PATH.npy  write output NAME to a .npy file\n"
      "  --labels=PATH           class ids (IDX labels or .npy): print the\n"
      "                          accuracy of the first output's argmax\n"
      "  --repeat=N              run N more times and print the median\n"
      "                          latency\n"
      "  --seed=S                seed of the random inputs (default 1)\n"
      "  --threads=T             threads to run on (default, or 0: the\n"
      "                          host's CPUs; at most 1024)\n"
      "  --help                  this text\n",
      programName.c_str());
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
  std::vector<std::string> inputs, outputs; // NAME=PATH
  std::string labels;
  unsigned long long repeat = 0, seed = 1;
  std::optional<unsigned long long> threads;
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
               arg == "--seed" || arg == "--threads" || arg == "--labels") {
      if (i + 1 == argc) {
        error = arg + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (flag == "--input" || flag == "--output") {
      (flag == "--input" ? o.inputs : o.outputs).push_back(value);
    } else if (flag == "--labels") {
      o.labels = value;
    } else if (flag == "--repeat") {
      if (!parseNumber(value, 0, 1000000, o.repeat)) {
        error = "--repeat=" + value + ": expected a count in [0, 1000000]";
        return false;
      }
    } else if (flag == "--threads") {
      unsigned long long n;
      if (!parseNumber(value, 0, 1024, n)) {
        error = "--threads=" + value + ": expected a count in [0, 1024]";
        return false;
      }
      o.threads = n;
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

int runMain(int argc, char **argv) {
  Options opts;
  std::string error;
  if (!parseArgs(argc, argv, opts, error))
    return fail(error);
  if (opts.help) {
    printUsage();
    return 0;
  }

  std::map<std::string, std::string> inputPaths, outputPaths;
  if (!splitPairs(opts.inputs, "input", inputPaths, error) ||
      !splitPairs(opts.outputs, "output", outputPaths, error))
    return fail(error);
  auto model = Artifact::loadBorrowed(
      kiln_embedded_kmod, kiln_embedded_kmod_end - kiln_embedded_kmod, error);
  if (!model)
    return fail("the embedded model does not load: " + error);
  if (opts.threads && !model->setNumThreads(*opts.threads, error))
    return fail(error);
  const ModelSignature &sig = model->signature();
  for (std::string bad :
       {checkNames("input", "input", inputPaths, sig.inputs),
        checkNames("output", "output", outputPaths, sig.outputs)})
    if (!bad.empty())
      return fail(bad);

  std::vector<HostTensor> inputs(sig.inputs.size());
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    auto it = inputPaths.find(sig.inputs[i].name);
    if (!prepareInput(sig.inputs[i],
                      it == inputPaths.end() ? "" : it->second, opts.seed,
                      programName, inputs[i], error))
      return fail(error);
  }
  std::printf("model %s: embedded (arena %zu bytes)\n", model->name().c_str(),
              model->arenaSize());

  std::vector<HostTensor> outputs;
  auto run = [&](std::string &error) {
    return model->run(inputs, outputs, error);
  };
  if (!run(error) || !writeOutputs(sig.outputs, outputs, outputPaths, error) ||
      (!opts.labels.empty() &&
       !reportAccuracy(outputs.front(), opts.labels, error)) ||
      !reportLatency(static_cast<int>(opts.repeat), run, error))
    return fail(error);
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
