//===- FusionReport.h - The kernels of a compiled model as JSON -*- C++ -*-===//
//
// kilnc --fusion-report and kiln-bench model --fusion-report write the same
// document: one entry per kernel (one step of the artifact) with the ops
// inside it and the fusion cost model's estimate of the bytes it reads and
// writes and the FLOPs it does; kiln-bench adds each kernel's measured time.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_FUSIONREPORT_H
#define KILN_TOOLS_FUSIONREPORT_H

#include "kiln/codegen/cpu/Aot.h"

#include <string>
#include <vector>

namespace kiln {

/// The report of `artifact`, compiled from model `model` at fusion level
/// `fusion`; `measuredMs`, when not empty, holds each step's mean time
/// over profiled runs.
std::string fusionReportJson(const cpu::Artifact &artifact,
                             const std::string &model,
                             const std::string &fusion,
                             const std::vector<double> &measuredMs = {});

} // namespace kiln

#endif // KILN_TOOLS_FUSIONREPORT_H
