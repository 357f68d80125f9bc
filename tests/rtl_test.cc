// RTL tests: sa_mac and sa_pe alone; sa_core in several sizes and bit widths, its 2-bit mode,
// and sa_os_core square and non-square, each against an independent C++ reference
// (sim/pass_harness.h), with random backpressure, accumulation, ReLU, the overflow flag and the
// register-only handshake outputs probed at the credit limit.
#include <gtest/gtest.h>

#include <cstdlib>

#include "Vcore_16x16.h"
#include "Vcore_4x4.h"
#include "Vcore_4x8.h"
#include "Vcore_8x16.h"
#include "Vcore_8x8.h"
#include "Vcore_8x8_mode2.h"
#include "Vcore_8x8_narrow.h"
#include "Vcore_8x8_w2.h"
#include "Vmac.h"
#include "Vos_3x5.h"
#include "Vos_4x4_narrow.h"
#include "Vos_8x4.h"
#include "Vos_8x8.h"
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
SA_CONFIG(Vcore_8x8_mode2)
SA_CONFIG(Vos_8x8)
SA_CONFIG(Vos_3x5)
SA_CONFIG(Vos_8x4)
SA_CONFIG(Vos_4x4_narrow)
#undef SA_CONFIG

// Passes with act_relu_i chosen at random per accumulation group, so that it changes from one
// group to the next (the contract samples it per group, on its last pass).
void RandomReluPerGroup(std::vector<Pass>* passes, std::mt19937_64& rng) {
  bool relu = false;
  for (Pass& p : *passes) {
    if (p.acc_first) relu = (rng() & 1) != 0;
    p.relu = relu;
  }
}

// The handshake probe at the credit limit: full-speed inputs under heavy psum backpressure, so
// that the psum FIFO fills and the credit check holds the inputs; every cycle, random inputs
// (psum_ready_i among them) are driven between the edges.
template <typename H>
RunResult ProbeAtTheCreditLimit(H& harness, const std::vector<Pass>& passes, uint64_t seed) {
  harness.Reset();
  harness.ProbeCombinationalPaths(true);
  RunResult run = harness.Run(passes, /*stall_prob=*/0, seed, /*psum_stall_prob=*/0.9);
  harness.ProbeCombinationalPaths(false);
  return run;
}

// What every correct run shows: the reference's vectors in order, no overflow, nothing beyond
// them, busy_o low at the end and never low while psums wait.
void ExpectContractRun(const RunResult& got, const std::vector<std::vector<int64_t>>& expect) {
  ASSERT_EQ(got.outputs.size(), expect.size()) << "the core stopped producing psums";
  for (size_t i = 0; i < expect.size(); ++i)
    ASSERT_EQ(got.outputs[i], expect[i]) << "output vector " << i;
  EXPECT_FALSE(got.overflow);
  EXPECT_EQ(got.extra_outputs, 0) << "psums beyond the expected ones";
  EXPECT_FALSE(got.busy_after_drain) << "busy_o still high with nothing left in flight";
  EXPECT_EQ(got.busy_low_while_valid, 0) << "busy_o low while psums wait";
}

template <typename T>
class SaCore : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = T::Get();
    harness_ = std::make_unique<PassHarness<typename T::V>>(cfg_);
    harness_->Reset();
  }
  RunResult Check(const std::vector<Pass>& passes, double stall_prob, uint64_t seed,
                  double psum_stall_prob = -1) {
    SCOPED_TRACE("config " + cfg_.Name() + ", seed " + std::to_string(seed) +
                 " (rerun with SA_SEED)");
    RunResult got = harness_->Run(passes, stall_prob, seed, psum_stall_prob);
    ExpectContractRun(got, ReferenceOutputs(passes, cfg_));
    return got;
  }
  ArrayConfig cfg_;
  std::unique_ptr<PassHarness<typename T::V>> harness_;
};

// Vcore_8x8_mode2 runs 4-bit passes here, with random values in the odd lanes it must ignore.
using Configs =
    ::testing::Types<Config<Vcore_4x4>, Config<Vcore_8x8>, Config<Vcore_16x16>, Config<Vcore_4x8>,
                     Config<Vcore_8x16>, Config<Vcore_8x8_w2>, Config<Vcore_8x8_mode2>>;
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
  // Again where a path from psum_ready_i is most likely: at the exact credit limit.
  std::mt19937_64 rng2(seed + 1);
  auto long_passes = RandomPasses(this->cfg_, 3, 1, 60, false, rng2);
  auto limit = ProbeAtTheCreditLimit(*this->harness_, long_passes, seed + 1);
  ASSERT_GT(limit.input_held_by_psums, 0) << "the run never reached the credit limit";
  EXPECT_EQ(limit.combinational_paths, 0) << "config " << this->cfg_.Name();
  EXPECT_EQ(limit.outputs, ReferenceOutputs(long_passes, this->cfg_.cols));
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

// ------------------------------------------------------------------ sa_core's 2-bit mode
TEST(SaCoreWgt2Mode, TwoAndFourBitPassesInterleavedBackToBack) {
  // Each pass picks its mode at random, inside accumulation groups too, with no drain between:
  // 2-bit passes carry weight pairs over the whole field (-2 included), 4-bit passes random
  // values in the odd activation lanes.
  const ArrayConfig cfg = Config<Vcore_8x8_mode2>::Get();
  ASSERT_TRUE(cfg.wgt2_mode);
  PassHarness<Vcore_8x8_mode2> h(cfg);
  for (uint64_t k = 0; k < 3; ++k) {
    const uint64_t seed = BaseSeed() + 70 + k;
    SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with SA_SEED)");
    std::mt19937_64 rng(seed);
    std::vector<Pass> passes;
    int switches = 0, minus_two = 0;
    for (int g = 0; g < 6; ++g) {
      const int group_passes = 1 + static_cast<int>(rng() % 4),
                beats = 1 + static_cast<int>(rng() % 20);
      for (int i = 0; i < group_passes; ++i) {
        const bool wgt2 = (rng() & 1) != 0;
        Pass p = RandomPasses(cfg, 1, 1, beats, false, rng, wgt2)[0];
        p.acc_first = i == 0;
        p.acc_last = i + 1 == group_passes;
        switches += !passes.empty() && passes.back().wgt2 != wgt2;
        if (wgt2)
          for (const auto& row : p.wgt)
            for (int w : row) minus_two += w == -2;
        passes.push_back(std::move(p));
      }
    }
    RandomReluPerGroup(&passes, rng);
    ASSERT_GT(switches, 2) << "the stimulus must switch modes for the test to mean anything";
    ASSERT_GT(minus_two, 0);
    h.Reset();
    ExpectContractRun(h.Run(passes, /*stall_prob=*/0.2 * static_cast<double>(k), seed),
                      ReferenceOutputs(passes, cfg));
  }
}

TEST(SaCoreWgt2Mode, MinusTwoTimesTheLargestActivation) {
  // By hand: one 2-bit pass, every weight pair (-2, -2), activations 15: each output channel
  // sums 2 x Rows products of -30, -480 on 8 rows.
  const ArrayConfig cfg = Config<Vcore_8x8_mode2>::Get();
  PassHarness<Vcore_8x8_mode2> h(cfg);
  h.Reset();
  Pass p;
  p.wgt2 = true;
  p.wgt.assign(2 * cfg.rows, std::vector<int>(cfg.cols, -2));
  p.act.assign(3, std::vector<int>(2 * cfg.rows, 15));
  const RunResult got = h.Run({p});
  ASSERT_EQ(got.outputs.size(), 3u);
  for (const auto& v : got.outputs)
    for (int64_t x : v) EXPECT_EQ(x, -480);
}

// ------------------------------------------------------------------ sa_os_core, typed over sizes
template <typename T>
class SaOsCore : public SaCore<T> {};
using OsConfigs = ::testing::Types<Config<Vos_8x8>, Config<Vos_3x5>, Config<Vos_8x4>>;
TYPED_TEST_SUITE(SaOsCore, OsConfigs);

TYPED_TEST(SaOsCore, RandomTilesOnePassEach) {
  ASSERT_EQ(this->cfg_.dataflow, Dataflow::kOutputStationary);
  const uint64_t seed = BaseSeed() + 100;
  std::mt19937_64 rng(seed);
  this->Check(
      RandomPasses(this->cfg_, /*groups=*/10, /*passes_per_group=*/1, /*steps=*/37, false, rng), 0,
      seed);
}

TYPED_TEST(SaOsCore, TilesSplitOverSeveralPassesKeepTheirSums) {
  // The contract lets a tile span passes (acc_first on the first, acc_last on the last): the
  // sums must stay in the PEs across pass boundaries; ReLU changes from tile to tile.
  const uint64_t seed = BaseSeed() + 101;
  std::mt19937_64 rng(seed);
  auto passes = RandomPasses(this->cfg_, 5, 4, 9, false, rng);
  RandomReluPerGroup(&passes, rng);
  this->Check(passes, 0.2, seed);
}

TYPED_TEST(SaOsCore, RandomBackpressureAndGapsChangeNothing) {
  for (uint64_t k = 0; k < 3; ++k) {
    const uint64_t seed = BaseSeed() + 110 + k;
    std::mt19937_64 rng(seed);
    this->harness_->Reset();
    auto passes = RandomPasses(this->cfg_, 4, 1 + static_cast<int>(k), 11, false, rng);
    RandomReluPerGroup(&passes, rng);
    this->Check(passes, /*stall_prob=*/0.1 + 0.3 * static_cast<double>(k), seed);
  }
}

TYPED_TEST(SaOsCore, ShortTilesUnderHeavyPsumBackpressureLoseNothing) {
  // Tiles of 1 to 3 steps release Rows vectors each, far faster than a 90 %-stalled psum stream
  // takes them: the FIFO sits one tile short of full while the previous tile still drains, and
  // only the credit check keeps the array from overrunning it.
  const uint64_t seed = BaseSeed() + 120;
  std::mt19937_64 rng(seed);
  std::vector<Pass> passes;
  for (int t = 0; t < 12; ++t) {
    auto tile = RandomPasses(this->cfg_, 1, 1, 1 + static_cast<int>(rng() % 3), false, rng);
    passes.push_back(std::move(tile[0]));
  }
  this->harness_->Reset();
  const RunResult got = this->Check(passes, 0, seed, /*psum_stall_prob=*/0.9);
  EXPECT_GT(got.input_held_by_psums, 0) << "the credit limit was never reached";
}

TYPED_TEST(SaOsCore, HandshakeOutputsDependOnRegistersOnly) {
  const uint64_t seed = BaseSeed() + 130;
  std::mt19937_64 rng(seed);
  auto passes = RandomPasses(this->cfg_, 16, 1, 5, false, rng);
  auto run = ProbeAtTheCreditLimit(*this->harness_, passes, seed);
  ASSERT_GT(run.input_held_by_psums, 0) << "the run never reached the credit limit";
  EXPECT_EQ(run.combinational_paths, 0) << "config " << this->cfg_.Name();
  EXPECT_EQ(run.outputs, ReferenceOutputs(passes, this->cfg_));
}

TYPED_TEST(SaOsCore, LongTilesRunAtOneStepPerCycle) {
  // Tiles of at least 2 Rows + Cols steps keep the array full (the drain of one tile hides
  // under the next): the last psum leaves at most Rows + Cols + Rows + 4 cycles after the last
  // step, which enters in cycle tiles x steps + 2 (the input FIFO and register).
  const uint64_t seed = BaseSeed() + 140;
  std::mt19937_64 rng(seed);
  const int tiles = 6, steps = 2 * this->cfg_.rows + this->cfg_.cols;
  this->harness_->Reset();
  auto run = this->harness_->Run(RandomPasses(this->cfg_, tiles, 1, steps, false, rng));
  const uint64_t bound = tiles * steps + 2 + 2 * this->cfg_.rows + this->cfg_.cols + 4;
  EXPECT_LE(run.cycles, bound) << "config " << this->cfg_.Name();
}

TEST(SaOsCoreNarrow, OverflowIsRaisedAndHeld) {
  // 12-bit psums (-2048..2047); every step adds 15 x 7 = 105 to every output.
  const ArrayConfig cfg = Config<Vos_4x4_narrow>::Get();
  ASSERT_EQ(cfg.psum_width, 12);
  PassHarness<Vos_4x4_narrow> h(cfg);
  auto tile = [&](int steps) {
    Pass p;
    p.wgt.assign(steps, std::vector<int>(cfg.cols, 7));
    p.act.assign(steps, std::vector<int>(cfg.rows, 15));
    return std::vector<Pass>{p};
  };
  h.Reset();
  auto fits = h.Run(tile(19));  // 1995 fits
  EXPECT_FALSE(fits.overflow);
  EXPECT_EQ(fits.outputs.at(0).at(0), 1995);
  auto over = h.Run(tile(20));  // 2100 does not
  EXPECT_TRUE(over.overflow);
  auto after = h.Run(tile(2));  // 210 fits again: the flag stays set until reset
  EXPECT_EQ(after.outputs.at(0).at(0), 210);
  EXPECT_TRUE(after.overflow) << "overflow_o must stay set until reset";
  h.Reset();
  EXPECT_FALSE(h.Run(tile(2)).overflow) << "reset clears overflow_o";
}

}  // namespace
