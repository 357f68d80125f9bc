// Bare-array speed under Verilator (plain C++ loop, no SystemC): simulated cycles/s and MACs/s
// of sa_core on 8 x 8 and 16 x 16, streaming back-to-back passes of 64 beats.
#include <benchmark/benchmark.h>

#include "Vbench_16x16.h"
#include "Vbench_8x8.h"
#include "sim/pass_harness.h"

namespace {
using namespace sa::sim;

// Each model's configuration as CMake verilated it (cmake/SaCore.cmake).
template <typename V>
ArrayConfig ConfigOf();
template <>
ArrayConfig ConfigOf<Vbench_8x8>() {
  return ArrayConfig SA_Vbench_8x8_CONFIG;
}
template <>
ArrayConfig ConfigOf<Vbench_16x16>() {
  return ArrayConfig SA_Vbench_16x16_CONFIG;
}

template <typename V>
void BM_Array(benchmark::State& state) {
  const ArrayConfig cfg = ConfigOf<V>();
  std::mt19937_64 rng(1);
  auto passes = RandomPasses(cfg, /*groups=*/16, /*passes_per_group=*/9, /*beats=*/64, false, rng);
  PassHarness<V> h(cfg);
  uint64_t cycles = 0;
  for (auto _ : state) {
    h.Reset();
    cycles += h.Run(passes).cycles;
  }
  const double macs_per_run = 16.0 * 9 * 64 * cfg.rows * cfg.cols;
  state.counters["cycles_per_s"] =
      benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
  state.counters["MACs_per_s"] = benchmark::Counter(
      macs_per_run * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_Array, Vbench_8x8)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK_TEMPLATE(BM_Array, Vbench_16x16)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace

BENCHMARK_MAIN();
