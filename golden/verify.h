// Software check of a vector set: checksums, value ranges and psums recomputed independently.
#pragma once

#include <string>
#include <vector>

namespace sa::golden {

struct LayerCheck {
  std::string name;
  bool ok = false;
  std::string problem;  // first problem found, empty when ok
  int64_t psums = 0;
  double recon_max_abs_err = 0;
};

// Reads every layer of the set (sha256 checked by the reader), checks that activations lie in
// [0, 2^a - 1] and weights in [-(2^(w-1) - 1), 2^(w-1) - 1], recomputes each psum with the
// direct integer convolution and compares exactly. Throws vectors::FormatError on unreadable sets.
std::vector<LayerCheck> VerifyVectorSet(const std::string& dir);

// Writes CSV rows "layer,bin_low,bin_high,count" of each layer's psum histogram (`bins` equal
// bins over that layer's range), for scripts/plot_psums.sh. Written atomically.
void WritePsumHistogram(const std::string& dir, const std::string& csv_path, int bins);

}  // namespace sa::golden
