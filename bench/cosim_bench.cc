// Co-simulation speed: the 18-layer regression of one image under the SystemC harness (fast and
// pin-level modes, run as sa-cosim processes), the same RTL and testbench driven by a plain
// Verilator C++ loop without SystemC (this RTL's speed limit here), and Icarus Verilog on a
// slice of one layer; printed side by side with ratios to the plain loop. Not a test.
//   cosim_bench --vectors DIR --cosim PATH/sa-cosim [--icarus-passes N]
#include <verilated.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "Vplain_8x8.h"
#include "sim/memh.h"
#include "sim/model_pins.h"
#include "sim/schedule.h"
#include "sim/testbench.h"
#include "tests/test_util.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
using namespace sa::sim;
namespace sv = sa::vectors;
using Clock = std::chrono::steady_clock;

constexpr ArrayConfig kConfig{8, 8, 4, 4, 24, 1024};

struct Figure {
  std::string name;
  uint64_t cycles = 0;
  double seconds = 0;
  bool ok = false;
  double Rate() const { return seconds > 0 ? static_cast<double>(cycles) / seconds : 0; }
};

// The plain loop: the same testbench logic and the same Verilated model, no SystemC kernel.
Figure PlainLoop(const std::vector<sv::LayerVectors>& layers) {
  Figure f{"plain Verilator C++ loop (no SystemC)"};
  VerilatedContext ctx;
  Vplain_8x8 t(&ctx);
  ModelPsumPort<Vplain_8x8> psums(t, kConfig);
  f.ok = true;
  auto t0 = Clock::now();
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerRun run(layers[i], kConfig, RunOptions{}, i);
    ApplyPins(t, run.inputs());
    while (!run.Done()) ClockCycle(t, run, psums);
    LayerStats s = run.Finish(0);
    f.cycles += s.cycles;
    f.ok &= s.Passed();
  }
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  t.final();
  return f;
}

Figure SystemC(const std::string& cosim, const std::string& vectors, const std::string& mode) {
  Figure f{"SystemC harness, " + mode + " mode"};
  const std::string report = (fs::temp_directory_path() / ("sa_bench_" + mode + ".json")).string();
  auto r = sa::testing::RunCommand(cosim + " --quiet --vectors " + vectors + " --mode " + mode +
                                   " --report " + report);
  std::ifstream in(report);
  nlohmann::json j = nlohmann::json::parse(in);
  f.cycles = j["total"]["cycles"];
  f.seconds = j["total"]["wall_seconds"];
  f.ok = r.status == 0 && j["total"]["passed"].get<bool>();
  return f;
}

// Exports the first `passes` passes of a layer (whole accumulation groups) with the same
// $readmemh export users get (sa-vectors export-memh) and runs the repository's Icarus
// testbench on them; the time is that of vvp alone.
Figure Icarus(const sv::LayerVectors& layer, int passes) {
  Figure f{"Icarus Verilog 11, " + layer.info.name + " slice"};
  const std::string dir = sa::testing::TempDir("icarus");
  const MemhCounts c = WriteMemh(layer, kConfig, dir, passes);
  const std::string files = std::string(" ") + SA_RTL_FILES;  // rtl/sa.f, read by CMake
  const std::string params = " -P sa_memh_tb.NWgt=" + std::to_string(c.wgt_rows) +
                             " -P sa_memh_tb.NAct=" + std::to_string(c.act_beats) +
                             " -P sa_memh_tb.NPsum=" + std::to_string(c.psum_vectors);
  auto build = sa::testing::RunCommand("cd " + dir + " && iverilog -g2012 -DSA_NO_SVA -o tb.vvp" +
                                       params + files + " " + SA_MEMH_TB);
  if (build.status != 0) {
    std::fprintf(stderr, "iverilog failed:\n%s", build.output.c_str());
    return f;
  }
  auto t0 = Clock::now();
  auto run = sa::testing::RunCommand("cd " + dir + " && vvp -n tb.vvp +dir=.");
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  unsigned long long cycles = 0;
  int mismatches = -1;
  auto pos = run.output.find("sa_memh_tb: PASS cycles");
  if (pos != std::string::npos)
    std::sscanf(run.output.c_str() + pos,
                "sa_memh_tb: PASS cycles %llu psum vectors %*d mismatches %d", &cycles,
                &mismatches);
  f.cycles = cycles;
  f.ok = mismatches == 0;
  if (f.ok) {
    fs::remove_all(dir);
  } else {
    std::fprintf(stderr, "icarus run in %s did not pass:\n%s", dir.c_str(), run.output.c_str());
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"co-simulation speed comparison"};
  std::string vectors, cosim;
  int icarus_passes = 72;
  app.add_option("--vectors", vectors)->required();
  app.add_option("--cosim", cosim, "the sa-cosim (8x8) executable")->required();
  app.add_option("--icarus-passes", icarus_passes, "passes of layer3.0.conv2 run under Icarus")
      ->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);
  sv::Manifest m = sv::ReadManifest(vectors);
  std::vector<sv::LayerVectors> layers;
  for (const auto& n : m.layers) layers.push_back(sv::ReadLayer(vectors, n));

  std::vector<Figure> figs;
  figs.push_back(PlainLoop(layers));
  figs.push_back(SystemC(cosim, vectors, "fast"));
  figs.push_back(SystemC(cosim, vectors, "pin"));
  const auto it = std::find(m.layers.begin(), m.layers.end(), "layer3.0.conv2");
  if (it != m.layers.end()) figs.push_back(Icarus(layers[it - m.layers.begin()], icarus_passes));

  std::printf("8 x 8 array, %zu layers of %s (one image)\n", layers.size(), vectors.c_str());
  std::printf("%-42s %-5s %10s %9s %10s %9s\n", "harness", "check", "cycles", "wall s", "Mcycles/s",
              "vs plain");
  const double plain = figs[0].Rate();
  for (const auto& f : figs)
    std::printf("%-42s %-5s %10llu %9.3f %10.4g %9.3g\n", f.name.c_str(), f.ok ? "PASS" : "FAIL",
                static_cast<unsigned long long>(f.cycles), f.seconds, f.Rate() / 1e6,
                plain > 0 ? f.Rate() / plain : 0);
  std::printf(
      "goals: SystemC harness >= 0.25 of the plain loop (fast %.2f, pin %.2f); 18 layers < 2 s "
      "(fast %.3f s)\n",
      figs[1].Rate() / plain, figs[2].Rate() / plain, figs[1].seconds);
  return 0;
}
