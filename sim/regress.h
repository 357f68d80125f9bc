// The regression driver behind sa-cosim: checks every input before the first cycle, plans the
// units (layer x image), takes this shard's, runs them in this process or in --jobs worker
// processes, and prints and writes the results. It knows nothing of Verilator: each sa-cosim
// executable hands it a factory for its own simulator.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sim/report.h"
#include "sim/testbench.h"

namespace sa::sim {

struct RegressOptions {
  std::string vectors, layers, images, trace, report, junit, mode = "fast", shard, coverage;
  std::string trace_failures;  // a folder: one waveform per failing unit
  std::string wgt2 = "auto";   // the 2-bit mode: auto, on, off
  int max_mismatches = 10;
  int jobs = 1;
  int64_t full_detail_units = 10000;  // RunInfo::full_detail_units
  uint64_t trace_window = 200;        // cycles each side of a failure in a waveform
  double stall_prob = 0, psum_stall_prob = -1;
  uint64_t seed = 1;
  bool quiet = false, relu = false;
  bool relu_random = false, split_tiles = false;  // constrained-random stimulus (RunOptions)
  bool probe_handshakes = false;                  // RunOptions::probe_handshakes
  bool require_coverage = false;  // exit 1 when a required coverage bin was never hit
};

// One elaborated DUT with its harness. SystemC elaborates once per process, so a simulator is
// made only where it runs units: in a worker, or in the main process when --jobs is 1 (and to
// write a trace, after the workers are done).
class UnitSimulator {
 public:
  virtual ~UnitSimulator() = default;
  // Runs one unit (a layer's vectors, batch 1) to completion and returns its counts; with
  // `trace`, the cycles in its window go to the open waveform.
  virtual void Run(LayerRun* run, const TraceWindow* trace) = 0;
  virtual void OpenTrace(const std::string& path) = 0;
  // The model's code coverage so far (throws where the build has none).
  virtual void WriteCoverage(const std::string& path) = 0;
  virtual void CloseTrace() = 0;
};

struct SimulatorInfo {
  ArrayConfig config;
  bool has_pin_model = false, has_coverage = false;
  std::string verilator_version, systemc_version;
  std::function<std::unique_ptr<UnitSimulator>(const std::string& mode)> make;
};

// The whole run. Returns 0 when every unit passed, 1 when the design failed; throws (exit 2 in
// main) when the run cannot be done.
int RunRegression(const RegressOptions& opt, const SimulatorInfo& sim, const std::string& argv0,
                  const std::string& command_line);

}  // namespace sa::sim
