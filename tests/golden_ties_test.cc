// Holds the golden model to the course notebook's integers on test images that sit next to
// rounding ties. The expected values come from tests/fixtures/notebook_ties/make_fixture.py, an
// independent Python rebuild of the notebook's arithmetic (PyTorch), run by hand; this test
// recomputes them with LibTorch and must agree on every integer activation of all 18 layers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "golden/data.h"
#include "golden/model.h"
#include "golden/train.h"
#include "vectors/sha256.h"

namespace {
using namespace sa::golden;
using nlohmann::json;

const std::string kFixtureDir = std::string(SA_SOURCE_DIR) + "/tests/fixtures/notebook_ties";

class NotebookTies : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kFixtureDir + "/fixture.json");
    ASSERT_TRUE(in) << kFixtureDir << "/fixture.json missing";
    fixture_ = json::parse(in);
    ASSERT_GE(fixture_["images"].size(), 100u);
  }
  json fixture_;
};

std::vector<uint8_t> Bytes(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  const uint8_t* p = c.data_ptr<uint8_t>();
  return std::vector<uint8_t>(p, p + c.numel());
}

TEST_F(NotebookTies, EveryIntegerActivationIsTheNotebooks) {
  const std::string checkpoint =
      std::string(SA_SOURCE_DIR) + "/" + fixture_["checkpoint"].get<std::string>();
  ASSERT_EQ(sa::vectors::Sha256File(checkpoint), fixture_["checkpoint_sha256"])
      << checkpoint << " changed since the fixture was made: rerun make_fixture.py";
  const char* isa = std::getenv("ONEDNN_MAX_CPU_ISA");
  ASSERT_EQ(isa ? isa : "", fixture_["onednn_max_cpu_isa"].get<std::string>())
      << "run with ONEDNN_MAX_CPU_ISA as the fixture was made (ctest sets it): oneDNN's "
         "convolutions round differently per instruction set";

  // The images as one batch, in fixture order, as the fixture script sends them.
  const json& images = fixture_["images"];
  const int64_t n = static_cast<int64_t>(images.size());
  torch::Tensor batch = torch::empty({n, 32, 32, 3}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<uint8_t> hwc =
        DecodeJpeg32(kFixtureDir + "/" + images[i]["file"].get<std::string>());
    ASSERT_EQ(sa::vectors::Sha256Hex(hwc), images[i]["pixels_sha256"])
        << images[i]["file"] << ": libjpeg decoded other pixels than the fixture's";
    std::memcpy(batch[i].data_ptr<uint8_t>(), hwc.data(), hwc.size());
  }

  ResNet20 model = LoadCheckpoint(checkpoint);
  model->eval();
  auto convs = model->QuantConvs();
  for (auto& [name, conv] : convs) conv->capture = true;
  torch::NoGradGuard no_grad;
  torch::Tensor logits = model->forward(Normalize(batch.permute({0, 3, 1, 2}).contiguous()));

  int mismatched_images = 0;
  int predictions_kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const json& img = images[i];
    std::string first_bad;
    for (size_t l = 0; l < convs.size(); ++l) {
      const json& want = img["layers"][l];
      ASSERT_EQ(want["name"], convs[l].first);
      torch::Tensor ints = convs[l].second->captured.act_int[i].to(torch::kUInt8);
      if (sa::vectors::Sha256Hex(Bytes(ints)) != want["act_sha256"]) {
        first_bad = convs[l].first + " (near-tie elements at [c, y, x] " +
                    want["near_tie_positions"].dump() + ")";
        break;
      }
    }
    if (!first_bad.empty()) {
      ++mismatched_images;
      ADD_FAILURE() << "test image " << img["index"] << ": integer activations differ from the "
                    << "notebook's, first in " << first_bad;
    }
    for (int c = 0; c < 10; ++c)
      EXPECT_NEAR(logits[i][c].item<float>(), img["logits"][c].get<double>(), 1e-4)
          << "test image " << img["index"] << " logit " << c;
    predictions_kept += logits[i].argmax().item<int64_t>() == img["prediction"].get<int64_t>();
  }
  EXPECT_EQ(mismatched_images, 0) << "of " << n << " images";
  EXPECT_EQ(predictions_kept, n);
}

// The fixture must hold what it promises: the images where the two float orders part, so that
// the test above can fail.
TEST_F(NotebookTies, FixtureHoldsImagesWhereTheOrdersDiffer) {
  int differ = 0;
  for (const json& img : fixture_["images"])
    differ += !img["differs_in_project_order_from"].is_null();
  EXPECT_GE(differ, 70);
  EXPECT_EQ(differ, fixture_["search"]["differ_between_orders"].get<int>());
}

}  // namespace
