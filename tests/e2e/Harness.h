//===- Harness.h - Compiled vs reference, for e2e tests ---------*- C++ -*-===//
//
// Builds a DSL graph, compiles it for the CPU (JIT or .kmod artifact), runs
// it and the reference interpreter on the same seeded inputs and parameters,
// and compares every output element within |got - ref| <= atol + rtol * |ref|.
// An artifact also runs on several thread counts, which must agree bitwise.
// A failure names the graph, the output, the shapes and the worst element.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TESTS_E2E_HARNESS_H
#define KILN_TESTS_E2E_HARNESS_H

#include "kiln/codegen/cpu/Aot.h"
#include "kiln/codegen/cpu/JitModel.h"
#include "kiln/frontend/ToMlir.h"
#include "kiln/ir/Compare.h"
#include "kiln/ir/Interpreter.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/ParamInit.h"
#include "kiln/tools/Driver.h"
#include "kiln/tools/ModelSource.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>

namespace kiln::test {

/// For a sum of `k` products of values in [-1, 1]: f32 rounding grows about
/// as sqrt(k), on sums as large as k.
inline Tolerance reductionTolerance(int64_t k) {
  return {1e-5, 1e-6 * std::sqrt((double)k) * (1 + std::sqrt((double)k))};
}

/// Inputs are uniform in [lo, hi) (ints: the integers of it), seeded by name.
struct InputRange {
  double lo = -1, hi = 1;
};

inline HostTensor seeded(DType dtype, const Shape &shape,
                         const std::string &name, InputRange r) {
  HostTensor t(dtype, shape);
  Rng rng(seedFor(42, name));
  bool isInt = isInteger(dtype);
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, isInt ? std::floor(rng.uniform(r.lo, r.hi))
                   : rng.uniform(r.lo, r.hi));
  return t;
}

/// How a test runs the compiled model: in-process through the JIT, or as a
/// .kmod artifact through the runtime's C API.
enum class Backend { Jit, Artifact };

/// An artifact runs on each of these thread counts; all must give bitwise
/// the same outputs (3 splits kernels unevenly, and beyond this host's two
/// CPUs).
inline const std::vector<size_t> kArtifactThreads = {1, 2, 3};

/// "" when `a` and `b` hold the same bytes, else the first element that
/// differs.
inline std::string firstDifference(const HostTensor &a, const HostTensor &b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    return "shapes or dtypes differ";
  size_t element = dtypeSize(a.dtype());
  const char *x = static_cast<const char *>(a.data());
  const char *y = static_cast<const char *>(b.data());
  for (int64_t i = 0; i < a.size(); ++i)
    if (std::memcmp(x + i * element, y + i * element, element) != 0) {
      std::ostringstream os;
      os << "element " << i << ": " << a.get(i) << " vs " << b.get(i);
      return os.str();
    }
  return "";
}

/// Compiles and runs `module`. An artifact runs once per count of
/// kArtifactThreads, and any output that differs by a bit from the
/// one-thread run is an error; `options` choose how kernels split.
inline llvm::Expected<std::vector<HostTensor>>
runCompiled(Backend backend, mlir::ModuleOp module, const ModelSignature &sig,
            const std::vector<HostTensor> &inputs, const ParamValues &params,
            const cpu::CpuCodegenOptions &options = {}) {
  auto fail = [](const std::string &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (backend == Backend::Jit) {
    auto model = cpu::JitModel::compile(module);
    if (!model)
      return model.takeError();
    return (*model)->run(inputs, params);
  }
  auto artifact = cpu::compileArtifact(module, params, options);
  if (!artifact)
    return artifact.takeError();
  std::string error;
  auto loaded = Artifact::loadBytes(artifact->bytes.data(),
                                    artifact->bytes.size(), error);
  if (!loaded)
    return fail(error);
  std::vector<HostTensor> first;
  for (size_t threads : kArtifactThreads) {
    // Outputs start as all-ones bytes (f32 NaN, integer -1): an element the
    // kernels never write then differs from the reference (unless it is
    // an integer whose right value is -1).
    std::vector<HostTensor> outputs;
    for (const TensorSpec &o : sig.outputs) {
      outputs.emplace_back(o.dtype, o.shape);
      std::memset(outputs.back().data(), 0xff, outputs.back().byteSize());
    }
    if (!loaded->setNumThreads(threads, error) ||
        !loaded->run(inputs, outputs, error))
      return fail(error);
    if (first.empty()) {
      first = std::move(outputs);
      continue;
    }
    for (size_t o = 0; o < outputs.size(); ++o) {
      std::string diff = firstDifference(outputs[o], first[o]);
      if (!diff.empty())
        return fail("output '" + sig.outputs[o].name + "' on " +
                    std::to_string(threads) +
                    " threads differs from the one-thread run: " + diff);
    }
  }
  return first;
}

/// Compiles `g` and checks every output against the interpreter.
inline void
expectMatchesReference(const Graph &g, Tolerance tol, InputRange range = {},
                       Backend backend = Backend::Jit,
                       const cpu::CpuCodegenOptions &options = {}) {
  SCOPED_TRACE("graph " + g.name());
  auto ctx = makeContext();
  auto module = toModule(g, *ctx);
  ASSERT_TRUE(module) << "graph " << g.name() << " did not convert";
  auto func = modelFunc(*module);
  ASSERT_TRUE((bool)func) << llvm::toString(func.takeError());
  auto sig = signatureOf(*func);
  ASSERT_TRUE((bool)sig) << llvm::toString(sig.takeError());

  std::vector<HostTensor> inputs;
  for (const TensorSpec &s : sig->inputs)
    inputs.push_back(seeded(s.dtype, s.shape, s.name, range));
  ParamValues params = initParams(*sig, 7);

  auto ref = interpret(*func, inputs, params);
  ASSERT_TRUE((bool)ref) << llvm::toString(ref.takeError());
  auto got = runCompiled(backend, *module, *sig, inputs, params, options);
  ASSERT_TRUE((bool)got) << llvm::toString(got.takeError());

  std::string shapes;
  for (const TensorSpec &s : sig->inputs)
    shapes += " " + s.name + toString(s.shape);
  for (size_t o = 0; o < sig->outputs.size(); ++o) {
    const HostTensor &a = (*got)[o], &b = (*ref)[o];
    ASSERT_EQ(a.shape(), b.shape());
    Comparison c = compareTensors(a, b, tol);
    int64_t worst = c.worst;
    EXPECT_LT(worst, 0) << g.name() << ": output '" << sig->outputs[o].name
                        << "' " << toString(a.shape()) << " (inputs" << shapes
                        << "): worst element " << worst << " compiled "
                        << (worst < 0 ? 0 : a.get(worst)) << " vs reference "
                        << (worst < 0 ? 0 : b.get(worst)) << " (rtol "
                        << tol.rtol << ", atol " << tol.atol << ")";
  }
}

/// A graph with one op applied to fresh inputs of the given shapes.
inline Graph opGraph(const std::string &name, std::vector<Shape> shapes,
                     const std::function<Tensor(std::vector<Tensor>)> &op,
                     DType dtype = DType::F32) {
  Graph g(name);
  std::vector<Tensor> xs;
  for (size_t i = 0; i < shapes.size(); ++i)
    xs.push_back(g.input("x" + std::to_string(i), shapes[i], dtype));
  g.output("out", op(xs));
  return g;
}

} // namespace kiln::test

#endif // KILN_TESTS_E2E_HARNESS_H
