// The harness logic in-process, without Verilator: the weight-stationary schedule, driver,
// monitor, scoreboard and the whole regression (table, JSON, JUnit, shards, merge, rerun
// commands) against the behavioural contract model (sim/behavioral_core.h), in milliseconds.
// Expected psums come from the random sets' direct convolution (sim/random_set.h); each planted
// fault of the model must be caught by the check meant for it.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <tuple>

#include "sim/behavioral_core.h"
#include "sim/random_set.h"
#include "sim/regress.h"
#include "sim/report.h"
#include "tests/random_set.h"
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

// The same with 2-bit weights (-1..1), for the 2-bit mode.
const std::string& RandomSet2() {
  static const std::string dir = [] {
    const std::string d = TempDir("harness2") + "/set";
    sa::sim::WriteRandomSet(d, 98, /*wgt_bits=*/2);
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

// The output-stationary contract, in-process: every random layer matches on square and
// non-square arrays, with latency, stalls, a small FIFO and tiles split over passes; a core that
// ignores acc_first passes whole tiles but fails split ones, and a flipped bit is one mismatch.
TEST(BehavioralOutputStationary, EveryRandomLayerMatchesAndFaultsAreCaught) {
  struct Size {
    int rows, cols, latency;
    double stall;
  };
  const sv::Manifest m = sv::ReadManifest(RandomSet());
  for (const Size& z : {Size{8, 8, 3, 0.0}, Size{3, 5, 7, 0.3}, Size{4, 8, 1, 0.5}}) {
    ArrayConfig cfg;
    cfg.rows = z.rows;
    cfg.cols = z.cols;
    cfg.dataflow = sa::sim::Dataflow::kOutputStationary;
    BehavioralKnobs knobs;
    knobs.latency = z.latency;
    knobs.ready_stall = z.stall;
    knobs.fifo_depth = 2 * z.rows + 2;
    BehavioralKnobs no_first = knobs, flip = knobs;
    no_first.ignore_acc_first = true;
    flip.flip_bit_of_vector = 2;
    int caught_split = 0, caught_whole = 0;
    for (const std::string& name : m.layers) {
      const sv::LayerVectors layer = sv::ReadLayer(RandomSet(), m, name);
      RunOptions whole, split;
      whole.stall_prob = split.stall_prob = z.stall;
      split.split_tiles = true;
      split.relu_random = true;
      for (const RunOptions& opt : {whole, split}) {
        const LayerStats s = RunLayer(layer, cfg, opt, knobs);
        EXPECT_TRUE(s.Passed()) << name << " " << z.rows << "x" << z.cols << ": mismatches "
                                << s.mismatches << ", hung " << s.hung << ", extra "
                                << s.extra_psums;
        EXPECT_EQ(s.psums_compared, layer.psum.NumElements()) << name;
      }
      EXPECT_EQ(RunLayer(layer, cfg, whole, flip).mismatches, 1) << name;
      caught_split += !RunLayer(layer, cfg, split, no_first).Passed();
      caught_whole += !RunLayer(layer, cfg, whole, no_first).Passed();
    }
    EXPECT_GT(caught_split, 0) << "split tiles must catch a core that ignores acc_first";
    EXPECT_GT(caught_whole, 0) << "and so must consecutive whole tiles";
  }
}

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
  BehavioralKnobs flip, sign, busy, extra, first, hang;
  flip.flip_bit_of_vector = 3;
  hang.hang_after_beats = 5;
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
      {"acc_first ignored", first, [](const LayerStats& s) { return s.mismatches > 0; }},
      {"a hang", hang, [](const LayerStats& s) { return s.hung; }}};
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
// What the simulator process does beyond the model: die on one unit (as a Verilated model that
// dereferences garbage would), or take longer per unit (to tell wall time from summed time).
// `waves`, when set, logs each waveform opened ("open PATH") and each unit run into one
// ("unit U cycles FROM..TO").
struct ProcessKnobs {
  int64_t die_on_unit = -1;  // plan index
  int sleep_ms = 0;
  std::shared_ptr<std::vector<std::string>> waves;
};

class BehavioralSimulator : public sa::sim::UnitSimulator {
 public:
  BehavioralSimulator(const ArrayConfig& cfg, const BehavioralKnobs& k, const ProcessKnobs& p)
      : cfg_(cfg), knobs_(k), process_(p) {}
  void Run(LayerRun* run, const sa::sim::TraceWindow* window) override {
    if (run->probe().unit == process_.die_on_unit) std::raise(SIGSEGV);
    if (process_.waves && open_)
      process_.waves->push_back(
          "unit " + std::to_string(run->probe().unit) + " cycles " +
          (window ? std::to_string(window->from) + ".." + std::to_string(window->to) : "all"));
    if (process_.sleep_ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(process_.sleep_ms));
    Clock(run, cfg_, knobs_);
  }
  void OpenTrace(const std::string& path) override {
    if (!process_.waves) throw std::invalid_argument("no trace");
    process_.waves->push_back("open " + path);
    open_ = true;
  }
  void CloseTrace() override { open_ = false; }
  void WriteCoverage(const std::string&) override { throw std::invalid_argument("no coverage"); }

 private:
  ArrayConfig cfg_;
  BehavioralKnobs knobs_;
  ProcessKnobs process_;
  bool open_ = false;
};

sa::sim::SimulatorInfo Behavioral(const BehavioralKnobs& k, const ProcessKnobs& p = {}) {
  sa::sim::SimulatorInfo info;
  info.config.rows = info.config.cols = 4;
  info.verilator_version = "none (behavioural model)";
  info.systemc_version = "none";
  info.make = [cfg = info.config, k, p](const std::string&) {
    return std::make_unique<BehavioralSimulator>(cfg, k, p);
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

// Reports of more than full_detail_units units list passing units as compact rows and fold
// them per layer in JUnit; failing units stay in full, and compact shards still merge to the
// one-process run's layer totals.
TEST(BehavioralRegression, CompactReportsKeepFailuresInFullAndMerge) {
  const std::string dir = TempDir("behavioral_compact");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.stall_prob = 0.2;
  opt.full_detail_units = 2;
  opt.report = dir + "/one.json";
  opt.junit = dir + "/one.xml";
  BehavioralKnobs flip;
  flip.flip_bit_of_vector = 0;  // every unit's first psum vector: every unit fails
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}), "sa-cosim --core model", "x"), 0);
  const nlohmann::json one = Read(opt.report);
  const size_t planned = one["units_planned"].get<size_t>();
  ASSERT_GT(planned, 2u);
  EXPECT_EQ(one["units"].size(), 0u);  // all passed: none in full
  ASSERT_EQ(one["passed_units"]["rows"].size(), planned);
  EXPECT_EQ(one["passed_units"]["rows"][1][0].get<size_t>(), 1u);
  const std::string junit = sa::testing::Slurp(opt.junit);
  EXPECT_NE(junit.find(" passing units\""), std::string::npos) << junit;
  EXPECT_EQ(junit.find(" image "), std::string::npos) << junit;  // no per-unit testcase
  // Three compact shards merge to the one-process run's layers.
  std::vector<sa::sim::Report> shards;
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    opt.shard = std::to_string(i) + "/3";
    opt.report = dir + "/s" + std::to_string(i) + ".json";
    opt.junit.clear();
    ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}), "sa-cosim --core model", "x"), 0);
    shards.push_back(sa::sim::ReadJsonReport(opt.report));
    paths.push_back(opt.report);
  }
  const sa::sim::Report merged = sa::sim::MergeReports(shards, paths);
  const sa::sim::Report back = sa::sim::ReadJsonReport(dir + "/one.json");
  EXPECT_EQ(merged.UnitCount(), static_cast<int64_t>(planned));
  ASSERT_EQ(merged.layers.size(), back.layers.size());
  for (size_t i = 0; i < back.layers.size(); ++i) {
    EXPECT_EQ(merged.layers[i].name, back.layers[i].name);
    EXPECT_EQ(merged.layers[i].cycles, back.layers[i].cycles) << i;
    EXPECT_EQ(merged.layers[i].psums_compared, back.layers[i].psums_compared) << i;
    EXPECT_EQ(merged.layers[i].coverage.act_zero, back.layers[i].coverage.act_zero) << i;
    EXPECT_EQ(merged.layers[i].image_psums, back.layers[i].image_psums) << i;
  }
  // A shard dropped: the merge names the missing unit count.
  shards.pop_back();
  paths.pop_back();
  EXPECT_THROW(sa::sim::MergeReports(shards, paths), sv::FormatError);
  // Failing units stay in full, with their mismatches.
  opt.shard.clear();
  opt.report = dir + "/bad.json";
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral(flip), "sa-cosim --core model", "x"), 1);
  const nlohmann::json bad = Read(opt.report);
  EXPECT_EQ(bad["units"].size(), planned);
  EXPECT_FALSE(bad.contains("passed_units"));
  EXPECT_FALSE(bad["units"][0]["first_mismatches"].empty());
}

// Parts of a regression whose tasks each ran their own images (sa-report merge --parts): one
// run of all their images and units, counts summed, a failing unit renumbered and rerun on its
// own part's set; overlapping or unlike parts are refused.
TEST(BehavioralRegression, PartsMergeIntoOneRunOfAllTheirImages) {
  const std::string dir = TempDir("behavioral_parts");
  sa::sim::WriteRandomSet(dir + "/a", 5);
  sa::sim::WriteRandomSet(dir + "/b", 6);
  {  // the second part holds test images 2 and 3
    std::string m = sa::testing::Slurp(dir + "/b/manifest.json");
    const size_t at = m.find("\"images\": [");
    ASSERT_NE(at, std::string::npos) << m;
    const size_t end = m.find(']', at);
    m.replace(at, end - at + 1, "\"images\": [2, 3]");
    sv::WriteFileAtomic(dir + "/b/manifest.json", std::vector<uint8_t>(m.begin(), m.end()));
  }
  const sv::Manifest b = sv::ReadManifest(dir + "/b");
  const int64_t per_image = sv::ReadLayer(dir + "/b", b.layers[4]).psum.NumElements() / 2;
  sa::testing::PlantFault(dir + "/b/" + b.layers[4], per_image + 3);  // b's image 1: test image 3
  auto run = [&](const std::string& set, const std::string& report, uint64_t seed) {
    sa::sim::RegressOptions opt;
    opt.vectors = set;
    opt.quiet = true;
    opt.seed = seed;
    opt.stall_prob = 0.2;
    opt.report = report;
    return sa::sim::RunRegression(opt, Behavioral({}), "sa-cosim --core model", "x");
  };
  ASSERT_EQ(run(dir + "/a", dir + "/a.json", 1), 0);
  ASSERT_EQ(run(dir + "/b", dir + "/b.json", 1), 1);
  const std::vector<std::string> paths = {dir + "/b.json", dir + "/a.json"};  // any order
  const std::vector<sa::sim::Report> parts = {sa::sim::ReadJsonReport(paths[0]),
                                              sa::sim::ReadJsonReport(paths[1])};
  const sa::sim::Report m = sa::sim::MergeParts(parts, paths);
  EXPECT_EQ(m.info.images, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(m.info.units_planned, parts[0].info.units_planned + parts[1].info.units_planned);
  EXPECT_EQ(m.UnitCount(), m.info.units_planned);
  ASSERT_EQ(m.layers.size(), parts[1].layers.size());
  for (size_t i = 0; i < m.layers.size(); ++i) {
    EXPECT_EQ(m.layers[i].cycles, parts[0].layers[i].cycles + parts[1].layers[i].cycles) << i;
    EXPECT_EQ(m.layers[i].image_psums[3], parts[0].layers[i].image_psums[1]) << i;
    EXPECT_EQ(m.layers[i].image_psums[0], parts[1].layers[i].image_psums[0]) << i;
  }
  std::vector<const sa::sim::LayerStats*> failing;
  for (const auto& u : m.units)
    if (!u.Passed()) failing.push_back(&u);
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_EQ(failing[0]->name, b.layers[4]);
  EXPECT_EQ(failing[0]->test_image, 3);
  EXPECT_EQ(failing[0]->image, 3);
  EXPECT_EQ(failing[0]->unit, parts[1].info.units_planned + 4 * 2 + 1);  // after part a's units
  EXPECT_NE(sa::sim::RerunCommand(m.info, *failing[0]).find("--vectors " + dir + "/b "),
            std::string::npos);
  EXPECT_FALSE(m.layers[4].first_mismatches.empty());
  // The same part twice, or parts of other seeds: refused, naming the file.
  auto error_of = [&](const std::vector<sa::sim::Report>& r, const std::vector<std::string>& p) {
    try {
      sa::sim::MergeParts(r, p);
    } catch (const sv::FormatError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({parts[1], parts[1]}, {paths[1], paths[1]})
                .find("test image 0 is also in another part"),
            std::string::npos);
  ASSERT_EQ(run(dir + "/b", dir + "/b2.json", 2), 1);
  EXPECT_NE(error_of({parts[1], sa::sim::ReadJsonReport(dir + "/b2.json")}, {paths[1], "b2"})
                .find("b2: seed or stall options differs"),
            std::string::npos);
}

// A worker that dies of a signal fails the unit it was running, as an error named in the table,
// JSON and JUnit, and a new worker runs the rest of its units: every other unit still passes.
TEST(BehavioralRegression, AWorkerThatDiesFailsItsUnitAndTheRegressionGoesOn) {
  const std::string dir = TempDir("behavioral_crash");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.jobs = 2;
  opt.report = dir + "/crash.json";
  opt.junit = dir + "/crash.xml";
  ProcessKnobs die;
  die.die_on_unit = 2;  // worker 0's second unit: it has run one and has more to run
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}, die), "sa-cosim --core model", "x"), 1);
  const nlohmann::json r = Read(opt.report);
  const nlohmann::json& units = r["units"];
  ASSERT_EQ(units.size(), r["units_planned"].get<size_t>());
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(units[i]["unit"].get<size_t>(), i);
    if (i == 2) {
      EXPECT_FALSE(units[i]["passed"].get<bool>());
      EXPECT_NE(units[i]["crash"].get<std::string>().find("worker 0 "), std::string::npos)
          << units[i]["crash"];
    } else {
      EXPECT_TRUE(units[i]["passed"].get<bool>()) << i;
      EXPECT_EQ(units[i]["crash"].get<std::string>(), "") << i;
    }
  }
  const std::string junit = sa::testing::Slurp(opt.junit);
  EXPECT_NE(junit.find("<error type=\"crash\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("errors=\"1\""), std::string::npos) << junit;
  // The merge reads the crash back as a failure.
  const sa::sim::Report back = sa::sim::ReadJsonReport(opt.report);
  EXPECT_FALSE(back.units[2].Passed());
}

// JUnit's suite time is the run's wall time, not the sum of its units' (two workers: about half).
TEST(BehavioralRegression, TheSuiteTimeIsTheWallTime) {
  const std::string dir = TempDir("behavioral_wall");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.jobs = 2;
  opt.junit = dir + "/wall.xml";
  opt.report = dir + "/wall.json";
  ProcessKnobs slow;
  slow.sleep_ms = 60;
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral({}, slow), "sa-cosim --core model", "x"), 0);
  const std::string junit = sa::testing::Slurp(opt.junit);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(junit, m, std::regex("<testsuite [^>]* time=\"([0-9.]+)\"")));
  const double suite = std::stod(m[1]);
  double sum = 0;
  const std::regex testcase("<testcase [^>]* time=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(junit.begin(), junit.end(), testcase);
       it != std::sregex_iterator(); ++it)
    sum += std::stod((*it)[1]);
  EXPECT_GT(sum, 12 * 0.060);
  EXPECT_LT(suite, 0.8 * sum) << junit;
  EXPECT_NEAR(Read(opt.report)["wall_seconds"].get<double>(), suite, 0.0015);
}

// Waveforms of failures: --trace centres its window on the first failing unit's failure, a
// hang included (it once traced every unit in full); --trace-failures writes one file per
// failing unit, named as its rerun command names it, and JUnit points at each.
TEST(BehavioralRegression, WaveformsAreWindowsAroundEachFailure) {
  const std::string dir = TempDir("behavioral_waves");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.layers = "random0";
  opt.trace = dir + "/hang.vcd";
  opt.report = dir + "/hang.json";
  BehavioralKnobs hang;
  hang.hang_after_beats = 5;
  ProcessKnobs p;
  p.waves = std::make_shared<std::vector<std::string>>();
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral(hang, p), "sa-cosim --core model", "x"), 1);
  const nlohmann::json r = Read(opt.report);
  ASSERT_TRUE(r["units"][0]["hung"].get<bool>());
  const uint64_t end = r["units"][0]["cycles"].get<uint64_t>();
  ASSERT_GT(end, 200u);
  ASSERT_EQ(p.waves->size(), 2u);
  EXPECT_EQ((*p.waves)[0], "open " + opt.trace);
  EXPECT_EQ((*p.waves)[1],
            "unit 0 cycles " + std::to_string(end - 200) + ".." + std::to_string(end + 200));

  // Two failing units of three (a flipped bit in each unit's first vector); one file each.
  p.waves->clear();
  opt.trace.clear();
  opt.layers = "random0,random1,random2";
  opt.images.clear();
  opt.trace_failures = dir + "/waves";  // made by the run
  opt.junit = dir + "/flip.xml";
  opt.report = dir + "/flip.json";
  BehavioralKnobs flip;
  flip.flip_bit_of_vector = 0;
  ASSERT_EQ(sa::sim::RunRegression(opt, Behavioral(flip, p), "sa-cosim --core model", "x"), 1);
  const nlohmann::json f = Read(opt.report);
  std::vector<std::string> expected;
  for (const auto& u : f["units"]) {
    if (u["passed"].get<bool>()) continue;
    const std::string path = opt.trace_failures + "/" + u["name"].get<std::string>() + "-" +
                             std::to_string(u["test_image"].get<int64_t>()) + ".vcd";
    const uint64_t c = u["first_mismatches"][0]["cycle"].get<uint64_t>();
    expected.push_back("open " + path);
    expected.push_back("unit " + std::to_string(u["unit"].get<int64_t>()) + " cycles " +
                       std::to_string(c > 200 ? c - 200 : 0) + ".." + std::to_string(c + 200));
  }
  ASSERT_GE(expected.size(), 4u) << "at least two failing units";
  EXPECT_EQ(*p.waves, expected);
  EXPECT_TRUE(fs::is_directory(opt.trace_failures));
  const std::string junit = sa::testing::Slurp(opt.junit);
  EXPECT_NE(junit.find("waveform: " + opt.trace_failures + "/"), std::string::npos) << junit;
}

// ---------------------------------------------------------------------------------------------
// Constrained-random stimulus (RunOptions::relu_random, split_tiles): each is checked to pass on
// a correct core and to catch the fault that only it can expose.

// act_relu_i per accumulation group: it changes between groups, and a core that keeps the first
// group's setting passes with ReLU on every group or none but fails once it changes.
TEST(ConstrainedRandom, ReluPerGroupIsDrivenAndChecked) {
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 4;
  cfg.acc_depth = 16;  // several groups per layer
  const sv::Manifest m = sv::ReadManifest(RandomSet());
  BehavioralKnobs sticky;
  sticky.relu_of_first_group = true;
  int64_t changes = 0;
  int caught_random = 0, caught_constant = 0;
  for (const std::string& name : m.layers) {
    const sv::LayerVectors layer = sv::ReadLayer(RandomSet(), m, name);
    RunOptions random;
    random.relu_random = true;
    const LayerStats good = RunLayer(layer, cfg, random, {});
    EXPECT_TRUE(good.Passed()) << name;
    changes += good.coverage.relu_group_changes;
    caught_random += !RunLayer(layer, cfg, random, sticky).Passed();
    RunOptions constant;
    constant.relu = true;
    caught_constant += !RunLayer(layer, cfg, constant, sticky).Passed();
  }
  EXPECT_GT(changes, 10);
  EXPECT_GT(caught_random, 0) << "--relu-random must catch a core that latches ReLU once";
  EXPECT_EQ(caught_constant, 0) << "with ReLU on every group the fault is invisible";
}

// --wgt2-mode mixed on a core with the 2-bit mode: the modes alternate back to back (inside
// groups too) and every psum still matches; a core that reads every pass in the first pass's
// mode passes with one mode per layer (on) but fails once the modes mix.
TEST(ConstrainedRandom, MixedTwoAndFourBitPassesAreDrivenAndChecked) {
  ArrayConfig cfg;
  cfg.rows = cfg.cols = 4;
  cfg.acc_depth = 16;
  cfg.wgt2_mode = true;
  const sv::Manifest m = sv::ReadManifest(RandomSet2());
  BehavioralKnobs latched;
  latched.wgt2_of_first_pass = true;
  int64_t switches = 0, garbage = 0;
  int caught_mixed = 0, caught_on = 0;
  for (const std::string& name : m.layers) {
    const sv::LayerVectors layer = sv::ReadLayer(RandomSet2(), m, name);
    RunOptions mixed;
    mixed.wgt2 = sa::sim::Wgt2Choice::kMixed;
    mixed.stall_prob = 0.2;
    const LayerStats good = RunLayer(layer, cfg, mixed, {});
    EXPECT_TRUE(good.Passed()) << name << ": mismatches " << good.mismatches;
    EXPECT_EQ(good.psums_compared, layer.psum.NumElements()) << name;
    switches += good.coverage.wgt2_mode_switches;
    garbage += good.coverage.unused_lanes_driven;
    caught_mixed += !RunLayer(layer, cfg, mixed, latched).Passed();
    RunOptions on;
    on.wgt2 = sa::sim::Wgt2Choice::kOn;
    EXPECT_EQ(RunLayer(layer, cfg, on, {}).coverage.wgt2_mode_switches, 0) << name;
    caught_on += !RunLayer(layer, cfg, on, latched).Passed();
  }
  EXPECT_GT(switches, 20);
  EXPECT_GT(garbage, 0) << "mixed runs 4-bit passes, whose odd lanes carry random values";
  EXPECT_GT(caught_mixed, 0) << "mixed modes must catch a core that latches the first mode";
  EXPECT_EQ(caught_on, 0) << "with one mode per layer the fault is invisible";
}

// Bits [lsb, lsb + width) of a beat.
uint64_t Field(const sa::sim::Bits& b, int lsb, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i)
    v |= static_cast<uint64_t>((b.words[static_cast<size_t>((lsb + i) / 32)] >> ((lsb + i) % 32)) &
                               1)
         << i;
  return v;
}

// The output-stationary mapping with tiles split over passes, replayed beat by beat through a
// reference of the contract (each PE(r, c) sums act lane r x weight lane c over a group's steps,
// restarting on acc_first, releasing Rows vectors on acc_last, row Rows-1 first): every released
// vector equals psum.npy, with and without splits, and splits do happen.
TEST(ConstrainedRandom, SplitOutputStationaryTilesSumToTheConvolution) {
  ArrayConfig cfg;
  cfg.rows = 3;
  cfg.cols = 5;
  cfg.dataflow = sa::sim::Dataflow::kOutputStationary;
  const sv::Manifest m = sv::ReadManifest(RandomSet());
  for (uint64_t split : {uint64_t{0}, uint64_t{77}}) {
    int64_t multi = 0, groups = 0;
    for (const std::string& name : m.layers) {
      const sv::LayerVectors layer = sv::ReadLayer(RandomSet(), m, name);
      const auto sched = sa::sim::MakeSchedule(layer, cfg, sa::sim::Wgt2Choice::kAuto, split);
      const auto& g = layer.info.geometry;
      const int32_t* golden = layer.psum.Data<int32_t>();
      std::vector<int64_t> sum(static_cast<size_t>(cfg.rows * cfg.cols), 0);
      int64_t passes_in_group = 0;
      for (int64_t i = 0; i < sched->num_passes(); ++i) {
        const sa::sim::PassDesc p = sched->Pass(i);
        if (p.acc_first) std::fill(sum.begin(), sum.end(), 0);
        ++passes_in_group;
        for (int64_t k = 0; k < p.act_beats; ++k) {
          sa::sim::Bits a, w;
          sched->ActBeat(p, k, &a);
          sched->WeightBeat(p, k, &w);
          for (int r = 0; r < cfg.rows; ++r)
            for (int c = 0; c < cfg.cols; ++c) {
              const int64_t av = static_cast<int64_t>(Field(a, r * cfg.act_width, cfg.act_width));
              int64_t wv = static_cast<int64_t>(Field(w, c * cfg.wgt_width, cfg.wgt_width));
              if (wv >= 8) wv -= 16;  // 4-bit two's complement
              sum[static_cast<size_t>(r * cfg.cols + c)] += av * wv;
            }
        }
        if (!p.acc_last) continue;
        ++groups;
        multi += passes_in_group > 1;
        passes_in_group = 0;
        for (int64_t v = 0; v < p.releases; ++v) {
          const int64_t pixel = sched->ReleasedPixel(p, v);
          if (pixel < 0) continue;
          const int64_t r = cfg.rows - 1 - v;
          for (int c = 0; c < cfg.cols; ++c) {
            const int64_t co = p.co_tile * cfg.cols + c;
            if (co >= g.out_channels) continue;
            const int64_t want =
                golden[((p.image * g.out_channels + co) * g.OutH()) * g.OutW() + pixel];
            ASSERT_EQ(sum[static_cast<size_t>(r * cfg.cols + c)], want)
                << name << " split " << split << " pass " << i << " pixel " << pixel << " co "
                << co;
          }
        }
      }
    }
    if (split)
      EXPECT_GT(multi, groups / 2) << "most tiles split over several passes";
    else
      EXPECT_EQ(multi, 0);
  }
}

// --require-coverage is a gate: the stress stimulus closes every required bin (exit 0); the
// same run without ReLU per group leaves relu_group_changes at 0 and fails, naming it.
TEST(ConstrainedRandom, RequireCoverageFailsARunThatMissesABin) {
  const std::string dir = TempDir("coverage_gate");
  sa::sim::RegressOptions opt;
  opt.vectors = RandomSet();
  opt.quiet = true;
  opt.require_coverage = true;
  opt.relu_random = true;
  opt.stall_prob = 0.3;
  opt.psum_stall_prob = 0.9;
  opt.seed = 10;
  opt.report = dir + "/closed.json";
  BehavioralKnobs small_fifo;
  small_fifo.fifo_depth = 3;  // the psum FIFO fills under backpressure
  EXPECT_EQ(sa::sim::RunRegression(opt, Behavioral(small_fifo), "sa-cosim --core model", "x"), 0);
  const nlohmann::json closed = Read(opt.report)["total"]["coverage"];
  EXPECT_GT(closed["relu_group_changes"].get<int64_t>(), 0);
  EXPECT_GT(closed["multi_pass_groups"].get<int64_t>(), 0);
  opt.relu_random = false;
  opt.report = dir + "/open.json";
  ::testing::internal::CaptureStdout();
  const int rc = sa::sim::RunRegression(opt, Behavioral(small_fifo), "sa-cosim --core model", "x");
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("COVERAGE FAIL: required bins never hit: relu_group_changes"),
            std::string::npos)
      << out;
}

}  // namespace
