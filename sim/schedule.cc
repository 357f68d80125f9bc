// Pass generation and beat packing for the weight-stationary mapping.
#include "sim/schedule.h"

#include <algorithm>

namespace sa::sim {

std::string ArrayConfig::Name() const {
  return std::to_string(rows) + "x" + std::to_string(cols) + " a" + std::to_string(act_width) +
         "w" + std::to_string(wgt_width);
}

LayerSchedule::LayerSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg)
    : layer_(layer), cfg_(cfg) {
  const auto& g = layer.info.geometry;
  out_h_ = g.OutH();
  out_w_ = g.OutW();
  co_tiles_ = (g.out_channels + cfg.cols - 1) / cfg.cols;
  ci_tiles_ = (g.in_channels + cfg.rows - 1) / cfg.rows;
  const int64_t pixels = out_h_ * out_w_;
  const int64_t group_passes = ci_tiles_ * g.kernel * g.kernel;
  // The pass list is held in memory (64 bytes a pass): refuse layers that would need more than
  // kMaxPasses before allocating, with overflow-checked products of the declared geometry.
  const int64_t chunks = (pixels + cfg.acc_depth - 1) / cfg.acc_depth;
  per_image_ =
      vectors::CheckedProduct({co_tiles_, chunks, group_passes}, kMaxImagePasses,
                              layer.info.name + ": passes per image on a " + cfg.Name() + " array");
  num_passes_ = per_image_ * g.batch;
  // Order: image, output-channel tile, pixel chunk; inside, the accumulation group runs over
  // input-channel tiles and kernel positions, so that each group's sums are released together.
  image_passes_.reserve(static_cast<size_t>(per_image_));
  for (int64_t co = 0; co < co_tiles_; ++co)
    for (int64_t begin = 0; begin < pixels; begin += cfg.acc_depth) {
      const int64_t len = std::min<int64_t>(cfg.acc_depth, pixels - begin);
      int64_t i = 0;
      for (int64_t ci = 0; ci < ci_tiles_; ++ci)
        for (int64_t ky = 0; ky < g.kernel; ++ky)
          for (int64_t kx = 0; kx < g.kernel; ++kx, ++i) {
            image_passes_.push_back({0, co, ci, ky, kx, begin, len, i == 0, i + 1 == group_passes});
            total_beats_ += len;
          }
      released_vectors_ += len;
    }
  total_beats_ *= g.batch;
  released_vectors_ *= g.batch;
}

void LayerSchedule::WeightRow(const PassDesc& p, int r, Bits* out) const {
  const auto& g = layer_.info.geometry;
  const int64_t ci = p.ci_tile * cfg_.rows + r;
  out->Clear(cfg_.cols * cfg_.wgt_width);
  if (ci >= g.in_channels) return;
  const int8_t* w = layer_.wgt.Data<int8_t>();
  for (int c = 0; c < cfg_.cols; ++c) {
    const int64_t co = p.co_tile * cfg_.cols + c;
    if (co >= g.out_channels) break;
    const int8_t v = w[((co * g.in_channels + ci) * g.kernel + p.ky) * g.kernel + p.kx];
    out->Put(c * cfg_.wgt_width, cfg_.wgt_width, static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
}

void LayerSchedule::ActBeat(const PassDesc& p, int64_t k, Bits* out) const {
  const auto& g = layer_.info.geometry;
  out->Clear(cfg_.rows * cfg_.act_width);
  const int64_t pixel = p.pixel_begin + k;
  const int64_t iy = (pixel / out_w_) * g.stride + p.ky - g.padding;
  const int64_t ix = (pixel % out_w_) * g.stride + p.kx - g.padding;
  if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return;
  const uint8_t* a = layer_.act.Data<uint8_t>();
  const int64_t plane = g.in_h * g.in_w;
  const int64_t ci0 = p.ci_tile * cfg_.rows;
  const int rows = static_cast<int>(std::min<int64_t>(cfg_.rows, g.in_channels - ci0));
  const uint8_t* base = a + (p.image * g.in_channels + ci0) * plane + iy * g.in_w + ix;
  for (int r = 0; r < rows; ++r) out->Put(r * cfg_.act_width, cfg_.act_width, base[r * plane]);
}

int64_t LayerSchedule::macs() const {
  const auto& g = layer_.info.geometry;
  return g.batch * g.out_channels * out_h_ * out_w_ * g.in_channels * g.kernel * g.kernel;
}

int64_t LayerSchedule::AnalyticalCycles() const {
  // A bank is refilled only after the pass before last has drained (rows + cols cycles after its
  // last beat) and takes `rows` cycles, all while the previous pass streams: pass i waits for
  // whatever of the 2*rows + cols turnaround the previous pass (its beats and its own wait) did
  // not cover. So waits alternate: a pass that waited gives the next one time to load (none in
  // ResNet-20 on 4x4 .. 16x16; layer 3 on 32 x 32 and 64 x 64).
  const int64_t turnaround = 2 * cfg_.rows + cfg_.cols;
  int64_t wait = 0, prev_wait = 0;
  for (int64_t i = 2; i < num_passes_; ++i) {
    const int64_t w = std::max<int64_t>(0, turnaround - (Pass(i - 1).pixels + prev_wait));
    wait += w;
    prev_wait = w;
  }
  const int64_t first_load = cfg_.rows;
  const int64_t pipeline = cfg_.rows + cfg_.cols + 1;  // last beat accepted -> its psum on the port
  return first_load + total_beats_ + wait + pipeline;
}

}  // namespace sa::sim
