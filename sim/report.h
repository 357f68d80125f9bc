// Per-layer result table and the JSON report of a co-simulation run.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sim/schedule.h"
#include "sim/testbench.h"

namespace sa::sim {

struct RunInfo {
  std::string vectors_dir, manifest_sha256, mode, executable, command_line;
  std::string start_time;  // UTC, ISO 8601
  std::string host;
  ArrayConfig config;
  double stall_prob = 0, psum_stall_prob = -1;
  bool relu = false;
  uint64_t seed = 0;
  std::vector<int64_t> images;  // test-set index of each image of the set, in set order
};

constexpr int kReportSchemaVersion = 2;

void PrintTableHeader(std::FILE* out);
void PrintTableRow(std::FILE* out, const LayerStats& s);
// The total line: all layers' psums and cycles, MAC-weighted utilization, overall cycles/s.
void PrintTotal(std::FILE* out, const std::vector<LayerStats>& layers);
// Writes the report atomically (a fresh temporary file, then rename).
void WriteJsonReport(const std::string& path, const RunInfo& info,
                     const std::vector<LayerStats>& layers);
// JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one testsuite per run, one
// testcase per layer, or per layer and image when the set holds several images (named by
// their test-set index); a wrong psum, overflow or contract violation is a <failure> with the
// mismatch list, a hang an <error>. Written atomically.
void WriteJUnitReport(const std::string& path, const RunInfo& info,
                      const std::vector<LayerStats>& layers);
// The one-line command that reruns just `layer` with the same seed and stalls and a trace
// window around its first mismatch.
std::string RerunCommand(const RunInfo& info, const std::string& layer);

}  // namespace sa::sim
