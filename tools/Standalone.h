//===- Standalone.h - kilnc --emit=exe and --emit=lib -----------*- C++ -*-===//
//
// A compiled artifact wrapped for use without kiln installed: a program
// (runtime/standalone/Main.cpp's main, with kiln-run's flags and lines) or
// a static library with a typed C entry point and its header. Both need
// nothing beyond libc, libm, libstdc++ and libgcc_s. Only a kilnc run from
// its build tree can make them: it links that build's runtime archives.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_STANDALONE_H
#define KILN_TOOLS_STANDALONE_H

#include "kiln/ir/Signature.h"

#include "llvm/Support/Error.h"

#include <string>

namespace kiln {

/// Writes the program `output` that runs the artifact `kmod`.
llvm::Error emitExe(const std::string &kmod, const std::string &output);

/// Writes `output` (libNAME.a) holding `int NAME_run(...)`, one typed
/// pointer per input then per output of `sig`, the artifact and the
/// runtime; and NAME.h beside it. `modelName` is named in the header.
llvm::Error emitLib(const std::string &kmod, const ModelSignature &sig,
                    const std::string &modelName, const std::string &output);

} // namespace kiln

#endif // KILN_TOOLS_STANDALONE_H
