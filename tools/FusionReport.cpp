//===- FusionReport.cpp - The kernels of a compiled model as JSON ---------===//
#include "kiln/tools/FusionReport.h"

#include <nlohmann/json.hpp>

namespace kiln {

std::string fusionReportJson(const cpu::Artifact &artifact,
                             const std::string &model,
                             const std::string &fusion,
                             const std::vector<double> &measuredMs) {
  nlohmann::ordered_json kernels = nlohmann::json::array();
  int64_t read = 0, written = 0, flops = 0;
  for (size_t i = 0; i < artifact.kernels.size(); ++i) {
    const cpu::KernelInfo &k = artifact.kernels[i];
    nlohmann::ordered_json entry = {
        {"step", i},
        {"name", k.name},
        {"kind", k.kind.empty() ? "single" : k.kind},
        {"strategy", k.strategy},
        {"chunks", k.chunks},
        {"grid", k.grid},
        {"ops", k.ops},
        {"bytes_read", k.bytesRead},
        {"bytes_written", k.bytesWritten},
        {"flops", k.flops}};
    if (i < measuredMs.size())
      entry["measured_ms"] = measuredMs[i];
    kernels.push_back(std::move(entry));
    read += k.bytesRead;
    written += k.bytesWritten;
    flops += k.flops;
  }
  const ModelSignature &sig = artifact.signature;
  nlohmann::ordered_json doc = {
      {"model", model},
      {"batch", sig.inputs.empty() || sig.inputs[0].shape.empty()
                    ? 1
                    : sig.inputs[0].shape[0]},
      {"fusion", fusion},
      {"kernels_count", artifact.kernels.size()},
      {"bytes_read", read},
      {"bytes_written", written},
      {"flops", flops},
      {"kernels", std::move(kernels)}};
  return doc.dump(2) + "\n";
}

} // namespace kiln
