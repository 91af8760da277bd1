//===- Files.cpp - Reading whole files, writing them atomically -----------===//
#include "kiln/tools/Files.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace kiln {

bool readFile(const std::string &path, std::string &bytes, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    bytes.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) {
    error = path + ": read error: " + std::strerror(err);
    return false;
  }
  return true;
}

static bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= (size_t)n;
  }
  return true;
}

bool writeFileAtomically(const std::string &path,
                         const std::function<bool(const ByteWriter &)> &produce,
                         std::string &error) {
  // The pid keeps concurrent writers apart; the counter, threads of one
  // process.
  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot write '" + path + "': cannot create temporary file '" +
            tmp + "': " + std::strerror(errno);
    return false;
  }
  int err = 0;
  std::string produceError;
  bool ok = produce([&](const void *data, size_t size) {
    if (writeAll(fd, data, size))
      return true;
    err = errno;
    return false;
  });
  // Without fsync a crash after the rename could leave an empty file.
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    if (err)
      error = "cannot write '" + path + "': writing '" + tmp +
              "' failed: " + std::strerror(err);
    else if (error.empty())
      error = "cannot write '" + path + "'";
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    error = "cannot write '" + path + "': cannot rename '" + tmp +
            "' into place: " + std::strerror(err);
    return false;
  }
  return true;
}

bool writeFileAtomically(const std::string &path, const std::string &bytes,
                         std::string &error) {
  if (path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() ||
        std::fflush(stdout) != 0) {
      error = "cannot write to standard output: " +
              std::string(std::strerror(errno));
      return false;
    }
    return true;
  }
  return writeFileAtomically(
      path,
      [&](const ByteWriter &write) {
        return write(bytes.data(), bytes.size());
      },
      error);
}

} // namespace kiln
