// Table, JSON and JUnit output of sa-cosim and sa-report, and the reader that merges shards.
#include "sim/report.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "vectors/input.h"
#include "vectors/output.h"
#include "vectors/sha256.h"

namespace sa::sim {
namespace {
using nlohmann::json;
namespace sv = sa::vectors;

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

// What went wrong in a layer beyond psum mismatches, one phrase each.
std::vector<std::string> ContractProblems(const LayerStats& s) {
  std::vector<std::string> p;
  if (!s.crash.empty()) p.push_back("the simulator process died running it: " + s.crash);
  if (!s.assertion.empty()) p.push_back("RTL assertion " + s.assertion + " failed");
  if (s.overflow) p.push_back("the accumulator's overflow flag was raised");
  if (s.extra_psums)
    p.push_back(std::to_string(s.extra_psums) + " psum vector(s) beyond the expected ones");
  if (s.busy_after_drain) p.push_back("busy_o still high after the last psum and a drain");
  if (s.busy_low_while_valid)
    p.push_back("busy_o low while psum_valid_o was high (" +
                std::to_string(s.busy_low_while_valid) + " cycles)");
  if (s.combinational_paths)
    p.push_back("a handshake output moved when inputs changed between clock edges (" +
                std::to_string(s.combinational_paths) +
                " cycles): a combinational path, where the contract allows registers only");
  if (s.psums_compared == 0 && !s.hung && s.assertion.empty() && s.crash.empty())
    p.push_back("no psum was compared");
  return p;
}

const char* Verdict(const LayerStats& s) {
  return s.Passed()                    ? "PASS"
         : !s.crash.empty()            ? "CRASH"
         : s.hung                      ? "HUNG"
         : !s.assertion.empty()        ? "ASSERT"
         : s.overflow && !s.mismatches ? "OVFL"
                                       : "FAIL";
}

json MismatchJson(const Mismatch& m, const RunInfo& info) {
  return {{"image", m.image},     {"test_image", ImageIndex(info, m.image)},
          {"channel", m.channel}, {"row", m.row},
          {"col", m.col},         {"expected", m.expected},
          {"got", m.got},         {"pass", m.pass},
          {"cycle", m.cycle}};
}

json CoverageJson(const CoverageBins& c) {
  json j = json::object();
#define SA_FIELD(name, agg, required, what) j[#name] = c.name;
  SA_COVERAGE_BINS(SA_FIELD)
#undef SA_FIELD
  return j;
}

json BreakdownJson(const CycleBreakdown& b) {
  return {{"fill", b.fill}, {"stream", b.stream}, {"stall", b.stall}, {"drain", b.drain}};
}

// The fields a unit and a per-layer total share.
json StatsJson(const LayerStats& s, const RunInfo& info) {
  json mm = json::array();
  for (const auto& m : s.first_mismatches) mm.push_back(MismatchJson(m, info));
  return {{"name", s.name},
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
          {"assertion", s.assertion},
          {"crash", s.crash},
          {"extra_psums", s.extra_psums},
          {"busy_after_drain", s.busy_after_drain},
          {"busy_low_while_valid", s.busy_low_while_valid},
          {"combinational_paths", s.combinational_paths},
          {"wgt2", s.wgt2},
          {"wgt_beats", s.wgt_beats},
          {"cycle_breakdown",
           {{"measured", BreakdownJson(s.measured)},
            {"model", BreakdownJson(s.model)},
            {"driver_gaps", s.gap_cycles}}},
          {"first_mismatches", mm},
          {"coverage", CoverageJson(s.coverage)}};
}

bool BoolField(const json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || !j[key].is_boolean())
    throw sv::FormatError(path + ": field '" + key + "' missing or not true/false");
  return j[key].get<bool>();
}

constexpr int64_t kBig = int64_t{1} << 62;

json UnitJson(const LayerStats& s, const RunInfo& info) {
  json u = StatsJson(s, info);
  u["unit"] = s.unit;
  u["image"] = s.image;
  u["test_image"] = s.test_image;
  return u;
}

// The fields StatsJson writes (a unit's or a layer's).
LayerStats StatsFromJson(const json& u, const RunInfo& info, const std::string& path) {
  LayerStats s;
  s.name = sv::StringField(u, "name", path);
  s.psums_compared = sv::IntField(u, "psums_compared", 0, kBig, path);
  s.mismatches = sv::IntField(u, "mismatches", 0, kBig, path);
  s.cycles = static_cast<uint64_t>(sv::IntField(u, "cycles", 0, kBig, path));
  s.expected_cycles = sv::IntField(u, "expected_cycles", 0, kBig, path);
  s.passes = sv::IntField(u, "passes", 0, kBig, path);
  s.macs = sv::IntField(u, "macs", 0, kBig, path);
  s.utilization = info.config.Utilization(s.macs, s.cycles, BoolField(u, "wgt2", path));
  s.wall_seconds = sv::NumberField(u, "wall_seconds", path);
  s.overflow = BoolField(u, "overflow", path);
  s.hung = BoolField(u, "hung", path);
  s.assertion = sv::StringField(u, "assertion", path);
  s.crash = sv::StringField(u, "crash", path);
  s.extra_psums = sv::IntField(u, "extra_psums", 0, kBig, path);
  s.busy_after_drain = BoolField(u, "busy_after_drain", path);
  s.busy_low_while_valid = sv::IntField(u, "busy_low_while_valid", 0, kBig, path);
  s.combinational_paths = sv::IntField(u, "combinational_paths", 0, kBig, path);
  s.wgt2 = BoolField(u, "wgt2", path);
  s.wgt_beats = sv::IntField(u, "wgt_beats", 0, kBig, path);
  const json& cb = sv::ObjectField(u, "cycle_breakdown", path);
  for (auto [key, into] : {std::pair{"measured", &s.measured}, std::pair{"model", &s.model}}) {
    const json& b = sv::ObjectField(cb, key, path);
    into->fill = sv::IntField(b, "fill", 0, kBig, path);
    into->stream = sv::IntField(b, "stream", 0, kBig, path);
    into->stall = sv::IntField(b, "stall", 0, kBig, path);
    into->drain = sv::IntField(b, "drain", 0, kBig, path);
  }
  s.gap_cycles = sv::IntField(cb, "driver_gaps", 0, kBig, path);
  for (const json& m : sv::ArrayField(u, "first_mismatches", path)) {
    Mismatch x;
    x.layer = s.name;
    x.image = sv::IntField(m, "image", 0, static_cast<int64_t>(info.images.size()) - 1, path);
    x.test_image = ImageIndex(info, x.image);
    x.channel = sv::IntField(m, "channel", 0, kBig, path);
    x.row = sv::IntField(m, "row", -1, kBig, path);  // -1: a padding row of an output tile
    x.col = sv::IntField(m, "col", -1, kBig, path);
    x.expected = sv::IntField(m, "expected", -kBig, kBig, path);
    x.got = sv::IntField(m, "got", -kBig, kBig, path);
    x.pass = sv::IntField(m, "pass", 0, kBig, path);
    x.cycle = static_cast<uint64_t>(sv::IntField(m, "cycle", 0, kBig, path));
    s.first_mismatches.push_back(x);
  }
  const json& cov = sv::ObjectField(u, "coverage", path);
#define SA_FIELD(name, agg, required, what) \
  s.coverage.name = sv::IntField(cov, #name, 0, kBig, path);
  SA_COVERAGE_BINS(SA_FIELD)
#undef SA_FIELD
  if (BoolField(u, "passed", path) != s.Passed())
    throw sv::FormatError(path + ": " + s.name + ": 'passed' disagrees with its counts");
  return s;
}

LayerStats UnitFromJson(const json& u, const RunInfo& info, const std::string& path) {
  LayerStats s = StatsFromJson(u, info, path);
  s.unit = sv::IntField(u, "unit", 0, info.units_planned - 1, path);
  s.image = sv::IntField(u, "image", 0, static_cast<int64_t>(info.images.size()) - 1, path);
  s.test_image = sv::IntField(u, "test_image", -1, kBig, path);
  s.image_psums = {s.psums_compared};
  s.image_mismatches = {s.mismatches};
  return s;
}

LayerStats LayerFromJson(const json& l, const RunInfo& info, const std::string& path) {
  LayerStats s = StatsFromJson(l, info, path);
  for (auto [key, into] : {std::pair{"image_psums", &s.image_psums},
                           std::pair{"image_mismatches", &s.image_mismatches}}) {
    const json& a = sv::ArrayField(l, key, path);
    if (a.size() != info.images.size())
      throw sv::FormatError(path + ": layer " + s.name + ": " + key + " has " +
                            std::to_string(a.size()) + " entries, not one per image");
    for (const json& v : a) into->push_back(sv::IntValue(v, 0, kBig, key, path));
  }
  s.utilization = info.config.Utilization(s.macs, s.cycles, s.wgt2);
  return s;
}

// Layer `layer` of `layers` (summed into), appended in order when new.
LayerStats& LayerNamed(std::vector<LayerStats>& layers, const std::string& name, size_t images) {
  auto it = std::find_if(layers.begin(), layers.end(),
                         [&](const LayerStats& l) { return l.name == name; });
  if (it != layers.end()) return *it;
  LayerStats l;
  l.name = name;
  l.image_psums.assign(images, 0);
  l.image_mismatches.assign(images, 0);
  layers.push_back(l);
  return layers.back();
}

}  // namespace

std::string UnitJsonLine(const LayerStats& unit, const RunInfo& info) {
  return UnitJson(unit, info).dump();  // dump() without indent: one line, newlines escaped
}

LayerStats UnitFromJsonLine(const std::string& line, const RunInfo& info, const std::string& what) {
  return UnitFromJson(sv::ParseStrictJson(std::vector<uint8_t>(line.begin(), line.end()), what),
                      info, what);
}

// The shortest decimal that reads back as exactly `v`: a rerun must redraw the same stalls
// (0.12345678 printed at 6 digits was 0.123457, another stall pattern).
std::string RoundTrip(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=,:+") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void AddCounts(const LayerStats& from, LayerStats* into) {
  into->psums_compared += from.psums_compared;
  into->mismatches += from.mismatches;
  into->cycles += from.cycles;
  into->expected_cycles += from.expected_cycles;
  into->macs += from.macs;
  into->passes += from.passes;
  into->wall_seconds += from.wall_seconds;
  into->overflow |= from.overflow;
  into->hung |= from.hung;
  if (into->assertion.empty()) into->assertion = from.assertion;
  if (into->crash.empty()) into->crash = from.crash;
  into->extra_psums += from.extra_psums;
  into->busy_after_drain |= from.busy_after_drain;
  into->busy_low_while_valid += from.busy_low_while_valid;
  into->combinational_paths += from.combinational_paths;
  into->measured.Add(from.measured);
  into->model.Add(from.model);
  into->gap_cycles += from.gap_cycles;
  into->wgt_beats += from.wgt_beats;
  into->wgt2 |= from.wgt2;
  into->coverage.Add(from.coverage);
}

std::vector<LayerStats> ByLayer(const std::vector<LayerStats>& units, const RunInfo& info) {
  std::vector<LayerStats> layers;
  const size_t images = info.images.size();
  for (const LayerStats& u : units) {
    LayerStats& l = LayerNamed(layers, u.name, images);
    AddCounts(u, &l);
    for (const Mismatch& m : u.first_mismatches)
      if (static_cast<int>(l.first_mismatches.size()) < info.max_mismatches)
        l.first_mismatches.push_back(m);
    if (u.image >= 0 && static_cast<size_t>(u.image) < images) {
      l.image_psums[static_cast<size_t>(u.image)] += u.psums_compared;
      l.image_mismatches[static_cast<size_t>(u.image)] += u.mismatches;
    }
  }
  for (LayerStats& l : layers) l.utilization = info.config.Utilization(l.macs, l.cycles, l.wgt2);
  return layers;
}

void PrintTable(std::FILE* out, const std::vector<LayerStats>& layers, bool rows) {
  if (rows)
    std::fprintf(out, "%-16s %-6s %9s %9s %10s %10s %7s %8s\n", "layer", "result", "psums",
                 "mismatch", "cycles", "expected", "util", "Mcyc/s");
  LayerStats total;
  double array_cycles = 0;
  bool passed = true;
  for (const LayerStats& s : layers) {
    if (rows)
      std::fprintf(out, "%-16s %-6s %9lld %9lld %10llu %10lld %6.1f%% %8.2f\n", s.name.c_str(),
                   Verdict(s), static_cast<long long>(s.psums_compared),
                   static_cast<long long>(s.mismatches), static_cast<unsigned long long>(s.cycles),
                   static_cast<long long>(s.expected_cycles), 100 * s.utilization,
                   Rate(s.cycles, s.wall_seconds) / 1e6);
    AddCounts(s, &total);
    passed &= s.Passed();
    array_cycles += s.utilization > 0 ? static_cast<double>(s.macs) / s.utilization : 0;
  }
  std::fprintf(out, "%-16s %-6s %9lld %9lld %10llu %10lld %6.1f%% %8.2f\n", "TOTAL",
               passed ? "PASS" : "FAIL", static_cast<long long>(total.psums_compared),
               static_cast<long long>(total.mismatches),
               static_cast<unsigned long long>(total.cycles),
               static_cast<long long>(total.expected_cycles),
               array_cycles > 0 ? 100 * static_cast<double>(total.macs) / array_cycles : 0.0,
               Rate(total.cycles, total.wall_seconds) / 1e6);
  std::fprintf(out, "%zu layers, %.3f s of simulation wall time\n", layers.size(),
               total.wall_seconds);
  std::fflush(out);
}

void PrintCoverage(std::FILE* out, const std::vector<LayerStats>& units, const ArrayConfig& cfg) {
  CoverageBins total;
  for (const LayerStats& u : units) total.Add(u.coverage);
  std::fprintf(out, "functional coverage (counts over all units):\n");
  std::string never;
#define SA_ROW(name, agg, required, what)                                                     \
  std::fprintf(out, "  %-30s %12lld  %s\n", #name, static_cast<long long>(total.name), what); \
  if (total.name == 0) never += std::string(never.empty() ? "" : ", ") + #name;
  SA_COVERAGE_BINS(SA_ROW)
#undef SA_ROW
  const int64_t banks = int64_t{2} * cfg.rows * cfg.cols;
  if (total.pe_banks_loaded < banks)
    std::fprintf(out, "  only %lld of %lld PE weight banks loaded in any one unit\n",
                 static_cast<long long>(total.pe_banks_loaded), static_cast<long long>(banks));
  std::fprintf(out, "  never hit: %s\n", never.empty() ? "none" : never.c_str());
}

int PrintProblems(std::FILE* out, const RunInfo& info, const std::vector<LayerStats>& units,
                  int max_reruns) {
  int failing = 0;
  for (const LayerStats& s : units) {
    if (s.Passed()) continue;
    ++failing;
    const std::string where =
        s.name + (info.images.size() > 1 ? " image " + std::to_string(s.test_image) : "");
    if (s.hung)
      std::fprintf(out, "%s: the core stopped making progress at cycle %llu\n", where.c_str(),
                   static_cast<unsigned long long>(s.cycles));
    for (const std::string& p : ContractProblems(s))
      std::fprintf(out, "%s: %s\n", where.c_str(), p.c_str());
    for (const Mismatch& m : s.first_mismatches) {
      std::ostringstream line;
      line << m;
      std::fprintf(out, "MISMATCH %s\n", line.str().c_str());
    }
    if (s.mismatches > static_cast<int64_t>(s.first_mismatches.size()))
      std::fprintf(
          out, "%s: %lld more mismatches not shown (--max-mismatches)\n", where.c_str(),
          static_cast<long long>(s.mismatches - static_cast<int64_t>(s.first_mismatches.size())));
    if (failing <= max_reruns)
      std::fprintf(out, "rerun %s: %s\n", where.c_str(), RerunCommand(info, s).c_str());
  }
  if (failing > max_reruns)
    std::fprintf(out,
                 "%d more failing units: each one's rerun command is in the JUnit report "
                 "(--junit FILE)\n",
                 failing - max_reruns);
  return failing;
}

void WriteJsonReport(const std::string& path, const Report& report) {
  const RunInfo& info = report.info;
  const bool compact = report.UnitCount() > info.full_detail_units;
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["tool"] = "sa-cosim";
  j["command_line"] = info.command_line;
  j["start_time"] = info.start_time;
  j["host"] = info.host;
  j["versions"] = {{"verilator", info.versions_verilator}, {"systemc", info.versions_systemc}};
  j["executable"] = info.executable;
  j["config"] = {{"rows", info.config.rows},
                 {"cols", info.config.cols},
                 {"act_width", info.config.act_width},
                 {"wgt_width", info.config.wgt_width},
                 {"psum_width", info.config.psum_width},
                 {"acc_depth", info.config.acc_depth},
                 {"dataflow", DataflowName(info.config.dataflow)},
                 {"wgt2_mode", info.config.wgt2_mode}};
  j["vectors"] = {{"dir", info.vectors_dir},
                  {"set_sha256", info.set_sha256},
                  {"checkpoint_sha256", info.checkpoint_sha256},
                  {"images", info.images}};
  j["mode"] = info.mode;
  j["stall_prob"] = info.stall_prob;
  j["psum_stall_prob"] = info.psum_stall_prob;
  j["relu"] = info.relu;
  j["relu_random"] = info.relu_random;
  j["split_tiles"] = info.split_tiles;
  j["probe_handshakes"] = info.probe_handshakes;
  j["wgt2_mode"] = info.wgt2;
  j["seed"] = info.seed;
  j["max_mismatches"] = info.max_mismatches;
  j["shard"] = {{"index", info.shard.index}, {"count", info.shard.count}};
  j["jobs"] = info.jobs;
  j["units_planned"] = info.units_planned;
  j["wall_seconds"] = info.wall_seconds;
  json unit_rows = json::array();
  for (const LayerStats& s : report.units)
    if (!compact || !s.Passed()) unit_rows.push_back(UnitJson(s, info));
  json layer_rows = json::array();
  const std::vector<LayerStats>& layers = report.layers;
  LayerStats t;
  bool passed = true;
  for (const LayerStats& s : layers) {
    json l = StatsJson(s, info);
    l["image_psums"] = s.image_psums;
    l["image_mismatches"] = s.image_mismatches;
    layer_rows.push_back(l);
    AddCounts(s, &t);
    passed &= s.Passed();
  }
  j["layers"] = layer_rows;
  j["units"] = unit_rows;
  j["total"] = {{"passed", passed},
                {"units", report.UnitCount()},
                {"psums_compared", t.psums_compared},
                {"mismatches", t.mismatches},
                {"cycles", t.cycles},
                {"expected_cycles", t.expected_cycles},
                {"macs", t.macs},
                {"utilization_mac_weighted", info.config.Utilization(t.macs, t.cycles, t.wgt2)},
                {"wall_seconds", t.wall_seconds},
                {"cycles_per_second", Rate(t.cycles, t.wall_seconds)},
                {"coverage", CoverageJson(t.coverage)}};
  std::string text = j.dump(2) + "\n";
  // Compact: the passing units, read (rows) or run (units), one row each in unit order.
  std::vector<UnitRow> rows;
  if (compact) {
    rows = report.rows;
    for (const LayerStats& s : report.units)
      if (s.Passed()) rows.push_back(UnitRow{s.unit, s.image, s.name, s.cycles, s.wall_seconds});
    std::sort(rows.begin(), rows.end(),
              [](const UnitRow& a, const UnitRow& b) { return a.unit < b.unit; });
  }
  if (!rows.empty()) {
    // One row per line (pretty-printing would put each number on its own): spliced in before
    // the object's closing brace.
    std::string block =
        ",\n  \"passed_units\": {\n    \"columns\": [\"unit\", \"layer\", \"image\", "
        "\"cycles\", \"wall_seconds\"],\n    \"rows\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t layer = static_cast<size_t>(
          std::find_if(layers.begin(), layers.end(),
                       [&](const LayerStats& l) { return l.name == rows[i].layer; }) -
          layers.begin());
      block += (i ? ",\n      [" : "\n      [") + std::to_string(rows[i].unit) + ", " +
               std::to_string(layer) + ", " + std::to_string(rows[i].image) + ", " +
               std::to_string(rows[i].cycles) + ", " + RoundTrip(rows[i].wall_seconds) + "]";
    }
    block += "\n    ]\n  }\n}\n";
    text.resize(text.size() - 3);  // "\n}\n"
    text += block;
  }
  sv::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

Report ReadJsonReport(const std::string& path) {
  // No array of a report sa-cosim writes is longer than its units (180,000 for the test set's
  // 10,000 images x 18 layers) or its images: a longer one is refused while it is parsed.
  constexpr size_t kMaxReportArray = 2000000;
  const json j = sv::ParseStrictJson(sv::ReadRegularFile(path, 1ull << 30), path, kMaxReportArray);
  if (!j.is_object() || !j.contains("schema_version") || !j["schema_version"].is_number_integer() ||
      j["schema_version"].get<int64_t>() != kReportSchemaVersion)
    throw sv::FormatError(path + ": not an sa-cosim report of schema version " +
                          std::to_string(kReportSchemaVersion));
  Report r;
  RunInfo& info = r.info;
  info.command_line = sv::StringField(j, "command_line", path);
  info.start_time = sv::StringField(j, "start_time", path);
  info.host = sv::StringField(j, "host", path);
  info.executable = sv::StringField(j, "executable", path);
  const json& versions = sv::ObjectField(j, "versions", path);
  info.versions_verilator = sv::StringField(versions, "verilator", path);
  info.versions_systemc = sv::StringField(versions, "systemc", path);
  const json& c = sv::ObjectField(j, "config", path);
  info.config.rows = static_cast<int>(sv::IntField(c, "rows", 1, 4096, path));
  info.config.cols = static_cast<int>(sv::IntField(c, "cols", 1, 4096, path));
  info.config.act_width = static_cast<int>(sv::IntField(c, "act_width", 1, 64, path));
  info.config.wgt_width = static_cast<int>(sv::IntField(c, "wgt_width", 1, 64, path));
  info.config.psum_width = static_cast<int>(sv::IntField(c, "psum_width", 1, 64, path));
  info.config.acc_depth = static_cast<int>(sv::IntField(c, "acc_depth", 1, 1 << 24, path));
  const std::string dataflow = sv::StringField(c, "dataflow", path);
  if (dataflow != "ws" && dataflow != "os")
    throw sv::FormatError(path + ": config.dataflow '" + dataflow + "' is neither ws nor os");
  info.config.dataflow =
      dataflow == "os" ? Dataflow::kOutputStationary : Dataflow::kWeightStationary;
  info.config.wgt2_mode = BoolField(c, "wgt2_mode", path);
  const json& v = sv::ObjectField(j, "vectors", path);
  info.vectors_dir = sv::StringField(v, "dir", path);
  info.set_sha256 = sv::StringField(v, "set_sha256", path);
  info.checkpoint_sha256 = sv::StringField(v, "checkpoint_sha256", path);
  // A set holds at most the test set's images many times over; a report that lists millions
  // is not one sa-cosim wrote, and reading it would take minutes and gigabytes.
  constexpr size_t kMaxImages = 1000000;  // 100 times the test set
  const json& image_list = sv::ArrayField(v, "images", path);
  if (image_list.size() > kMaxImages)
    throw sv::FormatError(path + ": vectors.images lists " + std::to_string(image_list.size()) +
                          " images; at most " + std::to_string(kMaxImages));
  for (const json& i : image_list)
    info.images.push_back(sv::IntValue(i, 0, kBig, "vectors.images", path));
  info.mode = sv::StringField(j, "mode", path);
  info.stall_prob = sv::NumberField(j, "stall_prob", path);
  info.psum_stall_prob = sv::NumberField(j, "psum_stall_prob", path);
  info.relu = BoolField(j, "relu", path);
  info.relu_random = BoolField(j, "relu_random", path);
  info.split_tiles = BoolField(j, "split_tiles", path);
  info.probe_handshakes = BoolField(j, "probe_handshakes", path);
  info.wgt2 = sv::StringField(j, "wgt2_mode", path);
  if (info.wgt2 != "auto" && info.wgt2 != "on" && info.wgt2 != "off" && info.wgt2 != "mixed")
    throw sv::FormatError(path + ": wgt2_mode '" + info.wgt2 + "' is not auto, on, off or mixed");
  info.seed = static_cast<uint64_t>(sv::IntField(j, "seed", 0, kBig, path));
  info.max_mismatches = static_cast<int>(sv::IntField(j, "max_mismatches", 0, 1000000, path));
  const json& shard = sv::ObjectField(j, "shard", path);
  info.shard.count = static_cast<int>(sv::IntField(shard, "count", 1, 1000000, path));
  info.shard.index = static_cast<int>(sv::IntField(shard, "index", 0, info.shard.count - 1, path));
  info.jobs = static_cast<int>(sv::IntField(j, "jobs", 1, 4096, path));
  info.units_planned = sv::IntField(j, "units_planned", 1, kBig, path);  // 0: nothing checked
  info.wall_seconds = sv::NumberField(j, "wall_seconds", path);
  if (!(info.wall_seconds >= 0))
    throw sv::FormatError(path + ": wall_seconds must be a number >= 0");
  for (const json& u : sv::ArrayField(j, "units", path))
    r.units.push_back(UnitFromJson(u, info, path));
  for (const json& l : sv::ArrayField(j, "layers", path))
    r.layers.push_back(LayerFromJson(l, info, path));
  if (j.contains("passed_units")) {
    const json& rows = sv::ArrayField(sv::ObjectField(j, "passed_units", path), "rows", path);
    r.rows.reserve(rows.size());
    for (const json& row : rows) {
      if (!row.is_array() || row.size() != 5 || !row[4].is_number())
        throw sv::FormatError(path +
                              ": passed_units: a row is not [unit, layer, image, cycles, "
                              "wall_seconds]");
      UnitRow u;
      u.unit = sv::IntValue(row[0], 0, info.units_planned - 1, "passed_units unit", path);
      const int64_t layer = sv::IntValue(row[1], 0, static_cast<int64_t>(r.layers.size()) - 1,
                                         "passed_units layer", path);
      u.layer = r.layers[static_cast<size_t>(layer)].name;
      u.image = sv::IntValue(row[2], 0, static_cast<int64_t>(info.images.size()) - 1,
                             "passed_units image", path);
      u.cycles = static_cast<uint64_t>(sv::IntValue(row[3], 0, kBig, "passed_units cycles", path));
      u.wall_seconds = row[4].get<double>();
      r.rows.push_back(std::move(u));
    }
  }
  // The per-layer totals must be the units' (a merge adds them up): psums and cycles agree.
  int64_t psums = 0, unit_psums = 0;
  for (const LayerStats& l : r.layers) psums += l.psums_compared;
  for (const LayerStats& u : r.units) unit_psums += u.psums_compared;
  if (r.rows.empty() && psums != unit_psums)
    throw sv::FormatError(path + ": the layers' psum counts disagree with the units'");
  return r;
}

namespace {

// What differs between two runs that must be one regression's ("array configuration", "seed or
// stall options"), or nullptr.
const char* RunDiffers(const RunInfo& a, const RunInfo& b) {
  if (b.config.Name() != a.config.Name() || b.config.psum_width != a.config.psum_width ||
      b.config.acc_depth != a.config.acc_depth)
    return "array configuration";
  if (b.seed != a.seed || b.stall_prob != a.stall_prob || b.psum_stall_prob != a.psum_stall_prob ||
      b.relu != a.relu || b.relu_random != a.relu_random || b.split_tiles != a.split_tiles ||
      b.probe_handshakes != a.probe_handshakes || b.mode != a.mode || b.wgt2 != a.wgt2 ||
      b.max_mismatches != a.max_mismatches)
    return "seed or stall options";
  return nullptr;
}

}  // namespace

namespace {

// A merged layer's failure details as the one-process run has them: first mismatches, the first
// failed assertion and crash, from its units in unit order (failing units are always in full).
void TakeFailuresInUnitOrder(const std::vector<LayerStats>& units, const RunInfo& info,
                             std::vector<LayerStats>* layers) {
  for (LayerStats& l : *layers) {
    l.first_mismatches.clear();
    l.assertion.clear();
    l.crash.clear();
  }
  for (const LayerStats& u : units) {
    LayerStats& l = LayerNamed(*layers, u.name, info.images.size());
    for (const Mismatch& m : u.first_mismatches)
      if (static_cast<int>(l.first_mismatches.size()) < info.max_mismatches)
        l.first_mismatches.push_back(m);
    if (l.assertion.empty()) l.assertion = u.assertion;
    if (l.crash.empty()) l.crash = u.crash;
  }
  for (LayerStats& l : *layers) l.utilization = info.config.Utilization(l.macs, l.cycles, l.wgt2);
}

}  // namespace

Report MergeParts(const std::vector<Report>& parts_given, const std::vector<std::string>& paths) {
  if (parts_given.empty()) throw sv::FormatError("sa-report merge --parts: no report given");
  std::vector<size_t> order(parts_given.size());
  for (size_t k = 0; k < order.size(); ++k) {
    order[k] = k;
    const Report& p = parts_given[k];
    if (p.info.images.empty()) throw sv::FormatError(paths[k] + ": lists no images");
    if (p.info.shard.count != 1 || p.UnitCount() != p.info.units_planned)
      throw sv::FormatError(paths[k] + ": holds " + std::to_string(p.UnitCount()) + " of " +
                            std::to_string(p.info.units_planned) +
                            " units (a shard?); each part must be a whole run of its set");
  }
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return parts_given[x].info.images[0] < parts_given[y].info.images[0];
  });
  const Report& first = parts_given[order[0]];
  const RunInfo& a = first.info;
  Report merged;
  merged.info = a;
  merged.info.images.clear();
  merged.info.units_planned = 0;
  merged.info.wall_seconds = 0;
  merged.info.vectors_dir = a.vectors_dir + " (+" + std::to_string(order.size() - 1) + " parts)";
  std::vector<uint8_t> shas;
  std::set<int64_t> seen;
  for (size_t k : order) {
    const Report& p = parts_given[k];
    const RunInfo& b = p.info;
    auto differs = [&](const std::string& what) {
      throw sv::FormatError(paths[k] + ": " + what + " differs from " + paths[order[0]] +
                            "'s: not a part of the same regression");
    };
    if (b.checkpoint_sha256 != a.checkpoint_sha256) differs("checkpoint");
    if (const char* what = RunDiffers(a, b)) differs(what);
    if (p.layers.size() != first.layers.size() ||
        !std::equal(p.layers.begin(), p.layers.end(), first.layers.begin(),
                    [](const LayerStats& x, const LayerStats& y) { return x.name == y.name; }))
      differs("layer list");
    for (int64_t t : b.images)
      if (!seen.insert(t).second)
        throw sv::FormatError(paths[k] + ": test image " + std::to_string(t) +
                              " is also in another part");
    const int64_t unit0 = merged.info.units_planned;
    const int64_t image0 = static_cast<int64_t>(merged.info.images.size());
    for (LayerStats u : p.units) {
      u.unit += unit0;
      u.image += image0;
      for (Mismatch& m : u.first_mismatches) m.image += image0;
      u.vectors_dir = b.vectors_dir;  // its part's set, for the rerun command
      merged.units.push_back(std::move(u));
    }
    for (UnitRow r : p.rows) {
      r.unit += unit0;
      r.image += image0;
      merged.rows.push_back(std::move(r));
    }
    merged.info.images.insert(merged.info.images.end(), b.images.begin(), b.images.end());
    merged.info.units_planned += b.units_planned;
    merged.info.wall_seconds = std::max(merged.info.wall_seconds, b.wall_seconds);
    shas.insert(shas.end(), b.set_sha256.begin(), b.set_sha256.end());
  }
  merged.info.set_sha256 = sv::Sha256Hex(shas);
  // Layers: the parts' counts summed, per-image counts one part after another, first mismatches
  // again from the failing units in unit order.
  const size_t images = merged.info.images.size();
  for (const LayerStats& l : first.layers) LayerNamed(merged.layers, l.name, images);
  size_t image0 = 0;
  for (size_t k : order) {
    const Report& p = parts_given[k];
    for (size_t i = 0; i < p.layers.size(); ++i) {
      LayerStats& m = merged.layers[i];
      AddCounts(p.layers[i], &m);
      for (size_t n = 0; n < p.layers[i].image_psums.size(); ++n) {
        m.image_psums[image0 + n] = p.layers[i].image_psums[n];
        m.image_mismatches[image0 + n] = p.layers[i].image_mismatches[n];
      }
    }
    image0 += p.info.images.size();
  }
  TakeFailuresInUnitOrder(merged.units, merged.info, &merged.layers);
  return merged;
}

Report MergeReports(const std::vector<Report>& shards, const std::vector<std::string>& paths) {
  if (shards.empty()) throw sv::FormatError("sa-report merge: no report given");
  Report merged;
  merged.info = shards[0].info;
  const RunInfo& a = shards[0].info;
  std::vector<std::string> seen(static_cast<size_t>(a.shard.count));
  for (size_t k = 0; k < shards.size(); ++k) {
    const RunInfo& b = shards[k].info;
    auto differs = [&](const char* what) {
      throw sv::FormatError(paths[k] + ": " + what + " differs from " + paths[0] +
                            "'s: not a shard of the same regression");
    };
    if (b.set_sha256 != a.set_sha256 || b.images != a.images) differs("vector set");
    if (const char* what = RunDiffers(a, b)) differs(what);
    if (b.units_planned != a.units_planned) differs("plan (layers or images)");
    if (b.shard.count != a.shard.count) differs("shard count");
    std::string& owner = seen[static_cast<size_t>(b.shard.index)];
    if (!owner.empty())
      throw sv::FormatError(paths[k] + ": shard " + std::to_string(b.shard.index) + "/" +
                            std::to_string(b.shard.count) + " is also " + owner);
    owner = paths[k];
    for (const LayerStats& u : shards[k].units) {
      if (u.unit % b.shard.count != b.shard.index)
        throw sv::FormatError(paths[k] + ": unit " + std::to_string(u.unit) +
                              " does not belong to shard " + std::to_string(b.shard.index));
      merged.units.push_back(u);
    }
    for (const UnitRow& u : shards[k].rows) {
      if (u.unit % b.shard.count != b.shard.index)
        throw sv::FormatError(paths[k] + ": unit " + std::to_string(u.unit) +
                              " does not belong to shard " + std::to_string(b.shard.index));
      merged.rows.push_back(u);
    }
  }
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i].empty())
      throw sv::FormatError("sa-report merge: shard " + std::to_string(i) + "/" +
                            std::to_string(seen.size()) + " is missing");
  std::sort(merged.units.begin(), merged.units.end(),
            [](const LayerStats& x, const LayerStats& y) { return x.unit < y.unit; });
  std::sort(merged.rows.begin(), merged.rows.end(),
            [](const UnitRow& x, const UnitRow& y) { return x.unit < y.unit; });
  if (merged.UnitCount() != a.units_planned)
    throw sv::FormatError("sa-report merge: " + std::to_string(merged.UnitCount()) + " of " +
                          std::to_string(a.units_planned) + " planned units reported");
  // Units in full and in rows, walked together in unit order: each planned unit exactly once.
  // The layers follow in plan order (each at its first unit).
  std::vector<std::string> order;
  for (size_t u = 0, r = 0, i = 0; i < static_cast<size_t>(a.units_planned); ++i) {
    const bool in_units =
        u < merged.units.size() && merged.units[u].unit == static_cast<int64_t>(i);
    const bool in_rows = r < merged.rows.size() && merged.rows[r].unit == static_cast<int64_t>(i);
    if (in_units == in_rows)
      throw sv::FormatError("sa-report merge: unit " + std::to_string(i) +
                            " is missing or repeated (a shard stopped early?)");
    const std::string& name = in_units ? merged.units[u++].name : merged.rows[r++].layer;
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  // The shards' layer totals summed; first mismatches again from the units, in unit order.
  const size_t images = a.images.size();
  for (const std::string& name : order) LayerNamed(merged.layers, name, images);
  for (const Report& r : shards)
    for (const LayerStats& l : r.layers) {
      auto it = std::find_if(merged.layers.begin(), merged.layers.end(),
                             [&](const LayerStats& m) { return m.name == l.name; });
      if (it == merged.layers.end())
        throw sv::FormatError("sa-report merge: layer " + l.name + " has totals but no units");
      AddCounts(l, &*it);
      for (size_t i = 0; i < images && i < l.image_psums.size(); ++i) {
        it->image_psums[i] += l.image_psums[i];
        it->image_mismatches[i] += l.image_mismatches[i];
      }
    }
  TakeFailuresInUnitOrder(merged.units, merged.info, &merged.layers);
  merged.info.shard = Shard{};
  for (const Report& r : shards)  // shards run side by side: the run took the longest one's
    merged.info.wall_seconds = std::max(merged.info.wall_seconds, r.info.wall_seconds);
  return merged;
}

std::string TraceFileName(const LayerStats& unit) {
  return unit.name + "-" + std::to_string(unit.test_image) + ".vcd";
}

std::string RerunCommand(const RunInfo& info, const LayerStats& unit) {
  std::ostringstream cmd;
  const std::string& set = unit.vectors_dir.empty() ? info.vectors_dir : unit.vectors_dir;
  cmd << info.executable << " --vectors " << ShellQuote(set) << " --layers "
      << ShellQuote(unit.name) << " --images " << unit.test_image << " --seed " << info.seed;
  if (info.stall_prob > 0) cmd << " --stall-prob " << RoundTrip(info.stall_prob);
  if (info.psum_stall_prob >= 0) cmd << " --psum-stall-prob " << RoundTrip(info.psum_stall_prob);
  if (info.relu) cmd << " --relu";
  if (info.relu_random) cmd << " --relu-random";
  if (info.split_tiles) cmd << " --split-tiles";
  if (info.probe_handshakes) cmd << " --probe-handshakes";
  if (info.wgt2 != "auto") cmd << " --wgt2-mode " << info.wgt2;
  if (info.mode != "fast") cmd << " --mode " << info.mode;
  cmd << " --trace " << ShellQuote(TraceFileName(unit));
  return cmd.str();
}

void WriteJUnitReport(const std::string& path, const Report& report) {
  const RunInfo& info = report.info;
  const std::vector<LayerStats>& units = report.units;
  const bool compact = report.UnitCount() > info.full_detail_units;
  int failures = 0, errors = 0;
  double total = 0;
  // Compact: a testcase per layer for its passing units (count and summed time).
  std::vector<std::pair<std::string, std::pair<int64_t, double>>> folded;
  int64_t cases = 0;  // testcases written: units in full, then one per folded layer
  auto fold = [&](const std::string& layer, double seconds) {
    auto it =
        std::find_if(folded.begin(), folded.end(), [&](const auto& f) { return f.first == layer; });
    if (it == folded.end()) it = folded.insert(folded.end(), {layer, {0, 0.0}});
    ++it->second.first;
    it->second.second += seconds;
  };
  for (const LayerStats& s : units) {
    const bool error = s.hung || !s.crash.empty();
    failures += !s.Passed() && !error;
    errors += error;
    total += s.wall_seconds;
    if (compact && s.Passed())
      fold(s.name, s.wall_seconds);
    else
      ++cases;
  }
  for (const UnitRow& r : report.rows) {
    total += r.wall_seconds;
    fold(r.layer, r.wall_seconds);
  }
  cases += static_cast<int64_t>(folded.size());
  // The suite took the run's wall time (with --jobs, less than the units' sum); the sum only
  // for a caller that has no wall time.
  if (info.wall_seconds > 0) total = info.wall_seconds;
  const std::string suite = "sa-cosim " + info.config.Name() + " " + info.vectors_dir;
  std::ostringstream x;
  x.setf(std::ios::fixed);
  x.precision(3);  // Jenkins' junit-10.xsd allows at most 3 decimals (SUREFIRE_TIME)
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"sa-cosim\" tests=\"" << cases << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\" time=\"" << total << "\">\n";
  x << "  <testsuite name=\"" << XmlEscape(suite) << "\" tests=\"" << cases << "\" failures=\""
    << failures << "\" errors=\"" << errors << "\" skipped=\"0\" time=\"" << total
    << "\" timestamp=\"" << XmlEscape(info.start_time) << "\" hostname=\"" << XmlEscape(info.host)
    << "\">\n";
  x << "    <properties>\n";
  const std::pair<const char*, std::string> props[] = {
      {"command_line", info.command_line},
      {"seed", std::to_string(info.seed)},
      {"mode", info.mode},
      {"set_sha256", info.set_sha256},
      {"config", info.config.Name()},
      {"shard", std::to_string(info.shard.index) + "/" + std::to_string(info.shard.count)}};
  for (const auto& [k, v] : props)
    x << "      <property name=\"" << k << "\" value=\"" << XmlEscape(v) << "\"/>\n";
  x << "    </properties>\n";
  const std::string classname = "sa-cosim." + info.config.Name();
  const bool per_image = info.images.size() > 1;
  for (const auto& [layer, count_time] : folded)
    x << "    <testcase name=\""
      << XmlEscape(layer + ": " + std::to_string(count_time.first) + " passing units")
      << "\" classname=\"" << XmlEscape(classname) << "\" time=\"" << count_time.second << "\"/>\n";
  for (const LayerStats& s : units) {
    if (compact && s.Passed()) continue;
    const std::string name =
        s.name + (per_image ? " image " + std::to_string(s.test_image) : std::string());
    x << "    <testcase name=\"" << XmlEscape(name) << "\" classname=\"" << XmlEscape(classname)
      << "\" time=\"" << s.wall_seconds << "\"";
    if (s.Passed()) {
      x << "/>\n";
      continue;
    }
    const std::vector<std::string> problems = ContractProblems(s);
    std::string type, message;
    if (!s.crash.empty()) {
      type = "crash";
      message = "the simulator process died running it: " + s.crash;
    } else if (s.hung) {
      type = "hang";
      message = "the core stopped making progress at cycle " + std::to_string(s.cycles);
    } else if (!s.assertion.empty()) {
      type = "assertion";
      message = "RTL assertion " + s.assertion + " failed";
    } else if (s.mismatches > 0) {
      type = "mismatch";
      message = std::to_string(s.mismatches) + " of " + std::to_string(s.psums_compared) +
                " psums differ";
    } else {
      type = "contract";
      message = problems.empty() ? "failed" : problems.front();
    }
    std::ostringstream text;
    for (const Mismatch& m : s.first_mismatches) text << "MISMATCH " << m << "\n";
    for (const auto& p : problems) text << s.name << ": " << p << "\n";
    text << "rerun: " << RerunCommand(info, s) << "\n";
    if (!s.waveform.empty()) text << "waveform: " << s.waveform << "\n";
    const char* tag = s.hung || !s.crash.empty() ? "error" : "failure";
    x << ">\n      <" << tag << " type=\"" << type << "\" message=\"" << XmlEscape(message) << "\">"
      << XmlEscape(text.str()) << "</" << tag << ">\n    </testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";
  const std::string text = x.str();
  sv::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace sa::sim
