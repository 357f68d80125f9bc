// The random sets of sim/random_set.h.
#include "sim/random_set.h"

#include <random>

#include "vectors/npy.h"

namespace sa::sim {

std::vector<int32_t> DirectConv(const vectors::ConvGeometry& g, const std::vector<uint8_t>& act,
                                const std::vector<int8_t>& wgt) {
  const int64_t ph = g.in_h + 2 * g.padding, pw = g.in_w + 2 * g.padding;
  std::vector<int32_t> padded(g.batch * g.in_channels * ph * pw, 0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.in_channels; ++c)
      for (int64_t y = 0; y < g.in_h; ++y)
        for (int64_t x = 0; x < g.in_w; ++x)
          padded[((n * g.in_channels + c) * ph + y + g.padding) * pw + x + g.padding] =
              act[((n * g.in_channels + c) * g.in_h + y) * g.in_w + x];
  std::vector<int32_t> out;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t o = 0; o < g.out_channels; ++o)
      for (int64_t y = 0; y < g.OutH(); ++y)
        for (int64_t x = 0; x < g.OutW(); ++x) {
          int32_t s = 0;
          for (int64_t c = 0; c < g.in_channels; ++c)
            for (int64_t ky = 0; ky < g.kernel; ++ky)
              for (int64_t kx = 0; kx < g.kernel; ++kx)
                s += padded[((n * g.in_channels + c) * ph + y * g.stride + ky) * pw + x * g.stride +
                            kx] *
                     wgt[((o * g.in_channels + c) * g.kernel + ky) * g.kernel + kx];
          out.push_back(s);
        }
  return out;
}

void WriteRandomSet(const std::string& dir, uint64_t seed, int wgt_bits) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) {
    return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng));
  };
  vectors::VectorSetWriter writer(dir);
  vectors::Manifest m;
  m.checkpoint_path = "random";
  m.checkpoint_sha256 = "none";
  m.images = {0, 1};  // every layer of a set holds the same images
  m.wgt_bits = wgt_bits;
  const int wmax = (1 << (wgt_bits - 1)) - 1;
  for (int i = 0; i < 12; ++i) {
    vectors::LayerVectors v;
    v.info.name = "random" + std::to_string(i);
    v.info.wgt_bits = wgt_bits;
    auto& g = v.info.geometry;
    g.batch = 2;
    g.in_channels = pick(1, 21);  // mostly not multiples of 4, 8 or 16
    g.out_channels = pick(1, 19);
    g.kernel = pick(0, 1) ? 3 : 1;
    g.stride = pick(1, 2);
    g.padding = g.kernel == 3 ? pick(0, 1) : 0;
    g.in_h = pick(g.kernel, 11);
    g.in_w = pick(g.kernel, 11);
    if (i == 11) {  // one output pixel: passes shorter than Rows on any array of 2 rows or more
      g.padding = 0;
      g.in_h = g.in_w = g.kernel;
    }
    std::vector<uint8_t> act(g.batch * g.in_channels * g.in_h * g.in_w);
    std::vector<int8_t> wgt(g.out_channels * g.in_channels * g.kernel * g.kernel);
    for (auto& a : act) a = static_cast<uint8_t>(pick(0, 15));
    for (auto& w : wgt) w = static_cast<int8_t>(pick(-wmax, wmax));
    auto psum = DirectConv(g, act, wgt);
    v.act = {vectors::DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w}, act};
    v.wgt = {vectors::DType::kInt8,
             {g.out_channels, g.in_channels, g.kernel, g.kernel},
             std::vector<uint8_t>(wgt.begin(), wgt.end())};
    v.psum = {vectors::DType::kInt32,
              {g.batch, g.out_channels, g.OutH(), g.OutW()},
              std::vector<uint8_t>(reinterpret_cast<uint8_t*>(psum.data()),
                                   reinterpret_cast<uint8_t*>(psum.data() + psum.size()))};
    m.layers.push_back(v.info.name);
    writer.AddLayer(std::move(v));
  }
  writer.Commit(m);
}

}  // namespace sa::sim
