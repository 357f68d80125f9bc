// Layer scheduler: turns a conv layer into weight-stationary passes for a Rows x Cols array
// (rtl/README.md, "Pass mapping") and generates the packed beats of each pass on demand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/dut_ports.h"
#include "vectors/vector_set.h"

namespace sa::sim {

struct ArrayConfig {
  int rows = 8, cols = 8, act_width = 4, wgt_width = 4, psum_width = 24, acc_depth = 1024;
  std::string Name() const;
};

// One pass: a weight tile for (output-channel tile, input-channel tile, kernel position) and the
// activations of a chunk of at most acc_depth output pixels of one image.
struct PassDesc {
  int64_t image, co_tile, ci_tile, ky, kx;
  int64_t pixel_begin, pixels;  // output pixels in row-major order
  bool acc_first, acc_last;
};

class LayerSchedule {
 public:
  // Passes of one image are held in memory (64 bytes each); every image repeats them, so memory
  // does not grow with the batch. Throws vectors::FormatError when one image needs more than
  // kMaxImagePasses passes (ResNet-20 needs at most 2,304 per image, on 4 x 4).
  static constexpr int64_t kMaxImagePasses = int64_t{1} << 22;
  LayerSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg);

  int64_t num_passes() const { return num_passes_; }
  // Pass i of the layer, in streaming order (image-major).
  PassDesc Pass(int64_t i) const {
    PassDesc p = image_passes_[static_cast<size_t>(i % per_image_)];
    p.image = i / per_image_;
    return p;
  }
  // Cols weights of row r of the pass's tile, column c in bits [c*wgt_width +: wgt_width].
  void WeightRow(const PassDesc& p, int r, Bits* out) const;
  // Rows activations for beat k (output pixel pixel_begin + k), row r in bits [r*act_width ...];
  // zero where the kernel position falls in the padding or the channel is beyond Cin.
  void ActBeat(const PassDesc& p, int64_t k, Bits* out) const;

  int64_t total_beats() const { return total_beats_; }
  int64_t released_vectors() const { return released_vectors_; }
  // MACs of the layer as a convolution (padded taps included, partial tiles excluded).
  int64_t macs() const;
  // Cycles the schedule needs on the RTL without stalls (see rtl/README.md, "Timing"): the
  // first tile load, one cycle per beat, any weight-load wait of passes shorter than the bank
  // turnaround, and the pipeline drain.
  int64_t AnalyticalCycles() const;

 private:
  const vectors::LayerVectors& layer_;
  ArrayConfig cfg_;
  int64_t out_h_, out_w_, co_tiles_, ci_tiles_;
  std::vector<PassDesc> image_passes_;  // the passes of image 0
  int64_t per_image_ = 0, num_passes_ = 0;
  int64_t total_beats_ = 0, released_vectors_ = 0;
};

}  // namespace sa::sim
