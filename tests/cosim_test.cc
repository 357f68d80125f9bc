// Co-simulation tests: sa-cosim executables run on the committed default set, on random small
// layers whose psums come from a direct convolution written here, and on planted faults.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "tests/random_set.h"
#include "tests/test_util.h"
#include "vectors/npy.h"
#include "vectors/output.h"
#include "vectors/sha256.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
namespace sv = sa::vectors;
using sa::testing::PlantFault;
using sa::testing::RewriteWithChecksum;
using sa::testing::RunCommand;
using sa::testing::TempDir;
using sa::testing::WriteRandomSet;

const std::string kDefaultSet = std::string(SA_SOURCE_DIR) + "/vectors/default";

struct Exe {
  const char* name;
  std::string path;
};
// Both dataflows: the weight-stationary sa_core (8 x 8 with the 2-bit mode, 16 x 16) and the
// output-stationary sa_os_core (square and not). The 4 x 4 and 8 x 16 sa_core and the 16 x 16
// sa_os_core run in the label full (their cores cost CI a minute and a half to build; rtl_test
// runs those sizes at the block level).
const Exe kExes[] = {{"8x8", SA_COSIM_8X8},
                     {"16x16", SA_COSIM_16X16},
                     {"os-8x8", SA_COSIM_OS_8X8},
                     {"os-4x8", SA_COSIM_OS_4X8}};

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(DefaultSet, EveryLayerPassesWithCyclesOnTheAnalyticalModel) {
  for (const Exe& exe : kExes) {
    const std::string report = TempDir(std::string("def_") + exe.name) + "/r.json";
    auto [rc, out] = RunCommand(exe.path + " --vectors " + kDefaultSet + " --report " + report);
    EXPECT_EQ(rc, 0) << exe.name << "\n" << out;
    nlohmann::json r = ReadJson(report);
    EXPECT_TRUE(r["total"]["passed"].get<bool>());
    EXPECT_EQ(r["layers"].size(), 18u);
    for (const auto& l : r["layers"]) {
      const double cycles = l["cycles"], expected = l["expected_cycles"];
      EXPECT_LE(std::abs(cycles - expected), 0.05 * expected) << exe.name << " " << l["name"];
      EXPECT_GT(l["psums_compared"].get<int64_t>(), 0);
    }
    EXPECT_GE(r["total"]["utilization_mac_weighted"].get<double>(), 0.95) << exe.name;
  }
}

TEST(DefaultSet, StallFreeCyclesEqualTheAnalyticalModelExactly) {
  const char* env = std::getenv("SA_COSIM_EXACT");  // the big arrays: test cosim_exact_big
  std::stringstream list(env ? env : SA_COSIM_EXACT);
  std::string exe;
  int runs = 0;
  while (std::getline(list, exe, ',')) {
    const std::string report = TempDir("exact_" + std::to_string(runs++)) + "/r.json";
    auto [rc, out] = RunCommand(exe + " --vectors " + kDefaultSet + " --quiet --report " + report);
    if (rc == 2 && out.find("-bit weights; this sa-cosim is built for") != std::string::npos)
      continue;  // a 2-bit-weight build cannot take the 4-bit default set
    ASSERT_EQ(rc, 0) << exe << "\n" << out;
    for (const auto& l : ReadJson(report)["layers"])
      EXPECT_EQ(l["cycles"].get<int64_t>(), l["expected_cycles"].get<int64_t>())
          << exe << " " << l["name"];
  }
  EXPECT_GE(runs, env ? 1 : 4);
}

TEST(DefaultSet, RandomStallsChangeNoResult) {
  for (const Exe& exe : kExes) {
    const std::string report = TempDir(std::string("stall_") + exe.name) + "/r.json";
    auto [rc, out] = RunCommand(exe.path + " --vectors " + kDefaultSet +
                                " --stall-prob 0.3 --seed 7 --report " + report);
    EXPECT_EQ(rc, 0) << out;
    nlohmann::json r = ReadJson(report);
    EXPECT_TRUE(r["total"]["passed"].get<bool>());
    EXPECT_GT(r["total"]["cycles"].get<double>(), 1.2 * r["total"]["expected_cycles"].get<double>())
        << "stalls that cost no cycles did not happen";
  }
}

TEST(DefaultSet, PinLevelAndFastModesAreCycleIdentical) {
  const std::string dir = TempDir("modes");
  for (const char* stall : {"0", "0.25"}) {
    const std::string common =
        std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
        " --layers layer1.0.conv1,layer2.0.conv1,layer3.0.conv2 --seed 3 --stall-prob " + stall;
    auto fast = RunCommand(common + " --mode fast --report " + dir + "/fast.json");
    auto pin = RunCommand(common + " --mode pin --report " + dir + "/pin.json");
    ASSERT_EQ(fast.status, 0) << fast.output;
    ASSERT_EQ(pin.status, 0) << pin.output;
    auto f = ReadJson(dir + "/fast.json"), p = ReadJson(dir + "/pin.json");
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(f["layers"][i]["cycles"], p["layers"][i]["cycles"]) << "stall " << stall;
      EXPECT_EQ(f["layers"][i]["psums_compared"], p["layers"][i]["psums_compared"]);
    }
  }
}

TEST(RandomLayers, OddChannelsMapsStridesAndKernelsMatchADirectConvolution) {
  const uint64_t seed = 2024;
  SCOPED_TRACE("seed " + std::to_string(seed));
  const std::string dir = TempDir("random") + "/set";
  WriteRandomSet(dir, seed);
  for (const Exe& exe : kExes) {
    for (const char* stall : {"0", "0.2"}) {
      auto [rc, out] = RunCommand(exe.path + " --vectors " + dir + " --stall-prob " + stall);
      EXPECT_EQ(rc, 0) << exe.name << " stall " << stall << "\n" << out;
    }
  }
}

// The run-time 2-bit mode of the 8 x 8 core: random 2-bit layers against the independent
// convolution, in 2-bit passes (auto) and in 4-bit passes (off), with and without stalls.
TEST(Wgt2Mode, RandomTwoBitLayersMatchADirectConvolutionInBothModes) {
  const std::string root = TempDir("wgt2_random");
  WriteRandomSet(root + "/set", 31, /*wgt_bits=*/2);
  int64_t passes[2] = {0, 0};
  for (int off = 0; off < 2; ++off)
    for (const char* stall : {"0", "0.3"}) {
      const std::string report = root + "/r.json";
      auto [rc, out] =
          RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + root + "/set --stall-prob " +
                     stall + " --wgt2-mode " + (off ? "off" : "auto") + " --report " + report);
      ASSERT_EQ(rc, 0) << out;
      const nlohmann::json r = ReadJson(report);
      passes[off] = 0;
      for (const auto& l : r["layers"]) {
        EXPECT_EQ(l["wgt2"].get<bool>(), off == 0) << l["name"];
        passes[off] += l["passes"].get<int64_t>();
      }
    }
  // Two input channels per PE row: a layer of more than 8 input channels needs fewer passes.
  EXPECT_LT(passes[0], passes[1]);
}

// The goal: the w2a4 default network in at most 55 % of the cycles it takes in 4-bit
// passes on the same 8 x 8 core, bit-exact both ways, each layer on its model.
TEST(Wgt2Mode, TheW2a4DefaultNetworkTakesAtMost55PercentOfItsFourBitCycles) {
  const std::string set = std::string(SA_SOURCE_DIR) + "/vectors/default-w2a4";
  const std::string root = TempDir("wgt2_default");
  int64_t cycles[2] = {0, 0};
  for (int on = 0; on < 2; ++on) {
    const std::string report = root + (on ? "/on.json" : "/off.json");
    auto [rc, out] = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + set + " --quiet" +
                                " --wgt2-mode " + (on ? "on" : "off") + " --report " + report);
    ASSERT_EQ(rc, 0) << out;
    const nlohmann::json r = ReadJson(report);
    ASSERT_EQ(r["layers"].size(), 18u);
    for (const auto& l : r["layers"]) {
      EXPECT_EQ(l["cycles"].get<int64_t>(), l["expected_cycles"].get<int64_t>()) << l["name"];
      cycles[on] += l["cycles"].get<int64_t>();
    }
  }
  EXPECT_LE(static_cast<double>(cycles[1]), 0.55 * static_cast<double>(cycles[0]))
      << cycles[1] << " cycles in the 2-bit mode, " << cycles[0] << " in 4-bit passes";
}

TEST(Wgt2Mode, OnIsRefusedWhereTheModeCannotRun) {
  // 4-bit weights cannot run in the mode; a core without it cannot either.
  auto four_bit =
      RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet + " --wgt2-mode on");
  EXPECT_EQ(four_bit.status, 2);
  EXPECT_NE(four_bit.output.find("the 2-bit mode needs 2-bit weights"), std::string::npos)
      << four_bit.output;
  const std::string root = TempDir("wgt2_refused");
  WriteRandomSet(root + "/set", 32, /*wgt_bits=*/2);
  for (const char* exe : {SA_COSIM_16X16, SA_COSIM_OS_8X8}) {
    auto r = RunCommand(std::string(exe) + " --vectors " + root + "/set --wgt2-mode on");
    EXPECT_EQ(r.status, 2) << exe << "\n" << r.output;
    EXPECT_EQ(r.output.find("PASS"), std::string::npos) << "nothing may be simulated";
  }
  auto bad =
      RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet + " --wgt2-mode maybe");
  EXPECT_EQ(bad.status, 2);
}

// Where the cycles and the weight traffic go, per dataflow, from the RTL's pins: the weight beats
// are what each mapping must stream (computed here by hand), and the four measured parts add
// up to the layer's cycles; sa-report compare puts both runs side by side.
TEST(CompareDataflows, WeightTrafficAndCycleBreakdownPerDataflow) {
  const std::string root = TempDir("compare");
  const std::string layers = " --layers layer1.0.conv1,layer3.0.conv1 --quiet --report ";
  ASSERT_EQ(RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet + layers + root +
                       "/ws.json")
                .status,
            0);
  ASSERT_EQ(RunCommand(std::string(SA_COSIM_OS_8X8) + " --vectors " + kDefaultSet + layers + root +
                       "/os.json")
                .status,
            0);
  // layer1.0.conv1: 16 -> 16 channels, 3 x 3, 32 x 32 output; layer3.0.conv1: 32 -> 64, 3 x 3,
  // stride 2, 8 x 8 output. WS: Rows weight beats per pass, (Cout/8)(Cin/8) 9 passes. OS: one
  // per reduction step (Cin 9) per tile of 8 pixels x 8 channels.
  const int64_t ws_wgt[2] = {2 * 2 * 9 * 8, 8 * 4 * 9 * 8};
  const int64_t os_wgt[2] = {2 * (1024 / 8) * 16 * 9, 8 * (64 / 8) * 32 * 9};
  for (const char* run : {"ws", "os"}) {
    const nlohmann::json r = ReadJson(root + "/" + run + ".json");
    ASSERT_EQ(r["layers"].size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      const auto& l = r["layers"][k];
      EXPECT_EQ(l["wgt_beats"].get<int64_t>(), std::string(run) == "ws" ? ws_wgt[k] : os_wgt[k])
          << run << " " << l["name"];
      const auto& m = l["cycle_breakdown"]["measured"];
      EXPECT_EQ(m["fill"].get<int64_t>() + m["stream"].get<int64_t>() + m["stall"].get<int64_t>() +
                    m["drain"].get<int64_t>() + l["cycle_breakdown"]["driver_gaps"].get<int64_t>(),
                l["cycles"].get<int64_t>())
          << run << " " << l["name"];
      EXPECT_EQ(m, l["cycle_breakdown"]["model"]) << "no stalls: the model's parts are measured";
    }
  }
  auto cmp = RunCommand(std::string(SA_REPORT) + " compare " + root + "/ws.json " + root +
                        "/os.json --data " + root + "/c.dat");
  ASSERT_EQ(cmp.status, 0) << cmp.output;
  EXPECT_NE(cmp.output.find("os 8x8"), std::string::npos) << cmp.output;
  std::ifstream dat(root + "/c.dat");
  std::string header, line;
  std::getline(dat, header);
  EXPECT_NE(header.find("\"ws 8x8\" \"ws 8x8 model\""), std::string::npos) << header;
  EXPECT_NE(header.find("\"os 8x8 drain\""), std::string::npos) << header;
  int rows = 0;
  while (std::getline(dat, line)) ++rows;
  EXPECT_EQ(rows, 2);
  // Runs of different sets or layers are not compared.
  ASSERT_EQ(RunCommand(std::string(SA_COSIM_OS_8X8) + " --vectors " + kDefaultSet +
                       " --layers layer1.0.conv1 --quiet --report " + root + "/one.json")
                .status,
            0);
  auto unlike =
      RunCommand(std::string(SA_REPORT) + " compare " + root + "/ws.json " + root + "/one.json");
  EXPECT_EQ(unlike.status, 2);
  EXPECT_EQ(unlike.output, "sa-report: " + root + "/one.json: other layers than " + root +
                               "/ws.json (run every report on the same --layers)\n");
}

class PlantedFault : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("fault") + "/set";
    fs::copy(kDefaultSet, dir_, fs::copy_options::recursive);
  }
  std::string dir_;
};

TEST_F(PlantedFault, OneBitInOnePsumFailsExactlyThatPsum) {
  const std::string layer = dir_ + "/layer2.1.conv2";
  sv::NpyArray psum = sv::ReadNpy(layer + "/psum.npy");
  // [1, 32, 16, 16]: image 0, channel 5, row 3, col 6
  const int64_t index = ((0 * 32 + 5) * 16 + 3) * 16 + 6;
  const int32_t original = psum.Data<int32_t>()[index];
  psum.MutableData<int32_t>()[index] = original ^ 1;
  RewriteWithChecksum(layer, "psum.npy", sv::EncodeNpy(psum));
  // Both dataflows place the released vector on the same pixel and channel.
  for (const char* exe : {SA_COSIM_8X8, SA_COSIM_OS_8X8}) {
    auto [rc, out] = RunCommand(std::string(exe) + " --vectors " + dir_);
    EXPECT_EQ(rc, 1) << out;
    const std::string want = "MISMATCH layer2.1.conv2 image 0 channel 5 row 3 col 6: expected " +
                             std::to_string(original ^ 1) + " ";
    EXPECT_NE(out.find(want), std::string::npos) << exe << "\n" << out;
    EXPECT_NE(out.find("got " + std::to_string(original) + " "), std::string::npos) << out;
    size_t lines = 0;
    for (size_t p = out.find("MISMATCH "); p != std::string::npos; p = out.find("MISMATCH ", p + 1))
      ++lines;
    EXPECT_EQ(lines, 1u) << "exactly one psum differs";
    EXPECT_NE(out.find("layer2.1.conv2   FAIL"), std::string::npos) << out;
    EXPECT_EQ(out.find("layer2.1.conv1   FAIL"), std::string::npos);
  }
  // With a trace requested, the waveform holds only a window around the mismatch.
  const std::string vcd = dir_ + "/fault.vcd";
  auto traced = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + dir_ +
                           " --layers layer2.1.conv2 --trace " + vcd);
  EXPECT_EQ(traced.status, 1);
  ASSERT_TRUE(fs::exists(vcd));
  EXPECT_NE(traced.output.find("around the first mismatch"), std::string::npos) << traced.output;
  const std::string full = dir_ + "/full.vcd";
  auto traced_full = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
                                " --layers layer2.1.conv2 --trace " + full);
  EXPECT_EQ(traced_full.status, 0);
  EXPECT_LT(fs::file_size(vcd) * 20, fs::file_size(full))
      << "the window trace should be far smaller";
}

TEST_F(PlantedFault, BrokenChecksumIsRefusedBeforeSimulation) {
  const std::string act = dir_ + "/layer1.1.conv1/act.npy";
  auto bytes = sv::ReadRegularFile(act, 1 << 30);
  bytes.resize(bytes.size() / 2);
  sv::WriteFileAtomic(act, bytes);
  auto [rc, out] = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + dir_);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out,
            "sa-cosim: " + act + ": sha256 does not match layer.json (file changed or corrupt)\n");
}

TEST_F(PlantedFault, TruncatedFileWithUpdatedChecksumIsRefusedBeforeSimulation) {
  const std::string layer = dir_ + "/layer3.0.conv1";
  auto bytes = sv::ReadRegularFile(layer + "/wgt.npy", 1 << 30);
  bytes.resize(bytes.size() - 10);
  RewriteWithChecksum(layer, "wgt.npy", bytes);
  auto [rc, out] = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + dir_);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("wgt.npy: data is"), std::string::npos) << out;
  EXPECT_NE(out.find("(truncated)"), std::string::npos) << out;
  EXPECT_EQ(out.find("PASS"), std::string::npos) << "nothing may be simulated";
}

TEST(CosimCli, PinModeWritesATraceToo) {
  const std::string vcd = TempDir("pin_trace") + "/pin.vcd";
  auto [rc, out] = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
                              " --layers layer3.0.conv1 --mode pin --trace " + vcd);
  EXPECT_EQ(rc, 0) << out;
  std::ifstream in(vcd);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(text.find("psum_valid_o"), std::string::npos);
}

TEST(CosimCli, BadFlagsAndMissingSetsAreOneLine) {
  auto missing = RunCommand(std::string(SA_COSIM_8X8) + " --vectors /nonexistent/set");
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.output, "sa-cosim: /nonexistent/set: no such vector set folder\n");
  auto layer = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
                          " --layers layer9.9.conv9");
  EXPECT_EQ(layer.status, 2);
  EXPECT_NE(layer.output.find("--layers: 'layer9.9.conv9' is not a layer of"), std::string::npos);
  auto stall =
      RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet + " --stall-prob 1.5");
  EXPECT_NE(stall.status, 0);
  EXPECT_NE(stall.output.find("--stall-prob"), std::string::npos) << stall.output;
}

TEST(Reproducible, ANarrowedRerunRepeatsTheFailureAtTheSameCycle) {
  const std::string root = TempDir("rerun");
  WriteRandomSet(root + "/set", 7);
  sv::NpyArray psum = sv::ReadNpy(root + "/set/random5/psum.npy");
  PlantFault(root + "/set/random5", psum.NumElements() - 1);  // image 1, last psum
  auto full = RunCommand("cd " + root + " && " + SA_COSIM_8X8 +
                         " --vectors set --stall-prob 0.3 --seed 5 --report full.json");
  ASSERT_EQ(full.status, 1) << full.output;
  // The run prints the command that reruns the failing layer and image alone.
  const std::string tag = "rerun random5 image 1: ";
  const size_t at = full.output.find(tag);
  ASSERT_NE(at, std::string::npos) << full.output;
  const std::string cmd =
      full.output.substr(at + tag.size(), full.output.find('\n', at) - at - tag.size());
  EXPECT_NE(cmd.find("--layers random5 --images 1 --seed 5 --stall-prob 0.3"), std::string::npos)
      << cmd;
  auto narrow = RunCommand("cd " + root + " && " + cmd + " --report narrow.json");
  ASSERT_EQ(narrow.status, 1) << narrow.output;
  EXPECT_TRUE(fs::exists(root + "/random5-1.vcd")) << "the rerun writes a trace window";
  auto first = [](const nlohmann::json& r) {
    for (const auto& l : r["layers"])
      if (l["name"] == "random5") return l["first_mismatches"].at(0);
    return nlohmann::json();
  };
  const nlohmann::json a = first(ReadJson(root + "/full.json"));
  const nlohmann::json b = first(ReadJson(root + "/narrow.json"));
  EXPECT_EQ(a["cycle"], b["cycle"]) << "same seed, layer and image: same stalls, same cycle";
  EXPECT_EQ(a["image"], 1);
  EXPECT_EQ(a["test_image"], 1);
  // The report says what ran and on which images.
  const nlohmann::json r = ReadJson(root + "/full.json");
  EXPECT_EQ(r["schema_version"], 8);
  EXPECT_EQ(r["seed"], 5);
  EXPECT_EQ(r["vectors"]["images"], nlohmann::json::array({0, 1}));
  EXPECT_NE(r["command_line"].get<std::string>().find("--seed 5"), std::string::npos);
  EXPECT_FALSE(r["start_time"].get<std::string>().empty());
  fs::remove_all(root);
}

TEST(JUnit, AnIndependentParserReadsOneCasePerLayerAndImageWithTheFailure) {
  const std::string root = TempDir("junit");
  WriteRandomSet(root + "/set", 8);
  sv::NpyArray psum = sv::ReadNpy(root + "/set/random3/psum.npy");
  PlantFault(root + "/set/random3", psum.NumElements() - 1);  // image 1 (test image 1)
  auto run = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + root + "/set --quiet --junit " +
                        root + "/junit.xml");
  ASSERT_EQ(run.status, 1) << run.output;
  // Python's XML parser (not this project's writer) checks the structure: 12 layers x 2 images,
  // exactly one failure, on "random3 image 1", holding the mismatch and the rerun command.
  auto check = RunCommand("python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_junit.py " +
                          root + "/junit.xml 24 1 0 'random3 image 1'");
  EXPECT_EQ(check.status, 0) << check.output;
  // A passing run: the same cases, none failing.
  auto pass = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
                         " --quiet --junit " + root + "/pass.xml");
  ASSERT_EQ(pass.status, 0) << pass.output;
  auto check_pass = RunCommand("python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_junit.py " +
                               root + "/pass.xml 18 0 0 ''");
  EXPECT_EQ(check_pass.status, 0) << check_pass.output;
  fs::remove_all(root);
}

// The report without what depends on the process or wall time: what a merge must reproduce.
nlohmann::json Deterministic(const nlohmann::json& j) {
  static const std::set<std::string> kVaries = {
      "command_line", "start_time", "host",         "executable",
      "shard",        "jobs",       "wall_seconds", "cycles_per_second"};
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!kVaries.count(it.key())) out[it.key()] = Deterministic(it.value());
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(Deterministic(v));
    return out;
  }
  return j;
}

class Shards : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    WriteRandomSet(root_ + "/set", 11);  // 12 layers x 2 images: 24 units
  }
  void TearDown() override { fs::remove_all(root_); }
  sa::testing::CommandResult Cosim(const std::string& args) {
    return RunCommand("cd " + root_ + " && " + SA_COSIM_8X8 + " --vectors set " + args);
  }
  sa::testing::CommandResult Merge(const std::string& args) {
    return RunCommand("cd " + root_ + " && " + SA_REPORT + " merge " + args);
  }
  std::string root_;
};

// An environment inherited from a job array or a sharded GoogleTest run must not make a run a
// silent part of itself: without --shard every unit runs; with --shard auto the shard comes
// from it and the last line says the run covered part of the set.
TEST_F(Shards, InheritedShardVariablesShardOnlyWithShardAuto) {
  const std::string env =
      "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 GTEST_SHARD_INDEX=1 "
      "GTEST_TOTAL_SHARDS=4 ";
  auto all = RunCommand("cd " + root_ + " && " + env + SA_COSIM_8X8 +
                        " --vectors set --quiet --report all.json");
  ASSERT_EQ(all.status, 0) << all.output;
  EXPECT_EQ(ReadJson(root_ + "/all.json")["units"].size(), 24u);
  EXPECT_EQ(all.output.find("PARTIAL"), std::string::npos) << all.output;
  auto part = RunCommand("cd " + root_ + " && " + env + SA_COSIM_8X8 +
                         " --vectors set --quiet --shard auto --report part.json");
  ASSERT_EQ(part.status, 0) << part.output;
  EXPECT_EQ(ReadJson(root_ + "/part.json")["units"].size(), 6u);
  const std::string last = part.output.substr(part.output.rfind('\n', part.output.size() - 2) + 1);
  EXPECT_EQ(last,
            "PARTIAL: shard 1/4 ran 6 of the 24 planned units; the verdict on the whole set is "
            "sa-report merge's over every shard\n");
}

TEST_F(Shards, MergedShardsAndJobsEqualTheOneProcessRun) {
  const std::string common = " --stall-prob 0.3 --seed 4 --quiet";
  ASSERT_EQ(Cosim(common + " --report one.json").status, 0);
  ASSERT_EQ(Cosim(common + " --jobs 2 --report jobs.json").status, 0);
  // Shards from all three sources: the flag, Slurm's array variables, GoogleTest's.
  ASSERT_EQ(Cosim(common + " --shard 0/3 --report s0.json").status, 0);
  ASSERT_EQ(RunCommand("cd " + root_ + " && SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 " +
                       "SLURM_ARRAY_TASK_COUNT=3 " + SA_COSIM_8X8 + " --vectors set" + common +
                       " --shard auto --report s1.json")
                .status,
            0);
  ASSERT_EQ(RunCommand("cd " + root_ + " && GTEST_SHARD_INDEX=2 GTEST_TOTAL_SHARDS=3 " +
                       SA_COSIM_8X8 + " --vectors set" + common + " --shard auto --report s2.json")
                .status,
            0);
  EXPECT_EQ(ReadJson(root_ + "/s1.json")["shard"]["index"], 1);
  EXPECT_EQ(ReadJson(root_ + "/s1.json")["units"].size(), 8u);  // units 1, 4, 7, ... of 24
  auto merged = Merge("s2.json s0.json s1.json --report merged.json --junit merged.xml");
  ASSERT_EQ(merged.status, 0) << merged.output;
  const nlohmann::json one = ReadJson(root_ + "/one.json");
  EXPECT_EQ(one["units"].size(), 24u);
  EXPECT_EQ(Deterministic(ReadJson(root_ + "/merged.json")), Deterministic(one));
  EXPECT_EQ(Deterministic(ReadJson(root_ + "/jobs.json")), Deterministic(one));
  auto junit = RunCommand("python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_junit.py " +
                          root_ + "/merged.xml 24 0 0 ''");
  EXPECT_EQ(junit.status, 0) << junit.output;
}

TEST_F(Shards, APlantedFaultInOneShardFailsTheMergeNamingItsLayerAndImage) {
  sv::NpyArray psum = sv::ReadNpy(root_ + "/set/random7/psum.npy");
  PlantFault(root_ + "/set/random7", psum.NumElements() - 1);  // image 1
  int failed = 0;
  for (int i = 0; i < 4; ++i) {
    const int rc = Cosim("--quiet --shard " + std::to_string(i) + "/4 --report s" +
                         std::to_string(i) + ".json")
                       .status;
    ASSERT_TRUE(rc == 0 || rc == 1);
    failed += rc;
  }
  EXPECT_EQ(failed, 1) << "exactly one shard holds random7 image 1";
  auto merged = Merge("s0.json s1.json s2.json s3.json --junit m.xml");
  EXPECT_EQ(merged.status, 1) << merged.output;
  EXPECT_NE(merged.output.find("MISMATCH random7 image 1 "), std::string::npos) << merged.output;
  EXPECT_NE(merged.output.find("rerun random7 image 1: "), std::string::npos) << merged.output;
  auto junit = RunCommand("python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_junit.py " +
                          root_ + "/m.xml 24 1 0 'random7 image 1'");
  EXPECT_EQ(junit.status, 0) << junit.output;
}

// One number for an image everywhere: its test-set index. A set of test images 3500 and 7 with
// a fault in image 7: the MISMATCH line, the rerun line and JUnit say 7, and --images 7 (the
// rerun) fails the same way while --images 1 (its position in the set) is refused.
TEST_F(Shards, TheTestSetIndexNamesAnImageEverywhere) {
  nlohmann::json m = ReadJson(root_ + "/set/manifest.json");
  m["images"] = {3500, 7};
  std::ofstream(root_ + "/set/manifest.json") << m.dump(2) << "\n";
  sv::NpyArray psum = sv::ReadNpy(root_ + "/set/random7/psum.npy");
  PlantFault(root_ + "/set/random7", psum.NumElements() - 1);  // the second image: 7
  auto run = Cosim("--quiet --junit j.xml");
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("MISMATCH random7 image 7 "), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("image 1 "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("rerun random7 image 7: "), std::string::npos) << run.output;
  EXPECT_NE(sa::testing::Slurp(root_ + "/j.xml").find("random7 image 7"), std::string::npos);
  auto again = Cosim("--quiet --layers random7 --images 7");
  EXPECT_EQ(again.status, 1) << again.output;
  EXPECT_NE(again.output.find("MISMATCH random7 image 7 "), std::string::npos) << again.output;
  EXPECT_EQ(Cosim("--quiet --layers random7 --images 1").status, 2);
  // The rerun line reproduces the stalls bit for bit: the probability as given, not rounded.
  auto stalled = Cosim("--quiet --layers random7 --stall-prob 0.12345678");
  EXPECT_NE(stalled.output.find("--stall-prob 0.12345678 "), std::string::npos) << stalled.output;
}

// A set's identity covers every file: shard 0 run on the set, then one psum planted (its
// checksum fixed in layer.json, the manifest untouched) and shard 1 run on the changed set. The
// two are shards of different sets and must not merge into a verdict.
TEST_F(Shards, ShardsOfASetAndOfItsPlantedCopyDoNotMerge) {
  ASSERT_EQ(Cosim("--quiet --shard 0/2 --report a.json").status, 0);
  PlantFault(root_ + "/set/random7", 0);
  const int rc = Cosim("--quiet --shard 1/2 --report b.json").status;
  ASSERT_TRUE(rc == 0 || rc == 1);
  auto merged = Merge("a.json b.json");
  EXPECT_EQ(merged.status, 2) << merged.output;
  EXPECT_NE(merged.output.find("vector set"), std::string::npos) << merged.output;
}

TEST_F(Shards, IncompleteOrForeignShardsAreRefused) {
  ASSERT_EQ(Cosim("--quiet --shard 0/2 --report a.json").status, 0);
  ASSERT_EQ(Cosim("--quiet --shard 1/2 --report b.json").status, 0);
  ASSERT_EQ(Cosim("--quiet --shard 1/2 --seed 9 --report c.json").status, 0);
  auto missing = Merge("a.json");
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.output, "sa-report: sa-report merge: shard 1/2 is missing\n");
  auto twice = Merge("a.json b.json b.json");
  EXPECT_EQ(twice.status, 2);
  EXPECT_EQ(twice.output, "sa-report: b.json: shard 1/2 is also b.json\n");
  auto foreign = Merge("a.json c.json");
  EXPECT_EQ(foreign.status, 2);
  EXPECT_EQ(foreign.output,
            "sa-report: c.json: seed or stall options differs from a.json's: not a shard of the "
            "same regression\n");
  std::ofstream(root_ + "/bad.json") << "{\"schema_version\": 2}";
  auto old = Merge("bad.json --report out.json");
  EXPECT_EQ(old.status, 2);
  EXPECT_EQ(old.output, "sa-report: bad.json: not an sa-cosim report of schema version 8\n");
  EXPECT_FALSE(fs::exists(root_ + "/out.json"));
}

TEST_F(Shards, BadShardAndImageSelectionsAreRefusedBeforeSimulating) {
  const std::pair<std::string, std::string> cases[] = {
      {"--shard 2/2", "sa-cosim: --shard 2/2: shard 2 of 2 is out of range (need 0 <= I < N)\n"},
      {"--shard x", "sa-cosim: --shard 'x': expected I/N, e.g. 0/4, or auto\n"},
      {"--images 5", "sa-cosim: --images: test image 5 is not in set\n"},
      {"--images 0,0", "sa-cosim: --images: test image 0 is named twice\n"},
      {"--images 1..0",
       "sa-cosim: --images '1..0': expected test-image indices or ranges, e.g. "
       "0..99,120\n"},
      {"--jobs 0", "sa-cosim: --jobs: Value 0 not in range 1 to 1024\n"},
      {"--coverage c.dat",
       "sa-cosim: --coverage c.dat: this sa-cosim is built without coverage "
       "(-DSA_COVERAGE=ON)\n"}};
  for (const auto& [args, want] : cases) {
    auto r = Cosim(args + " --report r.json");
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_EQ(r.output, want) << args;
    EXPECT_FALSE(fs::exists(root_ + "/r.json")) << args;
  }
  auto env = RunCommand("cd " + root_ + " && SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=2 " +
                        SA_COSIM_8X8 + " --vectors set --shard auto");
  EXPECT_EQ(env.status, 2);
  EXPECT_EQ(env.output, "sa-cosim: SLURM_ARRAY_TASK_ID='x' is not a non-negative integer\n");
  // --images picks units: 12 layers x image 1.
  ASSERT_EQ(Cosim("--quiet --images 1 --report one.json").status, 0);
  const nlohmann::json r = ReadJson(root_ + "/one.json");
  EXPECT_EQ(r["units"].size(), 12u);
  for (const auto& u : r["units"]) EXPECT_EQ(u["test_image"], 1);
}

TEST(FunctionalCoverage, BinsCountWhatAnIndependentCountFinds) {
  const std::string root = TempDir("coverage");
  WriteRandomSet(root + "/set", 13);
  auto quiet = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + root +
                          "/set --quiet --report " + root + "/plain.json");
  ASSERT_EQ(quiet.status, 0) << quiet.output;
  auto full = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + root +
                         "/set --psum-stall-prob 0.9 --report " + root + "/full.json");
  ASSERT_EQ(full.status, 0) << full.output;
  EXPECT_NE(full.output.find("never hit: psum_near_limit"), std::string::npos) << full.output;
  const nlohmann::json plain = ReadJson(root + "/plain.json");
  const nlohmann::json stalled = ReadJson(root + "/full.json");
  int short_layers = 0;
  for (size_t k = 0; k < plain["units"].size(); ++k) {
    const nlohmann::json& u = plain["units"][k];
    const std::string dir = root + "/set/" + u["name"].get<std::string>();
    const sv::NpyArray act = sv::ReadNpy(dir + "/act.npy"), wgt = sv::ReadNpy(dir + "/wgt.npy");
    const int64_t per_image = act.NumElements() / 2, image = u["image"];
    int64_t zero = 0, max = 0, wmin = 0, wmax = 0, wzero = 0;
    for (int64_t i = image * per_image; i < (image + 1) * per_image; ++i) {
      zero += act.Data<uint8_t>()[i] == 0;
      max += act.Data<uint8_t>()[i] == 15;
    }
    for (int64_t i = 0; i < wgt.NumElements(); ++i) {
      wmin += wgt.Data<int8_t>()[i] == -7;
      wmax += wgt.Data<int8_t>()[i] == 7;
      wzero += wgt.Data<int8_t>()[i] == 0;
    }
    const nlohmann::json& c = u["coverage"];
    EXPECT_EQ(c["act_zero"], zero) << u["name"];
    EXPECT_EQ(c["act_max"], max) << u["name"];
    EXPECT_EQ(c["wgt_min"], wmin) << u["name"];
    EXPECT_EQ(c["wgt_max"], wmax) << u["name"];
    EXPECT_EQ(c["wgt_zero"], wzero) << u["name"];
    // Output maps of fewer than Rows (8) pixels make every pass short; the random maps are at
    // most 11 x 11, one chunk of the 1,024-deep accumulator, so no other pass is short.
    const sv::NpyArray psum = sv::ReadNpy(dir + "/psum.npy");
    const bool tiny = psum.shape[2] * psum.shape[3] < 8;
    short_layers += tiny;
    EXPECT_EQ(c["short_passes"], tiny ? u["passes"].get<int64_t>() : 0) << u["name"];
    EXPECT_EQ(c["psum_backpressure_input_held"], 0) << "no stalls, no backpressure";
  }
  EXPECT_GT(short_layers, 0) << "seed 13 should draw a tiny map";
  // Each layer's smallest and largest psum is hit in one of its two images.
  for (const auto& l : plain["layers"]) {
    EXPECT_GE(l["coverage"]["psum_at_layer_min"], 1) << l["name"];
    EXPECT_GE(l["coverage"]["psum_at_layer_max"], 1) << l["name"];
  }
  EXPECT_GT(stalled["total"]["coverage"]["psum_backpressure_input_held"], 0)
      << "psum_ready low 90 % of the time must fill the FIFO";
  EXPECT_EQ(stalled["total"]["coverage"]["pe_banks_loaded"], 128);
  fs::remove_all(root);
}

TEST(Waveform, TestbenchSignalsShowTheMismatchInVcdAndFst) {
  const std::string root = TempDir("waveform");
  WriteRandomSet(root + "/set", 7);
  const sv::NpyArray psum = sv::ReadNpy(root + "/set/random5/psum.npy");
  PlantFault(root + "/set/random5", psum.NumElements() - 1);  // image 1, last channel and pixel
  const int64_t channel = psum.shape[1] - 1;
  for (const std::string file : {"t.vcd", "t.fst"}) {
    SCOPED_TRACE(file);
    auto run = RunCommand("cd " + root + " && " + SA_COSIM_8X8 +
                          " --vectors set --layers random5 --images 1 --stall-prob 0.3 --seed 2 "
                          "--trace-window 50 --quiet --trace " +
                          file);
    ASSERT_EQ(run.status, 1) << run.output;
    EXPECT_NE(run.output.find("trace: " + file + " holds cycles"), std::string::npos);
    const std::string reader = "python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_vcd.py";
    auto check =
        RunCommand("cd " + root + " && " +
                   (file == "t.vcd" ? reader + " t.vcd" : "fst2vcd t.fst | " + reader + " -"));
    ASSERT_EQ(check.status, 0) << check.output;
    const nlohmann::json at = nlohmann::json::parse(check.output);
    EXPECT_EQ(at["test_image"], 1);
    EXPECT_EQ(at["layer"], 5) << "random5 is the manifest's sixth layer";
    EXPECT_EQ(at["mismatches"], 1);
    EXPECT_EQ(at["psum_fire"], 1);
    // The planted fault flipped bit 0 of one golden psum: exactly that column differs, by one.
    ASSERT_EQ(at["got"].size(), 8u);
    int differing = 0;
    for (size_t c = 0; c < 8; ++c) {
      const int64_t got = at["got"][c], want = at["expected"][c];
      if (got != want) {
        ++differing;
        EXPECT_EQ(got ^ want, 1);
        EXPECT_EQ(static_cast<int64_t>(c), channel % 8);
      }
    }
    EXPECT_EQ(differing, 1);
  }
  fs::remove_all(root);
}

// The $readmemh export drives the RTL under Icarus Verilog, with the repository's plain
// SystemVerilog testbench (rtl/tb/sa_memh_tb.sv): no SystemC, no Verilator.
TEST(Memh, IcarusRunsTheExportedLayersAndCatchesAWrongPsum) {
  const std::string root = TempDir("memh");
  WriteRandomSet(root + "/set", 9);
  // Icarus runs this 8 x 8 core at a few hundred cycles a second: the two layers with the
  // fewest output pixels, their first accumulation group only.
  std::vector<std::pair<int64_t, std::string>> by_size;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "random" + std::to_string(i);
    const sv::NpyArray p = sv::ReadNpy(root + "/set/" + name + "/psum.npy");
    by_size.push_back({p.shape[2] * p.shape[3], name});
  }
  std::sort(by_size.begin(), by_size.end());
  const std::string small = by_size[0].second, other = by_size[1].second;
  auto exp =
      RunCommand("cd " + root + " && " + SA_VECTORS + " export-memh --vectors set --layers " +
                 small + "," + other + " --image 1 --max-passes 9 --out mh");
  ASSERT_EQ(exp.status, 0) << exp.output;
  EXPECT_TRUE(fs::exists(root + "/mh/README.md"));
  auto icarus = [&](const std::string& layer) {
    std::ifstream counts(root + "/mh/" + layer + "/counts.memh");
    int64_t n[3] = {};
    counts >> std::hex >> n[0] >> n[1] >> n[2];
    const std::string build =
        "cd " + root + "/mh/" + layer +
        " && iverilog -g2012 -DSA_NO_SVA -o tb.vvp -P sa_memh_tb.NWgt=" + std::to_string(n[0]) +
        " -P sa_memh_tb.NAct=" + std::to_string(n[1]) +
        " -P sa_memh_tb.NPsum=" + std::to_string(n[2]) + " " + SA_RTL_FILES + " " + SA_SOURCE_DIR +
        "/rtl/tb/sa_memh_tb.sv";
    auto b = RunCommand(build);
    EXPECT_EQ(b.status, 0) << b.output;
    return RunCommand("cd " + root + "/mh/" + layer + " && vvp -n tb.vvp +dir=.").output;
  };
  for (const std::string& layer : {small, other}) {
    const std::string out = icarus(layer);
    EXPECT_NE(out.find("sa_memh_tb: PASS"), std::string::npos) << layer << "\n" << out;
  }
  // One wrong hex digit in the third expected vector: the testbench names that vector.
  const std::string psum = root + "/mh/" + other + "/psum.memh";
  std::vector<std::string> lines;
  {
    std::ifstream in(psum);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  ASSERT_GE(lines.size(), 3u) << other;
  char& digit = lines[2].back();
  digit = digit == '0' ? '1' : '0';
  {
    std::ofstream out(psum);
    for (const auto& l : lines) out << l << "\n";
  }
  const std::string bad = icarus(other);
  EXPECT_NE(bad.find("sa_memh_tb: psum vector 2: expected"), std::string::npos) << bad;
  EXPECT_NE(bad.find("sa_memh_tb: FAIL"), std::string::npos) << bad;
  // An existing, non-empty --out is never touched.
  auto again =
      RunCommand("cd " + root + " && " + SA_VECTORS + " export-memh --vectors set --out mh");
  EXPECT_EQ(again.status, 2);
  EXPECT_EQ(again.output, "sa-vectors: --out: mh exists and is not an empty folder\n");
  EXPECT_TRUE(fs::exists(root + "/mh/" + other + "/tb.vvp"));
  fs::remove_all(root);
}

}  // namespace

// Your own core through --rtl, as docs/dut-contract.md tells users to bring it: a copy of the
// course example's files in a folder of the test's. The unchanged copy has the bytes of the
// preset `--core course` (built by the setup tests), so the content-addressed cache reuses that
// core without a build; each copy with one planted change is a new core, built here on demand,
// and must fail with exit 1 and the expected complaint (not pass, not error).
namespace byo {
struct Mutant {
  const char* file;
  const char* from;
  const char* to;
  const char* expect;
};

// Writes the files of a file list of the project's (relative to the source tree) into `dir`
// with the changes `ms` applied (each must apply), and a file list naming them; returns the
// list's path.
std::string CopyCore(const std::string& list_in_tree, const std::string& dir,
                     const std::vector<Mutant>& ms) {
  const std::string list = std::string(SA_SOURCE_DIR) + "/" + list_in_tree;
  std::ifstream in(list);
  std::string line, names;
  std::vector<bool> applied(ms.size(), false);
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("//", 0) == 0 || line[0] == '#') continue;
    const std::filesystem::path src = std::filesystem::path(list).parent_path() / line;
    std::ifstream f(src);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    const std::string base = src.filename().string();
    for (size_t i = 0; i < ms.size(); ++i) {
      if (base != ms[i].file) continue;
      const size_t at = text.find(ms[i].from);
      if (at != std::string::npos)
        text.replace(at, std::string(ms[i].from).size(), ms[i].to), applied[i] = true;
    }
    std::ofstream(dir + "/" + base) << text;
    names += base + "\n";
  }
  for (size_t i = 0; i < ms.size(); ++i)
    EXPECT_TRUE(applied[i]) << "the planted change no longer applies: " << ms[i].from;
  std::ofstream(dir + "/my_core.f") << names;
  return dir + "/my_core.f";
}
std::string CopyCore(const std::string& list_in_tree, const std::string& dir, const Mutant* m) {
  return CopyCore(list_in_tree, dir, m ? std::vector<Mutant>{*m} : std::vector<Mutant>{});
}
std::string CopyCourseCore(const std::string& dir, const Mutant* m) {
  return CopyCore("rtl/adapters/course_ws.f", dir, m);
}
}  // namespace byo

TEST(ByoCore, CourseCoreThroughRtlPassesAndReusesTheCachedBuild) {
  const std::string f = byo::CopyCourseCore(TempDir("byo_course"), nullptr);
  auto [rc, out] = RunCommand(std::string(SA_COSIM_FRONT) + " --rtl " + f +
                              " --top sa_course_ws_adapter --vectors " + kDefaultSet +
                              " --layers layer1.0.conv1,layer3.2.conv2 --quiet");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.find("built core"), std::string::npos) << "same bytes, same core: no rebuild\n"
                                                       << out;
}

// A core with no idle output, behind the adapter as its checklist says (the .idle connection
// deleted, CoreHasIdle 0: the adapter counts the beats in flight itself), passes the contract
// tests and the default network with stalls.
TEST(ByoCore, ACoreWithoutIdleRunsBehindTheAdapter) {
  const std::vector<byo::Mutant> no_idle = {
      {"course_ws_array.sv",
       "output logic [N_COLS*P_BITS-1:0]   out_data,\n  output logic                       idle",
       "output logic [N_COLS*P_BITS-1:0]   out_data", ""},
      {"course_ws_array.sv", "assign idle      = ~|vld_pipe;", "", ""},
      {"sa_course_ws_adapter.sv", "    .out_data(core_out),\n    .idle    (core_idle_port)",
       "    .out_data(core_out)", ""}};
  const std::string f = byo::CopyCore("rtl/adapters/course_ws.f", TempDir("byo_no_idle"), no_idle);
  const std::string core =
      std::string(SA_COSIM_FRONT) + " --rtl " + f + " --top sa_course_ws_adapter -G CoreHasIdle=0";
  auto run = RunCommand(core + " --vectors " + kDefaultSet + " --stall-prob 0.3 --seed 3 --quiet");
  EXPECT_EQ(run.status, 0) << run.output;
  auto contract = RunCommand(core + " --contract-tests");
  EXPECT_EQ(contract.status, 0) << contract.output;
}

TEST(ByoCore, EachMutatedCopyThroughRtlFails) {
  // The PE zero-extends its weight (caught as mismatches); the adapter's busy_o is stuck high
  // (every psum right: caught only by the contract's end-of-layer check).
  const byo::Mutant mutants[] = {
      {"course_ws_pe.sv", "{(P_BITS-W_BITS){weight[W_BITS-1]}}", "{(P_BITS-W_BITS){1'b0}}",
       "MISMATCH layer1.0.conv1"},
      {"sa_course_ws_adapter.sv", "assign busy_o       = !core_idle",
       "assign busy_o       = 1'b1 || !core_idle", "busy_o still high after the last psum"}};
  int n = 0;
  for (const auto& m : mutants) {
    const std::string f = byo::CopyCourseCore(TempDir("byo_mutant_" + std::to_string(n++)), &m);
    auto [rc, out] = RunCommand(std::string(SA_COSIM_FRONT) + " --rtl " + f +
                                " --top sa_course_ws_adapter --vectors " + kDefaultSet +
                                " --layers layer1.0.conv1 --quiet --max-mismatches 1");
    EXPECT_EQ(rc, 1) << m.file << "\n" << out;
    EXPECT_NE(out.find(m.expect), std::string::npos) << out;
    EXPECT_NE(out.find("built core sa_course_ws_adapter"), std::string::npos)
        << "a changed source is a new core\n"
        << out;
    // The contract tests a user runs on their own core catch it too (the same core: no build).
    auto contract = RunCommand(std::string(SA_COSIM_FRONT) + " --rtl " + f +
                               " --top sa_course_ws_adapter --contract-tests");
    EXPECT_EQ(contract.status, 1) << contract.output;
    EXPECT_NE(contract.output.find("contract: FAIL"), std::string::npos) << contract.output;
  }
}

// A ready that counts the psum leaving in the same cycle: every psum right and no assertion
// (the FIFO pops before the beat arrives), but act_ready_o depends on psum_ready_i at the credit
// limit. Only the handshake probe there sees it: the plain run passes, the probed run and the
// contract tests fail.
TEST(ByoCore, AReadyThatReadsPsumReadyFailsTheHandshakeProbe) {
  const byo::Mutant comb = {
      "sa_core.sv",
      "assign credit_ok   = CountWidth'(fifo_count) + in_flight_q < CountWidth'(FifoDepth);",
      "assign credit_ok   = CountWidth'(fifo_count) + in_flight_q <\n"
      "                       CountWidth'(FifoDepth) + CountWidth'(psum_valid_o && psum_ready_i);",
      ""};
  const std::string f = byo::CopyCore("rtl/sa.f", TempDir("byo_comb_ready"), &comb);
  const std::string cmd = std::string(SA_COSIM_FRONT) + " --rtl " + f +
                          " --top sa_core --vectors " + kDefaultSet +
                          " --layers layer1.0.conv1,layer3.2.conv2 --psum-stall-prob 0.95 --quiet";
  auto plain = RunCommand(cmd);
  EXPECT_EQ(plain.status, 0) << "the planted path changes no psum\n" << plain.output;
  auto probed = RunCommand(cmd + " --probe-handshakes");
  EXPECT_EQ(probed.status, 1) << probed.output;
  EXPECT_NE(probed.output.find("a combinational path, where the contract allows registers only"),
            std::string::npos)
      << probed.output;
  auto contract =
      RunCommand(std::string(SA_COSIM_FRONT) + " --rtl " + f + " --top sa_core --contract-tests");
  EXPECT_EQ(contract.status, 1) << contract.output;
  EXPECT_NE(contract.output.find("handshake-probe  FAIL"), std::string::npos) << contract.output;
  // The pin-level model cannot be probed between edges: one line, exit 2, nothing written.
  const std::string report = TempDir("byo_comb_ready_pin") + "/r.json";
  auto pin = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + kDefaultSet +
                        " --mode pin --probe-handshakes --report " + report);
  EXPECT_EQ(pin.status, 2) << pin.output;
  EXPECT_EQ(pin.output,
            "sa-cosim: --probe-handshakes: the fast model probes between edges; not in --mode "
            "pin\n");
  EXPECT_FALSE(std::filesystem::exists(report));
}

// A failing RTL assertion is a design failure, not a crash: sa_core without its credit check
// overruns its output FIFO under psum backpressure (a_fifo_room fires). Each unit must end as a
// failure naming the assertion, its file:line and cycle, with exit 1, JUnit type="assertion",
// a JSON report and a trace around it, in one process and with --jobs; the other units still run.
TEST(RtlAssertion, FailsTheUnitNamingItAndTheRunGoesOn) {
  const std::string dir = TempDir("assert_core");
  const byo::Mutant no_credit = {"sa_core.sv",
                                 "assign act_ready_o = bank_full_q[act_bank_q] && credit_ok;",
                                 "assign act_ready_o = bank_full_q[act_bank_q];", ""};
  const std::string f = byo::CopyCore("rtl/sa.f", dir, &no_credit);
  const std::string cmd = std::string(SA_COSIM_FRONT) + " --rtl " + f + " --top sa_core" +
                          " --vectors " + kDefaultSet +
                          " --layers layer1.0.conv1,layer3.2.conv2 --psum-stall-prob 0.9 --seed 17";
  auto one = RunCommand(cmd + " --junit " + dir + "/j.xml --report " + dir + "/r.json --trace " +
                        dir + "/t.vcd");
  EXPECT_EQ(one.status, 1) << one.output;
  EXPECT_NE(one.output.find("RTL assertion a_fifo_room (" + dir + "/sa_core.sv:"),
            std::string::npos)
      << one.output;
  EXPECT_NE(one.output.find("around the failed assertion"), std::string::npos) << one.output;
  EXPECT_NE(one.output.find("rerun layer1.0.conv1"), std::string::npos) << one.output;
  const nlohmann::json r = ReadJson(dir + "/r.json");
  ASSERT_EQ(r["units"].size(), 2u) << "every unit ran";
  EXPECT_NE(r["units"][0]["assertion"].get<std::string>().find("a_fifo_room"), std::string::npos);
  const std::string junit = sa::testing::Slurp(dir + "/j.xml");
  EXPECT_NE(junit.find("type=\"assertion\""), std::string::npos) << junit;
  EXPECT_GT(fs::file_size(dir + "/t.vcd"), 0u);
  auto jobs = RunCommand(cmd + " --jobs 2 --quiet");
  EXPECT_EQ(jobs.status, 1) << jobs.output;
  EXPECT_NE(jobs.output.find("a_fifo_room"), std::string::npos) << jobs.output;
}
