// Strict input reading shared by every reader of the tools (see input.h).
#include "vectors/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

namespace sa::vectors {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kMaxJsonDepth = 16;

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Opens without blocking (a FIFO with no writer would otherwise hang open() or read()) and
// refuses anything but a regular file. Returns the descriptor and fills `size`.
int OpenRegular(const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw FormatError(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw FormatError(path + ": cannot stat (" + std::strerror(err) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FormatError(path + ": is " + FileKind(st.st_mode) + ", expected a regular file");
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

std::string HumanBytes(uint64_t n) {
  if (n >= (1ull << 20)) return std::to_string(n >> 20) + " MiB";
  if (n >= (1ull << 10)) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

uint64_t RegularFileSize(const std::string& path) {
  uint64_t size = 0;
  ::close(OpenRegular(path, &size));
  return size;
}

std::vector<uint8_t> ReadRegularFile(const std::string& path, uint64_t max_bytes) {
  uint64_t size = 0;
  const int fd = OpenRegular(path, &size);
  if (size > max_bytes) {
    ::close(fd);
    throw FormatError(path + ": is " + HumanBytes(size) + ", more than the " +
                      HumanBytes(max_bytes) + " such a file may have");
  }
  std::vector<uint8_t> bytes(size);
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw FormatError(path + ": read failed after " + std::to_string(done) + " of " +
                        std::to_string(size) + " bytes" +
                        (n < 0 ? " (" + std::string(std::strerror(err)) + ")" : " (shrank)"));
    }
    done += static_cast<uint64_t>(n);
  }
  uint8_t extra = 0;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (more > 0) throw FormatError(path + ": grew while being read");
  return bytes;
}

std::string OneLine(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

bool IsSafeName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string PathInside(const std::string& root, const std::string& name, const std::string& what) {
  if (!IsSafeName(name))
    throw FormatError(what + ": name '" + name.substr(0, 64) +
                      "' is not a plain file name ([A-Za-z0-9._-], not starting with '.')");
  const fs::path path = fs::path(root) / name;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return path.string();  // reading names it
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) throw FormatError(root + ": cannot resolve (" + ec.message() + ")");
  const fs::path real = fs::canonical(path, ec);
  if (ec) throw FormatError(path.string() + ": cannot resolve (" + ec.message() + ")");
  auto r = real_root.begin();
  auto p = real.begin();
  for (; r != real_root.end(); ++r, ++p)
    if (p == real.end() || *p != *r)
      throw FormatError(path.string() + ": a symbolic link out of " + root + " (to " +
                        real.string() + ")");
  return path.string();
}

json ParseStrictJson(const std::vector<uint8_t>& bytes, const std::string& path, size_t max_array) {
  std::vector<std::set<std::string>> keys;  // keys seen in each open object
  // Elements so far of each open array, -1 for an open object (innermost last).
  std::vector<int64_t> open;
  auto element = [&] {
    if (open.empty() || open.back() < 0) return;
    if (max_array && static_cast<size_t>(++open.back()) > max_array)
      throw FormatError(path + ": a JSON array of more than " + std::to_string(max_array) +
                        " elements");
  };
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth)
          throw FormatError(path + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth));
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        open.push_back(event == json::parse_event_t::object_start ? -1 : 0);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (event == json::parse_event_t::object_end) keys.pop_back();
        open.pop_back();
        element();
        break;
      case json::parse_event_t::value:
        element();
        break;
      case json::parse_event_t::key:
        if (!keys.back().insert(parsed.get<std::string>()).second)
          throw FormatError(path + ": duplicate key '" + parsed.get<std::string>().substr(0, 64) +
                            "'");
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(bytes.begin(), bytes.end(), callback);
  } catch (const json::exception& e) {
    throw FormatError(path + ": not valid JSON (" + e.what() + ")");
  }
}

namespace {

const json& Member(const json& j, const char* key, const std::string& path) {
  if (!j.is_object()) throw FormatError(path + ": expected a JSON object holding '" + key + "'");
  auto it = j.find(key);
  if (it == j.end()) throw FormatError(path + ": missing field '" + key + "'");
  return *it;
}

}  // namespace

int64_t IntValue(const json& v, int64_t lo, int64_t hi, const std::string& what,
                 const std::string& path) {
  const std::string range = " (expected " + std::to_string(lo) + ".." + std::to_string(hi) + ")";
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi) || static_cast<int64_t>(u) < lo)
      throw FormatError(path + ": " + what + " is " + std::to_string(u) + range);
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < lo || i > hi)
      throw FormatError(path + ": " + what + " is " + std::to_string(i) + range);
    return i;
  }
  throw FormatError(path + ": " + what + " is " + v.dump().substr(0, 40) + ", not an integer");
}

int64_t IntField(const json& j, const char* key, int64_t lo, int64_t hi, const std::string& path) {
  return IntValue(Member(j, key, path), lo, hi, std::string("'") + key + "'", path);
}

double NumberField(const json& j, const char* key, const std::string& path) {
  const json& v = Member(j, key, path);
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw FormatError(path + ": '" + key + "' is not a finite number");
  return v.get<double>();
}

std::string StringField(const json& j, const char* key, const std::string& path) {
  const json& v = Member(j, key, path);
  if (!v.is_string()) throw FormatError(path + ": '" + key + "' is not a string");
  return v.get<std::string>();
}

const json& ObjectField(const json& j, const char* key, const std::string& path) {
  const json& v = Member(j, key, path);
  if (!v.is_object()) throw FormatError(path + ": '" + key + "' is not an object");
  return v;
}

const json& ArrayField(const json& j, const char* key, const std::string& path) {
  const json& v = Member(j, key, path);
  if (!v.is_array()) throw FormatError(path + ": '" + key + "' is not an array");
  return v;
}

int64_t CheckedProduct(std::initializer_list<int64_t> factors, int64_t limit,
                       const std::string& what) {
  int64_t p = 1;
  for (int64_t f : factors) {
    if (f < 0 || __builtin_mul_overflow(p, f, &p) || p > limit)
      throw FormatError(what + " exceeds " + std::to_string(limit));
  }
  return p;
}

}  // namespace sa::vectors
