// Layer mappings: how a conv layer becomes the passes and beats a Rows x Cols core consumes, and
// where each released psum vector belongs. A dataflow is a mapping (here) plus a core (rtl/);
// the driver, scoreboard, reports and traces are shared. Weight-stationary: sim/schedule.cc
// (rtl/README.md, "Pass mapping"); output-stationary: sim/os_schedule.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/dut_ports.h"
#include "vectors/vector_set.h"

namespace sa::sim {

enum class Dataflow { kWeightStationary, kOutputStationary };
const char* DataflowName(Dataflow d);  // "ws" / "os"

struct ArrayConfig {
  int rows = 8, cols = 8, act_width = 4, wgt_width = 4, psum_width = 24, acc_depth = 1024;
  Dataflow dataflow = Dataflow::kWeightStationary;
  // The core has the run-time 2-bit mode (act_wgt2_i): each PE row takes two activations and a
  // 4-bit weight lane holds two 2-bit weights, so act_data_i has 2 x Rows lanes.
  bool wgt2_mode = false;
  int act_lanes() const { return wgt2_mode ? 2 * rows : rows; }
  // MACs over what the array could do in `cycles`: Rows x Cols per cycle, twice that in 2-bit
  // passes.
  double Utilization(int64_t macs, uint64_t cycles, bool wgt2) const {
    return cycles ? static_cast<double>(macs) / (static_cast<double>(rows) * cols * (wgt2 ? 2 : 1) *
                                                 static_cast<double>(cycles))
                  : 0;
  }
  std::string Name() const;
};

// One pass: what the core streams between two act_last_i beats. Weight-stationary: a weight
// tile for (output-channel tile, input-channel tile, kernel position) under the activations of
// a chunk of at most acc_depth output pixels (one beat each). Output-stationary: a tile of at
// most Rows output pixels x Cols output channels, one beat of each stream per reduction step.
struct PassDesc {
  int64_t image, co_tile, ci_tile, ky, kx;
  int64_t pixel_begin, pixels;  // output pixels in row-major order
  int64_t wgt_beats, act_beats;
  // Psum vectors released after the pass's last beat (0 unless acc_last).
  int64_t releases;
  bool acc_first, acc_last;
  bool wgt2;               // drive act_wgt2_i: 2-bit weight pairs, two input channels per PE row
  int64_t step_begin = 0;  // output-stationary: the pass's first reduction step
  int64_t ci_begin = 0;    // weight-stationary: the tile's first input channel
};

// The model's cycles of a layer without stalls, by where they go: `fill` before the first
// activation beat is taken, `stream` one per beat, `stall` beats the core must wait between
// passes (weight-bank turnaround, output-tile spacing), `drain` after the last beat until its
// psum is taken. The harness measures the same four from the pins (LayerStats).
struct CycleBreakdown {
  int64_t fill = 0, stream = 0, stall = 0, drain = 0;
  int64_t Total() const { return fill + stream + stall + drain; }
  void Add(const CycleBreakdown& o) {
    fill += o.fill;
    stream += o.stream;
    stall += o.stall;
    drain += o.drain;
  }
};

// How a weight-stationary core with the 2-bit mode runs a layer whose weights fit in 2 bits.
// kMixed: each input-channel tile of each accumulation group picks 2-bit or 4-bit passes at
// random, so that the two modes alternate back to back, within groups too (stimulus for the
// contract tests; 4-bit passes where the mode does not apply).
enum class Wgt2Choice { kAuto, kOff, kOn, kMixed };

class LayerSchedule {
 public:
  // Passes of one image are held in memory; every image repeats them, so memory does not grow
  // with the batch. Throws vectors::FormatError when one image needs more than kMaxImagePasses
  // passes (ResNet-20 needs at most 2,304 per image, on 4 x 4).
  static constexpr int64_t kMaxImagePasses = int64_t{1} << 22;
  virtual ~LayerSchedule() = default;

  const ArrayConfig& config() const { return cfg_; }
  int64_t num_passes() const { return num_passes_; }
  // Pass i of the layer, in streaming order (image-major).
  PassDesc Pass(int64_t i) const {
    PassDesc p = image_passes_[static_cast<size_t>(i % per_image_)];
    p.image = i / per_image_;
    return p;
  }
  // Weight beat k (< p.wgt_beats) of the pass: Cols lanes, lane c at [c*wgt_width +: wgt_width].
  virtual void WeightBeat(const PassDesc& p, int64_t k, Bits* out) const = 0;
  // Activation beat k (< p.act_beats): act_lanes() lanes, lane r at [r*act_width +: act_width];
  // zero where a kernel position falls in the padding or a channel or pixel is beyond the layer.
  virtual void ActBeat(const PassDesc& p, int64_t k, Bits* out) const = 0;
  // The output pixel of released vector v (< p.releases) of pass p; its lane c is output channel
  // p.co_tile * Cols + c. -1: a vector of a partial tile that belongs to no pixel (all zeros).
  virtual int64_t ReleasedPixel(const PassDesc& p, int64_t v) const = 0;
  virtual CycleBreakdown Model() const = 0;
  int64_t AnalyticalCycles() const { return Model().Total(); }

  int64_t total_act_beats() const { return total_act_beats_; }
  int64_t released_vectors() const { return released_vectors_; }
  // MACs of the layer as a convolution (padded taps included, partial tiles excluded).
  int64_t macs() const;

 protected:
  LayerSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg);
  // Checks that `per_image` passes fit in memory, before any is generated.
  void ReservePasses(const std::vector<int64_t>& factors);
  void AddPass(const PassDesc& p);  // a pass of image 0
  void Finalize();                  // after the last AddPass: totals over the batch

  const vectors::LayerVectors& layer_;
  ArrayConfig cfg_;
  int64_t out_h_, out_w_;
  std::vector<PassDesc> image_passes_;  // the passes of image 0
  int64_t per_image_ = 0, num_passes_ = 0;
  int64_t total_act_beats_ = 0, released_vectors_ = 0;
};

// The mapping of the core's dataflow. `wgt2` picks the 2-bit passes on a core that has the
// mode (kAuto: when the layer's weights fit in 2 bits); kOn on a layer or core that cannot
// throws vectors::FormatError. `split_seed` (output-stationary; 0: none) splits each tile's
// reduction into 1 to 4 passes at steps drawn from it, as the contract allows (acc_first on the
// first, acc_last on the last); the weight-stationary mapping's groups already span passes.
// `mix_seed` (nonzero) draws the modes of Wgt2Choice::kMixed.
std::unique_ptr<LayerSchedule> MakeSchedule(const vectors::LayerVectors& layer,
                                            const ArrayConfig& cfg,
                                            Wgt2Choice wgt2 = Wgt2Choice::kAuto,
                                            uint64_t split_seed = 0, uint64_t mix_seed = 1);
// The two mappings behind MakeSchedule (schedule.cc, os_schedule.cc). `mix_seed` 0: every pass
// in one mode (`wgt2`); otherwise each tile's mode drawn from it.
std::unique_ptr<LayerSchedule> MakeWeightStationary(const vectors::LayerVectors& layer,
                                                    const ArrayConfig& cfg, bool wgt2,
                                                    uint64_t mix_seed = 0);
std::unique_ptr<LayerSchedule> MakeOutputStationary(const vectors::LayerVectors& layer,
                                                    const ArrayConfig& cfg,
                                                    uint64_t split_seed = 0);

}  // namespace sa::sim
