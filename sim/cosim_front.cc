// sa-cosim: the one harness command. It picks a core (a preset of the project's, or your RTL:
// --rtl FILE.f --top MODULE -G NAME=VALUE), finds its core executable in the cache or builds it
// there (sim/core_cache.h), and runs it with the regression flags, which it checks first, so a
// bad flag or path costs no build. The core executable prints the results; its exit status is
// this command's (0 all matched, 1 the design failed, 2 could not run).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "sim/contract.h"
#include "sim/core_cache.h"
#include "sim/cosim_cli.h"
#include "sim/report.h"
#include "vectors/exit_codes.h"
#include "vectors/input.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace {
using namespace sa::sim;
namespace fs = std::filesystem;

// The project's own cores: a file list under rtl/, a top, a dataflow and parameter defaults.
struct Preset {
  const char* name;
  const char* filelist;  // relative to the source tree
  const char* top;
  const char* dataflow;
  std::vector<std::string> params;
  const char* what;
};
const std::vector<Preset>& Presets() {
  static const std::vector<Preset> presets = {
      {"ws", "rtl/sa.f", "sa_core", "ws", {}, "weight-stationary sa_core"},
      {"ws2",
       "rtl/sa.f",
       "sa_core",
       "ws",
       {"Wgt2Mode=1"},
       "weight-stationary sa_core with the run-time 2-bit mode (the default core, at 8x8)"},
      {"os", "rtl/sa.f", "sa_os_core", "os", {}, "output-stationary sa_os_core"},
      {"course",
       "rtl/adapters/course_ws.f",
       "sa_course_ws_adapter",
       "ws",
       {},
       "the course-style core of rtl/examples/course_ws behind its adapter"},
  };
  return presets;
}

CoreKit KitOfThisBuild() {
  CoreKit k;
  k.kit_dir = SA_KIT_DIR;
  k.kit_file = SA_KIT_FILE;
  k.cmake = SA_KIT_CMAKE;
  k.generator = SA_KIT_GENERATOR;
  k.make_program = SA_KIT_MAKE_PROGRAM;
  k.cxx_compiler = SA_KIT_CXX_COMPILER;
  k.launcher = SA_KIT_LAUNCHER;
  k.verilator_version = SA_KIT_VERILATOR_VERSION;
  std::string files = SA_KIT_ABI_FILES;
  for (size_t b = 0; b < files.size();) {
    size_t e = files.find('|', b);
    if (e == std::string::npos) e = files.size();
    if (e > b) k.abi_files.push_back(files.substr(b, e - b));
    b = e + 1;
  }
  return k;
}

// The flags that choose the core (and the cache): the front end's alone, never passed on.
const std::vector<std::string> kValueFlags = {"--core",  "--rtl",      "--top",  "-G",
                                              "--array", "--dataflow", "--cache"};
const std::vector<std::string> kBareFlags = {"--build-only", "--cache-list", "--cache-clean",
                                             "--contract-tests"};

bool IsFlag(const std::string& arg, const std::string& flag, bool* has_value_inline) {
  if (arg == flag) {
    *has_value_inline = false;
    return true;
  }
  // --flag=value, and -GName=Value
  const std::string prefix = flag.size() == 2 ? flag : flag + "=";
  if (arg.size() > prefix.size() && arg.compare(0, prefix.size(), prefix) == 0) {
    *has_value_inline = true;
    return true;
  }
  return false;
}

// Splits argv into the core-choosing words (for the rerun prefix) and the rest (for the core).
void SplitArgs(int argc, char* argv[], std::vector<std::string>* choose,
               std::vector<std::string>* pass) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool inline_value = false, matched = false;
    for (const auto& f : kValueFlags) {
      if (IsFlag(a, f, &inline_value)) {
        matched = true;
        choose->push_back(a);
        if (!inline_value && i + 1 < argc) choose->push_back(argv[++i]);
        break;
      }
    }
    if (matched) continue;
    if (std::find(kBareFlags.begin(), kBareFlags.end(), a) != kBareFlags.end()) continue;
    pass->push_back(a);
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  CLI::App app{
      "sa-cosim: bit-exact co-simulation of a systolic-array core against golden psums. "
      "The core is built on first use and cached."};
  RegressOptions opt;
  AddRegressOptions(app, opt);
  std::string core, rtl, top, array, dataflow, cache;
  std::vector<std::string> gparams;
  bool build_only = false, cache_list = false, cache_clean = false, contract = false;
  std::string presets_help = "a core of the project's:";
  for (const auto& p : Presets()) presets_help += std::string(" ") + p.name + " (" + p.what + ");";
  const char* kCore = "Core (built on first use, then cached)";
  app.add_option("--core", core, presets_help)->group(kCore);
  app.add_option("--rtl", rtl, "your core's Verilog file list (one file per line)")->group(kCore);
  app.add_option("--top", top, "the top module of --rtl (meets docs/dut-contract.md)")
      ->group(kCore);
  app.add_option("-G", gparams, "a top parameter, NAME=VALUE (repeatable)")->group(kCore);
  app.add_option("--array", array, "ROWSxCOLS: the same as -G Rows=ROWS -G Cols=COLS")
      ->group(kCore);
  app.add_option("--dataflow", dataflow, "the core's dataflow (--rtl: default ws)")
      ->check(CLI::IsMember({"ws", "os"}))
      ->group(kCore);
  app.add_option("--cache", cache,
                 "cache folder (default $SA_CACHE, else $XDG_CACHE_HOME/sacosim, else "
                 "~/.cache/sacosim)")
      ->group(kCore);
  app.add_flag("--build-only", build_only, "build (or find) the core and print its path")
      ->group(kCore);
  app.add_flag("--contract-tests", contract,
               "run the DUT contract's tests on the core (random odd layers, stalls, full psum "
               "FIFO, ReLU, 2-bit weights, the default set) instead of --vectors")
      ->group(kCore);
  app.add_flag("--cache-list", cache_list, "list the cached cores")->group(kCore);
  app.add_flag("--cache-clean", cache_clean, "remove every cached core")->group(kCore);

  CoreSpec spec;
  std::string root;
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help
      throw std::invalid_argument(e.what());
    }
    root = CacheRoot(cache);
    CoreCache cache_of(root, KitOfThisBuild());
    if (cache_list) {
      cache_of.List(std::cout);
      return 0;
    }
    if (cache_clean) {
      cache_of.Clean(std::cout);
      return 0;
    }
    // The core.
    if (!core.empty() && !rtl.empty()) throw std::invalid_argument("--core and --rtl: give one");
    if (rtl.empty() && !top.empty()) throw std::invalid_argument("--top " + top + ": needs --rtl");
    if (!rtl.empty()) {
      if (top.empty()) throw std::invalid_argument("--rtl " + rtl + ": needs --top MODULE");
      spec.filelist = fs::absolute(rtl).lexically_normal().string();
      spec.top = top;
      spec.dataflow = dataflow.empty() ? "ws" : dataflow;
    } else {
      const std::string name = core.empty() ? "ws2" : core;
      const Preset* preset = nullptr;
      for (const auto& p : Presets())
        if (name == p.name) preset = &p;
      if (!preset) {
        std::string names;
        for (const auto& p : Presets()) names += std::string(names.empty() ? "" : ", ") + p.name;
        throw std::invalid_argument("--core " + name + ": not a core of the project's (" + names +
                                    "; or --rtl FILE.f --top MODULE)");
      }
      if (!dataflow.empty() && dataflow != preset->dataflow)
        throw std::invalid_argument("--dataflow " + dataflow + ": --core " + name + " is " +
                                    preset->dataflow);
      spec.filelist = std::string(SA_SOURCE_DIR) + "/" + preset->filelist;
      spec.top = preset->top;
      spec.dataflow = preset->dataflow;
      spec.params = preset->params;
    }
    if (!array.empty()) {
      std::smatch m;
      if (!std::regex_match(array, m, std::regex("([0-9]{1,4})x([0-9]{1,4})")))
        throw std::invalid_argument("--array " + array + ": not ROWSxCOLS (e.g. 16x16)");
      spec.params.push_back("Rows=" + m[1].str());
      spec.params.push_back("Cols=" + m[2].str());
    }
    for (const auto& g : gparams) {
      if (!std::regex_match(g, std::regex("[A-Za-z_][A-Za-z0-9_]*=-?[0-9]{1,9}")))
        throw std::invalid_argument("-G " + g + ": not NAME=VALUE with an integer VALUE");
      const std::string name = g.substr(0, g.find('='));
      if (!array.empty() && (name == "Rows" || name == "Cols"))
        throw std::invalid_argument("-G " + g + ": --array " + array + " sets " + name);
      spec.params.push_back(g);
    }
    spec.pin = opt.mode == "pin";
    ReadFileList(spec.filelist);  // a missing list or file: one line now, not a build log

    // The run's inputs and outputs, checked before any build (the core checks them again).
    if (!build_only && !contract) {
      if (opt.vectors.empty()) throw std::invalid_argument("--vectors is required");
      sa::vectors::ReadManifest(opt.vectors);
      for (const auto& [path, flag] : {std::pair{opt.report, "--report"},
                                       {opt.junit, "--junit"},
                                       {opt.trace, "--trace"},
                                       {opt.coverage, "--coverage"}})
        if (!path.empty()) sa::vectors::CheckOutputFile(path, flag);
      if (!opt.trace_failures.empty())
        sa::vectors::CheckOutputFolder(opt.trace_failures, "--trace-failures");
    }
    const std::string exe = cache_of.Get(spec, std::cerr);
    if (build_only) {
      std::cout << exe << "\n";
      return 0;
    }
    if (contract) {
      const char* tmp = std::getenv("TMPDIR");
      std::string work = std::string(tmp && *tmp ? tmp : "/tmp") + "/sa-contract-XXXXXX";
      if (!::mkdtemp(work.data())) throw std::invalid_argument(work + ": cannot create");
      const std::string default_set = std::string(SA_SOURCE_DIR) + "/vectors/default";
      return RunContractTests(
          exe, work, fs::exists(default_set + "/manifest.json") ? default_set : "", std::cout);
    }
    std::vector<std::string> choose, pass;
    SplitArgs(argc, argv, &choose, &pass);
    std::string as = ShellQuote(argv[0]);
    for (const auto& c : choose) as += " " + ShellQuote(c);
    std::vector<std::string> args = {exe};
    args.insert(args.end(), pass.begin(), pass.end());
    args.push_back("--as");
    args.push_back(as);
    std::vector<char*> ptrs;
    for (auto& a : args) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    ::execv(exe.c_str(), ptrs.data());
    throw std::invalid_argument(exe + ": cannot run the cached core (--cache-clean rebuilds it)");
  } catch (const BuildError& e) {
    std::fprintf(stderr, "sa-cosim: %s\n", e.what());
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-cosim: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
}
