// The harness logic in-process, without Verilator: the weight-stationary schedule, driver,
// monitor, scoreboard and the whole regression (table, JSON, JUnit, shards, merge, rerun
// commands) against the behavioural contract model (sim/behavioral_core.h), in milliseconds.
// Expected psums come from the random sets' direct convolution (sim/random_set.h); each planted
// fault of the model must be caught by the check meant for it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "sim/behavioral_core.h"
#include "sim/random_set.h"
#include "sim/regress.h"
#include "sim/report.h"
#include "tests/test_util.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
namespace sv = sa::vectors;
using sa::sim::ArrayConfig;
using sa::sim::BehavioralCore;
using sa::sim::BehavioralKnobs;
using sa::sim::LayerRun;
using sa::sim::LayerStats;
using sa::sim::RunOptions;
using sa::testing::TempDir;

// A unit through the model, clocked as the fast harness clocks a Verilated core: the testbench
// sees the outputs from before the edge, the model samples the inputs presented before it.
void Clock(LayerRun* run, const ArrayConfig& cfg, const BehavioralKnobs& knobs) {
  BehavioralCore core(cfg, knobs);
  while (!run->Done()) {
    const sa::sim::PinsIn in = run->inputs();
    run->OnEdge(core.Outputs(), core);
    core.Edge(in);
  }
}

LayerStats RunLayer(const sv::LayerVectors& layer, const ArrayConfig& cfg, const RunOptions& opt,
                    const BehavioralKnobs& knobs) {
  LayerRun run(layer, cfg, opt, /*layer_seed=*/7);
  Clock(&run, cfg, knobs);
  return run.Finish(0);
}

// A random set of 12 odd layers, made once for the suite.
const std::string& RandomSet() {
  static const std::string dir = [] {
    const std::string d = TempDir("harness") + "/set";
    sa::sim::WriteRandomSet(d, 99);
    return d;
  }();
  return dir;
}

class BehavioralSizes : public ::testing::TestWithParam<std::tuple<int, int, int, double>> {};

TEST_P(BehavioralSizes, EveryRandomLayerMatchesTheDirectConvolution) {
  const auto [rows, cols, latency, stall] = GetParam();
  ArrayConfig cfg;
  cfg.rows = rows;
  cfg.cols = cols;
  cfg.acc_depth = 64;  // many passes per layer: chunks of at most 64 pixels
  RunOptions opt;
  opt.stall_prob = stall;
  BehavioralKnobs knobs;
  knobs.latency = latency;
  knobs.ready_stall = stall;
  const sv::Manifest m = sv::ReadManifest(RandomSet());
  for (const std::string& name : m.layers) {
    const sv::LayerVectors layer = sv::ReadLayer(RandomSet(), m, name);
    const LayerStats s = RunLayer(layer, cfg, opt, knobs);
    EXPECT_TRUE(s.Passed()) << name << ": mismatches " << s.mismatches << ", hung " << s.hung
                            << ", extra " << s.extra_psums;
    EXPECT_EQ(s.psums_compared, layer.psum.NumElements()) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, BehavioralSizes,
    ::testing::Values(std::make_tuple(4, 4, 1, 0.0), std::make_tuple(8, 8, 3, 0.0),
                      std::make_tuple(3, 5, 7, 0.3), std::make_tuple(16, 8, 2, 0.2),
                      std::make_tuple(1, 1, 1, 0.0), std::make_tuple(8, 16, 12, 0.5)));

// Each planted fault of the model is caught, by the check meant for it.
TEST(BehavioralFaults, EachPlantedFaultIsCaught) {
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 4;
  cfg.acc_depth = 64;
  const sv::Manifest m = sv::ReadManifest(RandomSet());
  struct Case {
    const char* name;
    BehavioralKnobs knobs;
    bool (*caught)(const LayerStats&);
  };
  BehavioralKnobs flip, sign, busy, extra, first;
  flip.flip_bit_of_vector = 3;
  sign.zero_extend_weights = true;
  busy.busy_stuck_high = true;
  extra.extra_vector = true;
  first.ignore_acc_first = true;
  const Case cases[] = {
      {"one flipped bit", flip, [](const LayerStats& s) { return s.mismatches == 1; }},
      {"zero-extended weights", sign, [](const LayerStats& s) { return s.mismatches > 0; }},
      {"busy_o stuck high", busy, [](const LayerStats& s) { return s.busy_after_drain; }},
      {"an extra vector", extra,
       [](const LayerStats& s) { return s.extra_psums > 0 || s.mismatches > 0; }},
      {"acc_first ignored", first, [](const LayerStats& s) { return s.mismatches > 0; }}};
  for (const Case& c : cases) {
    int caught = 0, failed = 0;
    for (const std::string& name : m.layers) {
      const LayerStats s =
          RunLayer(sv::ReadLayer(RandomSet(), m, name), cfg, RunOptions{}, c.knobs);
      failed += !s.Passed();
      caught += c.caught(s);
    }
    EXPECT_GT(failed, 0) << c.name << " passed every layer";
    EXPECT_GT(caught, 0) << c.name << " failed, but not by its check";
  }
}

// The whole regression in-process: RunRegression with the model behind UnitSimulator.
class BehavioralSimulator : public sa::sim::UnitSimulator {
 public:
  BehavioralSimulator(const ArrayConfig& cfg, const BehavioralKnobs& k) : cfg_(cfg), knobs_(k) {}
  void Run(LayerRun* run, const sa::sim::TraceWindow*) override { Clock(run, cfg_, knobs_); }
  void OpenTrace(const std::string&) override { throw std::invalid_argument("no trace"); }
  void CloseTrace() override {}
  void WriteCoverage(const std::string&) override { throw std::invalid_argument("no coverage"); }

 private:
  ArrayConfig cfg_;
  BehavioralKnobs knobs_;
};

sa::sim::SimulatorInfo Behavioral(const BehavioralKnobs& k) {
  sa::sim::SimulatorInfo info;
  info.config.rows = info.config.cols = 4;
  info.verilator_version = "none (behavioural model)";
  info.systemc_version = "none";
  info.make = [cfg = info.config, k](const std::string&) {
    return std::make_unique<BehavioralSimulator>(cfg, k);
  };
  return info;
}

nlohmann::json Read(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(BehavioralRegression, ShardsMergeToTheOneProcessRunAndAFaultFailsItsUnit) {
  const std::string dir = TempDir("behavioral_regression");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.stall_prob = 0.2;
  opt.report = dir + "/one.json";
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}), "sa-cosim --core model", "x"), 0);
  std::vector<sa::sim::Report> shards;
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    opt.shard = std::to_string(i) + "/3";
    opt.report = dir + "/s" + std::to_string(i) + ".json";
    ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}), "sa-cosim --core model", "x"), 0);
    shards.push_back(sa::sim::ReadJsonReport(opt.report));
    paths.push_back(opt.report);
  }
  const sa::sim::Report merged = sa::sim::MergeReports(shards, paths);
  const sa::sim::Report one = sa::sim::ReadJsonReport(dir + "/one.json");
  ASSERT_EQ(merged.units.size(), one.units.size());
  for (size_t i = 0; i < one.units.size(); ++i) {
    EXPECT_EQ(merged.units[i].cycles, one.units[i].cycles) << i;
    EXPECT_EQ(merged.units[i].psums_compared, one.units[i].psums_compared) << i;
  }
  // A planted fault: exit 1, the unit failed in JSON and JUnit, and its rerun command.
  BehavioralKnobs flip;
  flip.flip_bit_of_vector = 0;
  opt.shard.clear();
  opt.stall_prob = 0.12345678;
  opt.report = dir + "/bad.json";
  opt.junit = dir + "/bad.xml";
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral(flip), "sa-cosim --core model", "x"), 1);
  const nlohmann::json bad = Read(dir + "/bad.json");
  EXPECT_FALSE(bad["total"]["passed"].get<bool>());
  const std::string junit = sa::testing::Slurp(dir + "/bad.xml");
  EXPECT_NE(junit.find("type=\"mismatch\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("rerun: sa-cosim --core model --vectors "), std::string::npos) << junit;
  EXPECT_NE(junit.find("--stall-prob 0.12345678 "), std::string::npos) << junit;
}

}  // namespace
