// The output-stationary mapping for sa_os_core (rtl/README.md, "Output-stationary core"): each
// PE owns one output (pixel x channel) of a Rows x Cols output tile while one activation beat
// (Rows pixels) and one weight beat (Cols channels) per reduction step stream past it.
#include <algorithm>
#include <random>

#include "sim/schedule.h"

namespace sa::sim {
namespace {

class OsSchedule : public LayerSchedule {
 public:
  OsSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg, uint64_t split_seed)
      : LayerSchedule(layer, cfg) {
    const auto& g = layer.info.geometry;
    const int64_t co_tiles = (g.out_channels + cfg.cols - 1) / cfg.cols;
    const int64_t pixels = out_h_ * out_w_;
    const int64_t pixel_tiles = (pixels + cfg.rows - 1) / cfg.rows;
    taps_ = g.kernel * g.kernel;
    steps_ = g.in_channels * taps_;  // the reduction: input channel x kernel position
    ReservePasses({co_tiles, pixel_tiles, split_seed ? 4 : 1});
    // One pass per output tile, the whole reduction in it (the PE holds the sum): output-channel
    // tile, then pixel tile. The core releases all Rows vectors of a tile, last row first. With
    // a split seed, a tile's reduction is cut at up to 3 random steps into passes of one group.
    std::mt19937_64 rng(split_seed);
    for (int64_t co = 0; co < co_tiles; ++co)
      for (int64_t begin = 0; begin < pixels; begin += cfg.rows) {
        const int64_t tile_pixels = std::min<int64_t>(cfg.rows, pixels - begin);
        std::vector<int64_t> cuts = {0, steps_};
        if (split_seed)
          for (int64_t n = static_cast<int64_t>(rng() % 4); n > 0; --n)
            cuts.push_back(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(steps_)));
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        for (size_t i = 0; i + 1 < cuts.size(); ++i) {
          const bool last = i + 2 == cuts.size();
          const int64_t n = cuts[i + 1] - cuts[i];
          AddPass({0, co, 0, 0, 0, begin, tile_pixels, n, n, last ? cfg.rows : 0, i == 0, last,
                   false, cuts[i]});
        }
      }
    Finalize();
  }

  // Step step_begin + k = (input channel, ky, kx) in the weight tensor's order; lane c = output
  // channel c of the tile.
  void WeightBeat(const PassDesc& p, int64_t k, Bits* out) const override {
    const auto& g = layer_.info.geometry;
    out->Clear(cfg_.cols * cfg_.wgt_width);
    const int8_t* w = layer_.wgt.Data<int8_t>();
    const int cols =
        static_cast<int>(std::min<int64_t>(cfg_.cols, g.out_channels - p.co_tile * cfg_.cols));
    for (int c = 0; c < cols; ++c) {
      const int64_t co = p.co_tile * cfg_.cols + c;
      out->Put(c * cfg_.wgt_width, cfg_.wgt_width,
               static_cast<uint64_t>(static_cast<int64_t>(w[co * steps_ + p.step_begin + k])));
    }
  }

  // Step step_begin + k: lane r = the activation that output pixel pixel_begin + r multiplies.
  void ActBeat(const PassDesc& p, int64_t k, Bits* out) const override {
    const auto& g = layer_.info.geometry;
    out->Clear(cfg_.act_lanes() * cfg_.act_width);
    const int64_t step = p.step_begin + k;
    const int64_t ci = step / taps_, ky = step % taps_ / g.kernel, kx = step % g.kernel;
    const uint8_t* a =
        layer_.act.Data<uint8_t>() + (p.image * g.in_channels + ci) * g.in_h * g.in_w;
    for (int r = 0; r < p.pixels; ++r) {
      const int64_t pixel = p.pixel_begin + r;
      const int64_t iy = (pixel / out_w_) * g.stride + ky - g.padding;
      const int64_t ix = (pixel % out_w_) * g.stride + kx - g.padding;
      if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
      out->Put(r * cfg_.act_width, cfg_.act_width, a[iy * g.in_w + ix]);
    }
  }

  // The tile drains through the bottom row: row Rows-1 first.
  int64_t ReleasedPixel(const PassDesc& p, int64_t v) const override {
    const int64_t r = cfg_.rows - 1 - v;
    return r < p.pixels ? p.pixel_begin + r : -1;
  }

  CycleBreakdown Model() const override {
    // One reduction step per cycle. A tile's sums drain down the columns in Rows cycles while
    // the next tile accumulates, so consecutive tiles must end at least Rows cycles apart:
    // a tile of fewer than Rows steps waits for the difference (none in ResNet-20, whose
    // reductions are >= 144 steps, on arrays up to 64 rows).
    // Split tiles: the spacing is between tile ends, so a tile counts all its passes' steps.
    CycleBreakdown m;
    int64_t tile_steps = 0;
    bool first_tile = true;
    for (int64_t i = 0; i < num_passes_; ++i) {
      const PassDesc p = Pass(i);
      tile_steps += p.act_beats;
      if (!p.acc_last) continue;
      if (!first_tile) m.stall += std::max<int64_t>(0, cfg_.rows - tile_steps);
      first_tile = false;
      tile_steps = 0;
    }
    m.fill = 0;  // the input FIFO takes the first beat at once
    m.stream = total_act_beats_;
    // Last beat taken -> input FIFO and register (2) -> skew and array to PE(Rows-1, Cols-1)
    // (Rows + Cols - 2) -> its column's drain (Rows) -> output FIFO (1): the last of the
    // tile's Rows vectors taken from the port.
    m.drain = 2 * cfg_.rows + cfg_.cols + 1;
    return m;
  }

 private:
  int64_t taps_ = 0, steps_ = 0;
};

}  // namespace

std::unique_ptr<LayerSchedule> MakeOutputStationary(const vectors::LayerVectors& layer,
                                                    const ArrayConfig& cfg, uint64_t split_seed) {
  return std::make_unique<OsSchedule>(layer, cfg, split_seed);
}

}  // namespace sa::sim
