// The contract tests (sim/contract.h).
#include "sim/contract.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <vector>

#include "sim/random_set.h"
#include "sim/run_program.h"

namespace sa::sim {
namespace {

struct Check {
  const char* name;
  const char* set;  // "random", "random2" (2-bit weights) or "default"
  std::vector<std::string> flags;
  const char* what;
};

// The last lines of a check's log: where to look when it failed.
std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "    " + all[i] + "\n";
  return out;
}

}  // namespace

int RunContractTests(const std::string& core_exe, const std::string& work_dir,
                     const std::string& default_set, std::ostream& out) {
  namespace fs = std::filesystem;
  fs::create_directories(work_dir);
  // Fixed seeds: a failure reproduces with the logged command.
  WriteRandomSet(work_dir + "/random", /*seed=*/4242);
  WriteRandomSet(work_dir + "/random2", /*seed=*/4243, /*wgt_bits=*/2);
  const std::vector<Check> checks = {
      {"random-layers", "random", {}, "odd channels, strides, kernels; no stalls"},
      {"random-stalls",
       "random",
       {"--stall-prob", "0.3", "--seed", "5"},
       "random input gaps and psum backpressure"},
      {"full-psum-fifo",
       "random",
       {"--psum-stall-prob", "0.95", "--seed", "6"},
       "psum stream nearly stopped: credit flow control"},
      {"relu",
       "random",
       {"--relu", "--stall-prob", "0.2", "--seed", "7"},
       "act_relu_i on every pass"},
      {"two-bit-weights",
       "random2",
       {"--stall-prob", "0.2", "--seed", "8"},
       "2-bit weights (the 2-bit mode where the core has it)"},
      {"default-set",
       "default",
       {"--stall-prob", "0.3", "--seed", "9"},
       "the 18 layers of the default network"},
      {"handshake-probe",
       "random",
       {"--psum-stall-prob", "0.95", "--probe-handshakes", "--seed", "11"},
       "inputs changed between edges at the credit limit: ready/valid must not move"},
      // Constrained-random stimulus: act_relu_i changing from group to group, output-stationary
      // tiles split over several passes, random values in the lanes a pass does not use, the
      // psum FIFO nearly full; every required coverage bin must be hit (the gate).
      {"stress",
       "random",
       {"--relu-random", "--split-tiles", "--stall-prob", "0.3", "--psum-stall-prob", "0.9",
        "--seed", "10", "--require-coverage"},
       "ReLU per group, split tiles, garbage lanes; coverage must close"},
      // The same with 2-bit weights and, on a core with the 2-bit mode, 2-bit and 4-bit passes
      // interleaved back to back (4-bit passes on any other core).
      {"stress-2bit",
       "random2",
       {"--wgt2-mode", "mixed", "--relu-random", "--split-tiles", "--stall-prob", "0.3",
        "--psum-stall-prob", "0.9", "--seed", "12", "--require-coverage"},
       "as stress, 2-bit weights, modes mixed back to back; coverage must close"},
  };
  int worst = 0, ran = 0;
  for (const Check& c : checks) {
    const std::string set = std::string(c.set) == "default" ? default_set : work_dir + "/" + c.set;
    if (set.empty()) {
      out << "contract: " << std::left << std::setw(16) << c.name << " SKIP (no default set)\n";
      continue;
    }
    std::vector<std::string> argv = {core_exe, "--vectors", set, "--quiet"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    const std::string log = work_dir + "/" + c.name + ".log";
    fs::remove(log);
    {
      std::ofstream l(log);
      for (const auto& a : argv) l << a << " ";
      l << "\n";
    }
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = RunProgramLogged(argv, log);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++ran;
    out << "contract: " << std::left << std::setw(16) << c.name << " "
        << (rc == 0   ? "PASS"
            : rc == 1 ? "FAIL"
                      : "ERROR")
        << std::right << std::setw(7) << std::fixed << std::setprecision(1) << s << " s  " << c.what
        << "\n";
    if (rc != 0) {
      out << Tail(log, 6) << "    log: " << log << "\n";
      worst = std::max(worst, rc == 1 ? 1 : 2);
    }
    out.flush();
  }
  out << "contract: " << (worst == 0 ? "PASS" : "FAIL") << ", " << ran
      << " checks run; sets and logs in " << work_dir << "\n";
  return worst;
}

}  // namespace sa::sim
