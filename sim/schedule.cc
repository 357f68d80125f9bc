// The mapping interface's shared part, the factory, and the weight-stationary mapping: pass
// generation and beat packing for sa_core (rtl/README.md, "Pass mapping" and "2-bit mode").
#include "sim/schedule.h"

#include <algorithm>
#include <random>

namespace sa::sim {

const char* DataflowName(Dataflow d) { return d == Dataflow::kOutputStationary ? "os" : "ws"; }

std::string ArrayConfig::Name() const {
  std::string s = std::to_string(rows) + "x" + std::to_string(cols) + " a" +
                  std::to_string(act_width) + "w" + std::to_string(wgt_width);
  if (dataflow == Dataflow::kOutputStationary) s += " os";
  if (wgt2_mode) s += " +2bit";
  return s;
}

LayerSchedule::LayerSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg)
    : layer_(layer), cfg_(cfg) {
  out_h_ = layer.info.geometry.OutH();
  out_w_ = layer.info.geometry.OutW();
}

// The pass list is held in memory (about 100 bytes a pass): refuse layers that would need more
// than kMaxImagePasses before allocating, with overflow-checked products of the geometry.
void LayerSchedule::ReservePasses(const std::vector<int64_t>& factors) {
  int64_t n = 1;
  for (int64_t f : factors)
    n = vectors::CheckedProduct(
        {n, f}, kMaxImagePasses,
        layer_.info.name + ": passes per image on a " + cfg_.Name() + " array");
  image_passes_.reserve(static_cast<size_t>(n));
}

void LayerSchedule::AddPass(const PassDesc& p) {
  image_passes_.push_back(p);
  total_act_beats_ += p.act_beats;
  released_vectors_ += p.acc_last ? p.releases : 0;
}

void LayerSchedule::Finalize() {
  const int64_t batch = layer_.info.geometry.batch;
  per_image_ = static_cast<int64_t>(image_passes_.size());
  num_passes_ = per_image_ * batch;
  total_act_beats_ *= batch;
  released_vectors_ *= batch;
}

int64_t LayerSchedule::macs() const {
  const auto& g = layer_.info.geometry;
  return g.batch * g.out_channels * out_h_ * out_w_ * g.in_channels * g.kernel * g.kernel;
}

std::unique_ptr<LayerSchedule> MakeSchedule(const vectors::LayerVectors& layer,
                                            const ArrayConfig& cfg, Wgt2Choice wgt2,
                                            uint64_t split_seed, uint64_t mix_seed) {
  if (cfg.dataflow == Dataflow::kOutputStationary) {
    if (wgt2 == Wgt2Choice::kOn)
      throw vectors::FormatError("the 2-bit mode is a weight-stationary mode; this core (" +
                                 cfg.Name() + ") has none");
    return MakeOutputStationary(layer, cfg, split_seed);
  }
  const bool fits = layer.info.wgt_bits <= 2;
  if (wgt2 == Wgt2Choice::kOn && (!cfg.wgt2_mode || !fits))
    throw vectors::FormatError(
        layer.info.name + ": the 2-bit mode needs 2-bit weights (the set has " +
        std::to_string(layer.info.wgt_bits) + ") and a core with the mode (" + cfg.Name() + ")");
  const bool usable = cfg.wgt2_mode && fits;
  const bool mixed = usable && wgt2 == Wgt2Choice::kMixed;
  return MakeWeightStationary(layer, cfg,
                              usable && (wgt2 == Wgt2Choice::kAuto || wgt2 == Wgt2Choice::kOn),
                              mixed ? mix_seed | 1 : 0);
}

namespace {

// Weight-stationary: a weight tile stays in the array for a pass while a chunk of output pixels
// streams under it. In the 2-bit mode a PE row holds the weights of two input channels, so a
// tile covers 2 x Rows input channels and a layer needs about half the passes. Mixed
// (mix_seed != 0): each input-channel tile of a group is 2-bit (2 x Rows channels) or 4-bit
// (Rows channels) at random, so the modes alternate back to back inside groups and across them.
class WsSchedule : public LayerSchedule {
 public:
  WsSchedule(const vectors::LayerVectors& layer, const ArrayConfig& cfg, bool wgt2,
             uint64_t mix_seed)
      : LayerSchedule(layer, cfg) {
    const auto& g = layer.info.geometry;
    const int64_t co_tiles = (g.out_channels + cfg.cols - 1) / cfg.cols;
    const int64_t pixels = out_h_ * out_w_;
    const int64_t chunks = (pixels + cfg.acc_depth - 1) / cfg.acc_depth;
    // At most this many input-channel tiles per group (all 4-bit when mixed).
    const int64_t per_tile = wgt2 && !mix_seed ? 2 * cfg.rows : cfg.rows;
    ReservePasses(
        {co_tiles, chunks, (g.in_channels + per_tile - 1) / per_tile, g.kernel * g.kernel});
    std::mt19937_64 mix(mix_seed);
    // Order: output-channel tile, pixel chunk; inside, the accumulation group runs over
    // input-channel tiles and kernel positions, so that each group's sums are released together.
    for (int64_t co = 0; co < co_tiles; ++co)
      for (int64_t begin = 0; begin < pixels; begin += cfg.acc_depth) {
        const int64_t len = std::min<int64_t>(cfg.acc_depth, pixels - begin);
        std::vector<std::pair<int64_t, bool>> tiles;  // (first input channel, 2-bit)
        for (int64_t ci = 0; ci < g.in_channels;) {
          const bool two = mix_seed ? (mix() & 1) != 0 : wgt2;
          tiles.emplace_back(ci, two);
          ci += two ? 2 * cfg.rows : cfg.rows;
        }
        const int64_t group_passes = static_cast<int64_t>(tiles.size()) * g.kernel * g.kernel;
        int64_t i = 0;
        for (size_t t = 0; t < tiles.size(); ++t)
          for (int64_t ky = 0; ky < g.kernel; ++ky)
            for (int64_t kx = 0; kx < g.kernel; ++kx, ++i)
              AddPass({0, co, static_cast<int64_t>(t), ky, kx, begin, len, cfg.rows, len, len,
                       i == 0, i + 1 == group_passes, tiles[t].second, 0, tiles[t].first});
      }
    Finalize();
  }

  // Row r of the tile: Cols weights. In the 2-bit mode, lane c holds the weights of input
  // channels 2r (bits [1:0]) and 2r + 1 (bits [3:2]) of the tile.
  void WeightBeat(const PassDesc& p, int64_t r, Bits* out) const override {
    const auto& g = layer_.info.geometry;
    out->Clear(cfg_.cols * cfg_.wgt_width);
    const int8_t* w = layer_.wgt.Data<int8_t>();
    const int per_lane = p.wgt2 ? 2 : 1, bits = cfg_.wgt_width / per_lane;
    for (int h = 0; h < per_lane; ++h) {
      const int64_t ci = p.ci_begin + r * per_lane + h;
      if (ci >= g.in_channels) break;
      for (int c = 0; c < cfg_.cols; ++c) {
        const int64_t co = p.co_tile * cfg_.cols + c;
        if (co >= g.out_channels) break;
        const int8_t v = w[((co * g.in_channels + ci) * g.kernel + p.ky) * g.kernel + p.kx];
        out->Put(c * cfg_.wgt_width + h * bits, bits,
                 static_cast<uint64_t>(static_cast<int64_t>(v)));
      }
    }
  }

  // Beat k: the activations under output pixel pixel_begin + k, lane l = input channel l of the
  // tile (Rows lanes, or 2 x Rows in the 2-bit mode). A core with the mode reads row r's
  // activation from lane 2r in a 4-bit pass (the odd lanes are zero).
  void ActBeat(const PassDesc& p, int64_t k, Bits* out) const override {
    const auto& g = layer_.info.geometry;
    out->Clear(cfg_.act_lanes() * cfg_.act_width);
    const int64_t pixel = p.pixel_begin + k;
    const int64_t iy = (pixel / out_w_) * g.stride + p.ky - g.padding;
    const int64_t ix = (pixel % out_w_) * g.stride + p.kx - g.padding;
    if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return;
    const uint8_t* a = layer_.act.Data<uint8_t>();
    const int64_t plane = g.in_h * g.in_w;
    const int64_t ci0 = p.ci_begin;
    const int lanes = static_cast<int>(
        std::min<int64_t>(p.wgt2 ? 2 * cfg_.rows : cfg_.rows, g.in_channels - ci0));
    const uint8_t* base = a + (p.image * g.in_channels + ci0) * plane + iy * g.in_w + ix;
    const int stride = cfg_.wgt2_mode && !p.wgt2 ? 2 : 1;
    for (int l = 0; l < lanes; ++l)
      out->Put(l * stride * cfg_.act_width, cfg_.act_width, base[l * plane]);
  }

  int64_t ReleasedPixel(const PassDesc& p, int64_t v) const override { return p.pixel_begin + v; }

  CycleBreakdown Model() const override {
    // A bank is refilled only after the pass before last has drained (Rows + Cols cycles after
    // its last beat) and takes Rows cycles, all while the previous pass streams: pass i waits for
    // whatever of the 2 Rows + Cols turnaround the previous pass (its beats and its own wait) did
    // not cover. So waits alternate: a pass that waited gives the next one time to load (none in
    // ResNet-20 on 4 x 4 .. 16 x 16; layer 3 on 32 x 32 and 64 x 64).
    const int64_t turnaround = 2 * cfg_.rows + cfg_.cols;
    CycleBreakdown m;
    int64_t prev_wait = 0;
    for (int64_t i = 2; i < num_passes_; ++i) {
      const int64_t w = std::max<int64_t>(0, turnaround - (Pass(i - 1).act_beats + prev_wait));
      m.stall += w;
      prev_wait = w;
    }
    m.fill = cfg_.rows;                   // the first tile's Rows weight beats
    m.stream = total_act_beats_;          // one activation beat per cycle
    m.drain = cfg_.rows + cfg_.cols + 1;  // last beat accepted -> its psum on the port
    return m;
  }
};

}  // namespace

std::unique_ptr<LayerSchedule> MakeWeightStationary(const vectors::LayerVectors& layer,
                                                    const ArrayConfig& cfg, bool wgt2,
                                                    uint64_t mix_seed) {
  return std::make_unique<WsSchedule>(layer, cfg, wgt2, mix_seed);
}

}  // namespace sa::sim
