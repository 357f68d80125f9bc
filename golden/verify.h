// Software check of a vector set: checksums, value ranges and psums recomputed independently.
#pragma once

#include <string>
#include <vector>

namespace sa::golden {

// Equal-width bins over a layer's psum range: bin b holds [low + b*width, low + (b+1)*width).
struct PsumHistogram {
  int64_t low = 0, width = 1;
  std::vector<int64_t> counts;
};

struct LayerCheck {
  std::string name;
  bool ok = false;
  std::string problem;  // first problem found, empty when ok
  int64_t psums = 0;
  double recon_max_abs_err = 0;
  int64_t act_near_ties = -1, wgt_near_ties = -1;  // -1: not recorded in layer.json
  PsumHistogram histogram;                         // filled when VerifyVectorSet is asked for bins
};

// Reads every layer of the set, one at a time (the reader checks sha256, geometry and that
// activations lie in [0, 2^a - 1] and weights in [-(2^(w-1) - 1), 2^(w-1) - 1], throwing
// vectors::FormatError otherwise), recomputes each psum with the
// direct integer convolution and compares exactly; with `histogram_bins` > 0 also bins each
// layer's psums in the same pass. Throws vectors::FormatError on unreadable sets.
std::vector<LayerCheck> VerifyVectorSet(const std::string& dir, int histogram_bins = 0);

// Writes CSV rows "layer,bin_low,bin_high,count" of the checks' histograms, for
// scripts/plot_psums.sh. Written atomically.
void WritePsumHistogramCsv(const std::vector<LayerCheck>& checks, const std::string& csv_path);

}  // namespace sa::golden
