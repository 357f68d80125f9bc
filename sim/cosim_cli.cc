// The regression flags and the core executable's main (sim/cosim_cli.h).
#include "sim/cosim_cli.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "sim/report.h"
#include "vectors/exit_codes.h"
#include "vectors/output.h"

namespace sa::sim {

namespace {
// CLI::Range lets NaN through (every comparison with it is false): probabilities must be numbers.
const CLI::Validator kFinite(
    [](std::string& text) {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      return std::isfinite(v) ? std::string() : "'" + text + "' is not a finite number";
    },
    "FINITE");
}  // namespace

void AddRegressOptions(CLI::App& app, RegressOptions& opt) {
  app.add_option("--vectors", opt.vectors, "vector set folder (sa-vectors format)");
  app.add_option("--layers", opt.layers, "comma-separated layer names (default: all)");
  app.add_option("--images", opt.images,
                 "test-image indices or ranges of the set, e.g. 0..99,120 (default: all)");
  app.add_option("--jobs,-j", opt.jobs, "worker processes, one elaboration each")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--shard", opt.shard,
                 "run shard I of N (I/N) of the units, or auto: from SLURM_ARRAY_TASK_ID/COUNT "
                 "or GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS (none: all units); merge with "
                 "sa-report merge. Without --shard every unit runs, whatever the environment");
  app.add_option("--trace", opt.trace,
                 "write a waveform, FILE.vcd or FILE.fst, with testbench signals (a window around "
                 "the first failure, if any, else every unit)");
  app.add_option("--trace-failures", opt.trace_failures,
                 "write a waveform of each failing unit (the first 10) into this folder, made if "
                 "missing: LAYER-IMAGE.vcd, a window around its first mismatch, assertion or hang");
  app.add_option("--trace-window", opt.trace_window,
                 "cycles each side of the failure in a waveform")
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
  app.add_option("--full-detail-units", opt.full_detail_units,
                 "reports of more units list passing units compactly (JSON rows; in JUnit a "
                 "testcase per layer)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--stall-prob", opt.stall_prob, "random input gaps and psum backpressure")
      ->check(kFinite & CLI::Range(0.0, 0.95))
      ->capture_default_str();
  app.add_option("--psum-stall-prob", opt.psum_stall_prob,
                 "psum backpressure alone (default: --stall-prob); 0.9 fills the output FIFO")
      ->check(kFinite & CLI::Range(0.0, 0.95));
  // Up to 2^62, as reports store it (a larger seed ran but could not be merged); a negative or
  // larger one was wrapped silently by the unsigned conversion.
  app.add_option("--seed", opt.seed, "seed of the stall pattern, 0 to 2^62")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 62))
      ->capture_default_str();
  app.add_option("--mode", opt.mode,
                 "fast: temporally decoupled; pin: every pin through SystemC signals")
      ->check(CLI::IsMember({"fast", "pin"}))
      ->capture_default_str();
  app.add_option("--wgt2-mode", opt.wgt2,
                 "the PE's 2-bit mode: auto (when the set's weights are 2-bit and the core has "
                 "it), on (require it), off (4-bit passes), mixed (each input-channel tile 2-bit "
                 "or 4-bit at random, the modes back to back: stimulus for the contract tests)")
      ->check(CLI::IsMember({"auto", "on", "off", "mixed"}))
      ->capture_default_str();
  app.add_flag("--quiet", opt.quiet, "only the total line and problems");
  app.add_flag("--relu", opt.relu, "drive act_relu_i on every pass and expect max(0, psum)");
  app.add_flag("--relu-random", opt.relu_random,
               "drive act_relu_i on a random half of the accumulation groups (from the seed), so "
               "it changes from one group to the next");
  app.add_flag("--split-tiles", opt.split_tiles,
               "output-stationary: split each tile's reduction into 1 to 4 passes at random steps "
               "(no effect on weight-stationary cores, whose groups already span passes)");
  app.add_flag("--probe-handshakes", opt.probe_handshakes,
               "every cycle, drive random inputs between the clock edges and fail a unit whose "
               "wgt_ready_o, act_ready_o or psum_valid_o moves (the contract: registers only); "
               "fast mode, about 3x slower");
  app.add_flag("--require-coverage", opt.require_coverage,
               "exit 1 if a required functional coverage bin was never hit (a verification gate)");
}

int CoreMain(int argc, char* argv[], SimulatorInfo sim) {
  CLI::App app{
      "sa-cosim core: bit-exact co-simulation of one Verilated core against golden "
      "psums (" +
      sim.config.Name() + "); normally started by sa-cosim"};
  RegressOptions opt;
  AddRegressOptions(app, opt);
  std::string as = ShellQuote(argv[0]);
  app.add_option("--as", as, "the command that reruns this core (set by sa-cosim)")
      ->group("");  // hidden: the front end's business
  try {
    app.parse(argc, argv);
    if (opt.vectors.empty()) throw CLI::RequiredError("--vectors");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "sa-cosim: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  // Mismatches, hangs and overflows return 1 from Run; anything thrown is a run that could not
  // be done (bad input, unwritable output) and exits 2.
  try {
    std::string command_line = as;
    for (int i = 1; i < argc; ++i) {
      if (std::string(argv[i]) == "--as") {
        ++i;
        continue;
      }
      command_line += " " + ShellQuote(argv[i]);
    }
    return RunRegression(opt, sim, as, command_line);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sa-cosim: out of memory\n");
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-cosim: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
}

}  // namespace sa::sim
