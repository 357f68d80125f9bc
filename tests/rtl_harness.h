// Cycle-level driver for a Verilated sa_core (plain C++, no SystemC), and an independent C++
// reference of what the core must output. Shared by the RTL tests and the RTL benchmark.
#pragma once

#include <verilated.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace sa::rtltest {

// --- bit access on Verilator port types (CData..QData integers, VlWide<N> above 64 bits)
template <typename T>
void PutBits(T& port, int lsb, int width, uint64_t value) {
  const T mask =
      static_cast<T>(((width >= 64) ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << lsb);
  port = static_cast<T>((port & ~mask) | ((static_cast<T>(value) << lsb) & mask));
}
template <typename T>
uint64_t GetBits(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) &
         ((width >= 64) ? ~uint64_t{0} : ((uint64_t{1} << width) - 1));
}
template <std::size_t N>
uint64_t GetBits(const VlWide<N>& port, int lsb, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    const int bit = lsb + i;
    v |= static_cast<uint64_t>((port.at(bit / 32) >> (bit % 32)) & 1u) << i;
  }
  return v;
}
inline int64_t SignExtend(uint64_t v, int width) {
  const uint64_t sign = uint64_t{1} << (width - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

struct CoreConfig {
  int rows, cols, act_width, wgt_width, psum_width;
  std::string Name() const {
    return std::to_string(rows) + "x" + std::to_string(cols) + "_a" + std::to_string(act_width) +
           "w" + std::to_string(wgt_width) + "p" + std::to_string(psum_width);
  }
};

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
};

// Drives passes through a Verilated sa_core `V`. stall_prob > 0 inserts random gaps in both
// input streams and random backpressure on the psum stream.
template <typename V>
class CoreHarness {
 public:
  CoreHarness(CoreConfig cfg) : cfg_(cfg), ctx_(new VerilatedContext), top_(new V(ctx_.get())) {}
  ~CoreHarness() { top_->final(); }

  V& top() { return *top_; }

  void Reset() {
    top_->rst_ni = 0;
    top_->clk_i = 0;
    top_->eval();
    top_->clk_i = 1;
    top_->eval();
    top_->clk_i = 0;
    top_->rst_ni = 1;
    top_->eval();
  }

  // psum_stall_prob < 0: the psum stream stalls as often as the inputs.
  RunResult Run(const std::vector<Pass>& passes, double stall_prob = 0, uint64_t seed = 1,
                double psum_stall_prob = -1, uint64_t max_cycles = 50'000'000) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution stall(stall_prob);
    std::bernoulli_distribution psum_stall(psum_stall_prob < 0 ? stall_prob : psum_stall_prob);
    struct WgtBeat {
      std::vector<int> row;
    };
    struct ActBeat {
      const std::vector<int>* act;
      bool last, first, acc_last, relu;
    };
    std::deque<WgtBeat> wq;
    std::deque<ActBeat> aq;
    for (const Pass& p : passes) {
      for (const auto& row : p.wgt) wq.push_back({row});
      for (size_t k = 0; k < p.act.size(); ++k)
        aq.push_back({&p.act[k], k + 1 == p.act.size(), p.acc_first, p.acc_last, p.relu});
    }
    const size_t expected = ReferenceOutputs(passes, cfg_.cols).size();
    RunResult res;
    V& t = *top_;
    while (res.outputs.size() < expected) {
      if (res.cycles++ >= max_cycles) break;
      t.clk_i = 0;
      const bool w_offer = !wq.empty() && !(stall_prob > 0 && stall(rng));
      t.wgt_valid_i = w_offer;
      if (w_offer) {
        t.wgt_data_i = 0;
        for (int c = 0; c < cfg_.cols; ++c)
          PutBits(t.wgt_data_i, c * cfg_.wgt_width, cfg_.wgt_width,
                  static_cast<uint64_t>(wq.front().row[c]));
      }
      const bool a_offer = !aq.empty() && !(stall_prob > 0 && stall(rng));
      t.act_valid_i = a_offer;
      if (a_offer) {
        const ActBeat& b = aq.front();
        t.act_data_i = 0;
        for (int r = 0; r < cfg_.rows; ++r)
          PutBits(t.act_data_i, r * cfg_.act_width, cfg_.act_width,
                  static_cast<uint64_t>((*b.act)[r]));
        t.act_last_i = b.last;
        t.act_acc_first_i = b.first;
        t.act_acc_last_i = b.acc_last;
        t.act_relu_i = b.relu;
      }
      t.psum_ready_i = !psum_stall(rng);
      t.eval();
      // Handshakes are sampled before the rising edge, as the RTL sees them.
      const bool w_fire = t.wgt_valid_i && t.wgt_ready_o;
      const bool a_fire = t.act_valid_i && t.act_ready_o;
      if (t.psum_valid_o && t.psum_ready_i) {
        std::vector<int64_t> v(cfg_.cols);
        for (int c = 0; c < cfg_.cols; ++c)
          v[c] = SignExtend(GetBits(t.psum_data_o, c * cfg_.psum_width, cfg_.psum_width),
                            cfg_.psum_width);
        res.outputs.push_back(std::move(v));
      }
      t.clk_i = 1;
      t.eval();
      if (w_fire) wq.pop_front();
      if (a_fire) aq.pop_front();
    }
    res.overflow = t.overflow_o;
    return res;
  }

 private:
  CoreConfig cfg_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
};

// Random passes: `groups` accumulation groups of `passes_per_group` passes of `beats` beats.
inline std::vector<Pass> RandomPasses(const CoreConfig& cfg, int groups, int passes_per_group,
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

}  // namespace sa::rtltest
