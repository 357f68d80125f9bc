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

// Test-set index of image `pos` of the set (-1 if the manifest lists fewer).
int64_t ImageIndex(const RunInfo& info, int64_t pos) {
  return pos >= 0 && pos < static_cast<int64_t>(info.images.size())
             ? info.images[static_cast<size_t>(pos)]
             : -1;
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=,:+") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// What went wrong in a layer beyond psum mismatches, one phrase each.
std::vector<std::string> ContractProblems(const LayerStats& s) {
  std::vector<std::string> p;
  if (s.overflow) p.push_back("the accumulator's overflow flag was raised");
  if (s.extra_psums)
    p.push_back(std::to_string(s.extra_psums) + " psum vector(s) beyond the expected ones");
  if (s.busy_after_drain) p.push_back("busy_o still high after the last psum and a drain");
  if (s.busy_low_while_valid)
    p.push_back("busy_o low while psum_valid_o was high (" +
                std::to_string(s.busy_low_while_valid) + " cycles)");
  if (s.psums_compared == 0 && !s.hung) p.push_back("no psum was compared");
  return p;
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
  j["schema_version"] = kReportSchemaVersion;
  j["tool"] = "sa-cosim";
  j["command_line"] = info.command_line;
  j["start_time"] = info.start_time;
  j["host"] = info.host;
  j["versions"] = {{"verilator", Verilated::productVersion()}, {"systemc", sc_core::sc_version()}};
  j["executable"] = info.executable;
  j["config"] = {{"rows", info.config.rows},
                 {"cols", info.config.cols},
                 {"act_width", info.config.act_width},
                 {"wgt_width", info.config.wgt_width},
                 {"psum_width", info.config.psum_width},
                 {"acc_depth", info.config.acc_depth}};
  j["vectors"] = {{"dir", info.vectors_dir},
                  {"manifest_sha256", info.manifest_sha256},
                  {"images", info.images}};
  j["mode"] = info.mode;
  j["stall_prob"] = info.stall_prob;
  j["psum_stall_prob"] = info.psum_stall_prob < 0 ? info.stall_prob : info.psum_stall_prob;
  j["relu"] = info.relu;
  j["seed"] = info.seed;
  json rows = json::array();
  Totals t = Sum(layers);
  for (const auto& s : layers) {
    json mm = json::array();
    for (const auto& m : s.first_mismatches)
      mm.push_back({{"image", m.image},
                    {"test_image", ImageIndex(info, m.image)},
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
                    {"image_psums", s.image_psums},
                    {"image_mismatches", s.image_mismatches},
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

std::string RerunCommand(const RunInfo& info, const std::string& layer) {
  std::ostringstream cmd;
  cmd << ShellQuote(info.executable) << " --vectors " << ShellQuote(info.vectors_dir)
      << " --layers " << ShellQuote(layer) << " --seed " << info.seed;
  if (info.stall_prob > 0) cmd << " --stall-prob " << info.stall_prob;
  if (info.psum_stall_prob >= 0) cmd << " --psum-stall-prob " << info.psum_stall_prob;
  if (info.relu) cmd << " --relu";
  if (info.mode != "fast") cmd << " --mode " << info.mode;
  cmd << " --trace " << ShellQuote(layer + ".vcd");
  return cmd.str();
}

void WriteJUnitReport(const std::string& path, const RunInfo& info,
                      const std::vector<LayerStats>& layers) {
  struct Case {
    std::string name;
    double seconds = 0;
    std::string failure_type, failure_message, failure_text;
    bool error = false;
  };
  std::vector<Case> cases;
  for (const LayerStats& s : layers) {
    const std::vector<std::string> problems = ContractProblems(s);
    const size_t images = s.image_psums.size();
    const bool per_image = images > 1;
    for (size_t i = 0; i < (per_image ? images : 1); ++i) {
      Case c;
      c.name = s.name;
      if (per_image)
        c.name += " image " + std::to_string(ImageIndex(info, static_cast<int64_t>(i)));
      // A layer runs its images back to back: its time is shared by their psums.
      c.seconds = per_image && s.psums_compared > 0
                      ? s.wall_seconds * static_cast<double>(s.image_psums[i]) /
                            static_cast<double>(s.psums_compared)
                      : s.wall_seconds;
      const int64_t mismatches = per_image ? s.image_mismatches[i] : s.mismatches;
      std::ostringstream text;
      for (const Mismatch& m : s.first_mismatches)
        if (!per_image || m.image == static_cast<int64_t>(i)) text << "MISMATCH " << m << "\n";
      for (const auto& p : problems) text << s.name << ": " << p << "\n";
      if (s.hung) {
        c.error = true;
        c.failure_type = "hang";
        c.failure_message = "the core stopped making progress at cycle " + std::to_string(s.cycles);
      } else if (mismatches > 0) {
        c.failure_type = "mismatch";
        c.failure_message = std::to_string(mismatches) + " of " +
                            std::to_string(per_image ? s.image_psums[i] : s.psums_compared) +
                            " psums differ";
      } else if (!problems.empty()) {
        c.failure_type = "contract";
        c.failure_message = problems.front();
      }
      if (!c.failure_type.empty())
        c.failure_text = text.str() + "rerun: " + RerunCommand(info, s.name) + "\n";
      cases.push_back(c);
    }
  }
  int failures = 0, errors = 0;
  double total = 0;
  for (const Case& c : cases) {
    failures += !c.failure_type.empty() && !c.error;
    errors += c.error;
    total += c.seconds;
  }
  const std::string suite = "sa-cosim " + info.config.Name() + " " + info.vectors_dir;
  std::ostringstream x;
  x.setf(std::ios::fixed);
  x.precision(6);
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"sa-cosim\" tests=\"" << cases.size() << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\" time=\"" << total << "\">\n";
  x << "  <testsuite name=\"" << XmlEscape(suite) << "\" tests=\"" << cases.size()
    << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"0\" time=\""
    << total << "\" timestamp=\"" << XmlEscape(info.start_time) << "\" hostname=\""
    << XmlEscape(info.host) << "\">\n";
  x << "    <properties>\n";
  const std::pair<const char*, std::string> props[] = {{"command_line", info.command_line},
                                                       {"seed", std::to_string(info.seed)},
                                                       {"mode", info.mode},
                                                       {"manifest_sha256", info.manifest_sha256},
                                                       {"config", info.config.Name()}};
  for (const auto& [k, v] : props)
    x << "      <property name=\"" << k << "\" value=\"" << XmlEscape(v) << "\"/>\n";
  x << "    </properties>\n";
  const std::string classname = "sa-cosim." + info.config.Name();
  for (const Case& c : cases) {
    x << "    <testcase name=\"" << XmlEscape(c.name) << "\" classname=\"" << XmlEscape(classname)
      << "\" time=\"" << c.seconds << "\"";
    if (c.failure_type.empty()) {
      x << "/>\n";
      continue;
    }
    const char* tag = c.error ? "error" : "failure";
    x << ">\n      <" << tag << " type=\"" << c.failure_type << "\" message=\""
      << XmlEscape(c.failure_message) << "\">" << XmlEscape(c.failure_text) << "</" << tag
      << ">\n    </testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";
  const std::string text = x.str();
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace sa::sim
