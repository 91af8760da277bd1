//===- JitModel.cpp - A kiln model compiled in-process for the CPU --------===//
//
// The compiled entry uses the bare-pointer convention (static shapes make
// descriptors redundant): one pointer per input, parameter and output. The
// whole model is one function here, not outlined kernels, so
// --kiln-tile-to-workgroups leaves it alone and it runs on the calling
// thread only; the runtime's thread pool is for .kmod artifacts.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/JitModel.h"
#include "kiln/codegen/cpu/Aot.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;

namespace kiln::cpu {

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

JitModel::~JitModel() = default;

llvm::Expected<std::unique_ptr<JitModel>>
JitModel::compile(ModuleOp module, const CpuCodegenOptions &options,
                  const std::string &dumpAfter, llvm::raw_ostream *dumpStream) {
  static bool targetsReady = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)targetsReady;

  std::unique_ptr<JitModel> model(new JitModel());
  auto func = modelFunc(module);
  if (!func)
    return func.takeError();
  auto sig = signatureOf(*func);
  if (!sig)
    return sig.takeError();
  model->signature_ = std::move(*sig);
  model->entry_ = func->getSymName().str();

  OwningOpRef<ModuleOp> lowered = module.clone();
  if (auto err = runCpuCodegen(*lowered, options, dumpAfter, dumpStream))
    return err;
  // run() passes one pointer per input, parameter and output.
  auto entry = lowered->lookupSymbol<LLVM::LLVMFuncOp>(model->entry_);
  size_t want = model->signature_.inputs.size() +
                model->signature_.params.size() +
                model->signature_.outputs.size();
  if (!entry || entry.getNumArguments() != want)
    return error("@" + model->entry_ + " compiled to " +
                 std::to_string(entry ? entry.getNumArguments() : 0) +
                 " arguments; the signature needs " + std::to_string(want));

  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  addVectorizerFeatures(builder->getFeatures());
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(3, 0, tm->get());
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*lowered, engineOptions, std::move(*tm));
  if (!engine)
    return engine.takeError();
  model->engine_ = std::move(*engine);
  return model;
}

/// Fails when `t` is not what `spec` describes.
static llvm::Error check(const HostTensor &t, const TensorSpec &spec,
                         const char *kind) {
  std::string msg =
      checkTensor(t, std::string(kind) + " '" + spec.name + "'", spec.dtype,
                  spec.shape);
  return msg.empty() ? llvm::Error::success() : error(msg);
}

llvm::Expected<std::vector<HostTensor>>
JitModel::run(const std::vector<HostTensor> &inputs,
              const ParamValues &params) const {
  const ModelSignature &sig = signature_;
  if (inputs.size() != sig.inputs.size())
    return error("@" + entry_ + " takes " + llvm::Twine(sig.inputs.size()) +
                 " inputs, got " + llvm::Twine(inputs.size()));
  std::vector<void *> pointers;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (auto err = check(inputs[i], sig.inputs[i], "input"))
      return err;
    pointers.push_back(const_cast<void *>(inputs[i].data()));
  }
  for (const TensorSpec &p : sig.params) {
    auto it = params.find(p.name);
    if (it == params.end())
      return error("parameter '" + p.name + "' has no value");
    if (auto err = check(it->second, p, "parameter"))
      return err;
    pointers.push_back(const_cast<void *>(it->second.data()));
  }
  std::vector<HostTensor> outputs;
  for (const TensorSpec &o : sig.outputs)
    outputs.emplace_back(o.dtype, o.shape);
  for (HostTensor &o : outputs)
    pointers.push_back(o.data());
  // invokePacked takes the address of each argument.
  llvm::SmallVector<void *> args;
  for (void *&p : pointers)
    args.push_back(&p);
  if (auto err = engine_->invokePacked(entry_, args))
    return err;
  return outputs;
}

} // namespace kiln::cpu
