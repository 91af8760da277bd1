//===- CliChecks.h - Number checks for the tools' flags ---------*- C++ -*-===//
//
// CLI11's PositiveNumber and NonNegativeNumber print their range with the
// largest double written out (300 digits) and call "abc" out of range:
// these say what was wrong in a line.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_CLICHECKS_H
#define KILN_TOOLS_CLICHECKS_H

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace kiln {

/// A finite number, above 0 (or at least 0 with `zeroAllowed`).
inline CLI::Validator numberAbove0(bool zeroAllowed = false) {
  std::string want = zeroAllowed ? ">= 0" : "> 0";
  return CLI::Validator(
      [zeroAllowed, want](std::string &text) -> std::string {
        char *end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v))
          return "'" + text + "' is not a number";
        if (v < 0 || (v == 0 && !zeroAllowed))
          return "must be " + want + ", got " + text;
        return "";
      },
      "NUMBER " + want);
}

} // namespace kiln

#endif // KILN_TOOLS_CLICHECKS_H
