//===- kilnc.cpp - The kiln compiler driver -------------------------------===//
//
//   kilnc --list-models
//   kilnc --model=NAME [--batch=B] -o NAME.mlir
//   kilnc FILE.mlir --dump-after=<pass|all>
//
// Writes the kiln module of a model, or shows the IR after each stage of the
// CPU pipeline.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/examples/Models.h"
#include "kiln/tools/ModelSource.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <cstdio>

using namespace kiln;

int main(int argc, char **argv) {
  CLI::App app{"kilnc: compile a kiln model"};
  bool listModels = false;
  std::string modelName, file, output = "-", dumpAfter;
  std::optional<int64_t> batch;
  app.add_flag("--list-models", listModels, "List the built-in models");
  app.add_option("--model", modelName, "A built-in model");
  app.add_option("--batch", batch, "Batch size (default: the model's own)");
  app.add_option("file", file, "A kiln module (.mlir)");
  app.add_option("-o", output, "Output file (- for stdout)");
  app.add_option("--dump-after", dumpAfter,
                 "Print the IR after this CPU pipeline pass, or 'all'");
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
  auto ctx = makeContext();
  auto module = loadModel(modelName, batch, file, *ctx);
  if (!module) {
    llvm::errs() << "kilnc: " << llvm::toString(module.takeError()) << "\n";
    return 1;
  }
  if (!dumpAfter.empty()) {
    if (auto err = cpu::runCpuCodegen(**module, {}, dumpAfter, &llvm::outs())) {
      llvm::errs() << "kilnc: " << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
    return 0;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  module->get().print(os);
  std::string error;
  if (!writeFileAtomically(output, text, error)) {
    llvm::errs() << "kilnc: " << error << "\n";
    return 1;
  }
  return 0;
}
