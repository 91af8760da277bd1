//===- TempDir.h - A scratch directory for file tests -----------*- C++ -*-===//
//
// Tests of the readers and writers (.npy, IDX, atomic writes) work in a
// fresh directory of their own, removed with everything in it at the end.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TESTS_UNIT_TEMPDIR_H
#define KILN_TESTS_UNIT_TEMPDIR_H

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kiln::test {

class TempDir {
public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "kiln-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  /// The names in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto &e : std::filesystem::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  std::string path_;
};

/// The whole file at `path`.
inline std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Replaces the file at `path` with `data`.
inline void spit(const std::string &path, const std::string &data) {
  std::ofstream(path, std::ios::binary) << data;
}

} // namespace kiln::test

#endif // KILN_TESTS_UNIT_TEMPDIR_H
