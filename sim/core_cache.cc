// The core cache and its builder (sim/core_cache.h).
#include "sim/core_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "sim/run_program.h"
#include "vectors/sha256.h"

namespace fs = std::filesystem;

namespace sa::sim {
namespace {

// Bumped when the layout of a cache entry changes: older entries are then simply not found.
constexpr const char* kLayout = "sacosim-core-cache-1";
constexpr const char* kExeName = "sa-cosim-core";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool IsKey(const std::string& name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Holds an exclusive flock on <root>/locks/<key>.lock for its lifetime (released by the kernel
// if the process dies, so a crashed build never blocks the next one).
class KeyLock {
 public:
  KeyLock(const std::string& path, const std::string& what, std::ostream& log) {
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::invalid_argument(path + ": cannot create the cache lock");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      log << "sa-cosim: waiting for another process building " << what << std::endl;
      while (::flock(fd_, LOCK_EX) != 0) {
        if (errno != EINTR) throw std::invalid_argument(path + ": cannot lock");
      }
    }
  }
  ~KeyLock() { ::close(fd_); }
  KeyLock(const KeyLock&) = delete;
  KeyLock& operator=(const KeyLock&) = delete;

 private:
  int fd_ = -1;
};

// The first lines of a failed build's log that say what is wrong: Verilator's %Error lines,
// compiler errors, and CMake's configure errors (the kit's configuration check among them).
std::string FirstErrors(const std::string& log_text, size_t max_lines) {
  std::istringstream in(log_text);
  std::string line, out;
  size_t n = 0;
  bool in_cmake_error = false;
  while (n < max_lines && std::getline(in, line)) {
    const bool cmake_error = line.rfind("CMake Error", 0) == 0;
    if (cmake_error) {
      in_cmake_error = true;
      continue;  // the location line; the message follows, indented
    }
    if (in_cmake_error) {
      if (line.empty() || line.rfind("Call Stack", 0) == 0 || line.rfind("-- ", 0) == 0) {
        if (!out.empty() && line.rfind("Call Stack", 0) == 0) in_cmake_error = false;
        continue;
      }
      if (line[0] != ' ') {
        in_cmake_error = false;
      } else {
        out += "  " + line.substr(line.find_first_not_of(' ')) + "\n";
        ++n;
        continue;
      }
    }
    if (line.find("%Error") != std::string::npos || line.find("error:") != std::string::npos) {
      out += "  " + line + "\n";
      ++n;
    }
  }
  return out;
}

std::string Describe(const CoreSpec& spec) {
  std::string s = spec.top + " (" + spec.dataflow;
  for (const auto& p : CanonicalParams(spec.params)) s += " " + p;
  return s + (spec.pin ? ", fast and pin-level models)" : ", fast model)");
}

}  // namespace

std::string CacheRoot(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* v = std::getenv("SA_CACHE"); v && *v) return v;
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v && *v) return std::string(v) + "/sacosim";
  if (const char* v = std::getenv("HOME"); v && *v) return std::string(v) + "/.cache/sacosim";
  throw std::invalid_argument("--cache: no cache folder (set --cache, SA_CACHE or HOME)");
}

std::vector<std::string> ReadFileList(const std::string& filelist) {
  std::error_code ec;
  if (!fs::is_regular_file(filelist, ec))
    throw std::invalid_argument("--rtl " + filelist + ": no such file list");
  if (filelist.find(';') != std::string::npos)
    throw std::invalid_argument("--rtl " + filelist + ": a ';' in its path is not supported");
  std::ifstream in(filelist);
  if (!in) throw std::invalid_argument("--rtl " + filelist + ": cannot be read");
  const fs::path dir = fs::absolute(filelist).parent_path();
  std::vector<std::string> files;
  std::string line;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (line.rfind("//", 0) == 0 || line[0] == '#') continue;
    fs::path f = line;
    if (f.is_relative()) f = dir / f;
    if (!fs::is_regular_file(f, ec))
      throw std::invalid_argument(filelist + ": listed file " + f.string() + " does not exist");
    // The kit passes the files to CMake as a list, which ';' would split.
    if (f.string().find(';') != std::string::npos)
      throw std::invalid_argument(filelist + ": listed file " + f.string() +
                                  ": a ';' in a file name is not supported");
    files.push_back(f.lexically_normal().string());
  }
  if (files.empty()) throw std::invalid_argument("--rtl " + filelist + ": lists no files");
  return files;
}

std::vector<std::string> CanonicalParams(const std::vector<std::string>& params) {
  std::map<std::string, std::string> by_name;
  for (const auto& p : params) {
    const size_t eq = p.find('=');
    by_name[p.substr(0, eq)] = p;
  }
  std::vector<std::string> out;
  for (const auto& [name, p] : by_name) out.push_back(p);
  return out;
}

std::string CoreKey(const CoreSpec& spec, const CoreKit& kit) {
  std::ostringstream d;
  d << kLayout << "\ntop " << spec.top << "\ndataflow " << spec.dataflow << "\npin " << spec.pin
    << "\nverilator " << kit.verilator_version << "\n";
  for (const auto& p : CanonicalParams(spec.params)) d << "param " << p << "\n";
  // Sources by name and content: a renamed or edited file is a new core; the list's own folder
  // is not (a copied tree reuses the entry).
  for (const auto& f : ReadFileList(spec.filelist))
    d << "source " << fs::path(f).filename().string() << " " << vectors::Sha256File(f) << "\n";
  for (const auto& f : kit.abi_files) d << "harness " << f << " " << vectors::Sha256File(f) << "\n";
  const std::string s = d.str();
  return vectors::Sha256Hex(std::vector<uint8_t>(s.begin(), s.end()));
}

std::string CoreCache::Get(const CoreSpec& spec, std::ostream& log) {
  // Each key hashes every source and harness file: computed once per start, not per lookup.
  const std::string key = CoreKey(spec, kit_);
  const fs::path cores = fs::path(root_) / "cores";
  const auto ready = [&](const std::string& k) -> std::string {
    const fs::path exe = cores / k / kExeName;
    std::error_code ec;
    return fs::is_regular_file(exe, ec) ? exe.string() : "";
  };
  if (auto exe = ready(key); !exe.empty()) return exe;
  if (!spec.pin) {  // a build with both models serves the fast mode too
    CoreSpec with_pin = spec;
    with_pin.pin = true;
    if (auto exe = ready(CoreKey(with_pin, kit_)); !exe.empty()) return exe;
  }
  std::error_code ec;
  for (const char* sub : {"cores", "locks", "logs", "tmp"}) {
    fs::create_directories(fs::path(root_) / sub, ec);
    if (ec)
      throw std::invalid_argument("--cache " + root_ + ": cannot create " + sub + ": " +
                                  ec.message());
  }
  KeyLock lock((fs::path(root_) / "locks" / (key + ".lock")).string(), Describe(spec), log);
  if (auto exe = ready(key); !exe.empty()) return exe;  // built while we waited
  return Build(spec, key, log);
}

std::string CoreCache::Build(const CoreSpec& spec, const std::string& key, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path root(root_);
  // The staging folder is named by what is built (file list, top, parameters, dataflow,
  // models), not by the key: after an RTL edit or a harness rebuild the generated files that did
  // not change are compiled at the same paths, so a compiler cache (ccache) serves them. Its own
  // lock, since two keys (two edits of one core) can share it.
  std::ostringstream what;
  what << spec.filelist << "\n" << spec.top << "\n" << spec.dataflow << "\n" << spec.pin << "\n";
  for (const auto& p : CanonicalParams(spec.params)) what << p << "\n";
  const std::string what_text = what.str();
  const std::string stage =
      vectors::Sha256Hex(std::vector<uint8_t>(what_text.begin(), what_text.end())).substr(0, 32);
  KeyLock stage_lock((root / "locks" / ("stage-" + stage + ".lock")).string(), Describe(spec), log);
  const fs::path tmp = root / "tmp" / stage;
  std::error_code rm_ec;
  fs::remove_all(tmp, rm_ec);  // a crashed build's leftovers
  if (!fs::create_directories(tmp, rm_ec))
    throw std::invalid_argument(root_ + ": cannot create a build folder");
  const fs::path build = tmp / "build";
  const std::string log_path = (tmp / "build.log").string();
  std::string params;
  for (const auto& p : CanonicalParams(spec.params)) params += (params.empty() ? "" : ";") + p;
  std::vector<std::string> configure = {kit_.cmake,
                                        "-S",
                                        kit_.kit_dir,
                                        "-B",
                                        build.string(),
                                        "-G",
                                        kit_.generator,
                                        "-DCMAKE_MAKE_PROGRAM=" + kit_.make_program,
                                        "-DCMAKE_CXX_COMPILER=" + kit_.cxx_compiler,
                                        "-DSA_KIT=" + kit_.kit_file,
                                        "-DSA_CORE_FILELIST=" + spec.filelist,
                                        "-DSA_CORE_TOP=" + spec.top,
                                        "-DSA_CORE_PARAMS=" + params,
                                        "-DSA_CORE_DATAFLOW=" + spec.dataflow,
                                        std::string("-DSA_CORE_PIN=") + (spec.pin ? "ON" : "OFF")};
  if (!kit_.launcher.empty()) configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" + kit_.launcher);
  const unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  int rc = RunProgramLogged(configure, log_path);
  if (rc == 0)
    rc = RunProgramLogged({kit_.cmake, "--build", build.string(), "-j", std::to_string(jobs)},
                          log_path);
  std::error_code ec;
  if (rc != 0) {
    const std::string text = ReadText(log_path);
    const fs::path kept = root / "logs" / (key + ".log");
    fs::copy_file(log_path, kept, fs::copy_options::overwrite_existing, ec);
    fs::remove_all(tmp, ec);
    std::string first = FirstErrors(text, 8);
    if (first.empty()) first = "  (no error line found)\n";
    throw BuildError("building the core " + Describe(spec) + " failed:\n" + first +
                     "  full log: " + kept.string());
  }
  // The entry: the executable and what it is, renamed into place in one step.
  const fs::path entry = tmp / "entry";
  fs::create_directories(entry);
  fs::rename(build / kExeName, entry / kExeName);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json j;
  j["top"] = spec.top;
  j["filelist"] = spec.filelist;
  j["params_given"] = CanonicalParams(spec.params);
  std::string resolved = ReadText((build / "params.txt").string());
  if (!resolved.empty() && resolved.back() == '\n') resolved.pop_back();
  j["params"] = resolved;
  j["dataflow"] = spec.dataflow;
  j["pin_model"] = spec.pin;
  j["verilator"] = kit_.verilator_version;
  j["build_seconds"] = std::round(seconds * 10) / 10;
  {
    std::ofstream out(entry / "core.json");
    out << j.dump(2) << "\n";
  }
  const fs::path final_dir = root / "cores" / key;
  fs::rename(entry, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    throw std::invalid_argument(final_dir.string() + ": cannot install the built core");
  }
  fs::remove_all(tmp, ec);
  std::ostringstream line;
  line << "sa-cosim: built core " << Describe(spec) << " [" << resolved << "] in " << std::fixed
       << std::setprecision(1) << seconds << " s: " << final_dir.string();
  log << line.str() << std::endl;
  return (final_dir / kExeName).string();
}

int CoreCache::List(std::ostream& out) const {
  const fs::path cores = fs::path(root_) / "cores";
  std::error_code ec;
  int n = 0;
  if (!fs::is_directory(cores, ec)) {
    out << "no cached cores in " << root_ << "\n";
    return 0;
  }
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(cores, ec))
    if (IsKey(e.path().filename().string())) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ReadText((e / "core.json").string()));
    } catch (const std::exception&) {
      continue;
    }
    uintmax_t bytes = 0;
    for (const auto& f : fs::recursive_directory_iterator(e, ec))
      if (f.is_regular_file(ec)) bytes += f.file_size(ec);
    out << e.filename().string().substr(0, 12) << "  " << std::setw(5)
        << (bytes + (1 << 19)) / (1 << 20) << " MB  " << j.value("top", "?") << "  "
        << j.value("dataflow", "?") << "  " << j.value("params", "") << "  "
        << (j.value("pin_model", false) ? "fast+pin" : "fast") << "  " << j.value("filelist", "")
        << "\n";
    ++n;
  }
  out << n << " cached core" << (n == 1 ? "" : "s") << " in " << root_ << "\n";
  return n;
}

int CoreCache::Clean(std::ostream& out) const {
  const fs::path root(root_);
  std::error_code ec;
  int n = 0;
  // Only what this tool makes: key-named entries, key- and stage-named locks, key-named logs,
  // staging folders.
  if (fs::is_directory(root / "cores", ec))
    for (const auto& e : fs::directory_iterator(root / "cores", ec))
      if (IsKey(e.path().filename().string()) && fs::exists(e.path() / "core.json", ec)) {
        fs::remove_all(e.path(), ec);
        ++n;
      }
  for (const char* sub : {"locks", "logs"})
    if (fs::is_directory(root / sub, ec))
      for (const auto& e : fs::directory_iterator(root / sub, ec)) {
        const std::string stem = e.path().stem().string();
        const bool stage = stem.rfind("stage-", 0) == 0 && stem.size() == 6 + 32 &&
                           stem.find_first_not_of("0123456789abcdef", 6) == std::string::npos;
        if (IsKey(stem) || stage) fs::remove(e.path(), ec);
      }
  if (fs::is_directory(root / "tmp", ec))
    for (const auto& e : fs::directory_iterator(root / "tmp", ec)) fs::remove_all(e.path(), ec);
  for (const char* sub : {"cores", "locks", "logs", "tmp"}) fs::remove(root / sub, ec);  // if empty
  out << "removed " << n << " cached core" << (n == 1 ? "" : "s") << " from " << root_ << "\n";
  return n;
}

}  // namespace sa::sim
