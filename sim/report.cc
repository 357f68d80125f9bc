// Table and JSON output of sa-cosim.
#include "sim/report.h"

#include <verilated.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <systemc>

#include "vectors/output.h"

namespace sa::sim {
namespace {

struct Totals {
  int64_t psums = 0, mismatches = 0, macs = 0, expected = 0;
  uint64_t cycles = 0;
  double wall = 0, utilization = 0;  // MAC-weighted: all MACs over all array-cycles
  bool passed = true;
};

Totals Sum(const std::vector<LayerStats>& layers) {
  Totals t;
  double array_cycles = 0;  // rows * cols * cycles, summed (macs / utilization per layer)
  for (const auto& s : layers) {
    t.psums += s.psums_compared;
    t.mismatches += s.mismatches;
    t.macs += s.macs;
    t.expected += s.expected_cycles;
    t.cycles += s.cycles;
    t.wall += s.wall_seconds;
    t.passed &= s.Passed();
    array_cycles += s.utilization > 0 ? static_cast<double>(s.macs) / s.utilization : 0;
  }
  t.utilization = array_cycles > 0 ? static_cast<double>(t.macs) / array_cycles : 0;
  return t;
}

double Rate(uint64_t cycles, double seconds) {
  return seconds > 0 ? static_cast<double>(cycles) / seconds : 0;
}

}  // namespace

void PrintTableHeader(std::FILE* out) {
  std::fprintf(out, "%-16s %-6s %9s %9s %10s %10s %7s %8s\n", "layer", "result", "psums",
               "mismatch", "cycles", "expected", "util", "Mcyc/s");
}

void PrintTableRow(std::FILE* out, const LayerStats& s) {
  const char* result =
      s.Passed() ? "PASS" : (s.hung ? "HUNG" : (s.overflow && !s.mismatches ? "OVFL" : "FAIL"));
  std::fprintf(out, "%-16s %-6s %9lld %9lld %10llu %10lld %6.1f%% %8.2f\n", s.name.c_str(), result,
               static_cast<long long>(s.psums_compared), static_cast<long long>(s.mismatches),
               static_cast<unsigned long long>(s.cycles), static_cast<long long>(s.expected_cycles),
               100 * s.utilization, Rate(s.cycles, s.wall_seconds) / 1e6);
  std::fflush(out);
}

void PrintTotal(std::FILE* out, const std::vector<LayerStats>& layers) {
  Totals t = Sum(layers);
  std::fprintf(out, "%-16s %-6s %9lld %9lld %10llu %10lld %6.1f%% %8.2f\n", "TOTAL",
               t.passed ? "PASS" : "FAIL", static_cast<long long>(t.psums),
               static_cast<long long>(t.mismatches), static_cast<unsigned long long>(t.cycles),
               static_cast<long long>(t.expected), 100 * t.utilization,
               Rate(t.cycles, t.wall) / 1e6);
  std::fprintf(out, "%zu layers, %.3f s of simulation wall time\n", layers.size(), t.wall);
}

void WriteJsonReport(const std::string& path, const RunInfo& info,
                     const std::vector<LayerStats>& layers) {
  using nlohmann::json;
  json j;
  j["tool"] = "sa-cosim";
  j["versions"] = {{"verilator", Verilated::productVersion()}, {"systemc", sc_core::sc_version()}};
  j["executable"] = info.executable;
  j["config"] = {{"rows", info.config.rows},
                 {"cols", info.config.cols},
                 {"act_width", info.config.act_width},
                 {"wgt_width", info.config.wgt_width},
                 {"psum_width", info.config.psum_width},
                 {"acc_depth", info.config.acc_depth}};
  j["vectors"] = {{"dir", info.vectors_dir}, {"manifest_sha256", info.manifest_sha256}};
  j["mode"] = info.mode;
  j["stall_prob"] = info.stall_prob;
  j["seed"] = info.seed;
  json rows = json::array();
  Totals t = Sum(layers);
  for (const auto& s : layers) {
    json mm = json::array();
    for (const auto& m : s.first_mismatches)
      mm.push_back({{"image", m.image},
                    {"channel", m.channel},
                    {"row", m.row},
                    {"col", m.col},
                    {"expected", m.expected},
                    {"got", m.got},
                    {"pass", m.pass},
                    {"cycle", m.cycle}});
    rows.push_back({{"name", s.name},
                    {"passed", s.Passed()},
                    {"psums_compared", s.psums_compared},
                    {"mismatches", s.mismatches},
                    {"cycles", s.cycles},
                    {"expected_cycles", s.expected_cycles},
                    {"passes", s.passes},
                    {"macs", s.macs},
                    {"utilization", s.utilization},
                    {"wall_seconds", s.wall_seconds},
                    {"cycles_per_second", Rate(s.cycles, s.wall_seconds)},
                    {"overflow", s.overflow},
                    {"hung", s.hung},
                    {"extra_psums", s.extra_psums},
                    {"busy_after_drain", s.busy_after_drain},
                    {"busy_low_while_valid", s.busy_low_while_valid},
                    {"first_mismatches", mm}});
  }
  j["layers"] = rows;
  j["total"] = {{"passed", t.passed},
                {"psums_compared", t.psums},
                {"mismatches", t.mismatches},
                {"cycles", t.cycles},
                {"expected_cycles", t.expected},
                {"macs", t.macs},
                {"utilization_mac_weighted", t.utilization},
                {"wall_seconds", t.wall},
                {"cycles_per_second", Rate(t.cycles, t.wall)}};
  const std::string text = j.dump(2) + "\n";
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace sa::sim
