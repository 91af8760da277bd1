//===- Model.cpp - A kiln module seen as a model --------------------------===//
#include "kiln/ir/Model.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/ParamInit.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln {

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<func::FuncOp> modelFunc(ModuleOp module) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isPrivate() || f.isDeclaration())
      continue;
    if (found)
      return error("module has several public functions (@" +
                   found.getSymName() + ", @" + f.getSymName() +
                   "); a model has exactly one");
    found = f;
  }
  if (!found)
    return error("module has no public func.func to run as the model");
  return found;
}

std::string locationString(Location loc) {
  if (auto file = loc->findInstanceOf<FileLineColLoc>())
    return file.getFilename().str() + ":" + std::to_string(file.getLine()) +
           ":" + std::to_string(file.getColumn());
  std::string s;
  llvm::raw_string_ostream(s) << loc;
  return s;
}

llvm::Expected<DType> dtypeOf(Type t) {
  if (t.isF32()) return DType::F32;
  if (t.isF16()) return DType::F16;
  if (t.isBF16()) return DType::BF16;
  if (t.isSignlessInteger(8)) return DType::I8;
  if (t.isSignlessInteger(32)) return DType::I32;
  std::string s;
  llvm::raw_string_ostream(s) << t;
  return error("element type " + s + " is not one of f32, f16, bf16, i8, i32");
}

Type mlirType(DType dtype, MLIRContext *ctx) {
  Builder b(ctx);
  switch (dtype) {
  case DType::F32: return b.getF32Type();
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::I8: return b.getI8Type();
  case DType::I32: return b.getI32Type();
  }
  return {};
}

static llvm::Expected<TensorSpec> specOf(Type type, std::string name) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return error("'" + name + "' must be a tensor of static shape");
  if (numElements(Shape(t.getShape().begin(), t.getShape().end())) < 0)
    return error("'" + name + "' has too many elements");
  auto dtype = dtypeOf(t.getElementType());
  if (!dtype)
    return error("'" + name + "': " + llvm::toString(dtype.takeError()));
  return TensorSpec{std::move(name), *dtype,
                    Shape(t.getShape().begin(), t.getShape().end()), ""};
}

static std::string nameOf(DictionaryAttr attrs, const char *prefix,
                          unsigned i) {
  if (attrs)
    if (auto s = attrs.getAs<StringAttr>(kNameAttr))
      return s.str();
  return prefix + std::to_string(i);
}

llvm::Expected<ModelSignature> signatureOf(ModuleOp module) {
  auto func = modelFunc(module);
  if (!func)
    return func.takeError();
  return signatureOf(*func);
}

llvm::Expected<ModelSignature> signatureOf(func::FuncOp func) {
  ModelSignature sig;
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto spec = specOf(type.getInput(i),
                       nameOf(func.getArgAttrDict(i), "input", i));
    if (!spec) return spec.takeError();
    if (auto init = func.getArgAttrOfType<StringAttr>(i, kInitAttr))
      spec->init = init.str();
    sig.inputs.push_back(std::move(*spec));
  }
  // Ids are in range for the smallest table they index.
  func.walk([&](GatherOp g) {
    auto arg = dyn_cast<BlockArgument>(g.getIndices());
    if (!arg || arg.getOwner()->getParentOp() != func)
      return;
    int64_t rows = cast<RankedTensorType>(g.getTable().getType()).getDimSize(0);
    int64_t &range = sig.inputs[arg.getArgNumber()].indexRange;
    range = range ? std::min(range, rows) : rows;
  });
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto spec = specOf(type.getResult(i),
                       nameOf(func.getResultAttrDict(i), "output", i));
    if (!spec) return spec.takeError();
    sig.outputs.push_back(std::move(*spec));
  }
  std::map<std::string, Type> seen;
  llvm::Error err = llvm::Error::success();
  func.walk([&](ParamOp p) {
    if (err) return;
    std::string name = p.getName().str();
    auto [it, fresh] = seen.emplace(name, p.getType());
    if (!fresh) {
      if (it->second != p.getType())
        err = error("parameter '" + name + "' is used with two types");
      return;
    }
    auto spec = specOf(p.getType(), name);
    if (!spec) { err = spec.takeError(); return; }
    spec->init = p.getInit().str();
    sig.params.push_back(std::move(*spec));
  });
  if (err) return err;
  return sig;
}

ParamValues initParams(const ModelSignature &sig, uint64_t seed) {
  ParamValues values;
  for (const TensorSpec &p : sig.params) {
    HostTensor t(p.dtype, p.shape);
    initParam(t, p.init, p.name, seed); // kinds are checked by the verifier
    values.emplace(p.name, std::move(t));
  }
  return values;
}

llvm::Expected<OwningOpRef<ModuleOp>> parseModelFile(const std::string &path,
                                                      MLIRContext &ctx) {
  std::string errorMessage;
  auto file = openInputFile(path, &errorMessage);
  if (!file)
    return error("cannot read '" + path + "': " + errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx, os);
  // A verifier's error shows the line of the file; the op printed again in
  // generic form, with its operands unknown, only confuses.
  bool printOp = ctx.shouldPrintOpOnDiagnostic();
  ctx.printOpOnDiagnostic(false);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  ctx.printOpOnDiagnostic(printOp);
  if (!module)
    return error(diagnostics.empty() ? "cannot parse '" + path + "'"
                                     : diagnostics);
  auto func = modelFunc(*module);
  if (!func) return func.takeError();
  // Codegen and the interpreter take kiln ops only; say so up front rather
  // than fail deep inside bufferization.
  std::string foreign;
  func->getBody().walk([&](Operation *op) {
    if (!foreign.empty() || isa_and_nonnull<KilnDialect>(op->getDialect()) ||
        isa<func::ReturnOp>(op))
      return;
    llvm::raw_string_ostream os(foreign);
    os << locationString(op->getLoc()) << ": '" << op->getName()
       << "' is not a kiln op; a model holds kiln ops and func.return only";
  });
  if (!foreign.empty())
    return error(foreign);
  return module;
}

} // namespace kiln
