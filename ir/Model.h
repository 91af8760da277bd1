//===- Model.h - A kiln module seen as a model ------------------*- C++ -*-===//
//
// A model is a module with one public func.func: its arguments are the
// model's inputs and its results the outputs, each named by a `kiln.name`
// argument/result attribute; kiln.param ops inside name the parameters.
// This file reads that signature and parses .mlir files into modules.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_MODEL_H
#define KILN_IR_MODEL_H

#include "kiln/ir/Signature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

/// Name of the argument/result attribute that names a model's tensors.
inline constexpr const char *kNameAttr = "kiln.name";
/// Argument attribute: how a fresh value of a trained input (a parameter or
/// optimizer state of a train step) is drawn, as kiln.param's `init`.
inline constexpr const char *kInitAttr = "kiln.init";

/// The model's entry function, or an error if the module has none or
/// several public functions.
llvm::Expected<mlir::func::FuncOp> modelFunc(mlir::ModuleOp module);

/// Inputs, outputs and parameters, in order (parameters by first use).
/// Fails on element types outside kiln's, or one parameter name used with two
/// different types.
llvm::Expected<ModelSignature> signatureOf(mlir::func::FuncOp func);
/// The same for the module's model function (modelFunc).
llvm::Expected<ModelSignature> signatureOf(mlir::ModuleOp module);

/// Fresh values for every parameter, drawn by its init kind from `seed`.
ParamValues initParams(const ModelSignature &sig, uint64_t seed);

/// "file:line:col" where the location has one, else MLIR's own spelling.
std::string locationString(mlir::Location loc);

llvm::Expected<DType> dtypeOf(mlir::Type elementType);
mlir::Type mlirType(DType dtype, mlir::MLIRContext *ctx);

/// Parses `path` ("-" for stdin) and verifies it; on failure the error holds
/// the parser's diagnostics with file, line and column. A model function
/// holding other ops than kiln's (and func.return) is refused, naming the op.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
parseModelFile(const std::string &path, mlir::MLIRContext &ctx);

} // namespace kiln

#endif // KILN_IR_MODEL_H
