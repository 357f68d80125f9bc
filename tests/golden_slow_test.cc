// Slow golden-model tests (ctest label "slow"): a real training run with resume, and the
// committed checkpoint's accuracy on the full CIFAR-10 (JPEG edition) test set.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "golden/data.h"
#include "golden/model.h"
#include "golden/train.h"
#include "tests/test_util.h"

namespace {
namespace fs = std::filesystem;
using namespace sa::golden;
using sa::testing::TempDir;

// A CIFAR-10 binary folder with `per_batch` records in each of the six files.
std::string WriteFakeBinaryCifar(const std::string& dir, int per_batch) {
  std::mt19937 rng(1);
  auto write = [&](const std::string& name) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    for (int i = 0; i < per_batch; ++i) {
      const uint8_t label = static_cast<uint8_t>(i % 10);
      out.put(static_cast<char>(label));
      // Class-dependent brightness so that a model can learn something.
      for (int p = 0; p < 3072; ++p) out.put(static_cast<char>((label * 25 + rng() % 20) & 0xff));
    }
  };
  for (int b = 1; b <= 5; ++b) write("data_batch_" + std::to_string(b) + ".bin");
  write("test_batch.bin");
  return dir;
}

TEST(Train, TinyRunLowersTheLossAndResumeIsBitIdentical) {
  const std::string dir = TempDir("train");
  WriteFakeBinaryCifar(dir, 64);
  TrainOptions o;
  o.data = dir;
  o.batch = 32;
  o.epochs = 4;
  o.lr = 0.05;
  o.warmup_epochs = 0;
  o.out = dir + "/full";
  TrainResult full = Train(o);
  std::ifstream log(o.out + "/train_log.csv");
  std::string header, first, line, last;
  std::getline(log, header);
  std::getline(log, first);
  while (std::getline(log, line)) last = line;
  auto loss = [](const std::string& row) {
    return std::stod(row.substr(row.find(',', row.find(',') + 1) + 1));
  };
  EXPECT_LT(loss(last), loss(first)) << first << " / " << last;

  // Epochs 1-2 of the same 4-epoch schedule, then a resume for epochs 3-4.
  TrainOptions stop2 = o;
  stop2.out = dir + "/part";
  stop2.stop_after = 2;
  Train(stop2);
  TrainOptions resume = o;
  resume.out = dir + "/part";
  resume.resume = dir + "/part/checkpoint.pt";
  TrainResult resumed = Train(resume);
  ResNet20 a = LoadCheckpoint(o.out + "/checkpoint.pt");
  ResNet20 b = LoadCheckpoint(resume.out + "/checkpoint.pt");
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  for (auto& buf : a->named_buffers())
    EXPECT_TRUE(torch::equal(buf.value(), b->named_buffers()[buf.key()])) << buf.key();
  EXPECT_EQ(full.test_accuracy, resumed.test_accuracy);
  fs::remove_all(dir);
}

// The committed checkpoint's accuracy on the full CIFAR-10 (JPEG edition) test set must match
// its model card within 0.1 %. Needs ../shared/data (CI has it); skipped where it is absent.
TEST(CommittedCheckpoint, AccuracyMatchesTheModelCard) {
  const fs::path src = SA_SOURCE_DIR;
  const fs::path archive = src.parent_path() / "shared/data/cifar10-jpeg.tar.gz";
  if (!fs::exists(archive)) GTEST_SKIP() << archive << " not present";
  const fs::path data = fs::temp_directory_path() / "sa_cifar10_test_split";
  if (!fs::exists(data / "cifar10-jpeg/test/truck")) {
    fs::create_directories(data);
    const std::string cmd =
        "tar xzf '" + archive.string() + "' -C '" + data.string() + "' cifar10-jpeg/test";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  ASSERT_TRUE(fs::exists(src / "golden/checkpoints/w4a4/model.pt"))
      << "the embedded default is missing";
  for (const char* name : {"w4a4", "w2a4"}) {
    const fs::path dir = src / "golden/checkpoints" / name;
    if (!fs::exists(dir / "model.pt")) continue;  // w2a4 arrives with the GPU issue
    std::ifstream card_file(dir / "card.json");
    nlohmann::json card = nlohmann::json::parse(card_file);
    ResNet20 model = LoadCheckpoint((dir / "model.pt").string());
    ConfigureCpuRuntime();
    Dataset test = LoadCifar10(data.string(), Split::kTest);
    ASSERT_EQ(test.size(), 10000);
    const double acc = Evaluate(model, test, torch::kCPU);
    EXPECT_NEAR(acc, card["test_accuracy"].get<double>(), 0.1) << name;
  }
}

}  // namespace
