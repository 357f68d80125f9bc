// Output writing through uniquely named temporary files and folders (see output.h).
#include "vectors/output.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "vectors/input.h"

namespace sa::vectors {
namespace fs = std::filesystem;

namespace {

fs::path ParentOf(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

std::string Errno() { return std::strerror(errno); }

// Creates and removes a temporary file in `folder`: the one sure test that a file can be written
// there (access() says yes to root on /proc and on a read-only mount's folders).
void ProbeWritable(const fs::path& folder, const std::string& flag, const std::string& path) {
  std::string probe = (folder / ".sa-write-probe-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw FormatError(flag + ": " + path + ": cannot create a file in " + folder.string() + " (" +
                      Errno() + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

// `folder` exists and is a folder, or a FormatError names `path` and the flag.
void RequireFolder(const fs::path& folder, const std::string& flag, const std::string& path) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw FormatError(flag + ": " + path + ": folder " + folder.string() + " does not exist");
}

}  // namespace

// Where a write to PATH lands: PATH itself, or the file a symbolic link PATH points to (so the
// link stays a link). A dangling link is refused.
std::string WriteTarget(const std::string& path) {
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0 || !S_ISLNK(lst.st_mode)) return path;
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) throw FormatError(path + ": a symbolic link to nothing; not written");
  std::string target = real;
  ::free(real);
  return target;
}

void CheckOutputFile(const std::string& given, const std::string& flag) {
  if (given.empty()) throw FormatError(flag + ": empty path");
  std::string path;
  try {
    path = WriteTarget(given);
  } catch (const FormatError& e) {
    throw FormatError(flag + ": " + e.what());
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw FormatError(flag + ": " + given + " exists and is not a regular file");
  const fs::path parent = ParentOf(path);
  RequireFolder(parent, flag, path);
  if (::access(parent.c_str(), W_OK) != 0)
    throw FormatError(flag + ": " + path + ": folder " + parent.string() + " is not writable");
  ProbeWritable(parent, flag, path);
}

void CheckOutputFolder(const std::string& path, const std::string& flag) {
  if (path.empty()) throw FormatError(flag + ": empty path");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw FormatError(flag + ": " + path + " exists and is not a folder");
  } else {
    RequireFolder(ParentOf(fs::path(path).lexically_normal().string()), flag, path);
    if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
      throw FormatError(flag + ": " + path + ": cannot create the folder (" + Errno() + ")");
  }
  ProbeWritable(path, flag, path);
}

void WriteFileAtomic(const std::string& given, const std::vector<uint8_t>& bytes) {
  const std::string path = WriteTarget(given);
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode))
    throw FormatError(given + ": exists and is not a regular file; not replaced");
  std::string tmp =
      (ParentOf(path) / ("." + fs::path(path).filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw FormatError(path + ": cannot create a temporary file beside it (" + Errno() + ")");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = Errno();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw FormatError(path + ": write failed (" + err + ")");
    }
    done += static_cast<size_t>(n);
  }
  // mkstemp creates 0600: keep the replaced file's mode, or give a new file the permissions an
  // ordinary create would. The data reaches the disk before the rename makes it visible.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~mask));
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string err = Errno();
    ::unlink(tmp.c_str());
    throw FormatError(path + ": write failed (" + err + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = Errno();
    ::unlink(tmp.c_str());
    throw FormatError(path + ": cannot rename into place (" + err + ")");
  }
}

std::string MakeTempFileBeside(const std::string& path) {
  std::string tmp =
      (ParentOf(path) / ("." + fs::path(path).filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw FormatError(path + ": cannot create a temporary file beside it (" + Errno() + ")");
  ::close(fd);
  return tmp;
}

void RenameIntoPlace(const std::string& tmp, const std::string& target) {
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(tmp.c_str(), exists ? (st.st_mode & 07777) : (0666 & ~mask));
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string err = Errno();
    ::unlink(tmp.c_str());
    throw FormatError(target + ": cannot rename into place (" + err + ")");
  }
}

std::string MakeStagingDir(const std::string& target) {
  const fs::path t = fs::path(target).lexically_normal();
  std::string name = t.filename().string();
  if (name.empty()) name = t.parent_path().filename().string();
  std::string tmp = (ParentOf(t.string()) / ("." + name + ".partial-XXXXXX")).string();
  if (::mkdtemp(tmp.data()) == nullptr)
    throw FormatError(target + ": cannot create a staging folder beside it (" + Errno() + ")");
  ::chmod(
      tmp.c_str(), 0777 & ~[] {
        const mode_t m = ::umask(0);
        ::umask(m);
        return m;
      }());
  return tmp;
}

}  // namespace sa::vectors
