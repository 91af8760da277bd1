//===- Files.h - Reading whole files, writing them atomically ---*- C++ -*-===//
//
// Every file a kiln tool writes (modules, artifacts, programs' .npy
// outputs, libraries and headers) goes through writeFileAtomically: an
// unnamed (O_TMPFILE) file in the target's directory, written and synced,
// then linked under a temporary name and renamed into place, so that an
// interrupted or failed write, even one killed outright, never leaves a
// partial file. Where O_TMPFILE or /proc is missing, a named temporary file
// stands in and is removed on failure. Plain C++ and POSIX, with Linux's
// O_TMPFILE where the headers have it; errors come back as text naming the
// path.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_FILES_H
#define KILN_TOOLS_FILES_H

#include <cstddef>
#include <functional>
#include <string>

namespace kiln {

/// Appends the whole file at `path` to `bytes`.
bool readFile(const std::string &path, std::string &bytes, std::string &error);

/// Writes `path` from what `produce` hands to its writer (false from the
/// writer: a write failed; false from `produce`: give up, with `error` set
/// by it or a generic message).
using ByteWriter = std::function<bool(const void *data, size_t size)>;
bool writeFileAtomically(const std::string &path,
                         const std::function<bool(const ByteWriter &)> &produce,
                         std::string &error);

/// Whether writeFileAtomically(path, ...) can create its file now: `path`
/// is not a directory and a file can be created beside it (it tries, and
/// removes what it made). Tools call it before long work, so that a bad
/// path fails at once rather than after the work is done; "-" (standard
/// output) always can. `error` names the path, what is wrong and what to do.
bool checkWritable(const std::string &path, std::string &error);

/// The same for bytes in memory; "-" is standard output.
bool writeFileAtomically(const std::string &path, const std::string &bytes,
                         std::string &error);

} // namespace kiln

#endif // KILN_TOOLS_FILES_H
