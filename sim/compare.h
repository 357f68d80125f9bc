// Side-by-side comparison of sa-cosim runs of one vector set on different cores (dataflows,
// array sizes, the 2-bit mode): per layer, cycles measured and modelled, utilization, and where
// the cycles went, as a table and as a data file for gnuplot (scripts/compare_dataflows.sh).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sim/report.h"

namespace sa::sim {

// A run's label: dataflow, array and mode, e.g. "ws 8x8", "ws 8x8 2-bit", "os 16x16".
std::string RunLabel(const Report& r);

// Checks that the reports are comparable (every run passed, the same set and layers) and
// throws vectors::FormatError naming the first that is not.
void CheckComparable(const std::vector<Report>& runs, const std::vector<std::string>& paths);

// The table: per layer a row per run, then a total per run; "x first" is the run's cycles over
// the first run's.
void PrintComparison(std::FILE* out, const std::vector<Report>& runs);

// Whitespace-separated columns for gnuplot (scripts/compare_dataflows.sh), a row per layer:
// index, layer, then per run: cycles, model, utilization, fill, stall, drain; the header row
// names each column by its run ("ws 8x8", "ws 8x8 model", ...). Written atomically.
void WriteComparisonData(const std::string& path, const std::vector<Report>& runs);

}  // namespace sa::sim
