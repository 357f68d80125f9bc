// libFuzzer target: the layer mappings (weight-stationary, with and without the 2-bit mode, and
// output-stationary). From the input it takes a dataflow, an array shape and a small layer,
// builds the schedule, and replays its packed weight and activation beats in software the way
// each core combines them: every layer must come out equal to the direct integer convolution,
// i.e. the passes cover every multiply-accumulate exactly once, in range, for any geometry.
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
  // 0: WS, 1: WS with 2-bit passes, 2: OS, 3: WS core with the 2-bit mode in 4-bit passes
  const int flavour = in.Take(0, 3);
  cfg.dataflow =
      flavour == 2 ? sa::sim::Dataflow::kOutputStationary : sa::sim::Dataflow::kWeightStationary;
  cfg.wgt2_mode = flavour == 1 || flavour == 3;
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
  // 2-bit weights (-1..1) for the 2-bit passes, 4-bit ones otherwise.
  v.info.wgt_bits = flavour == 1 ? 2 : 4;
  const int wmax = flavour == 1 ? 1 : 7;
  for (auto& w : v.wgt.bytes) w = static_cast<uint8_t>(static_cast<int8_t>(in.Take(-wmax, wmax)));
  const std::vector<int32_t> expect = sv::IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());

  const auto sched = sa::sim::MakeSchedule(v, cfg);
  const sa::sim::LayerSchedule& s = *sched;
  if (flavour == 1 && !s.Pass(0).wgt2) std::abort();  // 2-bit weights on a 2-bit core: the mode
  const int64_t oh = g.OutH(), ow = g.OutW();
  std::vector<int64_t> got(expect.size(), 0);
  auto lane = [](const sa::sim::Bits& b, int lsb, int width) {  // 4-bit lanes never straddle
    return static_cast<int64_t>((b.words[static_cast<size_t>(lsb / 32)] >> (lsb % 32)) &
                                ((1u << width) - 1));
  };
  auto sext = [](int64_t x, int width) { return x >= (1 << (width - 1)) ? x - (1 << width) : x; };
  auto add = [&](const sa::sim::PassDesc& p, int64_t pixel, int c, int64_t sum) {
    const int64_t co = p.co_tile * cfg.cols + c;
    if (co >= g.out_channels || pixel < 0) {
      if (sum != 0) std::abort();  // a padded column or tile row must see zeros
      return;
    }
    got[static_cast<size_t>(((p.image * g.out_channels + co) * oh) * ow + pixel)] += sum;
  };
  int64_t beats = 0;
  for (int64_t i = 0; i < s.num_passes(); ++i) {
    const sa::sim::PassDesc p = s.Pass(i);
    beats += p.act_beats;
    std::vector<sa::sim::Bits> wgt(static_cast<size_t>(p.wgt_beats)),
        act(static_cast<size_t>(p.act_beats));
    for (int64_t k = 0; k < p.wgt_beats; ++k) s.WeightBeat(p, k, &wgt[static_cast<size_t>(k)]);
    for (int64_t k = 0; k < p.act_beats; ++k) s.ActBeat(p, k, &act[static_cast<size_t>(k)]);
    if (flavour == 2) {  // OS: PE (r, c) sums act lane r x weight lane c over the steps
      if (p.wgt_beats != p.act_beats || p.releases != cfg.rows) std::abort();
      for (int64_t v2 = 0; v2 < p.releases; ++v2) {
        const int64_t pixel = s.ReleasedPixel(p, v2);
        const int r = cfg.rows - 1 - static_cast<int>(v2);
        for (int c = 0; c < cfg.cols; ++c) {
          int64_t sum = 0;
          for (int64_t k = 0; k < p.act_beats; ++k)
            sum += lane(act[static_cast<size_t>(k)], r * 4, 4) *
                   sext(lane(wgt[static_cast<size_t>(k)], c * 4, 4), 4);
          add(p, pixel, c, sum);
        }
      }
      continue;
    }
    // WS: row r's weight lane c times activation lane r (2-bit mode: lanes 2r and 2r + 1 times
    // the low and high 2-bit halves), summed over the rows, for every beat.
    if (p.wgt_beats != cfg.rows) std::abort();
    for (int64_t k = 0; k < p.act_beats; ++k)
      for (int c = 0; c < cfg.cols; ++c) {
        int64_t sum = 0;
        for (int r = 0; r < cfg.rows; ++r) {
          const int64_t w = lane(wgt[static_cast<size_t>(r)], c * 4, 4);
          const sa::sim::Bits& a = act[static_cast<size_t>(k)];
          if (p.wgt2)
            sum += lane(a, 2 * r * 4, 4) * sext(w & 3, 2) +
                   lane(a, (2 * r + 1) * 4, 4) * sext(w >> 2, 2);
          else  // a core with the mode reads row r from lane 2r in a 4-bit pass
            sum += lane(a, (cfg.wgt2_mode ? 2 * r : r) * 4, 4) * sext(w, 4);
        }
        add(p, s.ReleasedPixel(p, k), c, sum);
      }
  }
  if (beats != s.total_act_beats()) std::abort();
  for (size_t i = 0; i < expect.size(); ++i)
    if (got[i] != expect[i]) std::abort();  // a MAC missed, repeated or misplaced
  return 0;
}
