//===- Status.h - Error values of the kiln runtime ----------------*- C++ -*-===//
//
// The runtime core reports failure as a value, not an exception, so that the
// C API can hand it on unchanged and the only exception left to catch at the
// boundary is std::bad_alloc. A Status carries the C API's code so no mapping
// table sits between the two.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_STATUS_H
#define KILN_RUNTIME_STATUS_H

#include "kiln_runtime.h"

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace kiln::rt {

class [[nodiscard]] Status {
public:
  static Status ok() { return Status(KILN_OK, std::string()); }
  static Status error(kiln_status code, std::string message) {
    return Status(code, std::move(message));
  }

  bool isOk() const { return code_ == KILN_OK; }
  /// True on failure, like llvm::Error: `if (Status s = f()) return s;`.
  explicit operator bool() const { return !isOk(); }
  kiln_status code() const { return code_; }
  const std::string &message() const { return message_; }

private:
  Status(kiln_status code, std::string message)
      : code_(code), message_(std::move(message)) {}

  kiln_status code_;
  std::string message_;
};

namespace detail {
inline void appendPiece(std::string &out, const std::string &s) { out += s; }
inline void appendPiece(std::string &out, const char *s) { out += s; }
inline void appendPiece(std::string &out, char c) { out += c; }
template <typename T>
std::enable_if_t<std::is_integral_v<T>> appendPiece(std::string &out, T v) {
  out += std::to_string(v);
}
} // namespace detail

/// Concatenates strings and integers into one message.
template <typename... Pieces> std::string strCat(const Pieces &...pieces) {
  std::string out;
  (detail::appendPiece(out, pieces), ...);
  return out;
}

/// A Status with code KILN_ERROR_FORMAT and the concatenated message.
template <typename... Pieces> Status formatError(const Pieces &...pieces) {
  return Status::error(KILN_ERROR_FORMAT, strCat(pieces...));
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_STATUS_H
