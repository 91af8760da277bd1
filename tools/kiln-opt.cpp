//===- kiln-opt.cpp - mlir-opt with kiln registered -----------------------===//
//
// The driver of kiln's lit tests: every kiln dialect, pass and pipeline.
//
//===----------------------------------------------------------------------===//
#include "kiln/tools/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  kiln::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "kiln optimizer driver\n", registry));
}
