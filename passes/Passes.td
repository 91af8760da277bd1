//===- Passes.td - kiln graph passes -----------------------*- tablegen -*-===//
//
// Graph passes on the kiln dialect. One record, one file, one flag, one lit
// test: `Decompose` -> Decompose.cpp -> --kiln-decompose -> decompose.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES
#define KILN_PASSES

include "mlir/Pass/PassBase.td"

def Decompose : Pass<"kiln-decompose", "mlir::func::FuncOp"> {
  let summary = "Expand composite ops into kiln primitives";
  let description = [{
    Rewrites softmax, log_softmax, layer_norm and reduce_mean into
    reductions and elementwise ops, so that later stages (lowering, fusion)
    see only primitives. Softmax subtracts the row maximum first, so it stays
    finite for large logits.
  }];
  let dependentDialects = ["kiln::KilnDialect"];
}

#endif // KILN_PASSES
