//===- FusionGraph.h - A model's kernels drawn with Graphviz ----*- C++ -*-===//
//
// kilnc --fusion-graph=PATH.svg|.png: every op of the fused model is a
// node, every value an edge, and every fusion region (one kernel) a box
// named like the kernel, with its kind, chunks and the cost model's bytes
// and FLOPs. Inputs, parameters and outputs are ellipses.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_FUSIONGRAPH_H
#define KILN_TOOLS_FUSIONGRAPH_H

#include "kiln/codegen/cpu/Aot.h"

#include <string>

namespace kiln {

/// The graph of `fused` (cpu::fuseModel) in Graphviz's DOT language, its
/// kernels labelled from `plan` (cpu::planArtifact at the same level).
std::string fusionGraphDot(mlir::ModuleOp fused, const cpu::Artifact &plan);

/// "svg" or "png" after `path`'s extension, or "" for anything else.
std::string graphFormat(const std::string &path);

/// Lays out `dot` with Graphviz's `dot` program as `format` ("svg" or
/// "png") into `bytes`. False with a message when Graphviz is missing or
/// fails.
bool renderGraph(const std::string &dot, const std::string &format,
                 std::string &bytes, std::string &error);

} // namespace kiln

#endif // KILN_TOOLS_FUSIONGRAPH_H
