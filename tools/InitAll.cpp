//===- InitAll.cpp - Register every kiln dialect and pass -----------------===//
//
// Registers only what kiln uses: including MLIR's InitAllDialects.h would
// cost close to a minute of compile time for nothing.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/InitAll.h"
#include "kiln/codegen/Passes.h"
#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace kiln {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<KilnDialect>();
  cpu::registerCpuCodegenDialects(registry);
}

void registerAllPasses() {
  registerKilnPasses();
  registerKilnCodegenPasses();
  cpu::registerCpuCodegenPipeline();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
}

} // namespace kiln
