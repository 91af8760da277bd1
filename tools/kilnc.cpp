//===- kilnc.cpp - The kiln compiler driver -------------------------------===//
//
//   kilnc --list-models
//   kilnc --list-cpus
//   kilnc --model=NAME [--batch=B] -o NAME.mlir
//   kilnc (--model=NAME | FILE.mlir) --dump-after=<pass|all>
//         [--fusion=LEVEL] [--cpu=NAME]
//   kilnc (--model=NAME | FILE.mlir) --target=cpu --emit=kmod -o NAME.kmod
//         [--param=NAME=PATH.npy]... [--seed=S] [--cpu=NAME]
//   kilnc (--model=NAME | FILE.mlir) --emit=exe -o NAME
//   kilnc (--model=NAME | FILE.mlir) --emit=lib -o libNAME.a  (+ NAME.h)
//   kilnc [--model=NAME | FILE.mlir] --memory-report
//
// Writes the kiln module of a model or its compiled artifact, shows the IR
// after each pass of the pipeline that compiles the artifact (fusion,
// outlining into kernels, the memory plan, then each kernel's codegen), or
// reports memory plans. Compiled
// code is for this machine's CPU unless --cpu names another (x86-64-v3: any
// AVX2 machine).
// --emit=exe and --emit=lib are Standalone.h's.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/examples/Models.h"
#include "kiln/tools/Files.h"
#include "kiln/tools/FusionGraph.h"
#include "kiln/tools/FusionReport.h"
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/Standalone.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <cstdio>

using namespace kiln;

static int fail(const std::string &message) {
  llvm::errs() << "kilnc: " << message << "\n";
  return 1;
}

/// One line per model: steps, arena bytes, the lower bound, their ratio.
static int reportMemory(const std::string &name, std::optional<int64_t> batch,
                        const std::string &file,
                        const cpu::CpuCodegenOptions &options,
                        mlir::MLIRContext &ctx, bool train) {
  std::vector<std::string> names;
  if (name.empty() && file.empty()) {
    for (const ModelInfo &m : builtinModels())
      if (!train || m.training)
        names.push_back(m.name);
  } else {
    names.push_back(name);
  }
  for (const std::string &n : names) {
    auto module = loadModel(n, batch, file, ctx, train);
    if (!module)
      return fail(llvm::toString(module.takeError()));
    auto plan = cpu::planArtifact(**module, options);
    if (!plan)
      return fail(llvm::toString(plan.takeError()));
    auto func = llvm::cantFail(modelFunc(**module));
    int64_t b = plan->signature.inputs.empty() ||
                        plan->signature.inputs[0].shape.empty()
                    ? 1
                    : plan->signature.inputs[0].shape[0];
    std::printf("memory %s batch=%lld steps=%zu arena_bytes=%lld "
                "lower_bound_bytes=%lld ratio=%.3f\n",
                func.getSymName().str().c_str(), (long long)b, plan->numSteps,
                (long long)plan->arenaSize, (long long)plan->arenaLowerBound,
                plan->arenaLowerBound
                    ? (double)plan->arenaSize / plan->arenaLowerBound
                    : 1.0);
  }
  return 0;
}

int main(int argc, char **argv) {
  CLI::App app{"kilnc: compile a kiln model"};
  bool listModels = false;
  std::string modelName, file, output = "-", dumpAfter;
  std::optional<int64_t> batch;
  app.add_flag("--list-models", listModels, "List the built-in models");
  app.add_option("--model", modelName, "A built-in model");
  app.add_option("--batch", batch, "Batch size (default: the model's own)");
  bool train = false;
  app.add_flag("--train", train,
               "The model's train step (autodiff and optimizer) instead of "
               "the model");
  app.add_option("file", file, "A kiln module (.mlir)");
  CLI::Option *outputOpt =
      app.add_option("-o", output, "Output file (- for stdout)");
  CLI::Option *dumpOpt =
      app.add_option("--dump-after", dumpAfter,
                     "Print the IR after this pass of the pipeline that "
                     "compiles an artifact (--emit=kmod, exe, lib), or after "
                     "every pass with 'all'; compiles nothing to keep");
  std::string target = "cpu", emit = "mlir";
  std::vector<std::string> paramFlags;
  uint64_t seed = 1;
  bool memoryReport = false;
  app.add_option("--target", target, "Compile for: cpu")
      ->check(CLI::IsMember({"cpu"}));
  CLI::Option *emitOpt = app.add_option("--emit", emit,
                 "Output: mlir (the kiln module), kmod (the artifact), exe "
                 "(a program that runs it, weights inside) or lib "
                 "(libNAME.a with int NAME_run(...), and NAME.h beside it)")
      ->check(CLI::IsMember({"mlir", "kmod", "exe", "lib"}));
  app.add_option("--param", paramFlags, "NAME=PATH.npy parameter value");
  app.add_option("--seed", seed, "Seed of the parameters not given");
  std::string cpuName = "host";
  bool listCpus = false;
  CLI::Option *cpuOpt = app.add_option(
      "--cpu", cpuName,
      "CPU the compiled code is for (--emit=kmod, exe, lib): host (the "
      "default: this machine's) or a name of --list-cpus, e.g. x86-64-v3");
  app.add_flag("--list-cpus", listCpus,
               "List the CPU names --cpu takes");
  cpu::CpuCodegenOptions options;
  app.add_option("--fusion", options.fusion,
                 "Kernel fusion: none (one op per kernel), elementwise or "
                 "full (the default)")
      ->check(CLI::IsMember({"none", "elementwise", "full"}));
  std::string fusionReport, fusionGraph;
  CLI::Option *reportOpt = app.add_option(
      "--fusion-report", fusionReport,
      "Write the kernels (ops, estimated bytes and FLOPs) as JSON to this "
      "file");
  CLI::Option *graphOpt = app.add_option(
      "--fusion-graph", fusionGraph,
      "Draw the model with its fusion regions outlined into this .svg or "
      ".png file (needs Graphviz)");
  // The report goes to standard output and compiles nothing to keep.
  app.add_flag("--memory-report", memoryReport,
               "Print each model's arena size and its lower bound")
      ->excludes(outputOpt)
      ->excludes(dumpOpt)
      ->excludes(emitOpt)
      ->excludes(reportOpt)
      ->excludes(graphOpt);
  // The dump goes to standard output and is all that is made.
  dumpOpt->excludes(outputOpt)
      ->excludes(emitOpt)
      ->excludes(reportOpt)
      ->excludes(graphOpt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1; // usage errors exit 1, like all others
  }

  if (listModels) {
    for (const ModelInfo &m : builtinModels())
      std::printf("%-17s batch %-3lld %s\n", m.name.c_str(),
                  (long long)m.defaultBatch, m.summary.c_str());
    return 0;
  }
  if (listCpus) {
    for (const std::string &name : cpu::targetCpuNames())
      std::printf("%s\n", name.c_str());
    return 0;
  }
  std::string graphFormatName = graphFormat(fusionGraph);
  if (!fusionGraph.empty() && graphFormatName.empty())
    return fail("--fusion-graph=" + fusionGraph +
                ": the file must end in .svg or .png");
  if (cpuOpt->count() && emit == "mlir" && dumpAfter.empty())
    return fail("--cpu=" + cpuName + " chooses the CPU of compiled code; "
                "it needs --emit=kmod, exe or lib (or --dump-after)");
  if (auto err = cpu::checkTargetCpu(cpuName))
    return fail(llvm::toString(std::move(err)));
  if (emit != "mlir" && output == "-")
    return fail("--emit=" + emit + " needs -o " +
                (emit == "kmod"  ? "FILE.kmod"
                 : emit == "exe" ? "NAME"
                                 : "libNAME.a"));
  // Compiling takes seconds: a file that cannot be written fails first.
  for (auto [flag, path] : {std::pair<const char *, const std::string &>{
                                "-o", output},
                            {"--fusion-report", fusionReport},
                            {"--fusion-graph", fusionGraph}}) {
    std::string error;
    if (!path.empty() && !checkWritable(path, error))
      return fail(std::string(flag) + ": " + error);
  }
  auto ctx = makeContext();
  if (memoryReport)
    return reportMemory(modelName, batch, file, options, *ctx, train);
  auto module = loadModel(modelName, batch, file, *ctx, train);
  if (!module) {
    llvm::errs() << "kilnc: " << llvm::toString(module.takeError()) << "\n";
    return 1;
  }
  if (!dumpAfter.empty()) {
    options.targetCpu = cpuName;
    if (auto err = cpu::dumpArtifactPipeline(**module, options, dumpAfter,
                                             llvm::outs()))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }
  // Everything is computed before anything is written: a failure leaves no
  // file of this run behind.
  std::string text, error, reportText, graphBytes;
  if (!fusionReport.empty() || !fusionGraph.empty()) {
    auto plan = cpu::planArtifact(**module, options);
    if (!plan)
      return fail(llvm::toString(plan.takeError()));
    std::string name =
        llvm::cantFail(modelFunc(**module)).getSymName().str();
    reportText = fusionReportJson(*plan, name, options.fusion);
    if (!fusionGraph.empty()) {
      auto fused = cpu::fuseModel(**module, options);
      if (!fused)
        return fail(llvm::toString(fused.takeError()));
      if (!renderGraph(fusionGraphDot(**fused, *plan), graphFormatName,
                       graphBytes, error))
        return fail(error);
    }
  }
  auto writeReports = [&]() {
    return (fusionReport.empty() ||
            writeFileAtomically(fusionReport, reportText, error)) &&
           (fusionGraph.empty() ||
            writeFileAtomically(fusionGraph, graphBytes, error));
  };
  // Reports alone compile nothing to keep.
  if ((!fusionReport.empty() || !fusionGraph.empty()) &&
      !outputOpt->count() && !emitOpt->count())
    return writeReports() ? 0 : fail(error);
  if (emit != "mlir") {
    std::map<std::string, std::string> paramPaths;
    if (!splitPairs(paramFlags, "param", paramPaths, error))
      return fail(error);
    auto func = llvm::cantFail(modelFunc(**module));
    auto sig = signatureOf(func);
    if (!sig)
      return fail(llvm::toString(sig.takeError()));
    auto params = loadParams(*sig, seed, paramPaths);
    if (!params)
      return fail(llvm::toString(params.takeError()));
    options.targetCpu = cpuName;
    auto artifact = cpu::compileArtifact(**module, *params, options);
    if (!artifact)
      return fail(llvm::toString(artifact.takeError()));
    if (emit == "exe" || emit == "lib") {
      llvm::Error err =
          emit == "exe"
              ? emitExe(artifact->bytes, output)
              : emitLib(artifact->bytes, artifact->signature,
                        func.getSymName().str(), output);
      if (err)
        return fail(llvm::toString(std::move(err)));
      return writeReports() ? 0 : fail(error);
    }
    text = std::move(artifact->bytes);
  } else {
    llvm::raw_string_ostream os(text);
    module->get().print(os);
  }
  if (!writeFileAtomically(output, text, error) || !writeReports())
    return fail(error);
  return 0;
}
