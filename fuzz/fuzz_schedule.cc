// libFuzzer target: the weight-stationary scheduler. From the input it takes an array shape and
// a small layer, builds the schedule, and replays its packed weight rows and activation beats in
// software: every layer must come out equal to the direct integer convolution, i.e. the passes
// cover every multiply-accumulate exactly once, in range, for any geometry and array.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "sim/schedule.h"
#include "vectors/int_conv.h"

namespace sv = sa::vectors;

namespace {

struct Bytes {
  const uint8_t* p;
  size_t n;
  int Take(int lo, int hi) {  // a value in [lo, hi] from the next byte (lo when exhausted)
    if (n == 0) return lo;
    --n;
    return lo + *p++ % (hi - lo + 1);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in{data, size};
  sa::sim::ArrayConfig cfg;
  cfg.rows = in.Take(1, 16);
  cfg.cols = in.Take(1, 16);
  cfg.act_width = 4;
  cfg.wgt_width = 4;
  cfg.acc_depth = in.Take(1, 64);
  sv::LayerVectors v;
  v.info.name = "fuzz";
  sv::ConvGeometry& g = v.info.geometry;
  g.batch = in.Take(1, 2);
  g.in_channels = in.Take(1, 20);
  g.out_channels = in.Take(1, 20);
  g.kernel = in.Take(1, 5);
  g.stride = in.Take(1, 3);
  g.padding = in.Take(0, 4);
  g.in_h = in.Take(1, 12);
  g.in_w = in.Take(1, 12);
  try {
    sv::ValidateGeometry(g, "fuzz");
  } catch (const sv::FormatError&) {
    return 0;
  }
  v.act = {sv::DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w}, {}};
  v.wgt = {sv::DType::kInt8, {g.out_channels, g.in_channels, g.kernel, g.kernel}, {}};
  v.act.bytes.resize(static_cast<size_t>(v.act.NumElements()));
  v.wgt.bytes.resize(static_cast<size_t>(v.wgt.NumElements()));
  for (auto& a : v.act.bytes) a = static_cast<uint8_t>(in.Take(0, 15));
  for (auto& w : v.wgt.bytes) w = static_cast<uint8_t>(static_cast<int8_t>(in.Take(-7, 7)));
  const std::vector<int32_t> expect = sv::IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());

  const sa::sim::LayerSchedule s(v, cfg);
  const int64_t oh = g.OutH(), ow = g.OutW();
  std::vector<int64_t> got(expect.size(), 0);
  int64_t beats = 0;
  for (int64_t i = 0; i < s.num_passes(); ++i) {
    const sa::sim::PassDesc p = s.Pass(i);
    for (int64_t k = 0; k < p.pixels; ++k, ++beats) {
      sa::sim::Bits act, row;
      s.ActBeat(p, k, &act);
      for (int c = 0; c < cfg.cols; ++c) {
        const int64_t co = p.co_tile * cfg.cols + c;
        int64_t sum = 0;
        for (int r = 0; r < cfg.rows; ++r) {
          const int64_t a = static_cast<int64_t>((act.words[r / 8] >> (r % 8 * 4)) & 0xf);
          s.WeightRow(p, r, &row);
          int64_t w = static_cast<int64_t>((row.words[c / 8] >> (c % 8 * 4)) & 0xf);
          if (w >= 8) w -= 16;  // sign-extend the 4-bit lane
          sum += a * w;
        }
        if (co >= g.out_channels) {
          if (sum != 0) std::abort();  // a padded column must see zero weights
          continue;
        }
        const int64_t pixel = p.pixel_begin + k;
        got[static_cast<size_t>(((p.image * g.out_channels + co) * oh) * ow + pixel)] += sum;
      }
    }
  }
  if (beats != s.total_beats()) std::abort();
  for (size_t i = 0; i < expect.size(); ++i)
    if (got[i] != expect[i]) std::abort();  // a MAC missed, repeated or misplaced
  return 0;
}
