// A sharded regression through a real Slurm scheduler (ctest label "slow"): the test starts a
// one-node cluster of its own (tests/slurm/cluster.sh), submits a 4-shard job array and its
// dependent merge with scripts/slurm/submit.sh, and checks the merged verdict, first on a
// passing set, then with a fault planted in one image of one layer; and a run whose tasks each
// dump their own images (submit_testset.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/random_set.h"
#include "tests/test_util.h"

namespace {
namespace fs = std::filesystem;
using sa::testing::RunCommand;

class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "slurmd needs root";
    if (RunCommand("command -v slurmctld slurmd sbatch munged").status != 0)
      GTEST_SKIP() << "Slurm or munge not installed (scripts/setup.sh installs them)";
    root_ = sa::testing::TempDir("slurm");
    // Private ports per process, so that a cluster left over elsewhere cannot answer.
    const int port = 20000 + static_cast<int>(::getpid() % 20000) * 2;
    auto up = RunCommand(std::string(SA_SOURCE_DIR) + "/tests/slurm/cluster.sh start " + root_ +
                         "/cluster " + std::to_string(port));
    ASSERT_EQ(up.status, 0) << up.output;
    started_ = true;
    env_ = "SLURM_CONF=" + root_ + "/cluster/slurm.conf ";
    sa::testing::WriteRandomSet(root_ + "/set", 21);  // 12 layers x 2 images: 24 units
  }
  void TearDown() override {
    if (started_)
      RunCommand(std::string(SA_SOURCE_DIR) + "/tests/slurm/cluster.sh stop " + root_ + "/cluster");
    if (!root_.empty()) fs::remove_all(root_);
  }
  // As the README shows it: from the folder that holds the set, with relative paths (the jobs
  // run there, not in the output folder).
  sa::testing::CommandResult Submit(const std::string& out) {
    return RunCommand("cd " + root_ + " && " + env_ + SA_SOURCE_DIR +
                      "/scripts/slurm/submit.sh --shards 4 --wait --out " + out + " -- " +
                      SA_COSIM_8X8 + " --vectors set --stall-prob 0.2 --seed 3");
  }
  nlohmann::json Merged(const std::string& out) {
    return nlohmann::json::parse(sa::testing::Slurp(root_ + "/" + out + "/merged.json"));
  }
  std::string root_, env_;
  bool started_ = false;
};

TEST_F(SlurmCluster, AFourShardArrayAndItsMergeGiveOneVerdict) {
  auto pass = Submit("pass");
  ASSERT_EQ(pass.status, 0) << pass.output;
  const nlohmann::json merged = Merged("pass");
  EXPECT_EQ(merged["total"]["passed"], true);
  EXPECT_EQ(merged["units"].size(), 24u);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(root_ + "/pass/shard-" + std::to_string(i) + ".json")) << i;

  // One flipped bit in image 1 of random4: the shard that holds it fails, and so does the merge,
  // naming the layer and the image.
  const auto psum = sa::vectors::ReadNpy(root_ + "/set/random4/psum.npy");
  sa::testing::PlantFault(root_ + "/set/random4", psum.NumElements() - 1);
  auto fail = Submit("fail");
  EXPECT_EQ(fail.status, 1) << fail.output;
  EXPECT_NE(fail.output.find("MISMATCH random4 image 1 "), std::string::npos) << fail.output;
  EXPECT_NE(fail.output.find("rerun random4 image 1: "), std::string::npos) << fail.output;
  const nlohmann::json failed = Merged("fail");
  EXPECT_EQ(failed["total"]["passed"], false);
  EXPECT_EQ(failed["total"]["mismatches"], 1);
  auto junit = RunCommand("python3 " + std::string(SA_SOURCE_DIR) + "/tests/check_junit.py " +
                          root_ + "/fail/merged.xml 24 1 0 'random4 image 1'");
  EXPECT_EQ(junit.status, 0) << junit.output;
}

// Scale-out where each task makes its own vectors (scripts/slurm/submit_testset.sh): 4 tasks
// dump their share of the 10 sample images from the checkpoint, co-simulate it, and the merge of
// the parts is one run over every image, in test-image order.
TEST_F(SlurmCluster, TasksThatDumpTheirOwnImagesMergeIntoOneVerdict) {
  const std::string src = SA_SOURCE_DIR;
  auto r = RunCommand("cd " + root_ + " && " + env_ + src +
                      "/scripts/slurm/submit_testset.sh --tasks 4 --images "
                      "0,1000,2000,3000,4000,5000,6000,7000,8000,9000 --checkpoint " +
                      src + "/golden/checkpoints/w4a4/model.pt --samples " + src +
                      "/vectors/samples/test_images.npy --out parts --wait -- " + SA_COSIM_8X8 +
                      " --layers layer1.0.conv1,layer3.2.conv2");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json merged = Merged("parts");
  EXPECT_EQ(merged["total"]["passed"], true);
  EXPECT_EQ(merged["units_planned"], 20);
  EXPECT_EQ(merged["vectors"]["images"],
            nlohmann::json::array({0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000}));
  for (int i = 0; i < 4; ++i) {  // 3, 3, 3 and 1 images; no set left behind by a passing task
    EXPECT_NE(sa::testing::Slurp(root_ + "/parts/part-" + std::to_string(i) + ".times")
                  .find(i < 3 ? "images 3 " : "images 1 "),
              std::string::npos)
        << i;
    EXPECT_FALSE(fs::exists(root_ + "/parts/set-" + std::to_string(i))) << i;
  }
}

}  // namespace
