//===- Aot.cpp - Ahead-of-time compilation to a .kmod artifact ------------===//
//
// The model function is outlined into kernels (--kiln-outline-kernels) and
// planned (--kiln-plan-memory); its calls become the artifact's steps and
// its values the buffers. The kernels alone go through the CPU kernel
// pipeline (which splits each one's work into workgroups), each gets a
// `void NAME_packed(void **args, int64_t workgroup_id, int64_t
// workgroup_count)` entry so that the runtime calls every kernel the same
// way, and LLVM emits them for the host CPU into an object that the system
// linker turns into a shared object.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/codegen/Passes.h"
#include "kiln/passes/FusionAnalysis.h"
#include "kiln/passes/Passes.h"
#include "kiln/runtime/CodeHash.h"
#include "kiln/runtime/CpuFeatures.h"

#include "schema/kmod_generated.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

using namespace mlir;

namespace kiln::cpu {

/// Format version written into every artifact (kmod.fbs: Module.version).
constexpr uint32_t kKmodVersion = 4;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getNumElements() *
         dtypeSize(llvm::cantFail(dtypeOf(t.getElementType())));
}

static void buildFusionPipeline(OpPassManager &pm,
                                const CpuCodegenOptions &options) {
  buildGraphPipeline(pm);
  FusionOptions fusion;
  fusion.level = options.fusion;
  fusion.cacheBudget = options.fusionCacheBudget;
  pm.addNestedPass<func::FuncOp>(createFusion(fusion));
}

llvm::Expected<OwningOpRef<ModuleOp>>
fuseModel(ModuleOp module, const CpuCodegenOptions &options) {
  OwningOpRef<ModuleOp> clone = module.clone();
  if (auto err = runPasses(*clone, [&](OpPassManager &pm) {
        buildFusionPipeline(pm, options);
      }))
    return err;
  return clone;
}

/// The model half of an artifact's pipeline: graph passes, fusion,
/// outlining into kernels, the memory plan.
static void buildOutlinePipeline(OpPassManager &pm,
                                 const CpuCodegenOptions &options) {
  buildFusionPipeline(pm, options);
  pm.addPass(createOutlineKernels());
  // No step writes over its operand, so a kernel's buffers never overlap
  // and LLVM is told so (noalias). In place, LLVM's vectoriser checked at
  // run time that a kernel's input and output did not overlap and ran the
  // scalar loop when they were the same buffer, which made a GELU step 15x
  // slower. In place comes back with kernels vectorised in MLIR.
  PlanMemoryOptions plan;
  plan.inPlace = false;
  pm.addPass(createPlanMemory(plan));
}

/// A clone of `module` fused at options.fusion, outlined into kernels with
/// a memory plan; see runPasses for `dumpAfter`.
static llvm::Expected<OwningOpRef<ModuleOp>>
outlineAndPlan(ModuleOp module, const CpuCodegenOptions &options,
               const std::string &dumpAfter = "",
               llvm::raw_ostream *dump = nullptr) {
  OwningOpRef<ModuleOp> clone = module.clone();
  if (auto err = runPasses(
          *clone,
          [&](OpPassManager &pm) { buildOutlinePipeline(pm, options); },
          dumpAfter, dump))
    return err;
  return clone;
}

static int64_t intAttr(Operation *op, const char *name) {
  auto attr = op->getAttrOfType<IntegerAttr>(name);
  return attr ? attr.getInt() : 0;
}

/// The plan of an outlined, planned model: its arena and, per step, what
/// its kernel holds and the cost model's estimate of it.
static Artifact planOf(ModuleOp outlined, ModelSignature signature,
                       int64_t cacheBudget) {
  Artifact a;
  a.signature = std::move(signature);
  func::FuncOp planned = llvm::cantFail(modelFunc(outlined));
  a.arenaSize = intAttr(planned, kArenaSizeAttr);
  a.arenaLowerBound = intAttr(planned, kArenaLowerBoundAttr);
  planned.walk([&](func::CallOp call) {
    ++a.numSteps;
    auto kernel = outlined.lookupSymbol<func::FuncOp>(call.getCallee());
    KernelInfo info;
    info.name = call.getCallee().str();
    if (auto kind = kernel->getAttrOfType<StringAttr>(kFusionKindAttr))
      info.kind = kind.str();
    if (auto chunks = kernel->getAttrOfType<DenseI64ArrayAttr>(kChunksAttr))
      for (int64_t c : chunks.asArrayRef()) {
        info.chunks *= c;
        info.grid.push_back(c);
      }
    if (info.chunks == 1)
      info.grid.clear();
    OpSet set = OpSet::ofBlock(kernel.getBody().front());
    for (Operation *op : set.ops)
      if (!isa<ConstantOp>(op))
        info.ops.push_back(op->getName().getStringRef().str());
    if (auto cost = estimateKernel(set, cacheBudget)) {
      info.bytesRead = cost->bytesRead;
      info.bytesWritten = cost->bytesWritten;
      info.flops = cost->flops;
    } else { // a copy of an input or constant into an output
      for (Type t : kernel.getResultTypes())
        info.bytesWritten += bytesOf(t);
      info.bytesRead = info.bytesWritten;
    }
    info.strategy = info.kind.empty()   ? "single"
                    : info.chunks > 1 ? "chunked"
                                      : "whole";
    a.kernels.push_back(std::move(info));
  });
  return a;
}

/// `module` fused, outlined and planned (a clone), with its plan.
static llvm::Expected<std::pair<OwningOpRef<ModuleOp>, Artifact>>
planned(ModuleOp module, const CpuCodegenOptions &options,
        const std::string &dumpAfter = "", llvm::raw_ostream *dump = nullptr) {
  auto sig = signatureOf(module);
  if (!sig)
    return sig.takeError();
  auto outlined = outlineAndPlan(module, options, dumpAfter, dump);
  if (!outlined)
    return outlined.takeError();
  Artifact a = planOf(**outlined, std::move(*sig), options.fusionCacheBudget);
  return std::make_pair(std::move(*outlined), std::move(a));
}

llvm::Expected<Artifact> planArtifact(ModuleOp module,
                                      const CpuCodegenOptions &options) {
  auto plan = planned(module, options);
  if (!plan)
    return plan.takeError();
  return std::move(plan->second);
}

namespace {

/// The step list and buffers of an outlined, planned model function.
struct Schedule {
  struct Buffer {
    kmod::BufferKind kind;
    uint32_t index;
    uint64_t offset, size;
  };
  std::vector<Buffer> buffers;
  struct Step {
    std::string kernel;
    std::vector<uint32_t> args; // the kernel's inputs, then its outputs
    uint32_t numOutputs;
  };
  std::vector<Step> steps;
};

Schedule scheduleOf(func::FuncOp func, const ModelSignature &sig,
                    const std::vector<uint64_t> &paramOffsets) {
  Schedule s;
  llvm::DenseMap<Value, uint32_t> bufferOf;
  auto add = [&](Value v, kmod::BufferKind kind, uint32_t index,
                 uint64_t offset) {
    bufferOf[v] = s.buffers.size();
    s.buffers.push_back({kind, index, offset, (uint64_t)bytesOf(v.getType())});
  };
  size_t numInputs = sig.inputs.size();
  for (BlockArgument arg : func.getArguments()) {
    unsigned i = arg.getArgNumber();
    if (i < numInputs)
      add(arg, kmod::BufferKind::Input, i, 0);
    else
      add(arg, kmod::BufferKind::Param, 0, paramOffsets[i - numInputs]);
  }
  Operation *ret = func.getBody().front().getTerminator();
  for (OpOperand &out : ret->getOpOperands())
    add(out.get(), kmod::BufferKind::Output, out.getOperandNumber(), 0);
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (isView(&op)) { // its input's buffer
      bufferOf[op.getResult(0)] = bufferOf[op.getOperand(0)];
      continue;
    }
    auto call = cast<func::CallOp>(op);
    auto offsets = call->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
    for (auto [v, offset] : llvm::zip(call.getResults(), offsets.asArrayRef()))
      if (offset >= 0)
        add(v, kmod::BufferKind::Arena, 0, offset);
    Schedule::Step step{call.getCallee().str(), {}, call.getNumResults()};
    for (Value v : call.getOperands())
      step.args.push_back(bufferOf[v]);
    for (Value v : call.getResults())
      step.args.push_back(bufferOf[v]);
    s.steps.push_back(std::move(step));
  }
  return s;
}

/// The leading (workgroup_id, workgroup_count) arguments of every kernel.
constexpr unsigned kWorkgroupArgs = 2;

/// `void NAME_packed(void **args, i64 id, i64 count)` calling kernel NAME
/// with (id, count, args[0..n)).
void addPackedEntry(ModuleOp module, LLVM::LLVMFuncOp kernel) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = kernel.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  auto entry = b.create<LLVM::LLVMFuncOp>(
      loc, (kernel.getName() + "_packed").str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, i64, i64}));
  Block *block = entry.addEntryBlock(b);
  b.setInsertionPointToEnd(block);
  SmallVector<Value> args = {block->getArgument(1), block->getArgument(2)};
  for (unsigned i = 0; i + kWorkgroupArgs < kernel.getNumArguments(); ++i) {
    Value slot = b.create<LLVM::GEPOp>(loc, ptr, ptr, block->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
    args.push_back(b.create<LLVM::LoadOp>(loc, ptr, slot));
  }
  b.create<LLVM::CallOp>(loc, kernel, args);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
}

void initNativeTarget() {
  static bool ready = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)ready;
}

bool isHost(const std::string &cpu) { return cpu.empty() || cpu == "host"; }

/// The subtarget of this machine's triple with no CPU chosen, which knows
/// every CPU name and feature of the target.
llvm::Expected<std::unique_ptr<llvm::MCSubtargetInfo>> genericSubtarget() {
  initNativeTarget();
  std::string triple = llvm::sys::getProcessTriple(), message;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, message);
  if (!target)
    return error("no LLVM target for " + triple + ": " + message);
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!sti)
    return error("no subtarget information for " + triple);
  return sti;
}

/// Object code for `targetCpu` (this machine's CPU and features when
/// "host"), position independent; `cpu` and `features` get the CPU's name
/// and the extensions of runtime/CpuFeatures.h it enables.
llvm::Expected<std::string> emitObject(ModuleOp module,
                                       const std::string &targetCpu,
                                       std::string &cpu,
                                       std::vector<std::string> &features) {
  initNativeTarget();
  if (auto err = checkTargetCpu(targetCpu))
    return err;
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateModuleToLLVMIR(module, llvmContext, "kernels");
  if (!llvmModule)
    return error("cannot translate the kernels to LLVM IR");
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (!isHost(targetCpu)) {
    // The named CPU's own features, none of this machine's.
    builder->setCPU(targetCpu);
    builder->getFeatures() = llvm::SubtargetFeatures();
  }
  builder->setRelocationModel(llvm::Reloc::PIC_);
  addVectorizerFeatures(builder->getFeatures());
  // Aggressive code generation took twice as long (cnn: 1.9 s against 1.1
  // s) for the same kernel speed: the tiles are already scheduled by hand.
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  cpu = builder->getCPU();
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  const llvm::MCSubtargetInfo &sti = *(*tm)->getMCSubtargetInfo();
  features.clear();
  for (const llvm::SubtargetFeatureKV &kv : sti.getAllProcessorFeatures())
    if (sti.getFeatureBits()[kv.Value] && rt::findCpuFeature(kv.Key))
      features.push_back(kv.Key);
  llvmModule->setDataLayout((*tm)->createDataLayout());
  llvmModule->setTargetTriple((*tm)->getTargetTriple().str());
  if (auto err = makeOptimizingTransformer(3, 0, tm->get())(llvmModule.get()))
    return err;
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager passes;
  if ((*tm)->addPassesToEmitFile(passes, os, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return error("the target cannot emit object files");
  passes.run(*llvmModule);
  return std::string(object.begin(), object.end());
}

/// The system linker turns the object into a shared object the runtime can
/// load with dlopen.
llvm::Expected<std::string> linkSharedObject(const std::string &object) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return error("no C compiler driver 'cc' on PATH to link the kernels");
  llvm::SmallString<128> dir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("kiln-link", dir))
    return error("cannot create a temporary directory: " + ec.message());
  std::string obj = (dir + "/kernels.o").str(), so = (dir + "/kernels.so").str(),
              log = (dir + "/link.log").str();
  auto cleanup = llvm::make_scope_exit([&] {
    for (const std::string &f : {obj, so, log})
      llvm::sys::fs::remove(f);
    llvm::sys::fs::remove(dir);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(obj, ec);
    if (ec)
      return error("cannot write '" + obj + "': " + ec.message());
    out << object;
  }
  llvm::SmallVector<llvm::StringRef> args = {
      *cc, "-shared", "-o", so, obj, "-lm", "-Wl,-z,noexecstack",
      "-Wl,--build-id=none"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log, log};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, redirects, 0, 0,
                                     &message);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log);
    return error("linking the kernels failed (" + *cc + "): " + message +
                 (text ? (*text)->getBuffer().str() : ""));
  }
  auto bytes = llvm::MemoryBuffer::getFile(so);
  if (!bytes)
    return error("cannot read the linked kernels: " +
                 bytes.getError().message());
  return (*bytes)->getBuffer().str();
}

kmod::DType toKmod(DType t) { return static_cast<kmod::DType>(t); }

/// Marks `kiln.constant` the kernel arguments that every step passes a
/// weight: their values are known now, so codegen may choose their layout.
/// They are `llvm.noalias` too: nothing writes the weights while a model
/// runs (outputs and the arena never overlap them), and without it LLVM
/// may not move a weight's loads past the stores to an output argument: a
/// bias + ReLU into the output stayed scalar, 32 channels unrolled.
void markConstantArguments(ModuleOp module, const Schedule &schedule) {
  for (auto kernel : module.getOps<func::FuncOp>()) {
    if (!kernel->hasAttr(kKernelAttr) || kernel.isExternal())
      continue;
    for (unsigned arg = 0; arg < kernel.getNumArguments(); ++arg) {
      bool constant = false;
      for (const Schedule::Step &step : schedule.steps) {
        if (step.kernel != kernel.getSymName())
          continue;
        constant = arg < step.args.size() &&
                   schedule.buffers[step.args[arg]].kind ==
                       kmod::BufferKind::Param;
        if (!constant)
          break;
      }
      if (constant) {
        kernel.setArgAttr(arg, kConstantAttr,
                          UnitAttr::get(kernel.getContext()));
        kernel.setArgAttr(arg, LLVM::LLVMDialect::getNoAliasAttrName(),
                          UnitAttr::get(kernel.getContext()));
      }
    }
  }
}

/// `src`, a row-major K x N f32 matrix, in the layout of --kiln-tile-matmul's
/// packed operands: NR-column panels one after the other, each K x w (w =
/// min(NR, N - first column)) row by row.
std::string packPanels(const char *src, int64_t k, int64_t n, int64_t nr) {
  std::string out(k * n * sizeof(float), '\0');
  const float *from = reinterpret_cast<const float *>(src);
  float *to = reinterpret_cast<float *>(out.data());
  for (int64_t j = 0; j < n; j += nr) {
    int64_t w = std::min(nr, n - j);
    for (int64_t r = 0; r < k; ++r)
      std::copy(from + r * n + j, from + r * n + j + w, to + j * k + r * w);
  }
  return out;
}

/// Stores the weights that kernels read packed (`kiln.packed_rhs`) that
/// way: in place when every step reading them reads them packed alike,
/// else as a packed copy appended to `weights`, which those steps then
/// read instead.
llvm::Error packWeights(ModuleOp module, const ModelSignature &sig,
                        const std::vector<uint64_t> &paramOffsets,
                        Schedule &schedule, std::string &weights) {
  // (step, arg) -> panel width, for each packed read.
  std::map<std::pair<size_t, size_t>, int64_t> packedReads;
  for (size_t s = 0; s < schedule.steps.size(); ++s) {
    auto fn =
        module.lookupSymbol<LLVM::LLVMFuncOp>(schedule.steps[s].kernel);
    auto packed = fn ? fn->getAttrOfType<DenseI64ArrayAttr>(kPackedRhsAttr)
                     : DenseI64ArrayAttr();
    if (!packed)
      continue;
    ArrayRef<int64_t> pairs = packed.asArrayRef();
    for (size_t i = 0; i + 1 < pairs.size(); i += 2)
      packedReads[{s, pairs[i] - kWorkgroupArgs}] = pairs[i + 1];
  }
  // Every packing of each weight buffer, and whether something reads it
  // as it is.
  std::map<uint32_t, std::set<int64_t>> widths;
  std::set<uint32_t> readPlain;
  for (size_t s = 0; s < schedule.steps.size(); ++s)
    for (size_t a = 0; a < schedule.steps[s].args.size(); ++a) {
      uint32_t b = schedule.steps[s].args[a];
      if (schedule.buffers[b].kind != kmod::BufferKind::Param)
        continue;
      auto it = packedReads.find({s, a});
      if (it == packedReads.end())
        readPlain.insert(b);
      else
        widths[b].insert(it->second);
    }
  for (auto &[b, nrs] : widths) {
    Schedule::Buffer buffer = schedule.buffers[b];
    auto p = std::find(paramOffsets.begin(), paramOffsets.end(), buffer.offset);
    if (p == paramOffsets.end())
      return error("a packed kernel argument is no parameter");
    const TensorSpec &spec = sig.params[p - paramOffsets.begin()];
    // A weight of higher rank (a convolution's filter, HWCF) is read as the
    // matrix [product of the leading dims, last dim].
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < spec.shape.size(); ++d)
      rows *= spec.shape[d];
    if (spec.shape.size() < 2 || spec.dtype != DType::F32 ||
        buffer.size != rows * spec.shape.back() * sizeof(float))
      return error("parameter '" + spec.name +
                   "' is read packed but is no f32 matrix");
    bool inPlace = !readPlain.count(b) && nrs.size() == 1;
    for (int64_t nr : nrs) {
      std::string packed = packPanels(weights.data() + buffer.offset, rows,
                                      spec.shape.back(), nr);
      uint32_t target = b;
      if (inPlace) {
        std::copy(packed.begin(), packed.end(),
                  weights.begin() + buffer.offset);
      } else {
        weights.resize((weights.size() + 63) / 64 * 64, '\0');
        target = schedule.buffers.size();
        schedule.buffers.push_back(
            {kmod::BufferKind::Param, 0, weights.size(), buffer.size});
        weights += packed;
      }
      for (auto &[read, width] : packedReads)
        if (width == nr && schedule.steps[read.first].args[read.second] == b)
          schedule.steps[read.first].args[read.second] = target;
    }
  }
  return llvm::Error::success();
}

/// Where each parameter's weights start in the artifact's weights: in
/// signature order, each 64-byte aligned.
std::vector<uint64_t> paramOffsetsOf(const ModelSignature &sig) {
  std::vector<uint64_t> offsets;
  uint64_t end = 0;
  for (const TensorSpec &p : sig.params) {
    end = (end + 63) / 64 * 64;
    offsets.push_back(end);
    int64_t elements = 1;
    for (int64_t d : p.shape)
      elements *= d;
    end += elements * dtypeSize(p.dtype);
  }
  return offsets;
}

/// The kernel half of an artifact's pipeline: the step list of `outlined`
/// (an outlined, planned model) is taken and its model function erased;
/// the kernels alone go through the CPU kernel pipeline. See runPasses for
/// `dumpAfter`.
llvm::Expected<Schedule> lowerKernels(ModuleOp outlined,
                                      const ModelSignature &sig,
                                      const CpuCodegenOptions &options,
                                      const std::string &dumpAfter = "",
                                      llvm::raw_ostream *dump = nullptr) {
  func::FuncOp func = llvm::cantFail(modelFunc(outlined));
  Schedule schedule = scheduleOf(func, sig, paramOffsetsOf(sig));
  func.erase();
  markConstantArguments(outlined, schedule);
  if (auto err = runPasses(
          outlined,
          [&](OpPassManager &pm) { buildCpuKernelPipeline(pm, options); },
          dumpAfter, dump))
    return err;
  return schedule;
}

} // namespace

llvm::Error dumpArtifactPipeline(ModuleOp module,
                                 const CpuCodegenOptions &options,
                                 const std::string &dumpAfter,
                                 llvm::raw_ostream &os) {
  // The name is checked before anything runs.
  MLIRContext *ctx = module.getContext();
  std::vector<std::string> names = pipelinePassNames(
      ctx, [&](OpPassManager &pm) { buildOutlinePipeline(pm, options); });
  for (const std::string &name : pipelinePassNames(
           ctx, [&](OpPassManager &pm) { buildCpuKernelPipeline(pm, options); }))
    if (!llvm::is_contained(names, name))
      names.push_back(name);
  if (auto err = checkDumpAfter(dumpAfter, names, "the artifact pipeline"))
    return err;
  auto plan = planned(module, options, dumpAfter, &os);
  if (!plan)
    return plan.takeError();
  auto schedule =
      lowerKernels(*plan->first, plan->second.signature, options, dumpAfter,
                   &os);
  return schedule ? llvm::Error::success() : schedule.takeError();
}

llvm::Error checkTargetCpu(const std::string &cpu) {
  if (isHost(cpu))
    return llvm::Error::success();
  auto sti = genericSubtarget();
  if (!sti)
    return sti.takeError();
  if ((*sti)->isCPUStringValid(cpu))
    return llvm::Error::success();
  return error("--cpu=" + cpu + ": LLVM knows no CPU of that name for " +
               llvm::sys::getProcessTriple() +
               "; kilnc --list-cpus lists those it knows (e.g. x86-64-v3 "
               "for AVX2 machines, x86-64 for any x86-64, znver4, "
               "sapphirerapids), and host is this machine's");
}

void addVectorizerFeatures(llvm::SubtargetFeatures &features) {
  features.AddFeature("prefer-no-gather");
  features.AddFeature("prefer-no-scatter");
}

bool targetHasAvx512(const std::string &cpu) {
  if (isHost(cpu)) {
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    return features.lookup("avx512f");
  }
  // A subtarget for an unknown name would warn on stderr.
  auto generic = genericSubtarget();
  if (!generic) {
    llvm::consumeError(generic.takeError());
    return false;
  }
  if (!(*generic)->isCPUStringValid(cpu))
    return false;
  std::string triple = llvm::sys::getProcessTriple(), message;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, message);
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target ? target->createMCSubtargetInfo(triple, cpu, "") : nullptr);
  return sti && sti->checkFeatures("+avx512f");
}

std::vector<std::string> targetCpuNames() {
  std::vector<std::string> names;
  auto sti = genericSubtarget();
  if (!sti) {
    llvm::consumeError(sti.takeError());
    return names;
  }
  for (const llvm::SubtargetSubTypeKV &kv :
       (*sti)->getAllProcessorDescriptions())
    names.push_back(kv.Key);
  return names;
}

llvm::Expected<Artifact> compileArtifact(ModuleOp module,
                                         const ParamValues &params,
                                         const CpuCodegenOptions &options) {
  auto plan = planned(module, options);
  if (!plan)
    return plan.takeError();
  auto &[outlined, a] = *plan;
  const ModelSignature &sig = a.signature;

  // Weights, each 64-byte aligned, in signature order.
  std::string weights;
  std::vector<uint64_t> paramOffsets = paramOffsetsOf(sig);
  for (auto [p, offset] : llvm::zip(sig.params, paramOffsets)) {
    auto it = params.find(p.name);
    if (it == params.end())
      return error("parameter '" + p.name + "' has no value");
    std::string bad = checkTensor(it->second, "parameter '" + p.name + "'",
                                  p.dtype, p.shape);
    if (!bad.empty())
      return error(bad);
    weights.resize(offset, '\0');
    weights.append(static_cast<const char *>(it->second.data()),
                   it->second.byteSize());
  }

  std::string name =
      llvm::cantFail(modelFunc(*outlined)).getSymName().str();
  auto lowered = lowerKernels(*outlined, sig, options);
  if (!lowered)
    return lowered.takeError();
  Schedule &schedule = *lowered;
  std::vector<std::string> kernels;
  for (const Schedule::Step &step : schedule.steps)
    if (!llvm::is_contained(kernels, step.kernel))
      kernels.push_back(step.kernel);
  std::vector<uint32_t> numArgs, maxWorkgroups;
  std::vector<bool> onePerThread;
  for (const std::string &k : kernels) {
    auto fn = outlined->lookupSymbol<LLVM::LLVMFuncOp>(k);
    if (!fn)
      return error("kernel @" + k + " did not compile");
    auto workgroups = fn->getAttrOfType<IntegerAttr>(kMaxWorkgroupsAttr);
    auto i64 = IntegerType::get(fn.getContext(), 64);
    if (!workgroups || fn.getNumArguments() < kWorkgroupArgs ||
        fn.getArgumentTypes()[0] != i64 || fn.getArgumentTypes()[1] != i64)
      return error("kernel @" + k + " did not get a workgroup range");
    numArgs.push_back(fn.getNumArguments() - kWorkgroupArgs);
    maxWorkgroups.push_back(static_cast<uint32_t>(std::clamp<int64_t>(
        workgroups.getInt(), 1, std::numeric_limits<uint32_t>::max())));
    onePerThread.push_back(fn->hasAttr(kOneWorkgroupPerThreadAttr));
    // The buffers of one step never overlap: the plan places no result
    // over an operand (no in place) and the runtime refuses caller outputs
    // that overlap. Said to LLVM, its vectorisers need no overlap checks:
    // without it a copy or slice stayed scalar.
    for (unsigned i = kWorkgroupArgs; i < fn.getNumArguments(); ++i)
      if (isa<LLVM::LLVMPointerType>(fn.getArgumentTypes()[i]))
        fn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                      UnitAttr::get(fn.getContext()));
    addPackedEntry(*outlined, fn);
  }
  if (auto err = packWeights(*outlined, sig, paramOffsets, schedule, weights))
    return err;
  std::string cpu;
  std::vector<std::string> features;
  auto object = emitObject(*outlined, options.targetCpu, cpu, features);
  if (!object)
    return object.takeError();
  auto code = linkSharedObject(*object);
  if (!code)
    return code.takeError();

  flatbuffers::FlatBufferBuilder fb;
  auto sigs = [&](const std::vector<TensorSpec> &specs) {
    std::vector<flatbuffers::Offset<kmod::TensorSig>> out;
    for (const TensorSpec &t : specs)
      out.push_back(kmod::CreateTensorSig(fb, fb.CreateString(t.name),
                                          toKmod(t.dtype),
                                          fb.CreateVector(t.shape),
                                          t.indexRange));
    return fb.CreateVector(out);
  };
  auto inputs = sigs(sig.inputs), outputs = sigs(sig.outputs),
       paramSigs = sigs(sig.params);
  std::vector<flatbuffers::Offset<kmod::Buffer>> bufferTables;
  for (const Schedule::Buffer &b : schedule.buffers)
    bufferTables.push_back(
        kmod::CreateBuffer(fb, b.kind, b.index, b.offset, b.size));
  auto buffers = fb.CreateVector(bufferTables);
  // A kernel's arg sizes are those of the buffers its (first) step passes;
  // every step calling it passes the same, as the verifier checks.
  std::vector<flatbuffers::Offset<kmod::Kernel>> kernelTables;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Schedule::Step &first = *llvm::find_if(
        schedule.steps, [&](auto &s) { return s.kernel == kernels[i]; });
    std::vector<uint64_t> argSizes;
    for (uint32_t b : first.args)
      argSizes.push_back(schedule.buffers[b].size);
    kernelTables.push_back(kmod::CreateKernel(
        fb, fb.CreateString(kernels[i] + "_packed"), numArgs[i],
        maxWorkgroups[i], first.numOutputs, fb.CreateVector(argSizes),
        onePerThread[i]));
  }
  auto kernelVector = fb.CreateVector(kernelTables);
  std::vector<flatbuffers::Offset<kmod::Step>> steps;
  for (const Schedule::Step &step : schedule.steps) {
    uint32_t k = std::find(kernels.begin(), kernels.end(), step.kernel) -
                 kernels.begin();
    if (step.args.size() != numArgs[k])
      return error("kernel @" + step.kernel + " takes " +
                   llvm::Twine(numArgs[k]) + " buffers, its step passes " +
                   llvm::Twine(step.args.size()));
    steps.push_back(kmod::CreateStep(fb, k, fb.CreateVector(step.args)));
  }
  auto stepVector = fb.CreateVector(steps);
  fb.ForceVectorAlignment(code->size(), 1, 64);
  auto codeVector = fb.CreateVector(
      reinterpret_cast<const uint8_t *>(code->data()), code->size());
  fb.ForceVectorAlignment(weights.size(), 1, 64);
  auto weightVector = fb.CreateVector(
      reinterpret_cast<const uint8_t *>(weights.data()), weights.size());
  auto root = kmod::CreateModule(
      fb, kKmodVersion, fb.CreateString(name), fb.CreateString("x86_64-cpu"),
      fb.CreateString(cpu), inputs, outputs, paramSigs, buffers, kernelVector,
      stepVector, a.arenaSize, codeVector, weightVector,
      rt::codeHash(reinterpret_cast<const uint8_t *>(code->data()),
                   code->size()),
      rt::weightsHash(reinterpret_cast<const uint8_t *>(weights.data()),
                      weights.size()),
      fb.CreateVectorOfStrings(features));
  kmod::FinishModuleBuffer(fb, root);
  a.bytes.assign(reinterpret_cast<const char *>(fb.GetBufferPointer()),
                 fb.GetSize());
  return std::move(a);
}

} // namespace kiln::cpu
