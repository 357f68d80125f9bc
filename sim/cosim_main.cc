// sa-cosim: runs the layers of a vector set through the Verilated sa_core inside a SystemC
// testbench and checks every psum bit-exactly. Built once per array configuration (SA_* macros).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>
#include <systemc>

#ifndef SA_PIN_HEADER
// FAST_ONLY: Verilator's headers are set up for plain C++ (VM_SC=0) but see SystemC already
// included, and then name sc_time_stamp unqualified.
using sc_core::sc_time_stamp;
#endif
#include SA_FAST_HEADER
#ifdef SA_PIN_HEADER  // built without FAST_ONLY
#include SA_PIN_HEADER
#endif
#include "sim/fast_harness.h"
#include "sim/pin_harness.h"
#include "sim/report.h"
#include "sim/testbench.h"
#include "vectors/exit_codes.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace {
using namespace sa::sim;
namespace sv = sa::vectors;

// From the same CMake arguments as the Verilated models' parameters (cmake/SaCore.cmake).
constexpr ArrayConfig kConfig SA_CORE_CONFIG;
#ifdef SA_PIN_CLASS
using PinModel = PinHarness<SA_PIN_CLASS>;
constexpr bool kHasPinModel = true;
#else
struct PinModel {  // a FAST_ONLY build: never constructed (--mode pin is refused)
  PinModel(const char*, const ArrayConfig&) {}
  void Submit(LayerRun*) {}
  bool Busy() const { return false; }
};
constexpr bool kHasPinModel = false;
#endif

constexpr uint64_t kTraceHalfWindow = 200;  // cycles each side of the first mismatch

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Options {
  std::string vectors, layers, trace, report, junit, mode = "fast";
  int max_mismatches = 10;
  double stall_prob = 0, psum_stall_prob = -1;
  uint64_t seed = 1;
  bool quiet = false, relu = false;
};

// The stall pattern of a layer depends on the run's seed and the layer's name only (FNV-1a of the
// name, mixed with the seed), so running one layer alone repeats its failure cycle for cycle.
uint64_t LayerSeed(uint64_t seed, const std::string& name) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h ^ (seed * 0x9E3779B97F4A7C15ULL);
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string HostName() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? buf : "unknown";
}

int Run(const Options& opt, const std::string& argv0, const std::string& command_line) {
  // Everything is read and checked before the first cycle is simulated: outputs can be written,
  // every selected layer reads cleanly (checksums, geometry, value ranges) and fits the
  // scheduler. Layers are then read again one at a time, so peak memory is one layer's.
  if (opt.mode == "pin" && !kHasPinModel)
    throw std::invalid_argument("--mode pin: this sa-cosim is built without the pin-level model");
  if (!opt.report.empty()) sv::CheckOutputFile(opt.report, "--report");
  if (!opt.junit.empty()) sv::CheckOutputFile(opt.junit, "--junit");
  if (!opt.trace.empty()) sv::CheckOutputFile(opt.trace, "--trace");
  const sv::Manifest manifest = sv::ReadManifest(opt.vectors);
  if (manifest.act_bits > kConfig.act_width || manifest.wgt_bits > kConfig.wgt_width)
    throw sv::FormatError(opt.vectors + ": the set has " + std::to_string(manifest.act_bits) +
                          "-bit activations and " + std::to_string(manifest.wgt_bits) +
                          "-bit weights; this sa-cosim is built for " + kConfig.Name());
  std::vector<std::string> names = opt.layers.empty() ? manifest.layers : SplitComma(opt.layers);
  if (names.empty()) throw std::invalid_argument("--layers: no layer named");
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(manifest.layers.begin(), manifest.layers.end(), names[i]) ==
        manifest.layers.end())
      throw std::invalid_argument("--layers: '" + names[i] + "' is not a layer of " + opt.vectors);
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("--layers: '" + names[i] + "' is named twice");
  }
  for (const auto& n : names) LayerSchedule(sv::ReadLayer(opt.vectors, manifest, n), kConfig);

  RunOptions run_opt;
  run_opt.stall_prob = opt.stall_prob;
  run_opt.psum_stall_prob = opt.psum_stall_prob;
  run_opt.relu = opt.relu;
  run_opt.seed = opt.seed;
  run_opt.max_mismatches = opt.max_mismatches;

  // One elaboration for the whole process: the fast harness always (it also writes traces),
  // the pin-level one only in pin mode (its free-running clock would slow the fast mode down).
  FastHarness<SA_FAST_CLASS> fast("fast", kConfig);
  std::unique_ptr<PinModel> pin;
  if (opt.mode == "pin") pin = std::make_unique<PinModel>("pin", kConfig);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);

  auto run_layer = [&](size_t i, const TraceWindow* trace, bool use_pin) {
    const sv::LayerVectors layer = sv::ReadLayer(opt.vectors, manifest, names[i]);
    LayerRun run(layer, kConfig, run_opt, LayerSeed(opt.seed, names[i]));
    auto t0 = std::chrono::steady_clock::now();
    if (use_pin) {
      pin->Submit(&run);
      while (pin->Busy())
        sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));  // 1,000 cycles a call
    } else if (pin) {
      // The pin-level clock never stops, so run in slices until the fast job is done.
      fast.Submit(&run, trace);
      while (fast.Busy()) sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));
    } else {
      fast.Submit(&run, trace);
      sc_core::sc_start();  // returns when the layer is done: nothing else is scheduled
    }
    return run.Finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };

  RunInfo info;
  info.vectors_dir = opt.vectors;
  info.mode = opt.mode;
  info.executable = argv0;
  info.command_line = command_line;
  info.start_time = UtcNow();
  info.host = HostName();
  info.config = kConfig;
  info.stall_prob = opt.stall_prob;
  info.psum_stall_prob = opt.psum_stall_prob;
  info.relu = opt.relu;
  info.seed = opt.seed;
  info.images = manifest.images;

  if (!opt.quiet) {
    std::printf("sa-cosim %s, %s mode, %zu layer(s) of %s, seed %llu%s\n", kConfig.Name().c_str(),
                opt.mode.c_str(), names.size(), opt.vectors.c_str(),
                static_cast<unsigned long long>(opt.seed),
                opt.stall_prob > 0
                    ? (", stall probability " + std::to_string(opt.stall_prob)).c_str()
                    : "");
    PrintTableHeader(stdout);
  }
  std::vector<LayerStats> stats;
  for (size_t i = 0; i < names.size(); ++i) {
    stats.push_back(run_layer(i, nullptr, pin != nullptr));
    if (!opt.quiet) PrintTableRow(stdout, stats.back());
  }
  PrintTotal(stdout, stats);

  bool all_passed = true;
  for (const auto& s : stats) {
    all_passed &= s.Passed();
    if (s.hung)
      std::printf("%s: the core stopped making progress at cycle %llu\n", s.name.c_str(),
                  static_cast<unsigned long long>(s.cycles));
    if (s.overflow) std::printf("%s: the accumulator's overflow flag was raised\n", s.name.c_str());
    if (s.extra_psums)
      std::printf("%s: %lld psum vector(s) beyond the expected ones\n", s.name.c_str(),
                  static_cast<long long>(s.extra_psums));
    if (s.busy_low_while_valid)
      std::printf("%s: busy_o low while psum_valid_o was high (%lld cycles)\n", s.name.c_str(),
                  static_cast<long long>(s.busy_low_while_valid));
    if (s.busy_after_drain)
      std::printf("%s: busy_o still high after the last psum and a drain\n", s.name.c_str());
    for (const auto& m : s.first_mismatches) std::cout << "MISMATCH " << m << "\n";
    if (s.mismatches > static_cast<int64_t>(s.first_mismatches.size()))
      std::printf(
          "%s: %lld more mismatches not shown (--max-mismatches)\n", s.name.c_str(),
          static_cast<long long>(s.mismatches - static_cast<int64_t>(s.first_mismatches.size())));
  }

  if (!opt.trace.empty()) {
    // The trace comes from a deterministic rerun in fast mode (cycle-identical to pin mode): a
    // window around the first mismatch if there is one, else the selected layers in full.
    auto failing = std::find_if(stats.begin(), stats.end(),
                                [](const LayerStats& s) { return !s.first_mismatches.empty(); });
    fast.OpenTrace(opt.trace);
    TraceWindow window;
    if (failing != stats.end()) {
      const uint64_t c = failing->first_mismatches.front().cycle;
      window.from = c > kTraceHalfWindow ? c - kTraceHalfWindow : 0;
      window.to = c + kTraceHalfWindow;
      run_layer(static_cast<size_t>(failing - stats.begin()), &window, false);
      std::printf("trace: %s holds cycles %llu..%llu of %s, around the first mismatch\n",
                  opt.trace.c_str(), static_cast<unsigned long long>(window.from),
                  static_cast<unsigned long long>(window.to), failing->name.c_str());
    } else {
      for (size_t i = 0; i < names.size(); ++i) run_layer(i, &window, false);
      std::printf("trace: %s holds all %zu layer run(s)\n", opt.trace.c_str(), names.size());
    }
    fast.CloseTrace();
  }

  for (const auto& s : stats)
    if (!s.Passed())
      std::printf("rerun %s: %s\n", s.name.c_str(), RerunCommand(info, s.name).c_str());
  if (!opt.report.empty() || !opt.junit.empty())
    info.manifest_sha256 = sv::ManifestSha256(opt.vectors);
  if (!opt.report.empty()) WriteJsonReport(opt.report, info, stats);
  if (!opt.junit.empty()) WriteJUnitReport(opt.junit, info, stats);
  return all_passed ? sa::kExitPass : sa::kExitFail;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  CLI::App app{"sa-cosim: bit-exact co-simulation of the systolic array against golden psums (" +
               kConfig.Name() + ")"};
  Options opt;
  app.add_option("--vectors", opt.vectors, "vector set folder (sa-vectors format)")->required();
  app.add_option("--layers", opt.layers, "comma-separated layer names (default: all)");
  app.add_option("--trace", opt.trace,
                 "write a VCD waveform (a window around the first mismatch, if any)");
  app.add_option("--report", opt.report, "write a JSON report");
  app.add_option("--junit", opt.junit, "write JUnit XML (one testcase per layer, or per image)");
  app.add_option("--max-mismatches", opt.max_mismatches, "mismatches listed per layer")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--stall-prob", opt.stall_prob, "random input gaps and psum backpressure")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  app.add_option("--psum-stall-prob", opt.psum_stall_prob,
                 "psum backpressure alone (default: --stall-prob); 0.9 fills the output FIFO")
      ->check(CLI::Range(0.0, 0.95));
  app.add_option("--seed", opt.seed, "seed of the stall pattern")->capture_default_str();
  app.add_option("--mode", opt.mode,
                 "fast: temporally decoupled; pin: every pin through SystemC signals")
      ->check(CLI::IsMember({"fast", "pin"}))
      ->capture_default_str();
  app.add_flag("--quiet", opt.quiet, "only the total line and problems");
  app.add_flag("--relu", opt.relu, "drive act_relu_i on every pass and expect max(0, psum)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "sa-cosim: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  // Mismatches, hangs and overflows return 1 from Run; anything thrown is a run that could not
  // be done (bad input, unwritable output) and exits 2.
  try {
    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
    return Run(opt, argv[0], command_line);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sa-cosim: out of memory\n");
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-cosim: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
}

// SystemC prints its banner before sc_main, where it would land in the middle of the table: this
// main (which takes precedence over the one in libsystemc) sets the variable SystemC honours.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", /*overwrite=*/0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
