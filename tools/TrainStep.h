//===- TrainStep.h - The modules a training run compiles --------*- C++ -*-===//
//
// A TrainGraph (frontend/kiln.h) becomes two model modules that compile
// like any other: the train step, made by --kiln-autodiff and
// --kiln-optimizer, and the evaluation step, the forward graph and its loss
// with the parameters as inputs. Both take their trained tensors
// (parameters, optimizer state: the inputs with a `kiln.init`) by name, so
// that one set of buffers serves both.
//
// What the tools that train or time training share is here too, so that
// kiln-train, kilnc --train and kiln-bench train compile and run the same
// step: a built-in model's training setup, a compiled step with its data
// buffers, the trained tensors in two sets of buffers that swap after each
// step (no copies), and synthetic batches.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_TRAINSTEP_H
#define KILN_TOOLS_TRAINSTEP_H

#include "kiln/codegen/cpu/Pipeline.h"
#include "kiln/examples/Models.h"
#include "kiln/frontend/kiln.h"
#include "kiln/tools/Driver.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Batcher;

/// (inputs, labels, params, state) -> (loss, prediction, params, state).
/// `remat` is --kiln-autodiff's: "none" or "elementwise". With
/// `learningRateInput` the learning rate is an input, `learning_rate`
/// (--kiln-optimizer's lr-input), for a schedule.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trainStepModule(const TrainGraph &t, mlir::MLIRContext &ctx,
                const std::string &remat = "none",
                bool learningRateInput = false);

/// (inputs, labels, params) -> (prediction, loss).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
evalStepModule(const TrainGraph &t, mlir::MLIRContext &ctx);

//===----------------------------------------------------------------------===//
// A built-in model's training setup
//===----------------------------------------------------------------------===//

/// The optimizer a run of a model with training setup `d` uses: `kind`
/// ("sgd", "momentum", "adam"; empty: the model's) at learning rate `lr`,
/// or else the model's rate when `kind` is the model's optimizer, 1e-3 for
/// adam and 1e-2 for the others. Throws std::invalid_argument for an
/// unknown kind (the tools check their flags first).
optim::Optimizer trainOptimizer(const TrainDefaults &d,
                                const std::string &kind = "",
                                std::optional<float> lr = std::nullopt,
                                float weightDecay = 0);

/// `info`'s graph at `batch` made trainable with its training loss and
/// `optimizer`; an error naming the model and batch for a model without a
/// training setup or one the batch does not fit (a ShapeError).
llvm::Expected<TrainGraph> modelTrainGraph(const ModelInfo &info,
                                           int64_t batch,
                                           const optim::Optimizer &optimizer);

/// The train step as kiln-train runs it: activations stored (no
/// rematerialisation), the learning rate an input (kLearningRate).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
modelTrainStepModule(const ModelInfo &info, int64_t batch,
                     const optim::Optimizer &optimizer, mlir::MLIRContext &ctx);

//===----------------------------------------------------------------------===//
// Compiled steps
//===----------------------------------------------------------------------===//

/// The train step's input that a caller sets before each step (the
/// schedule's learning rate).
inline constexpr const char *kLearningRate = "learning_rate";

/// One compiled step and the buffers of its data inputs and outputs.
struct CompiledStep {
  std::unique_ptr<Artifact> artifact;
  size_t kernels = 0;                        // the artifact's steps
  std::map<std::string, HostTensor> data;    // inputs that are not trained
  std::vector<HostTensor> outputs;           // one per output
  std::vector<const void *> in;
  std::vector<void *> out;

  const ModelSignature &sig() const { return artifact->signature(); }
  /// The index of output `name`, or -1.
  int output(const std::string &name) const;
};

/// Compiles `module` (a train or evaluation step: parameters are inputs)
/// into an artifact, loaded to run on `threads` threads (0: the host's
/// CPUs).
llvm::Expected<CompiledStep> compileStep(mlir::ModuleOp module,
                                         const cpu::CpuCodegenOptions &options,
                                         size_t threads);

/// Fills `t` with the current batch of data input `name`; false with
/// `error` when it cannot.
using FillInput = llvm::function_ref<bool(const std::string &name,
                                          HostTensor &t, std::string &error)>;

/// Runs `step` with trained inputs from `state`, data inputs filled by
/// `fill` into step.data (the learning rate is not: the caller sets
/// step.data[kLearningRate]), and trained outputs written into `next` (null:
/// into step.outputs, not kept). The caller swaps `state` and `next` after
/// a train step.
bool runStep(CompiledStep &step, FillInput fill,
             std::map<std::string, HostTensor> &state,
             std::map<std::string, HostTensor> *next, std::string &error);
/// The same with the data inputs from the current batch of `batcher`.
bool runStep(CompiledStep &step, const Batcher &batcher,
             std::map<std::string, HostTensor> &state,
             std::map<std::string, HostTensor> *next, std::string &error);

/// The trained tensors of train step `stepModule` (its inputs with an
/// init: parameters and optimizer state), compiled as `step`: their specs
/// into `trained`, fresh values drawn from `seed` into `state` and buffers
/// of the same shapes into `next`. An error when `step` does not return one
/// of them under its name.
/// (The artifact's signature has no inits; the module's has.)
llvm::Error initTrained(mlir::ModuleOp stepModule, const CompiledStep &step,
                        uint64_t seed, std::vector<TensorSpec> &trained,
                        std::map<std::string, HostTensor> &state,
                        std::map<std::string, HostTensor> &next);

/// Seeded synthetic values for data input `spec` of a step with training
/// loss `loss` and `classes` values in the prediction's last dim: for the
/// loss's label, class ids uniform in [0, classes) (sparse categorical
/// cross-entropy), one-hot rows (categorical), 0 or 1 (binary) or values
/// uniform in [-1, 1) (MSE); for other inputs randomInput's values.
HostTensor syntheticInput(const TensorSpec &spec, const loss::Loss &loss,
                          int64_t classes, uint64_t seed);

/// A built-in model's train step compiled as kiln-train compiles it, with
/// fresh trained tensors and one synthetic batch: what kiln-bench times,
/// one step at a time, and what a peer framework is checked against.
struct ModelTrainStep {
  TrainGraph graph;
  CompiledStep step;
  std::vector<TensorSpec> trained;
  std::map<std::string, HostTensor> state, next;
  int lossOutput = -1, predictionOutput = -1;

  /// One step on the batch in step.data at the learning rate set there;
  /// then `state` holds the updated tensors.
  bool run(std::string &error);
  /// The loss of the last step.
  double loss() const { return step.outputs[lossOutput].get(0); }
};

/// Compiles model `info`'s train step at `batch` with `optimizer`, draws its
/// trained tensors and a batch from `seed`, and sets the learning rate to
/// the optimizer's.
llvm::Expected<ModelTrainStep>
compileModelTrainStep(const ModelInfo &info, int64_t batch,
                      const optim::Optimizer &optimizer,
                      const cpu::CpuCodegenOptions &options, size_t threads,
                      uint64_t seed, mlir::MLIRContext &ctx);

} // namespace kiln

#endif // KILN_TOOLS_TRAINSTEP_H
