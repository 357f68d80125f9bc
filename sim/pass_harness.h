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

// One pass: a weight tile (w[r][c]) and the activation vectors (a[beat][r]) streamed under it.
struct Pass {
  std::vector<std::vector<int>> wgt;  // [rows][cols], signed
  std::vector<std::vector<int>> act;  // [beats][rows], unsigned
  bool acc_first = true, acc_last = true, relu = false;
};

// The reference: what the accumulator must release, written from the definition (sum over rows
// of act * wgt, accumulated over the passes of a group), not from the RTL's structure.
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
      if (p.acc_last) {
        std::vector<int64_t> v = acc[k];
        if (p.relu)
          for (auto& x : v) x = x < 0 ? 0 : x;
        out.push_back(v);
      }
    }
  }
  return out;
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
    struct ActBeat {
      const std::vector<int>* act;
      bool last, first, acc_last, relu;
    };
    std::deque<const std::vector<int>*> wq;
    std::deque<ActBeat> aq;
    for (const Pass& p : passes) {
      for (const auto& row : p.wgt) wq.push_back(&row);
      for (size_t k = 0; k < p.act.size(); ++k)
        aq.push_back({&p.act[k], k + 1 == p.act.size(), p.acc_first, p.acc_last, p.relu});
    }
    const size_t expected = ReferenceOutputs(passes, cfg_.cols).size();
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
        in.wgt_data.Clear(cfg_.cols * cfg_.wgt_width);
        for (int c = 0; c < cfg_.cols; ++c)
          in.wgt_data.Put(c * cfg_.wgt_width, cfg_.wgt_width,
                          static_cast<uint64_t>((*wq.front())[static_cast<size_t>(c)]));
      }
      in.act_valid = !aq.empty() && !(stall_prob > 0 && stall(rng));
      if (in.act_valid) {
        const ActBeat& b = aq.front();
        in.act_data.Clear(cfg_.rows * cfg_.act_width);
        for (int r = 0; r < cfg_.rows; ++r)
          in.act_data.Put(r * cfg_.act_width, cfg_.act_width,
                          static_cast<uint64_t>((*b.act)[static_cast<size_t>(r)]));
        in.act_last = b.last;
        in.acc_first = b.first;
        in.acc_last = b.acc_last;
        in.relu = b.relu;
      }
      in.psum_ready = draining || !psum_stall(rng);
      ApplyPins(t, in);
      t.SA_DUT_CLOCK = 0;
      t.eval();
      // Handshakes are sampled before the rising edge, as the RTL sees them.
      const PinsOut out = SamplePins(t);
      if (probe_) {
        PinsIn noise;
        noise.rst_n = true;
        for (int k = 0; k < 2; ++k) {
#define SA_NOISE(port, member) noise.member = (rng() & 1) != 0;
          SA_DUT_BIT_INPUTS(SA_NOISE)
#undef SA_NOISE
          noise.rst_n = true;
          for (auto& w : noise.wgt_data.words) w = static_cast<uint32_t>(rng());
          for (auto& w : noise.act_data.words) w = static_cast<uint32_t>(rng());
          ApplyPins(t, noise);
          t.eval();
          const PinsOut moved = SamplePins(t);
          if (moved.wgt_ready != out.wgt_ready || moved.act_ready != out.act_ready ||
              moved.psum_valid != out.psum_valid)
            ++res.combinational_paths;
        }
        ApplyPins(t, in);
        t.eval();
      }
      if (out.psum_valid && !out.busy) ++res.busy_low_while_valid;
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

// Random passes: `groups` accumulation groups of `passes_per_group` passes of `beats` beats.
inline std::vector<Pass> RandomPasses(const ArrayConfig& cfg, int groups, int passes_per_group,
                                      int beats, bool relu, std::mt19937_64& rng) {
  const int wmax = (1 << (cfg.wgt_width - 1)) - 1, amax = (1 << cfg.act_width) - 1;
  std::uniform_int_distribution<int> wd(-wmax - 1, wmax), ad(0, amax);
  std::vector<Pass> passes;
  for (int g = 0; g < groups; ++g) {
    for (int p = 0; p < passes_per_group; ++p) {
      Pass pass;
      pass.wgt.assign(cfg.rows, std::vector<int>(cfg.cols));
      for (auto& row : pass.wgt)
        for (auto& w : row) w = wd(rng);
      pass.act.assign(beats, std::vector<int>(cfg.rows));
      for (auto& beat : pass.act)
        for (auto& a : beat) a = ad(rng);
      pass.acc_first = p == 0;
      pass.acc_last = p + 1 == passes_per_group;
      pass.relu = relu;
      passes.push_back(std::move(pass));
    }
  }
  return passes;
}

}  // namespace sa::sim
