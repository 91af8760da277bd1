//===- TrainStep.cpp - The modules a training run compiles ----------------===//
#include "kiln/tools/TrainStep.h"
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/ir/Model.h"
#include "kiln/ir/ParamInit.h"
#include "kiln/passes/Passes.h"
#include "kiln/tools/Datasets.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <cmath>

namespace kiln {

namespace {

llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Runs `pm` on `module`, returning its diagnostics as the error.
llvm::Error run(mlir::PassManager &pm, mlir::ModuleOp module) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(module.getContext(),
                                        [&](mlir::Diagnostic &d) {
    diagnostics += locationString(d.getLocation()) + ": " + d.str() + "\n";
    return mlir::success();
  });
  if (mlir::failed(pm.run(module)))
    return error("making the train step failed:\n" + diagnostics);
  return llvm::Error::success();
}

OptimizerOptions optimizerOptions(const optim::Optimizer &o) {
  OptimizerOptions opts;
  opts.kind = optim::name(o);
  if (auto *s = std::get_if<optim::SGD>(&o)) {
    opts.lr = s->lr;
    opts.weightDecay = s->weightDecay;
  } else if (auto *m = std::get_if<optim::Momentum>(&o)) {
    opts.lr = m->lr;
    opts.momentum = m->momentum;
    opts.weightDecay = m->weightDecay;
  } else {
    const auto &a = std::get<optim::Adam>(o);
    opts.lr = a.lr;
    opts.beta1 = a.beta1;
    opts.beta2 = a.beta2;
    opts.epsilon = a.epsilon;
    opts.weightDecay = a.weightDecay;
  }
  return opts;
}

} // namespace

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trainStepModule(const TrainGraph &t, mlir::MLIRContext &ctx,
                const std::string &remat, bool learningRateInput) {
  auto module = toModule(t.graph, ctx);
  mlir::PassManager pm(&ctx);
  pm.addNestedPass<mlir::func::FuncOp>(
      createAutodiff(AutodiffOptions{t.lossName, remat}));
  OptimizerOptions opts = optimizerOptions(t.optimizer);
  opts.lrInput = learningRateInput;
  pm.addNestedPass<mlir::func::FuncOp>(createOptimizer(opts));
  if (llvm::Error err = run(pm, *module))
    return err;
  return module;
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
evalStepModule(const TrainGraph &t, mlir::MLIRContext &ctx) {
  auto module = toModule(t.graph, ctx);
  auto func = modelFunc(*module);
  if (!func)
    return func.takeError();
  paramsToInputs(*func);
  return module;
}

//===----------------------------------------------------------------------===//
// A built-in model's training setup
//===----------------------------------------------------------------------===//

optim::Optimizer trainOptimizer(const TrainDefaults &d, const std::string &kind,
                                std::optional<float> lr, float weightDecay) {
  std::string k = kind.empty() ? d.optimizer : kind;
  float rate = lr.value_or(k == d.optimizer ? d.lr
                           : k == "adam"    ? 1e-3f
                                            : 1e-2f);
  return optim::byName(k, rate, weightDecay);
}

llvm::Expected<TrainGraph> modelTrainGraph(const ModelInfo &info,
                                           int64_t batch,
                                           const optim::Optimizer &optimizer) {
  if (!info.training)
    return error("model '" + info.name + "' has no training setup");
  try {
    return train(info.build(batch), info.training->loss, optimizer);
  } catch (const ShapeError &e) {
    return error("model '" + info.name + "' at batch " + llvm::Twine(batch) +
                 ": " + e.what());
  }
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
modelTrainStepModule(const ModelInfo &info, int64_t batch,
                     const optim::Optimizer &optimizer,
                     mlir::MLIRContext &ctx) {
  auto graph = modelTrainGraph(info, batch, optimizer);
  if (!graph)
    return graph.takeError();
  return trainStepModule(*graph, ctx, "none", /*learningRateInput=*/true);
}

//===----------------------------------------------------------------------===//
// Compiled steps
//===----------------------------------------------------------------------===//

int CompiledStep::output(const std::string &name) const {
  for (size_t i = 0; i < sig().outputs.size(); ++i)
    if (sig().outputs[i].name == name)
      return i;
  return -1;
}

llvm::Expected<CompiledStep> compileStep(mlir::ModuleOp module,
                                         const cpu::CpuCodegenOptions &options,
                                         size_t threads) {
  auto compiled = cpu::compileArtifact(module, {}, options);
  if (!compiled)
    return compiled.takeError();
  std::string message;
  CompiledStep step;
  step.kernels = compiled->numSteps;
  step.artifact = Artifact::loadBytes(compiled->bytes.data(),
                                      compiled->bytes.size(), message);
  if (!step.artifact || !step.artifact->setNumThreads(threads, message))
    return error(message);
  for (const TensorSpec &o : step.sig().outputs)
    step.outputs.emplace_back(o.dtype, o.shape);
  return step;
}

bool runStep(CompiledStep &step, FillInput fill,
             std::map<std::string, HostTensor> &state,
             std::map<std::string, HostTensor> *next, std::string &error) {
  step.in.clear();
  step.out.clear();
  for (const TensorSpec &s : step.sig().inputs) {
    auto it = state.find(s.name);
    if (it != state.end()) {
      step.in.push_back(it->second.data());
      continue;
    }
    HostTensor &t = step.data[s.name];
    if (s.name == kLearningRate) {
      step.in.push_back(t.data()); // set by the caller
      continue;
    }
    if (!fill(s.name, t, error))
      return false;
    step.in.push_back(t.data());
  }
  for (size_t i = 0; i < step.outputs.size(); ++i) {
    void *into = step.outputs[i].data();
    if (next) {
      auto it = next->find(step.sig().outputs[i].name);
      if (it != next->end())
        into = it->second.data();
    }
    step.out.push_back(into);
  }
  return step.artifact->run(step.in.data(), step.out.data(), error);
}

bool runStep(CompiledStep &step, const Batcher &batcher,
             std::map<std::string, HostTensor> &state,
             std::map<std::string, HostTensor> *next, std::string &error) {
  return runStep(
      step,
      [&](const std::string &name, HostTensor &t, std::string &error) {
        return batcher.fill(name, t, error);
      },
      state, next, error);
}

llvm::Error initTrained(mlir::ModuleOp stepModule, const CompiledStep &step,
                        uint64_t seed, std::vector<TensorSpec> &trained,
                        std::map<std::string, HostTensor> &state,
                        std::map<std::string, HostTensor> &next) {
  auto sig = signatureOf(stepModule);
  if (!sig)
    return sig.takeError();
  for (const TensorSpec &s : sig->inputs)
    if (!s.init.empty()) {
      if (step.output(s.name) < 0)
        return error("the train step does not return '" + s.name + "'");
      trained.push_back(s);
      HostTensor t(s.dtype, s.shape);
      initParam(t, s.init, s.name, seed);
      next.emplace(s.name, HostTensor(s.dtype, s.shape));
      state.emplace(s.name, std::move(t));
    }
  return llvm::Error::success();
}

HostTensor syntheticInput(const TensorSpec &spec, const loss::Loss &loss,
                          int64_t classes, uint64_t seed) {
  if (spec.name != loss.label || loss.kind == loss::Kind::MeanSquaredError)
    return randomInput(spec, seed);
  HostTensor t(spec.dtype, spec.shape);
  Rng rng(seedFor(seed, spec.name));
  auto draw = [&](int64_t n) {
    return std::min<int64_t>(n - 1, (int64_t)std::floor(rng.uniform(0, n)));
  };
  switch (loss.kind) {
  case loss::Kind::SparseCategoricalCrossEntropy:
    for (int64_t i = 0; i < t.size(); ++i)
      t.set(i, draw(classes));
    break;
  case loss::Kind::CategoricalCrossEntropy: {
    int64_t last = spec.shape.empty() ? 1 : spec.shape.back();
    for (int64_t row = 0; row < t.size() / last; ++row) {
      int64_t hot = draw(last);
      for (int64_t c = 0; c < last; ++c)
        t.set(row * last + c, c == hot);
    }
    break;
  }
  default: // binary
    for (int64_t i = 0; i < t.size(); ++i)
      t.set(i, draw(2));
    break;
  }
  return t;
}

bool ModelTrainStep::run(std::string &error) {
  // Every data input was filled when the step was made: the same batch
  // each step.
  auto fill = [](const std::string &, HostTensor &, std::string &) {
    return true;
  };
  if (!runStep(step, fill, state, &next, error))
    return false;
  std::swap(state, next);
  return true;
}

llvm::Expected<ModelTrainStep>
compileModelTrainStep(const ModelInfo &info, int64_t batch,
                      const optim::Optimizer &optimizer,
                      const cpu::CpuCodegenOptions &options, size_t threads,
                      uint64_t seed, mlir::MLIRContext &ctx) {
  auto graph = modelTrainGraph(info, batch, optimizer);
  if (!graph)
    return graph.takeError();
  auto module = trainStepModule(*graph, ctx, "none", /*learningRateInput=*/true);
  if (!module)
    return module.takeError();
  auto step = compileStep(**module, options, threads);
  if (!step)
    return step.takeError();
  ModelTrainStep m{std::move(*graph), std::move(*step), {}, {}, {}, -1, -1};
  if (llvm::Error err = initTrained(**module, m.step, seed, m.trained, m.state,
                                    m.next))
    return err;
  m.lossOutput = m.step.output(m.graph.lossName);
  m.predictionOutput = m.step.output(m.graph.graph.outputs().front().first);
  if (m.lossOutput < 0 || m.predictionOutput < 0)
    return error("the train step of '" + info.name +
                 "' returns no loss or no prediction");
  int64_t classes = m.step.outputs[m.predictionOutput].shape().empty()
                        ? 1
                        : m.step.outputs[m.predictionOutput].shape().back();
  for (const TensorSpec &s : m.step.sig().inputs) {
    if (m.state.count(s.name))
      continue;
    if (s.name == kLearningRate) {
      HostTensor rate(DType::F32, {});
      rate.set(0, optim::learningRate(optimizer));
      m.step.data[s.name] = std::move(rate);
      continue;
    }
    m.step.data[s.name] =
        syntheticInput(s, info.training->loss, classes, seed);
  }
  return m;
}

} // namespace kiln
