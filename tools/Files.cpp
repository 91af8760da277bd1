//===- Files.cpp - Reading whole files, writing them atomically -----------===//
#include "kiln/tools/Files.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
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

/// Where an O_TMPFILE file for `path` is opened: the target's directory, so
/// that linkat and rename stay on one filesystem.
static std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

static std::string temporaryName(const std::string &path) {
  // The pid keeps concurrent writers apart; the counter, threads of one
  // process.
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(counter++);
}

/// An unnamed file in `dir` and the /proc path through which linkat can name
/// it once complete; -1 where the kernel or the filesystem has no O_TMPFILE
/// or /proc is not mounted. Any failure here falls back to a named temporary
/// file, whose creation then reports the error (a missing directory, say) as
/// it always has.
static int openUnnamed(const std::string &dir, std::string &procPath) {
#ifdef O_TMPFILE
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    return -1;
  procPath = "/proc/self/fd/" + std::to_string(fd);
  struct stat viaProc, direct;
  if (::stat(procPath.c_str(), &viaProc) == 0 && ::fstat(fd, &direct) == 0 &&
      viaProc.st_dev == direct.st_dev && viaProc.st_ino == direct.st_ino)
    return fd;
  ::close(fd);
#else
  (void)dir;
  (void)procPath;
#endif
  return -1;
}

bool writeFileAtomically(const std::string &path,
                         const std::function<bool(const ByteWriter &)> &produce,
                         std::string &error) {
  // The data goes into an unnamed file that gets a name only once it is
  // complete, so that an interrupted write (even SIGKILL) leaves nothing
  // behind. A named temporary file, removed on failure, is the fallback.
  std::string dir = directoryOf(path), procPath, tmp;
  int fd = openUnnamed(dir, procPath);
  bool unnamed = fd >= 0;
  if (!unnamed) {
    tmp = temporaryName(path);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      error = "cannot write '" + path + "': cannot create temporary file '" +
              tmp + "': " + std::strerror(errno);
      return false;
    }
  }
  int err = 0;
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
  std::string failure = unnamed
                            ? "writing a temporary file in '" + dir + "' failed"
                            : "writing '" + tmp + "' failed";
  // linkat cannot replace an existing file, hence a temporary name first and
  // the rename below; a stale name left by a killed fallback write of a
  // process with the same pid is skipped.
  for (int tries = 0; ok && unnamed; ++tries) {
    tmp = temporaryName(path);
    if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, tmp.c_str(),
                 AT_SYMLINK_FOLLOW) == 0)
      break;
    if (errno != EEXIST || tries == 100) {
      ok = false;
      err = errno;
      failure = "cannot name temporary file '" + tmp + "'";
      tmp.clear();
    }
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
    failure = "writing '" + tmp + "' failed";
  }
  if (!ok) {
    if (!tmp.empty())
      ::unlink(tmp.c_str());
    if (err)
      error = "cannot write '" + path + "': " + failure + ": " +
              std::strerror(err);
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

bool checkWritable(const std::string &path, std::string &error) {
  if (path == "-")
    return true;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    error = "cannot write '" + path +
            "': it is a directory; give the path of a file";
    return false;
  }
  // The same file writeFileAtomically would start with, made and removed.
  std::string dir = directoryOf(path), procPath;
  int fd = openUnnamed(dir, procPath);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  std::string tmp = temporaryName(path);
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot write '" + path + "': cannot create a file in '" + dir +
            "': " + std::strerror(errno) +
            "; give a path in a directory that exists and that you may "
            "write to";
    return false;
  }
  ::close(fd);
  ::unlink(tmp.c_str());
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
