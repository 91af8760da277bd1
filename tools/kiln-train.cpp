//===- kiln-train.cpp - Train a built-in model through a compiled step ----===//
//
//   kiln-train --model=NAME [--epochs=E | --steps=S] [--batch=B]
//              [--optimizer=sgd|momentum|adam] [--lr=X] [--save=PATH]
//              [--resume=PATH] [--export=PATH.kmod | --export=PATH]
//
// The model's loss and optimizer (examples/Models.cpp) become a train step,
// (data, params, state) -> (loss, prediction, params, state), made by
// autodiff and the optimizer pass and compiled ahead of time like any
// model; an evaluation step (data, params) -> (prediction, loss) measures
// the test set. Parameters and optimizer state live in two sets of
// buffers that the steps swap: no copies between steps. One progress line
// per epoch (or per tenth of the steps); the last line is
// `test_accuracy=X test_loss=Y` for classifiers, `final_loss=Y` for the
// others (linreg adds b0= and b1=). --export writes the trained model as an
// artifact (.kmod) or a standalone program (any other name). --epochs and
// --steps count the whole run: resumed from a checkpoint at step k, --steps=S
// takes S - k more steps, from the batch an unbroken run would take next,
// and ends with the same bytes.
//
//===----------------------------------------------------------------------===//
#include "kiln/codegen/cpu/Aot.h"
#include "kiln/examples/Models.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/tools/Checkpoint.h"
#include "kiln/tools/CliChecks.h"
#include "kiln/tools/Datasets.h"
#include "kiln/tools/Driver.h"
#include "kiln/tools/Files.h"
#include "kiln/tools/Idx.h"
#include "kiln/tools/ModelSource.h"
#include "kiln/tools/Standalone.h"
#include "kiln/tools/TrainStep.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>

using namespace kiln;

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "kiln-train: " << msg << "\n";
  return 1;
}

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// What a prediction is scored by.
enum class Score { None, Argmax, Threshold };

Score scoreOf(loss::Kind kind) {
  switch (kind) {
  case loss::Kind::MeanSquaredError: return Score::None;
  case loss::Kind::BinaryCrossEntropy: return Score::Threshold;
  default: return Score::Argmax;
  }
}

/// Correct predictions in the first `rows` examples of a batch: the argmax
/// of the last dim against an id (sparse) or against the label's argmax
/// (one distribution per example), or p > 0.5 against a 0/1 label.
int64_t correct(Score score, loss::Kind kind, const HostTensor &pred,
                const HostTensor &label, int64_t rows) {
  int64_t perRow = pred.size() / pred.shape()[0];
  int64_t classes = score == Score::Argmax ? pred.shape().back() : 1;
  int64_t n = rows * perRow / classes, hits = 0;
  auto argmax = [&](const HostTensor &t, int64_t at) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (t.get(at * classes + c) > t.get(at * classes + best))
        best = c;
    return best;
  };
  for (int64_t i = 0; i < n; ++i) {
    if (score == Score::Threshold)
      hits += (pred.get(i) > 0.5) == (label.get(i) > 0.5);
    else if (kind == loss::Kind::SparseCategoricalCrossEntropy)
      hits += argmax(pred, i) == (int64_t)label.get(i);
    else
      hits += argmax(pred, i) == argmax(label, i);
  }
  return hits;
}

/// Predictions scored in a batch of `rows` examples.
int64_t scored(Score score, const HostTensor &pred, int64_t rows) {
  int64_t perRow = pred.size() / pred.shape()[0];
  return rows * (score == Score::Argmax ? perRow / pred.shape().back() : perRow);
}

std::string fixed(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"kiln-train: train a built-in model through a compiled step"};
  std::string modelName, optimizer, save, resume, exportPath, dataDir;
  std::optional<int64_t> epochs, steps, batch, exportBatch;
  std::optional<float> lr;
  float weightDecay = 0;
  uint64_t seed = 1;
  int64_t limit = -1;
  size_t threads = 0;
  std::string remat = "none", schedule;
  cpu::CpuCodegenOptions options;
  app.add_option("--model", modelName, "A built-in model")->required();
  CLI::Option *epochsOpt =
      app.add_option("--epochs", epochs, "Epochs over the training set")
          ->check(CLI::Range(int64_t(1), int64_t(1000000)));
  app.add_option("--steps", steps, "Train steps in all, those before --resume included "
                 "(instead of epochs)")
      ->check(CLI::Range(int64_t(1), int64_t(1000000000)))
      ->excludes(epochsOpt);
  app.add_option("--batch", batch, "Examples per step (default: the model's)")
      ->check(CLI::Range(int64_t(1), int64_t(1 << 20)));
  app.add_option("--optimizer", optimizer, "sgd, momentum or adam")
      ->check(CLI::IsMember({"sgd", "momentum", "adam"}));
  app.add_option("--lr", lr, "Learning rate")
      ->check(numberAbove0());
  app.add_option("--schedule", schedule,
                 "Learning rate schedule: constant or cosine (decay to 0 over "
                 "the run; default: the model's)")
      ->check(CLI::IsMember({"constant", "cosine"}));
  app.add_option("--weight-decay", weightDecay, "L2 weight decay")
      ->check(numberAbove0(/*zeroAllowed=*/true));
  app.add_option("--save", save, "Checkpoint file written after each epoch "
                                 "(or at the end) and when done");
  app.add_option("--resume", resume, "Checkpoint to continue from");
  app.add_option("--export", exportPath,
                 "Write the trained model: PATH.kmod (an artifact) or PATH "
                 "(a standalone program)");
  app.add_option("--export-batch", exportBatch,
                 "Batch of the exported model (default: --batch)")
      ->check(CLI::Range(int64_t(1), int64_t(1 << 20)));
  app.add_option("--data", dataDir, "Fashion-MNIST directory")
      ->default_str(kFashionMnistDir);
  app.add_option("--limit", limit, "Use at most N training and test examples")
      ->check(numberAbove0());
  app.add_option("--seed", seed, "Seed of the parameters and the shuffling");
  app.add_option("--threads", threads, "Threads (default, 0: the host's CPUs)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--remat", remat,
                 "Activations for the gradients: none (stored) or "
                 "elementwise (recomputed)")
      ->check(CLI::IsMember({"none", "elementwise"}));
  app.add_option("--fusion", options.fusion, "none, elementwise or full")
      ->check(CLI::IsMember({"none", "elementwise", "full"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (dataDir.empty())
    dataDir = kFashionMnistDir;

  const ModelInfo *info = findModel(modelName);
  if (!info)
    return fail("unknown model '" + modelName + "'; known: " +
                knownModelNames());
  if (!info->training)
    return fail("model '" + modelName + "' has no training setup; these "
                "have: linreg, house_mlp, binary_mlp, fashion_mlp, cnn, "
                "text_transformer");
  const TrainDefaults &defaults = *info->training;
  std::string error;
  for (const std::string &path : {save, exportPath})
    if (!path.empty() && !checkWritable(path, error))
      return fail(error);

  // The optimizer, by flag or the model's default.
  int64_t b = batch.value_or(defaults.batch);
  optim::Optimizer opt = trainOptimizer(defaults, optimizer, lr, weightDecay);
  std::string kind = optim::name(opt);
  float rate = optim::learningRate(opt);
  if (schedule.empty())
    schedule = defaults.schedule;
  int64_t totalEpochs = epochs.value_or(steps ? 0 : defaults.epochs);
  int64_t totalSteps = steps.value_or(epochs ? 0 : defaults.steps);

  Dataset trainSet, testSet;
  if (!modelDatasets(modelName, dataDir, seed, limit, trainSet, testSet, error))
    return fail(error);
  auto batcher =
      Batcher::create(trainSet, b, BatchOrder::Shuffled, seed, error);
  if (!batcher)
    return fail("training set: " + error);
  // Test batches divide the test set, so that the mean of their losses is
  // the test loss: the largest divisor up to 8 training batches (or 1000).
  int64_t evalBatch = 1;
  for (int64_t d = std::min<int64_t>({testSet.size(), 8 * b, 1000}); d >= 1; --d)
    if (testSet.size() % d == 0) {
      evalBatch = d;
      break;
    }
  auto evalBatcher =
      Batcher::create(testSet, evalBatch, BatchOrder::InOrder, seed, error);
  if (!evalBatcher)
    return fail("test set: " + error);

  // Compile the train and evaluation steps.
  auto ctx = makeContext();
  double compileStart = now();
  auto trainGraph = modelTrainGraph(*info, b, opt);
  if (!trainGraph)
    return fail(llvm::toString(trainGraph.takeError()));
  auto evalGraph = modelTrainGraph(*info, evalBatch, opt);
  if (!evalGraph)
    return fail(llvm::toString(evalGraph.takeError()));
  auto stepModule = trainStepModule(*trainGraph, *ctx, remat,
                                    /*learningRateInput=*/true);
  if (!stepModule)
    return fail(llvm::toString(stepModule.takeError()));
  auto evalModule = evalStepModule(*evalGraph, *ctx);
  if (!evalModule)
    return fail(llvm::toString(evalModule.takeError()));
  auto trainStep = compileStep(**stepModule, options, threads);
  if (!trainStep)
    return fail("compiling the train step: " +
                llvm::toString(trainStep.takeError()));
  auto evalStep = compileStep(**evalModule, options, threads);
  if (!evalStep)
    return fail("compiling the evaluation step: " +
                llvm::toString(evalStep.takeError()));
  std::printf("model=%s optimizer=%s lr=%g schedule=%s batch=%lld "
              "steps_per_epoch=%lld "
              "train_examples=%lld test_examples=%lld threads=%zu "
              "compile_s=%.2f\n",
              modelName.c_str(), kind.c_str(), rate, schedule.c_str(),
              (long long)b,
              (long long)batcher->numBatches(), (long long)trainSet.size(),
              (long long)testSet.size(), trainStep->artifact->numThreads(),
              now() - compileStart);

  // Trained tensors: the step's inputs with an init, fresh or resumed; each
  // must come back as an output of its name.
  std::vector<TensorSpec> trained;
  std::map<std::string, HostTensor> state, next;
  if (llvm::Error err =
          initTrained(**stepModule, *trainStep, seed, trained, state, next))
    return fail(llvm::toString(std::move(err)));
  // Where the run stands: `epochBatches` batches of epoch `atEpoch` done.
  // A checkpoint keeps both (and the batch size they count in), so that a
  // run stopped mid-epoch resumes with the batch an unbroken run would
  // have taken next: the epoch's order depends only on (seed, epoch).
  int64_t atEpoch = 0, epochBatches = 0, doneSteps = 0;
  if (!resume.empty()) {
    Checkpoint ckpt;
    if (!loadCheckpoint(resume, ckpt, error) ||
        !checkCheckpoint(ckpt, resume, modelName, trained, false, error))
      return fail(error);
    for (auto &[name, t] : ckpt.tensors)
      state[name] = std::move(t);
    auto counter = [&](const char *name) {
      auto it = ckpt.counters.find(name);
      return it == ckpt.counters.end() ? int64_t(0) : it->second;
    };
    atEpoch = counter("epoch");
    doneSteps = counter("step");
    // Batches of another size: continue after the examples already seen.
    int64_t savedBatch = counter("batch_size");
    epochBatches = savedBatch > 0 && savedBatch != b
                       ? (counter("batch") * savedBatch + b - 1) / b
                       : counter("batch");
    std::printf("resumed from %s at epoch=%lld batch=%lld step=%lld\n",
                resume.c_str(), (long long)atEpoch, (long long)epochBatches,
                (long long)doneSteps);
  }
  // A finished epoch continues with the next.
  bool epochDone = epochBatches >= batcher->numBatches();
  int64_t firstEpoch = atEpoch + epochDone,
          firstBatch = epochDone ? 0 : epochBatches;
  auto saveState = [&] {
    if (save.empty())
      return true;
    Checkpoint ckpt{modelName,
                    {{"epoch", atEpoch},
                     {"batch", epochBatches},
                     {"batch_size", b},
                     {"step", doneSteps}},
                    state};
    return saveCheckpoint(save, ckpt, error);
  };

  const std::string &label = defaults.loss.label;
  Score score = scoreOf(defaults.loss.kind);
  int lossOut = trainStep->output(trainGraph->lossName);
  int predOut = trainStep->output(trainGraph->graph.outputs().front().first);
  auto evaluate = [&](double &loss, double &accuracy) {
    evalBatcher->startEpoch(0);
    double sum = 0;
    int64_t hits = 0, total = 0, batches = 0;
    int evalLoss = evalStep->output(evalGraph->lossName);
    int evalPred = evalStep->output(evalGraph->graph.outputs().front().first);
    while (evalBatcher->next()) {
      if (!runStep(*evalStep, *evalBatcher, state, nullptr, error))
        return false;
      sum += evalStep->outputs[evalLoss].get(0);
      ++batches;
      if (score != Score::None) {
        hits += correct(score, defaults.loss.kind, evalStep->outputs[evalPred],
                        evalStep->data[label], evalBatcher->validRows());
        total += scored(score, evalStep->outputs[evalPred],
                        evalBatcher->validRows());
      }
    }
    loss = sum / batches;
    accuracy = total ? (double)hits / total : 0;
    return true;
  };

  // Train: whole epochs, or steps across epochs.
  int64_t stepsLeft = totalSteps ? totalSteps - doneSteps : 0;
  int64_t plannedSteps =
      totalSteps ? totalSteps : totalEpochs * batcher->numBatches();
  HostTensor &learningRate = trainStep->data[kLearningRate];
  learningRate = HostTensor(DType::F32, {});
  int64_t reportEvery = totalSteps ? std::max<int64_t>(1, totalSteps / 10) : 0;
  // A checkpoint at or past the target trains nothing; it is still
  // evaluated, saved and exported.
  bool nothingToTrain = totalSteps ? stepsLeft <= 0 : firstEpoch >= totalEpochs;
  if (nothingToTrain)
    std::printf("nothing to train: %s is at epoch=%lld step=%lld, the run "
                "ends at %s\n",
                resume.c_str(), (long long)atEpoch, (long long)doneSteps,
                totalSteps ? ("step=" + std::to_string(totalSteps)).c_str()
                           : ("epoch=" + std::to_string(totalEpochs)).c_str());
  for (int64_t epoch = firstEpoch;
       totalSteps ? stepsLeft > 0 : epoch < totalEpochs; ++epoch) {
    batcher->startEpoch(epoch, epoch == firstEpoch ? firstBatch : 0);
    double lossSum = 0, start = now(), windowStart = start;
    int64_t hits = 0, total = 0, batches = 0, windowSteps = 0;
    while ((!totalSteps || stepsLeft > 0) && batcher->next()) {
      double progress = (double)doneSteps / plannedSteps;
      learningRate.set(0, schedule == "cosine"
                              ? rate * 0.5 * (1 + std::cos(M_PI * progress))
                              : rate);
      if (!runStep(*trainStep, *batcher, state, &next, error))
        return fail("train step: " + error);
      std::swap(state, next);
      double stepLoss = trainStep->outputs[lossOut].get(0);
      if (!std::isfinite(stepLoss))
        return fail("the loss is " + std::to_string(stepLoss) + " at step " +
                    std::to_string(doneSteps + 1) +
                    "; try a smaller --lr");
      lossSum += stepLoss;
      ++batches;
      ++doneSteps;
      ++windowSteps;
      atEpoch = epoch;
      epochBatches = batcher->batchIndex() + 1;
      if (score != Score::None) {
        hits += correct(score, defaults.loss.kind,
                        trainStep->outputs[predOut], trainStep->data[label], b);
        total += scored(score, trainStep->outputs[predOut], b);
      }
      if (totalSteps && (--stepsLeft == 0 || doneSteps % reportEvery == 0)) {
        double t = now();
        std::printf("step=%lld/%lld loss=%s examples_per_s=%.0f\n",
                    (long long)doneSteps, (long long)totalSteps,
                    fixed(stepLoss, 6).c_str(),
                    windowSteps * b / (t - windowStart));
        std::fflush(stdout);
        windowStart = t;
        windowSteps = 0;
      }
    }
    if (!totalSteps) {
      double seconds = now() - start, testLoss, testAccuracy;
      if (!evaluate(testLoss, testAccuracy))
        return fail("evaluation: " + error);
      std::printf("epoch=%lld/%lld loss=%s", (long long)epoch + 1,
                  (long long)totalEpochs, fixed(lossSum / batches).c_str());
      if (score != Score::None)
        std::printf(" accuracy=%s", fixed((double)hits / total).c_str());
      std::printf(" examples_per_s=%.0f seconds=%.2f test_loss=%s",
                  batches * b / seconds, seconds, fixed(testLoss).c_str());
      if (score != Score::None)
        std::printf(" test_accuracy=%s", fixed(testAccuracy).c_str());
      std::printf("\n");
      std::fflush(stdout);
      atEpoch = epoch + 1;
      epochBatches = 0;
      if (!saveState())
        return fail(error);
    }
  }
  if ((totalSteps || nothingToTrain) && !saveState())
    return fail(error);

  // Export the trained parameters into the inference model.
  if (!exportPath.empty()) {
    auto module = toModule(info->build(exportBatch.value_or(b)), *ctx);
    auto sig = signatureOf(*module);
    if (!sig)
      return fail(llvm::toString(sig.takeError()));
    ParamValues params;
    for (const TensorSpec &p : sig->params)
      params[p.name] = state.at(p.name);
    auto artifact = cpu::compileArtifact(*module, params, options);
    if (!artifact)
      return fail("export: " + llvm::toString(artifact.takeError()));
    bool kmod = exportPath.size() > 5 &&
                exportPath.compare(exportPath.size() - 5, 5, ".kmod") == 0;
    if (kmod) {
      if (!writeFileAtomically(exportPath, artifact->bytes, error))
        return fail(error);
    } else if (llvm::Error err = emitExe(artifact->bytes, exportPath)) {
      return fail(llvm::toString(std::move(err)));
    }
    std::printf("exported %s (%s, batch %lld)\n", exportPath.c_str(),
                kmod ? "artifact" : "standalone program",
                (long long)exportBatch.value_or(b));
  }

  double testLoss, testAccuracy;
  if (!evaluate(testLoss, testAccuracy))
    return fail("evaluation: " + error);
  if (score != Score::None) {
    std::printf("test_accuracy=%s test_loss=%s\n", fixed(testAccuracy).c_str(),
                fixed(testLoss).c_str());
  } else if (modelName == "linreg") {
    std::printf("final_loss=%s b0=%s b1=%s\n", fixed(testLoss, 6).c_str(),
                fixed(state.at("dense0.b").get(0), 6).c_str(),
                fixed(state.at("dense0.w").get(0), 6).c_str());
  } else {
    std::printf("final_loss=%s\n", fixed(testLoss, 6).c_str());
  }
  return 0;
}
