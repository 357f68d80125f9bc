// Vectors for Verilog testbenches: one layer of one image in the order a Rows x Cols
// weight-stationary core consumes it (the schedule of sim/schedule.h), as $readmemh files.
// The layout is written beside them (README.md) and read by rtl/tb/sa_memh_tb.sv.
#pragma once

#include <cstdint>
#include <string>

#include "sim/schedule.h"
#include "vectors/vector_set.h"

namespace sa::sim {

struct MemhCounts {
  int64_t passes = 0, wgt_rows = 0, act_beats = 0, psum_vectors = 0;
};

// Writes wgt.memh, act.memh, psum.memh and counts.memh for `layer` (batch 1) into the existing
// folder `dir`. With `max_passes` > 0 only the first passes are written, cut back to the end of
// an accumulation group so that every written activation has its psums. Throws
// vectors::FormatError when nothing would be written.
MemhCounts WriteMemh(const vectors::LayerVectors& layer, const ArrayConfig& cfg,
                     const std::string& dir, int64_t max_passes = 0);

// The README.md that describes the files' layout for `cfg`.
std::string MemhReadme(const ArrayConfig& cfg);

}  // namespace sa::sim
