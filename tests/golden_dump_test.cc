// Vector dump tests: exact psums against an independent float64 convolution, the notebook's
// reconstruction check, byte-identical reruns, planted faults, and the CLI's error lines.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "golden/dump.h"
#include "golden/train.h"
#include "golden/verify.h"
#include "tests/test_util.h"
#include "vectors/sha256.h"
#include "vectors/vector_set.h"

namespace {
using sa::testing::RunCommand;
using sa::testing::TempDir;
namespace fs = std::filesystem;
using namespace sa::golden;
namespace sv = sa::vectors;

class DumpTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    dir_ = TempDir("d" + std::to_string(GetParam()));
    torch::manual_seed(11);
    model_ = ResNet20(QuantConfig{GetParam(), 4});
    // Alphas away from their initial values, as after training.
    torch::NoGradGuard no_grad;
    for (auto& [name, conv] : model_->QuantConvs()) {
      conv->act_alpha.fill_(2.5);
      conv->wgt_alpha.fill_(2.0);
    }
    images_ = torch::randint(0, 256, {2, 3, 32, 32}, torch::kInt64).to(torch::kUInt8);
    sv::Manifest m;
    m.checkpoint_path = "test.pt";
    m.checkpoint_sha256 = "none";
    m.images = {3, 4};
    layers_ = DumpVectors(model_, images_, m, dir_ + "/set");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  ResNet20 model_{nullptr};
  torch::Tensor images_;
  std::vector<DumpedLayer> layers_;
};

TEST_P(DumpTest, PsumsEqualAnIndependentFloat64Convolution) {
  ASSERT_EQ(layers_.size(), 18u);
  for (const auto& l : layers_) {
    sv::LayerVectors v = sv::ReadLayer(dir_ + "/set", l.name);
    const auto& g = v.info.geometry;
    torch::Tensor act =
        torch::from_blob(v.act.bytes.data(), v.act.shape, torch::kUInt8).to(torch::kFloat64);
    torch::Tensor wgt =
        torch::from_blob(v.wgt.bytes.data(), v.wgt.shape, torch::kInt8).to(torch::kFloat64);
    torch::Tensor psum =
        torch::from_blob(v.psum.bytes.data(), v.psum.shape, torch::kInt32).to(torch::kFloat64);
    // Every partial sum is an integer far below 2^53, so float64 convolution is exact.
    torch::Tensor ref = torch::conv2d(act, wgt, {}, g.stride, g.padding);
    EXPECT_TRUE(torch::equal(psum, ref)) << l.name;
    EXPECT_LE(act.max().item<double>(), 15);
    EXPECT_LE(wgt.abs().max().item<double>(), static_cast<double>((1 << (GetParam() - 1)) - 1));
    EXPECT_GT(act.max().item<double>(), 0) << l.name << ": an all-zero input tests nothing";
    EXPECT_GT(wgt.abs().max().item<double>(), 0) << l.name;
  }
}

TEST_P(DumpTest, IntegerPsumsTimesStepsReproduceTheFloatConvolution) {
  for (const auto& l : layers_) {
    sv::LayerVectors v = sv::ReadLayer(dir_ + "/set", l.name);
    EXPECT_EQ(v.info.act_delta, static_cast<double>(2.5f / 15.0f));
    EXPECT_EQ(v.info.wgt_delta,
              static_cast<double>(2.0f / static_cast<float>((1 << (GetParam() - 1)) - 1)));
    const double scale = std::max(std::abs(v.info.psum_min), std::abs(v.info.psum_max)) *
                         v.info.act_delta * v.info.wgt_delta;
    EXPECT_LT(v.info.recon_max_abs_err, 1e-5 * std::max(1.0, scale)) << l.name;
  }
}

TEST_P(DumpTest, GeometryOfTheVectorSet) {
  sv::Manifest m = sv::ReadManifest(dir_ + "/set");
  EXPECT_EQ(m.wgt_bits, GetParam());
  EXPECT_EQ(m.act_bits, 4);
  EXPECT_EQ(m.images, (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(m.layers.size(), 18u);
  sv::LayerVectors first = sv::ReadLayer(dir_ + "/set", "layer1.0.conv1");
  EXPECT_EQ(first.act.shape, (std::vector<int64_t>{2, 16, 32, 32}));
  sv::LayerVectors down = sv::ReadLayer(dir_ + "/set", "layer3.0.conv1");
  EXPECT_EQ(down.act.shape, (std::vector<int64_t>{2, 32, 16, 16}));
  EXPECT_EQ(down.psum.shape, (std::vector<int64_t>{2, 64, 8, 8}));
  EXPECT_EQ(down.info.geometry.stride, 2);
}

TEST_P(DumpTest, SameModelAndImagesGiveByteIdenticalFiles) {
  sv::Manifest m = sv::ReadManifest(dir_ + "/set");
  DumpVectors(model_, images_, m, dir_ + "/again");
  for (const auto& name : m.layers)
    for (const char* f : {"act.npy", "wgt.npy", "psum.npy", "layer.json"})
      EXPECT_EQ(sv::Sha256File(dir_ + "/set/" + name + "/" + f),
                sv::Sha256File(dir_ + "/again/" + name + "/" + f))
          << name << "/" << f;
  EXPECT_EQ(sv::ManifestSha256(dir_ + "/set"), sv::ManifestSha256(dir_ + "/again"));
}

TEST_P(DumpTest, VerifyPassesAndCatchesAPlantedOneBitFault) {
  for (const auto& c : VerifyVectorSet(dir_ + "/set"))
    EXPECT_TRUE(c.ok) << c.name << ": " << c.problem;
  // Flip one bit of one psum and fix its checksum, as a bad golden model would.
  const std::string layer = dir_ + "/set/layer2.1.conv2";
  sv::NpyArray psum = sv::ReadNpy(layer + "/psum.npy");
  psum.MutableData<int32_t>()[77] ^= 1 << 3;
  sa::testing::RewriteWithChecksum(layer, "psum.npy", sv::EncodeNpy(psum));
  int failed = 0;
  for (const auto& c : VerifyVectorSet(dir_ + "/set")) {
    if (c.ok) continue;
    ++failed;
    EXPECT_EQ(c.name, "layer2.1.conv2");
    EXPECT_NE(c.problem.find("psum at flat index 77"), std::string::npos) << c.problem;
  }
  EXPECT_EQ(failed, 1);
}

INSTANTIATE_TEST_SUITE_P(WgtBits, DumpTest, ::testing::Values(2, 4));

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir("cli"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  const std::string exe_ = SA_GOLDEN_EXE;
};

TEST_F(Cli, FlagOutOfRangeIsOneLineAndNonZero) {
  auto [rc, out] = RunCommand(exe_ + " train --data /x --out " + dir_ + " --wbits 5");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("--wbits"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ + "/checkpoint.pt"));
}

TEST_F(Cli, MissingAndCorruptCheckpointsAreNamed) {
  auto [rc, out] = RunCommand(exe_ + " eval --checkpoint " + dir_ + "/none.pt --data " + dir_);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out, "sa-golden: " + dir_ + "/none.pt: no such checkpoint file\n");
  std::ofstream(dir_ + "/bad.pt") << "garbage";
  auto [rc2, out2] = RunCommand(exe_ + " dump --checkpoint " + dir_ + "/bad.pt --data " + dir_ +
                                " --out " + dir_ + "/v");
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("bad.pt: not a readable checkpoint"), std::string::npos) << out2;
  EXPECT_EQ(std::count(out2.begin(), out2.end(), '\n'), 1) << out2;
  EXPECT_FALSE(fs::exists(dir_ + "/v"));
}

TEST_F(Cli, FailedDumpLeavesAnExistingSetUntouched) {
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{4, 4});
  SaveCheckpoint(dir_ + "/m.pt", model, nullptr, {{4, 4}, 1});
  std::ofstream bin(dir_ + "/test_batch.bin", std::ios::binary);
  bin << std::string(3 * 3073, '\1');
  bin.close();
  const std::string dump = exe_ + " dump --checkpoint " + dir_ + "/m.pt --data " + dir_;
  auto [rc0, out0] = RunCommand(dump + " --images 0 --out " + dir_ + "/v");
  ASSERT_EQ(rc0, 0) << out0;
  const std::string manifest_before = sa::testing::Slurp(dir_ + "/v/manifest.json");
  // Image index beyond a data set of 3 binary records: the dump fails before replacing anything.
  auto [rc, out] = RunCommand(dump + " --images 5 --out " + dir_ + "/v --force");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("image index 5 out of range"), std::string::npos) << out;
  EXPECT_EQ(sa::testing::Slurp(dir_ + "/v/manifest.json"), manifest_before);
  // Without --force an existing set is refused; with it, replaced.
  auto [rc1, out1] = RunCommand(dump + " --images 1 --out " + dir_ + "/v");
  EXPECT_EQ(rc1, 2);
  EXPECT_EQ(out1, "sa-golden: --out: " + dir_ +
                      "/v is an existing vector set; give --force to "
                      "replace it\n");
  // Image lists that are no list: one line each, nothing touched.
  for (auto [images, error] : {std::pair{"2..1", "--images 2..1: an empty range\n"},
                               {"1,x", "--images 'x': expected test-set indices or ranges"},
                               {"-1", "--images '-1': expected test-set indices or ranges"},
                               {"0..2000000", "--images: more than 1000000 images\n"}}) {
    auto [rc4, out4] = RunCommand(dump + " --images " + images + " --out " + dir_ + "/v --force");
    EXPECT_EQ(rc4, 2) << images;
    EXPECT_NE(out4.find(std::string("sa-golden: ") + error), std::string::npos) << out4;
    EXPECT_EQ(std::count(out4.begin(), out4.end(), '\n'), 1) << out4;
  }
  EXPECT_EQ(sa::testing::Slurp(dir_ + "/v/manifest.json"), manifest_before);
  // A range, as the test set is given: images 1 and 2.
  auto [rc2, out2] = RunCommand(dump + " --images 1..2 --out " + dir_ + "/v --force");
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(sa::testing::Slurp(dir_ + "/v/manifest.json").find("\"images\": [\n    1,\n    2\n  ]"),
            std::string::npos);
  EXPECT_NE(sa::testing::Slurp(dir_ + "/v/manifest.json"), manifest_before);
  auto [rc3, out3] = RunCommand(exe_ + " verify --vectors " + dir_ + "/v");
  EXPECT_EQ(rc3, 0) << out3;
  // Nothing but the set is left beside it: no staging or old-set folders.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path().filename() == "v";
  EXPECT_EQ(entries, 1);
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().rfind(".v.", 0), std::string::npos) << e.path();
}

TEST_F(Cli, VerifyRefusesAMissingSet) {
  auto [rc, out] = RunCommand(exe_ + " verify --vectors " + dir_ + "/nothing");
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(out, "sa-golden: " + dir_ + "/nothing: no such vector set folder\n");
}

}  // namespace
