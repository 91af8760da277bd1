//===- FusionGraph.cpp - A model's kernels drawn with Graphviz ------------===//
#include "kiln/tools/FusionGraph.h"
#include "kiln/ir/KilnDialect.h"
#include "kiln/ir/Model.h"
#include "kiln/tools/Files.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln {

namespace {

std::string shapeText(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  if (!r)
    return "";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(r.getShape(), os, "x");
  if (r.getShape().empty())
    os << "scalar";
  return s;
}

std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// Node names of ops and of the model's arguments, and the node a value
/// comes from, looking through fusion regions' block arguments and yields.
struct Graph {
  llvm::DenseMap<Operation *, std::string> names;
  func::FuncOp func;

  std::string nodeOf(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *parent = arg.getOwner()->getParentOp();
      if (auto fusion = dyn_cast<FusionOp>(parent))
        return nodeOf(fusion.getInputs()[arg.getArgNumber()]);
      return "arg" + std::to_string(arg.getArgNumber());
    }
    Operation *def = v.getDefiningOp();
    if (auto fusion = dyn_cast<FusionOp>(def))
      return nodeOf(fusion.getBody().front().getTerminator()->getOperand(
          cast<OpResult>(v).getResultNumber()));
    auto it = names.find(def);
    return it == names.end() ? "" : it->second;
  }
};

} // namespace

std::string fusionGraphDot(ModuleOp fused, const cpu::Artifact &plan) {
  Graph g;
  g.func = llvm::cantFail(modelFunc(fused));
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "digraph " << quoted(g.func.getSymName().str()) << " {\n"
     << "  rankdir=TB;\n  node [shape=box, style=rounded, fontsize=10];\n";
  for (BlockArgument arg : g.func.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string name = "input" + std::to_string(i);
    if (auto attr = g.func.getArgAttrOfType<StringAttr>(i, kNameAttr))
      name = attr.str();
    else if (auto attr = g.func.getArgAttrOfType<StringAttr>(i, "kiln.param"))
      name = attr.str();
    os << "  arg" << i << " [shape=ellipse, label="
       << quoted(name + "\n" + shapeText(arg.getType())) << "];\n";
  }

  size_t step = 0, node = 0;
  auto declare = [&](Operation *op, const std::string &indent) {
    std::string name = "n" + std::to_string(node++);
    g.names[op] = name;
    os << indent << name << " [label="
       << quoted(op->getName().stripDialect().str() + "\n" +
                 shapeText(op->getResult(0).getType()))
       << "];\n";
  };
  // "37" or "4x37": the chunks along each grid axis.
  auto gridText = [](const std::vector<int64_t> &grid) {
    std::string text;
    for (int64_t c : grid)
      text += (text.empty() ? "" : "x") + std::to_string(c);
    return text;
  };
  auto kernelLabel = [&](size_t i) {
    if (i >= plan.kernels.size())
      return std::string();
    const cpu::KernelInfo &k = plan.kernels[i];
    std::string label = k.name;
    if (!k.kind.empty())
      label += "\n" + k.kind + (k.chunks > 1 ? ", " + gridText(k.grid) +
                                                   " chunks"
                                             : std::string());
    return label + "\n" + withThousands(k.bytesRead + k.bytesWritten) +
           " bytes, " + withThousands(k.flops) + " FLOPs";
  };
  for (Operation &op : g.func.getBody().front().without_terminator()) {
    if (isa<ConstantOp>(op))
      continue;
    if (auto fusion = dyn_cast<FusionOp>(op)) {
      os << "  subgraph cluster_" << step << " {\n"
         << "    style=filled; color=\"#4a7bb7\"; fillcolor=\"#eef3fa\";\n"
         << "    label=" << quoted(kernelLabel(step)) << "; fontsize=10;\n";
      for (Operation &inner : fusion.getBody().front().without_terminator())
        if (!isa<ConstantOp>(inner))
          declare(&inner, "    ");
      os << "  }\n";
    } else {
      declare(&op, "  ");
      os << "  " << g.names[&op] << " [xlabel="
         << quoted("k" + std::to_string(step)) << "];\n";
    }
    ++step;
  }
  // Edges, from each op's operands.
  g.func.walk([&](Operation *op) {
    auto it = g.names.find(op);
    if (it == g.names.end())
      return;
    for (Value v : op->getOperands()) {
      std::string from = g.nodeOf(v);
      if (!from.empty())
        os << "  " << from << " -> " << it->second << ";\n";
    }
  });
  Operation *ret = g.func.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    std::string name = "output" + std::to_string(i);
    if (auto attr = g.func.getResultAttrOfType<StringAttr>(i, kNameAttr))
      name = attr.str();
    os << "  out" << i << " [shape=ellipse, label="
       << quoted(name + "\n" + shapeText(v.getType())) << "];\n";
    std::string from = g.nodeOf(v);
    if (!from.empty())
      os << "  " << from << " -> out" << i << ";\n";
  }
  os << "}\n";
  return out;
}

std::string graphFormat(const std::string &path) {
  std::string ext = llvm::sys::path::extension(path).lower();
  return ext == ".svg" ? "svg" : ext == ".png" ? "png" : "";
}

bool renderGraph(const std::string &dot, const std::string &format,
                 std::string &bytes, std::string &error) {
  auto program = llvm::sys::findProgramByName("dot");
  if (!program) {
    error = "--fusion-graph needs Graphviz's 'dot' program, which is not on "
            "PATH (Debian: apt-get install graphviz)";
    return false;
  }
  llvm::SmallString<128> in, rendered;
  if (llvm::sys::fs::createTemporaryFile("kiln-graph", "dot", in) ||
      llvm::sys::fs::createTemporaryFile("kiln-graph", format, rendered)) {
    error = "cannot create a temporary file for --fusion-graph";
    return false;
  }
  llvm::FileRemover removeIn(in), removeRendered(rendered);
  if (!writeFileAtomically(std::string(in), dot, error))
    return false;
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(
      *program, {*program, "-T" + format, "-o", rendered, in}, std::nullopt,
      {}, 0, 0, &message);
  if (rc != 0 || !readFile(std::string(rendered), bytes, error)) {
    error = "Graphviz's dot failed on the fusion graph" +
            (rc != 0 ? ": " + (message.empty() ? "exit status " +
                                                     std::to_string(rc)
                                               : message)
                     : ": " + error);
    return false;
  }
  return true;
}

} // namespace kiln
