// The comparison table and its gnuplot data (see compare.h).
#include "sim/compare.h"

#include <algorithm>
#include <sstream>

#include "vectors/input.h"
#include "vectors/output.h"

namespace sa::sim {
namespace {

struct Row {
  std::vector<LayerStats> layers;
  LayerStats total;
};

Row Layers(const Report& r) {
  Row row;
  row.layers = r.layers;
  for (const LayerStats& l : row.layers) AddCounts(l, &row.total);
  row.total.utilization =
      r.info.config.Utilization(row.total.macs, row.total.cycles, row.total.wgt2);
  return row;
}

void PrintRow(std::FILE* out, const char* layer, const std::string& run, const LayerStats& s,
              double first_cycles) {
  std::fprintf(out, "%-16s %-13s %9llu %9lld %6.1f%% %5lld %9lld %7lld %5lld %7.3f %9lld\n", layer,
               run.c_str(), static_cast<unsigned long long>(s.cycles),
               static_cast<long long>(s.expected_cycles), 100 * s.utilization,
               static_cast<long long>(s.measured.fill), static_cast<long long>(s.measured.stream),
               static_cast<long long>(s.measured.stall), static_cast<long long>(s.measured.drain),
               first_cycles > 0 ? static_cast<double>(s.cycles) / first_cycles : 0.0,
               static_cast<long long>(s.wgt_beats));
}

}  // namespace

std::string RunLabel(const Report& r);

namespace {
// The runs' labels, numbered where two runs share one ("ws 8x8 #2").
std::vector<std::string> Labels(const std::vector<Report>& runs) {
  std::vector<std::string> labels;
  for (const Report& r : runs) {
    std::string l = RunLabel(r);
    if (std::count(labels.begin(), labels.end(), l) > 0)
      l += " #" + std::to_string(labels.size() + 1);
    labels.push_back(l);
  }
  return labels;
}
}  // namespace

std::string RunLabel(const Report& r) {
  const ArrayConfig& c = r.info.config;
  bool wgt2 = false;
  for (const LayerStats& l : r.layers) wgt2 |= l.wgt2;
  return std::string(DataflowName(c.dataflow)) + " " + std::to_string(c.rows) + "x" +
         std::to_string(c.cols) + (wgt2 ? " 2-bit" : "");
}

void CheckComparable(const std::vector<Report>& runs, const std::vector<std::string>& paths) {
  if (runs.empty()) throw vectors::FormatError("sa-report compare: no report given");
  const std::vector<LayerStats>& first = runs[0].layers;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Report& r = runs[i];
    for (const LayerStats& u : r.units)
      if (!u.Passed())
        throw vectors::FormatError(paths[i] + ": unit " + std::to_string(u.unit) + " (" + u.name +
                                   ") failed; compare passing runs only");
    const RunInfo &a = runs[0].info, &b = r.info;
    if (b.set_sha256 != a.set_sha256 || b.stall_prob != a.stall_prob ||
        b.psum_stall_prob != a.psum_stall_prob || b.relu != a.relu || b.seed != a.seed)
      throw vectors::FormatError(paths[i] + ": another vector set, stall pattern or --relu than " +
                                 paths[0]);
    if (r.UnitCount() != b.units_planned)
      throw vectors::FormatError(paths[i] + ": holds " + std::to_string(r.UnitCount()) + " of " +
                                 std::to_string(b.units_planned) +
                                 " units (one shard?); merge the shards first (sa-report merge)");
    const std::vector<LayerStats>& layers = r.layers;
    bool same = layers.size() == first.size();
    for (size_t k = 0; same && k < layers.size(); ++k) same = layers[k].name == first[k].name;
    if (!same)
      throw vectors::FormatError(paths[i] + ": other layers than " + paths[0] +
                                 " (run every report on the same --layers)");
  }
}

void PrintComparison(std::FILE* out, const std::vector<Report>& runs) {
  std::vector<Row> rows;
  for (const Report& r : runs) rows.push_back(Layers(r));
  std::fprintf(out, "%-16s %-13s %9s %9s %7s %5s %9s %7s %5s %7s %9s\n", "layer", "run", "cycles",
               "model", "util", "fill", "stream", "stall", "drain", "x first", "wgt beats");
  const std::vector<std::string> labels = Labels(runs);
  for (size_t k = 0; k < rows[0].layers.size(); ++k)
    for (size_t i = 0; i < rows.size(); ++i)
      PrintRow(out, i == 0 ? rows[0].layers[k].name.c_str() : "", labels[i], rows[i].layers[k],
               static_cast<double>(rows[0].layers[k].cycles));
  for (size_t i = 0; i < rows.size(); ++i)
    PrintRow(out, i == 0 ? "TOTAL" : "", labels[i], rows[i].total,
             static_cast<double>(rows[0].total.cycles));
  std::fprintf(out,
               "fill: before the first activation beat; stream: activation beats taken; stall: "
               "the core not ready for an offered beat; drain: after the last beat; wgt beats: "
               "weight beats taken (all measured on the RTL's pins; model: sim/schedule.h)\n");
}

void WriteComparisonData(const std::string& path, const std::vector<Report>& runs) {
  std::vector<Row> rows;
  std::ostringstream s;
  s << "index layer";
  const std::vector<std::string> labels = Labels(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    rows.push_back(Layers(runs[i]));
    const std::string& label = labels[i];
    for (const char* what : {"", " model", " util", " fill", " stall", " drain"})
      s << " \"" << label << what << "\"";
  }
  s << "\n";
  for (size_t k = 0; k < rows[0].layers.size(); ++k) {
    s << k << " " << rows[0].layers[k].name;
    for (const Row& row : rows) {
      const LayerStats& l = row.layers[k];
      s << " " << l.cycles << " " << l.expected_cycles << " " << l.utilization << " "
        << l.measured.fill << " " << l.measured.stall << " " << l.measured.drain;
    }
    s << "\n";
  }
  const std::string text = s.str();
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace sa::sim
