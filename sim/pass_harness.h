// Pass-level driver for a Verilated core (plain C++, no SystemC): raw weight tiles and
// activation vectors under the DUT contract, with random gaps and backpressure, and an
// independent C++ reference of what the core must output. Used by the RTL unit tests and the
// bare-array benchmark; it drives the pins through the same glue as sa-cosim (model_pins.h), so
// the port names stand only in sim/dut_ports.h.
#pragma once

#include <verilated.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sim/model_pins.h"

namespace sa::sim {

inline int64_t SignExtend(uint64_t v, int width) {
  const uint64_t sign = uint64_t{1} << (width - 1);
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return static_cast<int64_t>(((v & mask) ^ sign) - sign);
}

// One pass. Weight-stationary: a weight tile (wgt[r][c], one weight beat per row r) and the
// activation vectors streamed under it (act[beat][r]). With `wgt2` (a core with the 2-bit mode)
// the tile holds 2 x Rows input channels: wgt[i][c] and act[beat][i] for i < 2 Rows, and the
// harness packs rows 2r and 2r + 1 into weight beat r. Output-stationary: one beat of each stream
// per reduction step k: wgt[k][c] (the Cols channels' weights) and act[k][r] (the Rows pixels').
struct Pass {
  std::vector<std::vector<int>> wgt;  // signed; [rows (2 x rows with wgt2)][cols], OS [steps][cols]
  std::vector<std::vector<int>> act;  // unsigned; [beats][rows (2 x rows)], OS [steps][rows]
  bool acc_first = true, acc_last = true, relu = false, wgt2 = false;
};

// The references: what the core must release, written from the contract's definitions (sums of
// act x wgt accumulated over the passes of a group, ReLU on release), not from the RTL's
// structure. Weight-stationary: one vector per beat of the group's last pass, sum over the
// tile's input channels.
inline std::vector<int64_t> Released(std::vector<int64_t> v, bool relu) {
  if (relu)
    for (auto& x : v) x = x < 0 ? 0 : x;
  return v;
}

inline std::vector<std::vector<int64_t>> ReferenceOutputs(const std::vector<Pass>& passes,
                                                          int cols) {
  std::vector<std::vector<int64_t>> out, acc;
  for (const Pass& p : passes) {
    if (p.acc_first) acc.assign(p.act.size(), std::vector<int64_t>(cols, 0));
    for (size_t k = 0; k < p.act.size(); ++k) {
      for (int c = 0; c < cols; ++c) {
        int64_t s = 0;
        for (size_t r = 0; r < p.act[k].size(); ++r) s += int64_t{p.act[k][r]} * p.wgt[r][c];
        acc[k][c] += s;
      }
      if (p.acc_last) out.push_back(Released(acc[k], p.relu));
    }
  }
  return out;
}

// Output-stationary: output (r, c) of a tile sums act[k][r] x wgt[k][c] over every step k of the
// tile's passes; a tile releases Rows vectors, pixel row Rows-1 first.
inline std::vector<std::vector<int64_t>> ReferenceOsOutputs(const std::vector<Pass>& passes,
                                                            int rows, int cols) {
  std::vector<std::vector<int64_t>> out, acc;
  for (const Pass& p : passes) {
    if (p.acc_first) acc.assign(rows, std::vector<int64_t>(cols, 0));
    for (size_t k = 0; k < p.act.size(); ++k)
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) acc[r][c] += int64_t{p.act[k][r]} * p.wgt[k][c];
    if (p.acc_last)
      for (int r = rows - 1; r >= 0; --r) out.push_back(Released(acc[r], p.relu));
  }
  return out;
}

inline std::vector<std::vector<int64_t>> ReferenceOutputs(const std::vector<Pass>& passes,
                                                          const ArrayConfig& cfg) {
  return cfg.dataflow == Dataflow::kOutputStationary
             ? ReferenceOsOutputs(passes, cfg.rows, cfg.cols)
             : ReferenceOutputs(passes, cfg.cols);
}

struct RunResult {
  std::vector<std::vector<int64_t>> outputs;
  uint64_t cycles = 0;
  bool overflow = false;
  // The contract's end of a run: after the expected outputs and a drain of Rows + Cols + 8
  // cycles with psum_ready high, no further psum may appear and busy_o must be low.
  int64_t extra_outputs = 0;
  bool busy_after_drain = false;
  // With ProbeCombinationalPaths(): cycles where changing the inputs without a clock edge
  // moved wgt_ready_o, act_ready_o or psum_valid_o (the contract says registers only).
  int64_t combinational_paths = 0;
  int64_t busy_low_while_valid = 0;  // cycles with psum_valid_o high and busy_o low
  // Cycles at the credit limit: an activation beat waits while psums wait for psum_ready_i.
  int64_t input_held_by_psums = 0;
};

// Drives passes through a Verilated core `V`. stall_prob > 0 inserts random gaps in both input
// streams and random backpressure on the psum stream.
template <typename V>
class PassHarness {
 public:
  explicit PassHarness(ArrayConfig cfg)
      : cfg_(cfg), ctx_(new VerilatedContext), top_(new V(ctx_.get())), psums_(*top_, cfg_) {}
  ~PassHarness() { top_->final(); }

  V& top() { return *top_; }
  // Every cycle of later runs, also drive random inputs before the edge and check that the
  // handshake outputs do not move (slow: for one test).
  void ProbeCombinationalPaths(bool on) { probe_ = on; }

  void Reset() {
    PinsIn idle;  // rst_n low, every valid and ready low
    ApplyPins(*top_, idle);
    top_->SA_DUT_CLOCK = 0;
    top_->eval();
    top_->SA_DUT_CLOCK = 1;
    top_->eval();
    top_->SA_DUT_CLOCK = 0;
    idle.rst_n = true;
    ApplyPins(*top_, idle);
    top_->eval();
  }

  // psum_stall_prob < 0: the psum stream stalls as often as the inputs.
  RunResult Run(const std::vector<Pass>& passes, double stall_prob = 0, uint64_t seed = 1,
                double psum_stall_prob = -1, uint64_t max_cycles = 50'000'000) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution stall(stall_prob);
    std::bernoulli_distribution psum_stall(psum_stall_prob < 0 ? stall_prob : psum_stall_prob);
    // Beat k of a pass's weight stream: row k of a weight-stationary tile (rows 2k and 2k + 1,
    // packed, in a 2-bit pass) or step k of an output-stationary tile.
    struct Beat {
      const Pass* pass;
      size_t k;
    };
    const bool os = cfg_.dataflow == Dataflow::kOutputStationary;
    std::deque<Beat> wq, aq;
    for (const Pass& p : passes) {
      const size_t wgt_beats = p.wgt2 ? p.wgt.size() / 2 : p.wgt.size();
      for (size_t k = 0; k < wgt_beats; ++k) wq.push_back({&p, k});
      for (size_t k = 0; k < p.act.size(); ++k) aq.push_back({&p, k});
    }
    const size_t expected = ReferenceOutputs(passes, cfg_).size();
    RunResult res;
    V& t = *top_;
    PinsIn in;
    in.rst_n = true;
    std::vector<int64_t> values(static_cast<size_t>(cfg_.cols));
    uint64_t drain = 0;
    const uint64_t drain_cycles = static_cast<uint64_t>(cfg_.rows + cfg_.cols + 8);
    while (drain < drain_cycles) {
      if (res.outputs.size() >= expected) ++drain;
      if (res.cycles++ >= max_cycles) break;
      const bool draining = res.outputs.size() >= expected;
      in.wgt_valid = !wq.empty() && !(stall_prob > 0 && stall(rng));
      if (in.wgt_valid) {
        const Pass& p = *wq.front().pass;
        const size_t k = wq.front().k;
        in.wgt_data.Clear(cfg_.cols * cfg_.wgt_width);
        for (size_t c = 0; c < static_cast<size_t>(cfg_.cols); ++c) {
          const uint64_t w = p.wgt2 ? (static_cast<uint64_t>(p.wgt[2 * k][c]) & 3) |
                                          (static_cast<uint64_t>(p.wgt[2 * k + 1][c]) & 3) << 2
                                    : static_cast<uint64_t>(p.wgt[k][c]);
          in.wgt_data.Put(static_cast<int>(c) * cfg_.wgt_width, cfg_.wgt_width, w);
        }
      }
      in.act_valid = !aq.empty() && !(stall_prob > 0 && stall(rng));
      if (in.act_valid) {
        const Pass& p = *aq.front().pass;
        const std::vector<int>& act = p.act[aq.front().k];
        const int aw = cfg_.act_width;
        in.act_data.Clear(cfg_.act_lanes() * aw);
        if (!os && cfg_.wgt2_mode && !p.wgt2) {
          // A 4-bit pass on a core with the 2-bit mode: row r reads lane 2r and must ignore the
          // odd lanes, so they carry random values.
          for (int r = 0; r < cfg_.rows; ++r) {
            in.act_data.Put(2 * r * aw, aw, static_cast<uint64_t>(act[static_cast<size_t>(r)]));
            in.act_data.Put((2 * r + 1) * aw, aw, rng());
          }
        } else {
          for (size_t l = 0; l < act.size(); ++l)
            in.act_data.Put(static_cast<int>(l) * aw, aw, static_cast<uint64_t>(act[l]));
        }
        in.act_last = aq.front().k + 1 == p.act.size();
        in.acc_first = p.acc_first;
        in.acc_last = p.acc_last;
        in.relu = p.relu;
        in.wgt2 = p.wgt2;
      }
      in.psum_ready = draining || !psum_stall(rng);
      ApplyPins(t, in);
      t.SA_DUT_CLOCK = 0;
      t.eval();
      // Handshakes are sampled before the rising edge, as the RTL sees them.
      const PinsOut out = SamplePins(t);
      if (probe_) res.combinational_paths += HandshakesMovedBetweenEdges(t, cfg_, in, out, rng);
      if (out.psum_valid && !out.busy) ++res.busy_low_while_valid;
      if (in.act_valid && !out.act_ready && out.psum_valid && !in.psum_ready)
        ++res.input_held_by_psums;
      const bool w_fire = in.wgt_valid && out.wgt_ready;
      const bool a_fire = in.act_valid && out.act_ready;
      if (out.psum_valid && in.psum_ready) {
        if (draining) {
          ++res.extra_outputs;
        } else {
          psums_.Read(values.data());
          res.outputs.push_back(values);
        }
      }
      t.SA_DUT_CLOCK = 1;
      t.eval();
      if (w_fire) wq.pop_front();
      if (a_fire) aq.pop_front();
    }
    const PinsOut end = SamplePins(t);
    res.overflow = end.overflow;
    res.busy_after_drain = end.busy;
    res.cycles -= drain;  // the run ends with its last expected output
    return res;
  }

 private:
  ArrayConfig cfg_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  ModelPsumPort<V> psums_;
  bool probe_ = false;
};

// Random passes: `groups` accumulation groups of `passes_per_group` passes of `beats` beats
// (output-stationary: reduction steps). Weights cover the whole two's-complement field, the
// most negative value included (-8 at 4 bits; -2 for the 2-bit pairs of a `wgt2` pass), which
// the contract requires a core to compute although the quantizers never produce it.
inline std::vector<Pass> RandomPasses(const ArrayConfig& cfg, int groups, int passes_per_group,
                                      int beats, bool relu, std::mt19937_64& rng,
                                      bool wgt2 = false) {
  const bool os = cfg.dataflow == Dataflow::kOutputStationary;
  const int wbits = wgt2 ? 2 : cfg.wgt_width, amax = (1 << cfg.act_width) - 1;
  std::uniform_int_distribution<int> wd(-(1 << (wbits - 1)), (1 << (wbits - 1)) - 1), ad(0, amax);
  const int wgt_rows = os ? beats : wgt2 ? 2 * cfg.rows : cfg.rows;
  const int act_lanes = wgt2 ? 2 * cfg.rows : cfg.rows;
  std::vector<Pass> passes;
  for (int g = 0; g < groups; ++g) {
    for (int p = 0; p < passes_per_group; ++p) {
      Pass pass;
      pass.wgt.assign(wgt_rows, std::vector<int>(cfg.cols));
      for (auto& row : pass.wgt)
        for (auto& w : row) w = wd(rng);
      pass.act.assign(beats, std::vector<int>(act_lanes));
      for (auto& beat : pass.act)
        for (auto& a : beat) a = ad(rng);
      pass.acc_first = p == 0;
      pass.acc_last = p + 1 == passes_per_group;
      pass.relu = relu;
      pass.wgt2 = wgt2;
      passes.push_back(std::move(pass));
    }
  }
  return passes;
}

}  // namespace sa::sim
