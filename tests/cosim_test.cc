// Co-simulation tests: sa-cosim executables run on the committed default set, on random small
// layers whose psums come from a direct convolution written here, and on planted faults.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "tests/test_util.h"
#include "vectors/npy.h"
#include "vectors/output.h"
#include "vectors/sha256.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
namespace sv = sa::vectors;
using sa::testing::RewriteWithChecksum;
using sa::testing::RunCommand;
using sa::testing::TempDir;

const std::string kDefaultSet = std::string(SA_SOURCE_DIR) + "/vectors/default";

struct Exe {
  const char* name;
  std::string path;
};
const Exe kExes[] = {{"4x4", SA_COSIM_4X4}, {"8x8", SA_COSIM_8X8}, {"16x16", SA_COSIM_16X16}};

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(DefaultSet, EveryLayerPassesWithCyclesOnTheAnalyticalModel) {
  for (const Exe& exe : kExes) {
    const std::string report = TempDir(std::string("def_") + exe.name) + "/r.json";
    // 4 x 4 runs four times the cycles of 8 x 8: a subset keeps the suite short.
    const std::string layers = std::string(exe.name) == "4x4"
                                   ? " --layers layer1.0.conv1,layer2.0.conv1,layer3.2.conv2"
                                   : "";
    auto [rc, out] =
        RunCommand(exe.path + " --vectors " + kDefaultSet + " --report " + report + layers);
    EXPECT_EQ(rc, 0) << exe.name << "\n" << out;
    nlohmann::json r = ReadJson(report);
    EXPECT_TRUE(r["total"]["passed"].get<bool>());
    EXPECT_EQ(r["layers"].size(), layers.empty() ? 18u : 3u);
    for (const auto& l : r["layers"]) {
      const double cycles = l["cycles"], expected = l["expected_cycles"];
      EXPECT_LE(std::abs(cycles - expected), 0.05 * expected) << exe.name << " " << l["name"];
      EXPECT_GT(l["psums_compared"].get<int64_t>(), 0);
    }
    if (layers.empty())
      EXPECT_GE(r["total"]["utilization_mac_weighted"].get<double>(), 0.95) << exe.name;
  }
}

TEST(DefaultSet, StallFreeCyclesEqualTheAnalyticalModelExactly) {
  std::stringstream list(SA_COSIM_EXACT);
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
  EXPECT_GE(runs, 4);
}

TEST(DefaultSet, RandomStallsChangeNoResult) {
  for (const Exe& exe : kExes) {
    if (std::string(exe.name) == "4x4") continue;
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

// An independent reference: zero-pad the input explicitly, then slide the kernel.
std::vector<int32_t> DirectConv(const sv::ConvGeometry& g, const std::vector<uint8_t>& act,
                                const std::vector<int8_t>& wgt) {
  const int64_t ph = g.in_h + 2 * g.padding, pw = g.in_w + 2 * g.padding;
  std::vector<int32_t> padded(g.batch * g.in_channels * ph * pw, 0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.in_channels; ++c)
      for (int64_t y = 0; y < g.in_h; ++y)
        for (int64_t x = 0; x < g.in_w; ++x)
          padded[((n * g.in_channels + c) * ph + y + g.padding) * pw + x + g.padding] =
              act[((n * g.in_channels + c) * g.in_h + y) * g.in_w + x];
  std::vector<int32_t> out;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t o = 0; o < g.out_channels; ++o)
      for (int64_t y = 0; y < g.OutH(); ++y)
        for (int64_t x = 0; x < g.OutW(); ++x) {
          int32_t s = 0;
          for (int64_t c = 0; c < g.in_channels; ++c)
            for (int64_t ky = 0; ky < g.kernel; ++ky)
              for (int64_t kx = 0; kx < g.kernel; ++kx)
                s += padded[((n * g.in_channels + c) * ph + y * g.stride + ky) * pw + x * g.stride +
                            kx] *
                     wgt[((o * g.in_channels + c) * g.kernel + ky) * g.kernel + kx];
          out.push_back(s);
        }
  return out;
}

// Writes a set of 12 random layers of 2 images (test images 0 and 1) to `dir`.
void WriteRandomSet(const std::string& dir, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) {
    return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng));
  };
  sv::VectorSetWriter writer(dir);
  sv::Manifest m;
  m.checkpoint_path = "random";
  m.checkpoint_sha256 = "none";
  m.images = {0, 1};  // every layer of a set holds the same images
  for (int i = 0; i < 12; ++i) {
    sv::LayerVectors v;
    v.info.name = "random" + std::to_string(i);
    auto& g = v.info.geometry;
    g.batch = 2;
    g.in_channels = pick(1, 21);  // mostly not multiples of 4, 8 or 16
    g.out_channels = pick(1, 19);
    g.kernel = pick(0, 1) ? 3 : 1;
    g.stride = pick(1, 2);
    g.padding = g.kernel == 3 ? pick(0, 1) : 0;
    g.in_h = pick(g.kernel, 11);
    g.in_w = pick(g.kernel, 11);
    std::vector<uint8_t> act(g.batch * g.in_channels * g.in_h * g.in_w);
    std::vector<int8_t> wgt(g.out_channels * g.in_channels * g.kernel * g.kernel);
    for (auto& a : act) a = static_cast<uint8_t>(pick(0, 15));
    for (auto& w : wgt) w = static_cast<int8_t>(pick(-7, 7));
    auto psum = DirectConv(g, act, wgt);
    v.act = {sv::DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w}, act};
    v.wgt = {sv::DType::kInt8,
             {g.out_channels, g.in_channels, g.kernel, g.kernel},
             std::vector<uint8_t>(wgt.begin(), wgt.end())};
    v.psum = {sv::DType::kInt32,
              {g.batch, g.out_channels, g.OutH(), g.OutW()},
              std::vector<uint8_t>(reinterpret_cast<uint8_t*>(psum.data()),
                                   reinterpret_cast<uint8_t*>(psum.data() + psum.size()))};
    m.layers.push_back(v.info.name);
    writer.AddLayer(std::move(v));
  }
  writer.Commit(m);
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
  auto [rc, out] = RunCommand(std::string(SA_COSIM_8X8) + " --vectors " + dir_);
  EXPECT_EQ(rc, 1) << out;
  const std::string want = "MISMATCH layer2.1.conv2 image 0 channel 5 row 3 col 6: expected " +
                           std::to_string(original ^ 1) + " ";
  EXPECT_NE(out.find(want), std::string::npos) << out;
  EXPECT_NE(out.find("got " + std::to_string(original) + " "), std::string::npos) << out;
  size_t lines = 0;
  for (size_t p = out.find("MISMATCH "); p != std::string::npos; p = out.find("MISMATCH ", p + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << "exactly one psum differs";
  EXPECT_NE(out.find("layer2.1.conv2   FAIL"), std::string::npos) << out;
  EXPECT_EQ(out.find("layer2.1.conv1   FAIL"), std::string::npos);
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

// Plants a one-bit fault in image 1 of a layer of a two-image set (psum flat index `index`).
void PlantFault(const std::string& layer_dir, int64_t index) {
  sv::NpyArray psum = sv::ReadNpy(layer_dir + "/psum.npy");
  psum.MutableData<int32_t>()[index] ^= 1;
  RewriteWithChecksum(layer_dir, "psum.npy", sv::EncodeNpy(psum));
}

TEST(Reproducible, ANarrowedRerunRepeatsTheFailureAtTheSameCycle) {
  const std::string root = TempDir("rerun");
  WriteRandomSet(root + "/set", 7);
  sv::NpyArray psum = sv::ReadNpy(root + "/set/random5/psum.npy");
  PlantFault(root + "/set/random5", psum.NumElements() - 1);  // image 1, last psum
  auto full = RunCommand("cd " + root + " && " + SA_COSIM_8X8 +
                         " --vectors set --stall-prob 0.3 --seed 5 --report full.json");
  ASSERT_EQ(full.status, 1) << full.output;
  // The run prints the command that reruns the failing layer alone.
  const std::string tag = "rerun random5: ";
  const size_t at = full.output.find(tag);
  ASSERT_NE(at, std::string::npos) << full.output;
  const std::string cmd =
      full.output.substr(at + tag.size(), full.output.find('\n', at) - at - tag.size());
  EXPECT_NE(cmd.find("--layers random5 --seed 5 --stall-prob 0.3"), std::string::npos) << cmd;
  auto narrow = RunCommand("cd " + root + " && " + cmd + " --report narrow.json");
  ASSERT_EQ(narrow.status, 1) << narrow.output;
  EXPECT_TRUE(fs::exists(root + "/random5.vcd")) << "the rerun writes a trace window";
  auto first = [](const nlohmann::json& r) {
    for (const auto& l : r["layers"])
      if (l["name"] == "random5") return l["first_mismatches"].at(0);
    return nlohmann::json();
  };
  const nlohmann::json a = first(ReadJson(root + "/full.json"));
  const nlohmann::json b = first(ReadJson(root + "/narrow.json"));
  EXPECT_EQ(a["cycle"], b["cycle"]) << "same seed and layer: same stall pattern, same cycle";
  EXPECT_EQ(a["image"], 1);
  EXPECT_EQ(a["test_image"], 1);
  // The report says what ran and on which images.
  const nlohmann::json r = ReadJson(root + "/full.json");
  EXPECT_EQ(r["schema_version"], 2);
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

}  // namespace
