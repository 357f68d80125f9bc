// Per-layer result table and the JSON report of a co-simulation run.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sim/schedule.h"
#include "sim/testbench.h"

namespace sa::sim {

struct RunInfo {
  std::string vectors_dir, manifest_sha256, mode, executable;
  ArrayConfig config;
  double stall_prob = 0;
  uint64_t seed = 0;
};

void PrintTableHeader(std::FILE* out);
void PrintTableRow(std::FILE* out, const LayerStats& s);
// The total line: all layers' psums and cycles, MAC-weighted utilization, overall cycles/s.
void PrintTotal(std::FILE* out, const std::vector<LayerStats>& layers);
// Writes the report atomically (FILE.tmp, then rename).
void WriteJsonReport(const std::string& path, const RunInfo& info,
                     const std::vector<LayerStats>& layers);

}  // namespace sa::sim
