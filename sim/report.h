// Results of a co-simulation run: the table, the JSON report (also read back, to merge shards),
// JUnit XML and the rerun command of a failing unit.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sim/plan.h"
#include "sim/schedule.h"
#include "sim/testbench.h"

namespace sa::sim {

// Above this many units (the whole test set is 180,000), passing units are written compactly:
// a JSON row [unit, layer, image, cycles, wall_seconds] each, and in JUnit one testcase per
// layer for all of them. Failing units are always written in full.
constexpr int64_t kFullDetailUnits = 10000;

// Everything about a run except its per-unit results. The fields above the line are the same in
// every shard of one regression (a merge checks them); those below describe one process.
struct RunInfo {
  // executable: the shell words that start this core (e.g. `sa-cosim --core ws --array 4x8`).
  std::string vectors_dir, set_sha256, mode, executable;
  std::string checkpoint_sha256;  // the set's checkpoint (parts of a regression share it)
  ArrayConfig config;
  double stall_prob = 0, psum_stall_prob = -1;
  bool relu = false, relu_random = false, split_tiles = false, probe_handshakes = false;
  std::string wgt2 = "auto";  // --wgt2-mode
  uint64_t seed = 0;
  int max_mismatches = 10;
  std::vector<int64_t> images;  // test-set index of each image of the set, in set order
  int64_t units_planned = 0;    // units of the whole regression, all shards together
  std::string versions_verilator, versions_systemc;
  // ---- per process
  std::string command_line, start_time, host;  // start time: UTC, ISO 8601
  Shard shard;
  int jobs = 1;
  double wall_seconds = 0;  // the run's wall time (a merge: the longest shard's)
  int64_t full_detail_units = kFullDetailUnits;  // not written: how this process writes reports
};

// Schema 3: per-unit results ("units", one per layer and image) beside the per-layer totals.
// Schema 4: the dataflow and 2-bit mode in "config", "wgt2_mode" (the --wgt2-mode choice); per
// unit and layer, "wgt2", "wgt_beats" and "cycle_breakdown" (measured and model).
// Schema 5: vectors.set_sha256 (was manifest_sha256). Schema 6: per unit "crash" (the worker
// that ran it died), per run "wall_seconds", "relu_random" and "split_tiles", and the coverage
// bins multi_pass_groups, relu_group_changes and unused_lanes_driven. Schema 7: per unit and
// layer "combinational_paths", per run "probe_handshakes" (--probe-handshakes), the coverage
// bin wgt2_mode_switches, and "wgt2_mode" may be "mixed". Schema 8: runs of more than
// kFullDetailUnits units list passing units as compact rows under "passed_units" (failing ones
// stay in full under "units"); a merge sums the shards' "layers".
constexpr int kReportSchemaVersion = 8;

// One row per layer, its units summed in plan order; utilization is all MACs over all
// array-cycles, first mismatches kept up to `max_mismatches` per layer.
std::vector<LayerStats> ByLayer(const std::vector<LayerStats>& units, const RunInfo& info);
// Adds the counts, flags, cycle breakdowns and coverage of `from` to `into` (a layer's units,
// or the layers of a run); mismatch lists, per-image counts and utilization are the caller's.
void AddCounts(const LayerStats& from, LayerStats* into);

// The table: a row per layer (unless `rows` is false) and the total line.
void PrintTable(std::FILE* out, const std::vector<LayerStats>& layers, bool rows = true);
// The functional coverage bins (testbench.h) summed over `units`, and those never hit.
void PrintCoverage(std::FILE* out, const std::vector<LayerStats>& units, const ArrayConfig& cfg);
// Problems of failing units (hangs, overflow, contract violations, mismatches) and the command
// that reruns each (at most `max_reruns` listed); returns the number of failing units.
int PrintProblems(std::FILE* out, const RunInfo& info, const std::vector<LayerStats>& units,
                  int max_reruns = 10);

// A passing unit as a compact report row holds it.
struct UnitRow {
  int64_t unit = 0, image = 0;
  std::string layer;
  uint64_t cycles = 0;
  double wall_seconds = 0;
};

struct Report {
  RunInfo info;
  std::vector<LayerStats> units;   // units in full: all of them, or (compact) the failing ones
  std::vector<UnitRow> rows;       // passing units read from compact rows
  std::vector<LayerStats> layers;  // per-layer totals over every unit, in plan order
  int64_t UnitCount() const { return static_cast<int64_t>(units.size() + rows.size()); }
};
// Writes the report atomically (a fresh temporary file, then rename); compact above
// info.full_detail_units units.
void WriteJsonReport(const std::string& path, const Report& report);

// One unit's result as one line of JSON (no newline) and back: how --jobs workers hand each
// result to the parent as soon as it is done, so a worker that dies loses none it finished.
std::string UnitJsonLine(const LayerStats& unit, const RunInfo& info);
LayerStats UnitFromJsonLine(const std::string& line, const RunInfo& info, const std::string& what);

// Reads a report written by WriteJsonReport (strictly: types, ranges, no duplicate keys);
// throws vectors::FormatError naming the file.
Report ReadJsonReport(const std::string& path);
// The reports of all shards of one regression as one: same set, configuration, seed and
// options, every shard present once, every planned unit once. Throws vectors::FormatError
// naming the file that does not fit. The result equals the one-process run in everything
// but wall time and the per-process fields: layers are the shards' layers summed, their first
// mismatches taken again in unit order from the failing units (always kept in full).
Report MergeReports(const std::vector<Report>& shards, const std::vector<std::string>& paths);
// The reports of the parts of one regression whose tasks each dumped and ran their own images
// (scripts/slurm/testset.sbatch): complete runs of sets from the same checkpoint with the same
// layers, configuration, seed and options, and no test image twice. Parts are taken in the
// order of their first test image; the merged run holds their images and units one part after
// another, its set identity is the sha256 of the parts' in that order, and each failing unit
// keeps its part's set for its rerun command.
Report MergeParts(const std::vector<Report>& parts, const std::vector<std::string>& paths);

// JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one testsuite per run, one
// testcase per unit (named by the layer, plus "image T" when the set holds several images); a
// wrong psum, overflow or contract violation is a <failure> with the mismatch list and the
// rerun command, a hang or a crashed worker an <error>. The suite's time is the run's wall
// time. Above info.full_detail_units units, the passing units of each layer are one testcase.
// Written atomically.
void WriteJUnitReport(const std::string& path, const Report& report);

// The one-line command that reruns just `unit`'s layer and image with the same seed and stalls
// and a trace window around its first mismatch.
std::string RerunCommand(const RunInfo& info, const LayerStats& unit);

// The file name of a unit's waveform: LAYER-TESTIMAGE.vcd (rerun commands and --trace-failures).
std::string TraceFileName(const LayerStats& unit);

// `s` as one shell word: unchanged when it is plain, else single-quoted.
std::string ShellQuote(const std::string& s);
// `v` in the shortest decimal that reads back as the same double.
std::string RoundTrip(double v);

}  // namespace sa::sim
