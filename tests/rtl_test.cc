// RTL tests: sa_mac and sa_pe alone, and sa_core in several sizes and bit widths against an
// independent C++ reference, with random backpressure, accumulation, ReLU and the overflow flag.
#include <gtest/gtest.h>

#include <cstdlib>

#include "Vcore_16x16.h"
#include "Vcore_4x4.h"
#include "Vcore_4x8.h"
#include "Vcore_8x16.h"
#include "Vcore_8x8.h"
#include "Vcore_8x8_narrow.h"
#include "Vcore_8x8_w2.h"
#include "Vmac.h"
#include "Vpe.h"
#include "sim/pass_harness.h"

namespace {
using namespace sa::sim;

// Seeds come from SA_SEED (default 1) and appear in every failure message, so a failing run
// can be repeated exactly.
uint64_t BaseSeed() {
  const char* s = std::getenv("SA_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 1;
}

// ------------------------------------------------------------------ sa_mac (4-bit, psum 12)
TEST(SaMac, ExtremesMatchHandComputedValues) {
  Vmac mac;
  struct Case {
    int act, wgt, psum, expect;
  };
  // expect written by hand: psum + act * wgt
  const Case cases[] = {
      {0, 7, 0, 0},       {0, -8, 123, 123},   {15, 7, 0, 105},        {15, -8, 0, -120},
      {15, -8, -1, -121}, {15, 7, 1942, 2047}, {15, -8, -1928, -2048}, {1, -1, 0, -1},
      {15, -1, 15, 0},    {7, 3, -21, 0},
  };
  for (const Case& c : cases) {
    mac.act_i = static_cast<uint8_t>(c.act);
    mac.wgt_i = static_cast<uint8_t>(c.wgt & 0xf);
    mac.psum_i = static_cast<uint16_t>(c.psum & 0xfff);
    mac.eval();
    EXPECT_EQ(SignExtend(mac.psum_o, 12), c.expect)
        << "act " << c.act << " wgt " << c.wgt << " psum " << c.psum;
  }
}

// ------------------------------------------------------------------ sa_pe (4-bit, psum 12)
class SaPe : public ::testing::Test {
 protected:
  void SetUp() override {
    pe_.rst_ni = 0;
    pe_.clk_i = 0;
    pe_.eval();
    pe_.rst_ni = 1;
    pe_.eval();
  }
  void Tick() {
    pe_.clk_i = 1;
    pe_.eval();
    pe_.clk_i = 0;
    pe_.eval();
  }
  void LoadWeight(int bank, int w) {
    pe_.wgt_we_i = 1;
    pe_.wgt_bank_i = bank;
    pe_.wgt_data_i = static_cast<uint8_t>(w & 0xf);
    Tick();
    pe_.wgt_we_i = 0;
  }
  Vpe pe_;
};

TEST_F(SaPe, MultipliesWithTheBankTaggedOnTheActivation) {
  LoadWeight(0, 3);
  LoadWeight(1, -5);
  pe_.act_i = 9;
  pe_.act_bank_i = 0;
  pe_.psum_i = 100;
  Tick();
  EXPECT_EQ(SignExtend(pe_.psum_o, 12), 100 + 9 * 3);
  EXPECT_EQ(pe_.act_o, 9) << "activation goes east one cycle later";
  EXPECT_EQ(pe_.act_bank_o, 0);
  pe_.act_i = 15;
  pe_.act_bank_i = 1;
  pe_.psum_i = 0;
  Tick();
  EXPECT_EQ(SignExtend(pe_.psum_o, 12), 15 * -5);
  EXPECT_EQ(pe_.act_o, 15);
  EXPECT_EQ(pe_.act_bank_o, 1);
}

TEST_F(SaPe, LoadingOneBankLeavesTheOtherInUse) {
  LoadWeight(0, 7);
  pe_.act_i = 2;
  pe_.act_bank_i = 0;
  pe_.psum_i = 0;
  pe_.wgt_we_i = 1;  // write bank 1 in the same cycle that bank 0 is used
  pe_.wgt_bank_i = 1;
  pe_.wgt_data_i = 0x8;  // -8
  Tick();
  pe_.wgt_we_i = 0;
  EXPECT_EQ(SignExtend(pe_.psum_o, 12), 14);
  pe_.act_bank_i = 1;
  Tick();
  EXPECT_EQ(SignExtend(pe_.psum_o, 12), -16);
}

// ------------------------------------------------------------------ sa_core, typed over configs
// Each model with its configuration, as CMake verilated it (SA_<model>_CONFIG).
template <typename VT>
struct Config;
#define SA_CONFIG(Model)                                                 \
  template <>                                                            \
  struct Config<Model> {                                                 \
    using V = Model;                                                     \
    static ArrayConfig Get() { return ArrayConfig SA_##Model##_CONFIG; } \
  };
SA_CONFIG(Vcore_4x4)
SA_CONFIG(Vcore_8x8)
SA_CONFIG(Vcore_16x16)
SA_CONFIG(Vcore_4x8)
SA_CONFIG(Vcore_8x16)
SA_CONFIG(Vcore_8x8_w2)
SA_CONFIG(Vcore_8x8_narrow)
#undef SA_CONFIG

template <typename T>
class SaCore : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = T::Get();
    harness_ = std::make_unique<PassHarness<typename T::V>>(cfg_);
    harness_->Reset();
  }
  void Check(const std::vector<Pass>& passes, double stall_prob, uint64_t seed,
             double psum_stall_prob = -1) {
    SCOPED_TRACE("config " + cfg_.Name() + ", seed " + std::to_string(seed) +
                 " (rerun with SA_SEED)");
    auto expect = ReferenceOutputs(passes, cfg_.cols);
    RunResult got = harness_->Run(passes, stall_prob, seed, psum_stall_prob);
    ASSERT_EQ(got.outputs.size(), expect.size()) << "the core stopped producing psums";
    for (size_t i = 0; i < expect.size(); ++i)
      ASSERT_EQ(got.outputs[i], expect[i]) << "output vector " << i;
    EXPECT_FALSE(got.overflow);
    EXPECT_EQ(got.extra_outputs, 0) << "psums beyond the expected ones";
    EXPECT_FALSE(got.busy_after_drain) << "busy_o still high with nothing left in flight";
    EXPECT_EQ(got.busy_low_while_valid, 0) << "busy_o low while psums wait";
  }
  ArrayConfig cfg_;
  std::unique_ptr<PassHarness<typename T::V>> harness_;
};

using Configs = ::testing::Types<Config<Vcore_4x4>, Config<Vcore_8x8>, Config<Vcore_16x16>,
                                 Config<Vcore_4x8>, Config<Vcore_8x16>, Config<Vcore_8x8_w2>>;
TYPED_TEST_SUITE(SaCore, Configs);

TYPED_TEST(SaCore, RandomTilesSinglePass) {
  const uint64_t seed = BaseSeed();
  std::mt19937_64 rng(seed);
  this->Check(
      RandomPasses(this->cfg_, /*groups=*/12, /*passes_per_group=*/1, /*beats=*/37, false, rng), 0,
      seed);
}

TYPED_TEST(SaCore, MultiPassAccumulation) {
  const uint64_t seed = BaseSeed() + 1;
  std::mt19937_64 rng(seed);
  this->Check(RandomPasses(this->cfg_, 3, 9, 16, /*relu=*/false, rng), 0, seed);
}

TYPED_TEST(SaCore, MultiPassAccumulationWithRelu) {
  const uint64_t seed = BaseSeed() + 2;
  std::mt19937_64 rng(seed);
  auto passes = RandomPasses(this->cfg_, 3, 5, 16, /*relu=*/true, rng);
  auto expect = ReferenceOutputs(passes, this->cfg_.cols);
  bool clamped = false;  // the random data must exercise the clamp for the test to mean anything
  auto raw = passes;
  for (auto& p : raw) p.relu = false;
  for (auto& v : ReferenceOutputs(raw, this->cfg_.cols))
    for (auto x : v) clamped |= x < 0;
  ASSERT_TRUE(clamped);
  this->Check(passes, 0, seed);
}

TYPED_TEST(SaCore, RandomBackpressureAndGapsChangeNothing) {
  for (uint64_t k = 0; k < 3; ++k) {
    const uint64_t seed = BaseSeed() + 10 + k;
    std::mt19937_64 rng(seed);
    this->harness_->Reset();
    this->Check(RandomPasses(this->cfg_, 4, 3, 11, k == 1, rng), /*stall_prob=*/0.1 + 0.3 * k,
                seed);
  }
}

TYPED_TEST(SaCore, HeavyPsumBackpressureWithFullSpeedInputsLosesNothing) {
  // Inputs never pause while the psum stream is mostly stalled: the FIFO fills up and only the
  // credit check keeps the array from overrunning it.
  const uint64_t seed = BaseSeed() + 40;
  std::mt19937_64 rng(seed);
  this->Check(RandomPasses(this->cfg_, 4, 1, 50, false, rng), /*stall_prob=*/0, seed,
              /*psum_stall_prob=*/0.9);
}

TYPED_TEST(SaCore, ShortPassesBackToBack) {
  // Passes shorter than the array's diagonal exercise the weight-bank drain interlock.
  const uint64_t seed = BaseSeed() + 20;
  std::mt19937_64 rng(seed);
  this->Check(RandomPasses(this->cfg_, 6, 2, 1, false, rng), 0, seed);
  std::mt19937_64 rng2(seed + 1);
  this->Check(RandomPasses(this->cfg_, 5, 3, 3, false, rng2), 0.2, seed + 1);
}

TYPED_TEST(SaCore, HandshakeOutputsDependOnRegistersOnly) {
  // The contract lets a driver sample wgt_ready_o, act_ready_o and psum_valid_o before the
  // edge: random input changes between edges must never move them.
  const uint64_t seed = BaseSeed() + 50;
  std::mt19937_64 rng(seed);
  this->harness_->ProbeCombinationalPaths(true);
  auto passes = RandomPasses(this->cfg_, 3, 2, 9, false, rng);
  auto run = this->harness_->Run(passes, /*stall_prob=*/0.3, seed);
  this->harness_->ProbeCombinationalPaths(false);
  EXPECT_EQ(run.combinational_paths, 0) << "config " << this->cfg_.Name();
  EXPECT_EQ(run.outputs, ReferenceOutputs(passes, this->cfg_.cols));
}

TYPED_TEST(SaCore, PassesOfAccDepthBeatsFillTheWholeBuffer) {
  // The longest pass the contract allows: every accumulator address is written and read.
  const uint64_t seed = BaseSeed() + 60;
  std::mt19937_64 rng(seed);
  this->Check(RandomPasses(this->cfg_, 1, 2, this->cfg_.acc_depth, false, rng), 0.05, seed);
}

TYPED_TEST(SaCore, PassesRunBackToBackWithoutBubbles) {
  const uint64_t seed = BaseSeed() + 30;
  std::mt19937_64 rng(seed);
  const int passes = 10, beats = 64;  // 64 beats: an 8 x 8 output map, as in stage 3
  auto run = this->harness_->Run(RandomPasses(this->cfg_, passes, 1, beats, false, rng));
  const uint64_t rows = this->cfg_.rows, cols = this->cfg_.cols;
  // First tile load (rows cycles) + one cycle per beat + pipeline fill/drain (rows + cols + 1),
  // plus the reset/first-handshake cycle: no per-pass overhead at all.
  const uint64_t bound = rows + passes * beats + rows + cols + 2;
  EXPECT_LE(run.cycles, bound) << "config " << this->cfg_.Name();
}

TYPED_TEST(SaCore, WorstCaseResNetLayerDoesNotOverflow24Bits) {
  // 576 products (64 channels x 3 x 3) at the quantizer's extremes, 15 x 7 and 15 x -7.
  for (int sign : {1, -1}) {
    std::vector<Pass> passes;
    const int rows = this->cfg_.rows, cols = this->cfg_.cols;
    const int w = sign * ((1 << (this->cfg_.wgt_width - 1)) - 1);
    const int npass = 576 / rows;
    for (int p = 0; p < npass; ++p) {
      Pass pass;
      pass.wgt.assign(rows, std::vector<int>(cols, w));
      pass.act.assign(4, std::vector<int>(rows, 15));
      pass.acc_first = p == 0;
      pass.acc_last = p + 1 == npass;
      passes.push_back(pass);
    }
    this->harness_->Reset();
    auto run = this->harness_->Run(passes);
    ASSERT_EQ(run.outputs.size(), 4u);
    EXPECT_EQ(run.outputs[0][0], 576 * 15 * w);  // by hand: 60480 at 4 bits
    EXPECT_FALSE(run.overflow);
  }
}

// ------------------------------------------------------------------ overflow flag
TEST(SaCoreNarrow, OverflowFlagCatchesATooNarrowPsumWidth) {
  const ArrayConfig cfg = Config<Vcore_8x8_narrow>::Get();
  ASSERT_EQ(cfg.psum_width, 12);  // 12-bit psums: -2048..2047
  PassHarness<Vcore_8x8_narrow> h(cfg);
  h.Reset();
  auto make = [&](int npass) {
    std::vector<Pass> passes;
    for (int p = 0; p < npass; ++p) {
      Pass pass;
      pass.wgt.assign(8, std::vector<int>(8, 7));
      pass.act.assign(2, std::vector<int>(8, 15));  // 840 per pass
      pass.acc_first = p == 0;
      pass.acc_last = p + 1 == npass;
      passes.push_back(pass);
    }
    return passes;
  };
  auto fits = h.Run(make(2));  // 1680 fits
  EXPECT_FALSE(fits.overflow);
  EXPECT_EQ(fits.outputs.at(0).at(0), 1680);
  auto over = h.Run(make(3));  // 2520 does not
  EXPECT_TRUE(over.overflow);
  // Sticky: a later sum that fits leaves the flag raised.
  auto after = h.Run(make(1));
  EXPECT_EQ(after.outputs.at(0).at(0), 840);
  EXPECT_TRUE(after.overflow) << "overflow_o must stay set until reset";
}

}  // namespace
