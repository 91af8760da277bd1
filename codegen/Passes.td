//===- Passes.td - kiln codegen passes ---------------------*- tablegen -*-===//
//
// Passes that take a kiln model towards machine code. Record, file, flag and
// lit test share one name (ParamsToArguments -> ParamsToArguments.cpp ->
// --kiln-params-to-arguments -> params-to-arguments.mlir).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_PASSES
#define KILN_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def ParamsToArguments : Pass<"kiln-params-to-arguments", "mlir::ModuleOp"> {
  let summary = "Turn kiln.param ops into arguments of the model function";
  let description = [{
    Compiled code receives parameter values the way it receives inputs: as
    buffers passed by the caller. Each distinct parameter name becomes one
    argument appended after the inputs, in order of first use, carrying a
    `kiln.param` attribute with its name; every kiln.param of that name is
    replaced by the argument. Every argument is marked
    `bufferization.writable = false`: inputs and weights belong to the caller
    and compiled code never writes into them.
  }];
  let dependentDialects = ["kiln::KilnDialect", "mlir::func::FuncDialect"];
}

def LowerToLinalg : Pass<"kiln-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lower kiln primitives to linalg, tensor, arith and math";
  let description = [{
    One conversion per op family (KilnToLinalg/*.cpp), on tensors. Expects
    composite ops to be gone (--kiln-decompose) and parameters to be
    arguments (--kiln-params-to-arguments); a kiln op left over fails the
    pass and is named.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect"
  ];
}

#endif // KILN_CODEGEN_PASSES
