// Cores on demand: a core (an RTL file list, a top module, its parameters and a dataflow) is
// data. The first run of a core Verilates and compiles it, through the core kit (sim/core_kit),
// into one sa-cosim core executable kept in a content-addressed cache; every later run finds it
// there. The key covers the bytes of every RTL source, the top, the parameters, the dataflow,
// the models built (fast only, or fast and pin-level), the Verilator version and flags, and the
// harness (its libraries, headers and kit), so no edit can reuse a stale model.
#pragma once

#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa::sim {

struct CoreSpec {
  std::string filelist;             // absolute path of the RTL file list
  std::string top;                  // top module
  std::vector<std::string> params;  // "Name=Value" parameter overrides (-G)
  std::string dataflow = "ws";      // the harness's mapping: ws or os
  bool pin = false;                 // also the SystemC pin-level model (--mode pin)
};

// How this sa-cosim builds cores: the kit and the tools and files of the build that made it.
struct CoreKit {
  std::string kit_dir;   // sim/core_kit (its CMakeLists.txt)
  std::string kit_file;  // <build>/sim/core_kit.cmake: libraries and flags
  std::string cmake, generator, make_program, cxx_compiler, launcher;
  std::string verilator_version;
  std::vector<std::string> abi_files;  // files whose bytes are the harness's ABI
};

// The cache folder: `flag` (--cache) if set, else $SA_CACHE, else $XDG_CACHE_HOME/sacosim,
// else $HOME/.cache/sacosim.
std::string CacheRoot(const std::string& flag);

// The files of a Verilog file list, one per line, relative to the list's folder; blank lines and
// lines starting with // or # skipped (as cmake/SaCore.cmake's sa_read_filelist). Throws a
// std::invalid_argument naming the list when it or a listed file cannot be read.
std::vector<std::string> ReadFileList(const std::string& filelist);

// The parameters in canonical form: sorted by name, a later value of a name replacing an
// earlier one.
std::vector<std::string> CanonicalParams(const std::vector<std::string>& params);

// The content address of a core: sha256 (hex) over everything listed at the top of this file.
std::string CoreKey(const CoreSpec& spec, const CoreKit& kit);

class CoreCache {
 public:
  CoreCache(std::string root, CoreKit kit) : root_(std::move(root)), kit_(std::move(kit)) {}

  // The core executable of `spec`: from the cache, or built now (one line on `log`: what,
  // where, how long). A fast-only request is served by a cached build with the pin model too.
  // Two processes asking for the same key at once build it once: the second waits for the
  // first's lock and then reuses its result; an entry appears only complete (renamed into
  // place). A Verilator, configuration or compiler error throws BuildError with its first
  // error lines; the whole log stays in <root>/logs/<key>.log.
  std::string Get(const CoreSpec& spec, std::ostream& log);

  // One line per cached core (key, size, top, parameters read back, dataflow, models, file
  // list); returns the number of entries.
  int List(std::ostream& out) const;
  // Removes every cached core, log, lock and leftover staging folder, and nothing else under the
  // root. Returns the number of cores removed.
  int Clean(std::ostream& out) const;

  const std::string& root() const { return root_; }

 private:
  std::string Build(const CoreSpec& spec, const std::string& key, std::ostream& log);
  std::string root_;
  CoreKit kit_;
};

struct BuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace sa::sim
