//===- FilesTest.cpp - Atomic file writes ---------------------------------===//
//
// writeFileAtomically must leave either the old file or the complete new one,
// and nothing else: not after success, not after a failure, and not after the
// writer is killed mid-write (the case a named temporary file cannot cover).
//
//===----------------------------------------------------------------------===//
#include "TempDir.h"
#include "kiln/tools/Files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiln;
using namespace kiln::test;

namespace {




/// Whether `dir` takes O_TMPFILE files; without them the fallback's named
/// temporary file outlives a killed writer, which no code can prevent.
bool supportsUnnamedFiles(const std::string &dir) {
#ifdef O_TMPFILE
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
#else
  return false;
#endif
}

/// Forks a writer of `path` that writes half of its data, tells the parent
/// and waits to be killed; kills it with SIGKILL once it has written.
void killWriterMidWrite(const std::string &path) {
  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipeFds[0]);
    std::string error;
    writeFileAtomically(
        path,
        [&](const ByteWriter &write) {
          std::string half(1 << 20, 'x');
          if (!write(half.data(), half.size()))
            ::_exit(2);
          char ready = 1;
          if (::write(pipeFds[1], &ready, 1) != 1)
            ::_exit(3);
          for (;;)
            ::pause();
          return true;
        },
        error);
    ::_exit(4);
  }
  ::close(pipeFds[1]);
  char ready = 0;
  ssize_t n = ::read(pipeFds[0], &ready, 1);
  ::close(pipeFds[0]);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_EQ(n, 1) << "the writer exited before writing, status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST(FilesTest, WritesWithCreatePermissionsAndNoLeftovers) {
  TempDir dir;
  std::string path = dir.file("out.bin"), error;
  mode_t old = ::umask(027);
  bool ok = writeFileAtomically(path, std::string("new contents"), error);
  ::umask(old);
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(slurp(path), "new contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u & ~027u);

  // Replacing keeps the new file's own permissions, as a fresh create would.
  ::chmod(path.c_str(), 0600);
  old = ::umask(022);
  ok = writeFileAtomically(
      path,
      [](const ByteWriter &write) {
        return write("re", 2) && write("placed", 6);
      },
      error);
  ::umask(old);
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(slurp(path), "replaced");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(FilesTest, WritesRelativePaths) {
  TempDir dir;
  std::string error;
  char *cwd = ::getcwd(nullptr, 0);
  ASSERT_NE(cwd, nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  bool ok = writeFileAtomically("plain.bin", std::string("here"), error);
  EXPECT_EQ(::chdir(cwd), 0);
  std::free(cwd);
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ(slurp(dir.file("plain.bin")), "here");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"plain.bin"});
}

TEST(FilesTest, KilledWriterLeavesNothing) {
  TempDir dir;
  if (!supportsUnnamedFiles(dir.path()))
    GTEST_SKIP() << "no O_TMPFILE in " << dir.path();

  killWriterMidWrite(dir.file("new.bin"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});

  std::string path = dir.file("out.bin");
  spit(path, "old contents");
  killWriterMidWrite(path);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(slurp(path), "old contents");
}

TEST(FilesTest, FailuresNameThePathAndLeaveNothing) {
  TempDir dir;
  std::string path = dir.file("out.bin"), error;
  spit(path, "old contents");
  EXPECT_FALSE(writeFileAtomically(
      path,
      [](const ByteWriter &write) {
        write("partial", 7);
        return false;
      },
      error));
  EXPECT_EQ(error, "cannot write '" + path + "'");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(slurp(path), "old contents");

  error = "the producer's own reason";
  EXPECT_FALSE(writeFileAtomically(
      path, [](const ByteWriter &) { return false; }, error));
  EXPECT_EQ(error, "the producer's own reason");

  std::string missing = dir.file("no/such/dir/out.bin");
  EXPECT_FALSE(writeFileAtomically(missing, std::string("x"), error));
  EXPECT_EQ(error.rfind("cannot write '" + missing +
                            "': cannot create temporary file '",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos)
      << error;

  // A directory in the way: the data is written, the rename refuses.
  std::string taken = dir.file("taken");
  ASSERT_TRUE(std::filesystem::create_directory(taken));
  spit(taken + "/inside", "");
  EXPECT_FALSE(writeFileAtomically(taken, std::string("x"), error));
  EXPECT_NE(error.find("cannot write '" + taken + "': cannot rename '"),
            std::string::npos)
      << error;
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"out.bin", "taken"}));
}

// Tools call checkWritable before long work: it must refuse what the final
// write would refuse, name the path and what to do, and leave nothing.
TEST(FilesTest, CheckWritableRefusesWhatTheWriteWouldAndLeavesNothing) {
  TempDir dir;
  std::string error;
  EXPECT_TRUE(checkWritable("-", error));
  EXPECT_TRUE(checkWritable(dir.file("new.json"), error)) << error;
  spit(dir.file("old.json"), "old");
  EXPECT_TRUE(checkWritable(dir.file("old.json"), error)) << error;
  EXPECT_EQ(slurp(dir.file("old.json")), "old");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"old.json"});

  std::string missing = dir.file("no/such/dir/out.json");
  EXPECT_FALSE(checkWritable(missing, error));
  EXPECT_EQ(error, "cannot write '" + missing + "': cannot create a file in '" +
                       dir.file("no/such/dir") +
                       "': No such file or directory; give a path in a "
                       "directory that exists and that you may write to");

  std::string taken = dir.file("taken");
  ASSERT_TRUE(std::filesystem::create_directory(taken));
  EXPECT_FALSE(checkWritable(taken, error));
  EXPECT_EQ(error, "cannot write '" + taken +
                       "': it is a directory; give the path of a file");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"old.json", "taken"}));
  EXPECT_TRUE(std::filesystem::is_empty(taken));
}

} // namespace
