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
#include "sim/regress.h"
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

// The fast harness always (it also writes traces); the pin-level one only in pin mode (its
// free-running clock would slow the fast mode down). One per process: SystemC elaborates once.
class Simulator : public UnitSimulator {
 public:
  explicit Simulator(const std::string& mode) : fast_("fast", kConfig) {
    if (mode == "pin") pin_ = std::make_unique<PinModel>("pin", kConfig);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
  void Run(LayerRun* run, const TraceWindow* trace) override {
    if (pin_ && !trace) {
      pin_->Submit(run);
      while (pin_->Busy()) sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));  // 1,000 cycles
    } else if (pin_) {
      // The pin-level clock never stops, so run in slices until the fast job is done.
      fast_.Submit(run, trace);
      while (fast_.Busy()) sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));
    } else {
      fast_.Submit(run, trace);
      sc_core::sc_start();  // returns when the unit is done: nothing else is scheduled
    }
  }
  void OpenTrace(const std::string& path) override { fast_.OpenTrace(path); }
  void CloseTrace() override { fast_.CloseTrace(); }
  void WriteCoverage(const std::string& path) override { fast_.WriteCoverage(path); }

 private:
  FastHarness<SA_FAST_CLASS> fast_;
  std::unique_ptr<PinModel> pin_;
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  CLI::App app{"sa-cosim: bit-exact co-simulation of the systolic array against golden psums (" +
               kConfig.Name() + ")"};
  RegressOptions opt;
  app.add_option("--vectors", opt.vectors, "vector set folder (sa-vectors format)")->required();
  app.add_option("--layers", opt.layers, "comma-separated layer names (default: all)");
  app.add_option("--images", opt.images,
                 "test-image indices or ranges of the set, e.g. 0..99,120 (default: all)");
  app.add_option("--jobs,-j", opt.jobs, "worker processes, one elaboration each")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--shard", opt.shard,
                 "run shard I of N (I/N) of the units; default from SLURM_ARRAY_TASK_ID/COUNT "
                 "or GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS; merge with sa-report merge");
  app.add_option("--trace", opt.trace,
                 "write a waveform, FILE.vcd or FILE.fst, with testbench signals (a window around "
                 "the first mismatch, if any, else every unit)");
  app.add_option("--trace-window", opt.trace_window,
                 "cycles each side of the first mismatch in --trace")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  app.add_option("--report", opt.report, "write a JSON report");
  app.add_option(
      "--coverage", opt.coverage,
      "write the RTL's code coverage (verilator_coverage .dat; a -DSA_COVERAGE=ON build)");
  app.add_option("--junit", opt.junit,
                 "write JUnit XML (one testcase per layer, per layer and image when several)");
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
  app.add_option("--wgt2-mode", opt.wgt2,
                 "the PE's 2-bit mode: auto (when the set's weights are 2-bit and the core has "
                 "it), on (require it), off (4-bit passes)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
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
    SimulatorInfo sim;
    sim.config = kConfig;
    sim.has_pin_model = kHasPinModel;
    sim.has_coverage = FastHarness<SA_FAST_CLASS>::kHasCoverage;
    sim.verilator_version = Verilated::productVersion();
    sim.systemc_version = sc_core::sc_version();
    sim.make = [](const std::string& mode) { return std::make_unique<Simulator>(mode); };
    return RunRegression(opt, sim, argv[0], command_line);
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
