// $readmemh export of a layer's weight tiles, activation beats and expected psums.
#include "sim/memh.h"

#include <algorithm>
#include <memory>
#include <sstream>

#include "vectors/output.h"

namespace sa::sim {
namespace {

// A `width`-bit value held in 32-bit words (bit 0 first) as hex digits, most significant first.
std::string Hex(const uint32_t* words, int width) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int d = (width + 3) / 4 - 1; d >= 0; --d) {
    const int bit = 4 * d;
    uint32_t nibble = (words[bit / 32] >> (bit % 32)) & 0xf;
    if (bit % 32 > 28) nibble |= (words[bit / 32 + 1] << (32 - bit % 32)) & 0xf;
    if (bit + 4 > width) nibble &= (1u << (width - bit)) - 1;
    out += kDigits[nibble];
  }
  return out;
}

void Put(std::vector<uint32_t>& words, int lsb, int width, uint64_t value) {
  for (int b = 0; b < width; ++b)
    if ((value >> b) & 1) words[static_cast<size_t>((lsb + b) / 32)] |= 1u << ((lsb + b) % 32);
}

void Write(const std::string& path, const std::string& text) {
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace

MemhCounts WriteMemh(const vectors::LayerVectors& layer, const ArrayConfig& cfg,
                     const std::string& dir, int64_t max_passes) {
  // The export is for weight-stationary cores in 4-bit passes (rtl/tb/sa_memh_tb.sv).
  const std::unique_ptr<LayerSchedule> owned = MakeSchedule(layer, cfg, Wgt2Choice::kOff);
  const LayerSchedule& sched = *owned;
  int64_t n = sched.num_passes();
  if (max_passes > 0 && max_passes < n) n = max_passes;
  while (n > 0 && !sched.Pass(n - 1).acc_last) --n;  // end on a released group
  if (n == 0)
    throw vectors::FormatError(layer.info.name + ": --max-passes " + std::to_string(max_passes) +
                               " ends before the first accumulation group is released");
  const auto& g = layer.info.geometry;
  const int32_t* golden = layer.psum.Data<int32_t>();
  // Each psum is written in PsumWidth bits: one that does not fit would be cut silently.
  const int64_t count = static_cast<int64_t>(layer.psum.bytes.size() / sizeof(int32_t));
  if (count > 0) {
    const auto [lo, hi] = std::minmax_element(golden, golden + count);
    int need = 1;
    while (*lo < -(int64_t{1} << (need - 1)) || *hi >= (int64_t{1} << (need - 1))) ++need;
    if (need > cfg.psum_width)
      throw vectors::FormatError("--psum-width " + std::to_string(cfg.psum_width) + ": " +
                                 layer.info.name + "'s psums span " + std::to_string(*lo) + ".." +
                                 std::to_string(*hi) + ", which needs " + std::to_string(need) +
                                 " bits");
  }
  const int act_bits = cfg.rows * cfg.act_width, psum_bits = cfg.cols * cfg.psum_width;
  std::ostringstream wgt, act, psum;
  MemhCounts c;
  c.passes = n;
  for (int64_t i = 0; i < n; ++i) {
    const PassDesc p = sched.Pass(i);
    for (int64_t r = 0; r < p.wgt_beats; ++r, ++c.wgt_rows) {
      Bits b;
      sched.WeightBeat(p, r, &b);
      wgt << Hex(b.words.data(), cfg.cols * cfg.wgt_width) << "\n";
    }
    for (int64_t k = 0; k < p.act_beats; ++k, ++c.act_beats) {
      Bits b;
      sched.ActBeat(p, k, &b);
      std::vector<uint32_t> w(b.words.begin(), b.words.end());
      w.push_back(0);
      const uint64_t ctrl = (uint64_t{k + 1 == p.act_beats} << 2) | (uint64_t{p.acc_first} << 1) |
                            uint64_t{p.acc_last};
      Put(w, act_bits, 3, ctrl);
      act << Hex(w.data(), act_bits + 3) << "\n";
    }
    if (!p.acc_last) continue;
    for (int64_t k = 0; k < p.releases; ++k, ++c.psum_vectors) {
      std::vector<uint32_t> w(static_cast<size_t>(psum_bits / 32 + 2), 0);
      const int64_t pixel = sched.ReleasedPixel(p, k);
      for (int col = 0; col < cfg.cols; ++col) {
        const int64_t co = p.co_tile * cfg.cols + col;
        const int64_t v =
            co < g.out_channels && pixel >= 0
                ? golden[((p.image * g.out_channels + co) * g.OutH()) * g.OutW() + pixel]
                : 0;
        Put(w, col * cfg.psum_width, cfg.psum_width, static_cast<uint64_t>(v));
      }
      psum << Hex(w.data(), psum_bits) << "\n";
    }
  }
  Write(dir + "/wgt.memh", wgt.str());
  Write(dir + "/act.memh", act.str());
  Write(dir + "/psum.memh", psum.str());
  std::ostringstream counts;
  counts << std::hex << c.wgt_rows << "\n" << c.act_beats << "\n" << c.psum_vectors << "\n";
  Write(dir + "/counts.memh", counts.str());
  return c;
}

std::string MemhReadme(const ArrayConfig& cfg) {
  std::ostringstream s;
  const int act_bits = cfg.rows * cfg.act_width;
  s << "# $readmemh vectors for a " << cfg.Name() << " weight-stationary core\n\n"
    << "Written by `sa-vectors export-memh`. One folder per layer, each one image of the set, in\n"
    << "the order the core consumes it (the pass schedule of sim/schedule.h, the same the SystemC\n"
    << "harness drives). Every file is plain hex, one word per line, most significant digit "
       "first.\n\n"
    << "| file | words | each word |\n| --- | --- | --- |\n"
    << "| `wgt.memh` | Rows per pass | `wgt_data_i`: " << cfg.cols << " weights of "
    << cfg.wgt_width << " bits, column c at bits [c*" << cfg.wgt_width << " +: " << cfg.wgt_width
    << "], two's complement; the rows of a pass in order 0.." << cfg.rows - 1 << " |\n"
    << "| `act.memh` | one per beat | " << act_bits + 3 << " bits: bit " << act_bits + 2
    << " `act_last_i`, bit " << act_bits + 1 << " `act_acc_first_i`, bit " << act_bits
    << " `act_acc_last_i`, bits [" << act_bits - 1 << ":0] `act_data_i` (" << cfg.rows
    << " activations of " << cfg.act_width << " bits, row r at bits [r*" << cfg.act_width
    << " +: " << cfg.act_width << "], unsigned) |\n"
    << "| `psum.memh` | one per released vector | `psum_data_o` expected: " << cfg.cols
    << " sums of " << cfg.psum_width << " bits, column c at bits [c*" << cfg.psum_width
    << " +: " << cfg.psum_width << "], two's complement, in release order |\n"
    << "| `counts.memh` | 3 | the number of words in wgt.memh, act.memh and psum.memh |\n\n"
    << "Weights go to `wgt_*` one row per handshake, Rows rows per pass; activation beats to\n"
    << "`act_*` with their three control bits; `act_relu_i` is 0; every `psum_data_o` taken with\n"
    << "`psum_valid_o && psum_ready_i` must equal the next word of psum.memh. The contract of the\n"
    << "ports is docs/dut-contract.md. A ready-made testbench: rtl/tb/sa_memh_tb.sv (Icarus\n"
    << "Verilog: `iverilog -g2012 -DSA_NO_SVA -P sa_memh_tb.Rows=R ... -o tb.vvp $(cat rtl/sa.f)\n"
    << "rtl/tb/sa_memh_tb.sv && vvp -n tb.vvp +dir=LAYER_FOLDER`).\n";
  return s.str();
}

}  // namespace sa::sim
