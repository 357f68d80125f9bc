// Model and data tests: shapes, names, option-A shortcuts, determinism, the binary and JPEG
// readers, augmentation, and checkpoint errors. The slow ones are in golden_slow_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <cstdio>  // before jpeglib.h, which needs FILE and size_t declared

#include <jpeglib.h>

#include <filesystem>
#include <fstream>

#include "golden/data.h"
#include "golden/model.h"
#include "golden/train.h"
#include "tests/test_util.h"

namespace {
using sa::testing::TempDir;
namespace fs = std::filesystem;
using namespace sa::golden;

// A ResNet-20 with the weights torch::manual_seed(seed) draws, in eval mode.
ResNet20 SeededEvalModel(uint64_t seed, QuantConfig quant) {
  torch::manual_seed(seed);
  ResNet20 model(quant);
  model->eval();
  return model;
}

TEST(ResNet20, ShapesAndTheEighteenQuantizedConvs) {
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{4, 4});
  model->eval();
  torch::Tensor out = model->forward(torch::randn({2, 3, 32, 32}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10}));
  auto convs = model->QuantConvs();
  ASSERT_EQ(convs.size(), 18u);
  EXPECT_EQ(convs[0].first, "layer1.0.conv1");
  EXPECT_EQ(convs[17].first, "layer3.2.conv2");
  // Stage entries: layer2.0.conv1 is 16 -> 32 with stride 2, layer3.0.conv1 32 -> 64.
  EXPECT_EQ(convs[6].first, "layer2.0.conv1");
  EXPECT_EQ(convs[6].second->in_channels, 16);
  EXPECT_EQ(convs[6].second->out_channels, 32);
  EXPECT_EQ(convs[6].second->stride, 2);
  EXPECT_EQ(convs[12].second->in_channels, 32);
  EXPECT_EQ(convs[12].second->out_channels, 64);
  auto params = model->named_parameters();
  EXPECT_TRUE(params.contains("layer2.0.conv1.weight"));
  EXPECT_TRUE(params.contains("layer2.0.conv1.wgt_alpha"));
  EXPECT_TRUE(params.contains("layer3.2.conv2.act_alpha"));
  EXPECT_TRUE(params.contains("fc.weight"));
  EXPECT_EQ(params["layer1.0.conv1.wgt_alpha"].item<float>(), 3.0f);
  EXPECT_EQ(params["layer1.0.conv1.act_alpha"].item<float>(), 8.0f);
  // By hand: convs 432 + 6*2304 + 4608 + 5*9216 + 18432 + 5*36864 = 267696; batch norms
  // 2 * (16 + 6*16 + 6*32 + 6*64) = 1376; fc 650; plus 2 alphas for each of 18 convs.
  int64_t n = 0;
  for (auto& p : model->parameters()) n += p.numel();
  EXPECT_EQ(n, 267696 + 1376 + 650 + 36);
}

TEST(ResNet20, OptionAShortcutSubsamplesAndZeroPadsChannels) {
  torch::manual_seed(0);
  BasicBlock block(16, 32, 2, QuantConfig{4, 4});
  block->eval();
  // Zero the residual branch: output = relu(shortcut), which must be x[:, :, ::2, ::2] padded by
  // 8 zero channels on each side.
  torch::NoGradGuard no_grad;
  block->bn2->weight.zero_();
  block->bn2->bias.zero_();
  torch::Tensor x = torch::rand({1, 16, 8, 8});
  torch::Tensor y = block->forward(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 32, 4, 4}));
  EXPECT_TRUE(torch::equal(y.slice(1, 0, 8), torch::zeros({1, 8, 4, 4})));
  EXPECT_TRUE(torch::equal(y.slice(1, 8, 24), x.slice(2, 0, 8, 2).slice(3, 0, 8, 2)));
}

TEST(ResNet20, CpuForwardIsDeterministic) {
  ResNet20 a = SeededEvalModel(5, QuantConfig{2, 4});
  ResNet20 b = SeededEvalModel(5, QuantConfig{2, 4});
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::Tensor ya = a->forward(x), yb = b->forward(x), ya2 = a->forward(x);
  EXPECT_TRUE(torch::equal(ya, yb));
  EXPECT_TRUE(torch::equal(ya, ya2));
}

TEST(ResNet20, RejectsUnsupportedBitWidths) {
  EXPECT_THROW(ResNet20(QuantConfig{5, 4}), std::invalid_argument);
  EXPECT_THROW(ResNet20(QuantConfig{4, 3}), std::invalid_argument);
}

TEST(Data, BinaryReaderKeepsRecordOrderAndPlanarLayout) {
  const std::string dir = TempDir("bin");
  std::ofstream out(dir + "/test_batch.bin", std::ios::binary);
  for (int i = 0; i < 3; ++i) {
    out.put(static_cast<char>(9 - i));
    for (int p = 0; p < 3072; ++p)
      out.put(static_cast<char>(p / 1024 * 10 + i));  // R=i, G=10+i, B=20+i
  }
  out.close();
  Dataset d = LoadCifar10(dir, Split::kTest);
  ASSERT_EQ(d.size(), 3);
  EXPECT_EQ(d.labels[1].item<int64_t>(), 8);
  EXPECT_EQ(d.images[2][0][5][5].item<uint8_t>(), 2);
  EXPECT_EQ(d.images[2][1][0][0].item<uint8_t>(), 12);
  EXPECT_EQ(d.images[2][2][31][31].item<uint8_t>(), 22);
  fs::remove_all(dir);
}

TEST(Data, TruncatedBinaryIsRejectedWithItsName) {
  const std::string dir = TempDir("trunc");
  std::ofstream(dir + "/test_batch.bin", std::ios::binary) << std::string(3073 + 100, 'x');
  try {
    LoadCifar10(dir, Split::kTest);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("test_batch.bin: size 3173 is not a multiple of 3073"),
              std::string::npos);
  }
  EXPECT_THROW(LoadCifar10(dir + "/missing", Split::kTest), DataError);
  fs::remove_all(dir);
}

void WriteJpeg(const std::string& path, uint8_t r, uint8_t g, uint8_t b) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = 32;
  cinfo.image_height = 32;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 100, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(32 * 3);
  for (int x = 0; x < 32; ++x) {
    row[x * 3] = r;
    row[x * 3 + 1] = g;
    row[x * 3 + 2] = b;
  }
  while (cinfo.next_scanline < 32) {
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

TEST(Data, JpegTreeIndexOrderIsClassThenFileName) {
  const std::string dir = TempDir("jpeg");
  for (size_t c = 0; c < ClassNames().size(); ++c) {
    fs::create_directories(dir + "/test/" + ClassNames()[c]);
    for (int i = 0; i < 2; ++i)  // written in reverse name order on purpose
      WriteJpeg(dir + "/test/" + ClassNames()[c] + "/000" + std::to_string(1 - i) + ".jpg",
                static_cast<uint8_t>(c * 20), static_cast<uint8_t>(i ? 0 : 200), 100);
  }
  Dataset all = LoadCifar10(dir, Split::kTest);
  ASSERT_EQ(all.size(), 20);
  EXPECT_EQ(all.labels[3].item<int64_t>(), 1);
  // Index 3 = class 1, file 0001.jpg (written with i = 0: green 200); JPEG is lossy: +-3.
  EXPECT_NEAR(all.images[3][0][16][16].item<uint8_t>(), 20, 3);
  EXPECT_NEAR(all.images[3][1][16][16].item<uint8_t>(), 200, 3);
  Dataset some = LoadCifar10Images(dir, Split::kTest, {19, 2});
  EXPECT_EQ(some.labels[0].item<int64_t>(), 9);
  EXPECT_EQ(some.labels[1].item<int64_t>(), 1);
  EXPECT_TRUE(torch::equal(some.images[1], all.images[2]));
  Dataset limited = LoadCifar10(dir, Split::kTest, /*limit=*/10);
  EXPECT_EQ(limited.size(), 10);
  EXPECT_EQ(limited.labels[9].item<int64_t>(), 9) << "the limit keeps every class";
  std::ofstream(dir + "/test/cat/0002.jpg") << "not a jpeg";
  try {
    LoadCifar10(dir, Split::kTest);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cat/0002.jpg: corrupt JPEG"), std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

TEST(Data, AugmentCropsAndFlipsWithinThePaddedImage) {
  torch::Tensor img =
      torch::arange(3 * 32 * 32).reshape({1, 3, 32, 32}).remainder(251).to(torch::kUInt8);
  std::mt19937_64 rng(1);
  int exact = 0;
  for (int trial = 0; trial < 50; ++trial) {
    torch::Tensor out = Augment(img, rng);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
    // Every output is the padded image cropped at some offset, possibly mirrored.
    torch::Tensor padded = torch::constant_pad_nd(img, {4, 4, 4, 4}, 0);
    bool found = false;
    for (int dy = 0; dy <= 8 && !found; ++dy)
      for (int dx = 0; dx <= 8 && !found; ++dx) {
        torch::Tensor crop = padded.slice(2, dy, dy + 32).slice(3, dx, dx + 32);
        found = torch::equal(out, crop) || torch::equal(out, crop.flip({3}));
        exact += found && dy == 4 && dx == 4;
      }
    EXPECT_TRUE(found);
  }
  EXPECT_LT(exact, 25) << "augmentation should usually move the image";
}

// Cutout zeroes one axis-aligned square per image, at most 16 x 16, clipped at the border, every
// channel alike, and leaves every other value alone; over many draws it reaches the corners and
// the middle, and side 0 neither changes the images nor draws from the generator.
TEST(Data, CutoutZeroesOneClippedSquarePerImage) {
  const int64_t n = 400;
  torch::Tensor x = torch::rand({n, 3, 32, 32}) + 1;  // no zeros of its own
  torch::Tensor cut = x.clone();
  std::mt19937_64 rng(5);
  Cutout(cut, 16, rng);
  int full_squares = 0, clipped = 0;
  bool hit_corner = false, hit_middle = false;
  for (int64_t i = 0; i < n; ++i) {
    torch::Tensor zero = cut[i].eq(0);  // [3, 32, 32]
    ASSERT_TRUE(torch::equal(zero[0], zero[1]) && torch::equal(zero[0], zero[2]));
    torch::Tensor z = zero[0];
    ASSERT_TRUE(torch::equal(cut[i].masked_fill(zero, 0), x[i].masked_fill(zero, 0)))
        << "values outside the square must be untouched";
    const int64_t rows = z.any(1).sum().item<int64_t>(), cols = z.any(0).sum().item<int64_t>();
    ASSERT_GE(rows, 8) << "the centre lies inside the image, so at least half the side remains";
    ASSERT_LE(rows, 16);
    ASSERT_LE(cols, 16);
    EXPECT_EQ(z.sum().item<int64_t>(), rows * cols) << "a rectangle, image " << i;
    (rows == 16 && cols == 16 ? full_squares : clipped) += 1;
    hit_corner |= z[0][0].item<bool>() || z[31][31].item<bool>();
    hit_middle |= z[16][16].item<bool>();
  }
  EXPECT_GT(full_squares, 0);
  EXPECT_GT(clipped, 0);
  EXPECT_TRUE(hit_corner);
  EXPECT_TRUE(hit_middle);

  std::mt19937_64 a(9), b(9);
  torch::Tensor same = x.clone();
  Cutout(same, 0, a);
  EXPECT_TRUE(torch::equal(same, x));
  EXPECT_EQ(a(), b()) << "side 0 must not draw";
}

TEST(Checkpoint, MissingAndCorruptFilesNameTheFile) {
  const std::string dir = TempDir("ckpt");
  try {
    LoadCheckpoint(dir + "/none.pt");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("none.pt: no such checkpoint file"), std::string::npos);
  }
  std::ofstream(dir + "/bad.pt") << "garbage";
  try {
    LoadCheckpoint(dir + "/bad.pt");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt: not a readable checkpoint"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(Checkpoint, ANewCheckpointHasAnOrdinaryFilesMode) {
  // Written through a mkstemp file (0600) and renamed: it must still get 0666 & ~umask, as the
  // file a plain create would make, so that others in the group can read a shared run.
  const std::string dir = TempDir("ckpt_mode");
  const mode_t old_mask = ::umask(022);
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{4, 4});
  SaveCheckpoint(dir + "/m.pt", model, nullptr, {QuantConfig{4, 4}, 1});
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/m.pt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  fs::remove_all(dir);
}

// Two classes, worked by hand. Student logits (0, 0): p_s = (1/2, 1/2). Teacher logits
// (0, 2 ln 3) at T = 2: p_t = softmax(0, ln 3) = (1/4, 3/4). Label 0: CE = ln 2.
// KL(p_t || p_s) = 1/4 ln(1/2) + 3/4 ln(3/2).
TEST(Distillation, LossMatchesTheHandComputedValue) {
  torch::Tensor student = torch::zeros({1, 2});
  torch::Tensor teacher = torch::tensor({{0.0, 2 * std::log(3.0)}}, torch::kFloat32);
  torch::Tensor label = torch::tensor({0}, torch::kInt64);
  const double ce = std::log(2.0);
  const double kl = 0.25 * std::log(0.5) + 0.75 * std::log(1.5);
  for (double w : {0.0, 0.3, 0.9, 1.0}) {
    const double expected = (1 - w) * ce + w * 4 * kl;
    EXPECT_NEAR(DistillationLoss(student, teacher, label, w, /*temperature=*/2).item<double>(),
                expected, 1e-6)
        << "weight " << w;
  }
  // A teacher that agrees with the student adds nothing: only the label term is left.
  torch::Tensor logits = torch::tensor({{1.0, -2.0, 0.5}, {0.1, 0.2, 3.0}}, torch::kFloat32);
  torch::Tensor labels = torch::tensor({2, 0}, torch::kInt64);
  const double hand_ce =
      0.5 * (-std::log(std::exp(0.5) / (std::exp(1.0) + std::exp(-2.0) + std::exp(0.5))) -
             std::log(std::exp(0.1) / (std::exp(0.1) + std::exp(0.2) + std::exp(3.0))));
  EXPECT_NEAR(DistillationLoss(logits, logits, labels, 0.9, 4).item<double>(), 0.1 * hand_ce, 1e-6);
  // No teacher (undefined logits): the labels' term alone, at full weight.
  EXPECT_NEAR(DistillationLoss(logits, torch::Tensor(), labels, 0.9, 4).item<double>(), hand_ce,
              1e-6);
}

TEST(Distillation, GradientReachesOnlyTheStudent) {
  torch::Tensor student = torch::tensor({{0.3, -0.1, 0.8}}, torch::requires_grad());
  torch::Tensor teacher = torch::tensor({{1.0, 0.0, -1.0}}, torch::requires_grad());
  DistillationLoss(student, teacher, torch::tensor({1}, torch::kInt64), 0.5, 3).backward();
  ASSERT_TRUE(student.grad().defined());
  EXPECT_GT(student.grad().abs().sum().item<double>(), 0);
  EXPECT_FALSE(teacher.grad().defined());
}

// An ensemble teacher's soft targets are its members' mean logits: against the mean taken here
// in double, and one member alone is that member's own logits, bit for bit.
TEST(Distillation, EnsembleLogitsAreTheMembersMean) {
  ResNet20 a = SeededEvalModel(1, QuantConfig{4, 4});
  ResNet20 b = SeededEvalModel(2, QuantConfig{2, 4});
  torch::Tensor x = torch::randn({8, 3, 32, 32});
  torch::NoGradGuard no_grad;
  const torch::Tensor la = a->forward(x), lb = b->forward(x);
  std::vector<ResNet20> both = {a, b}, only_a = {a};
  const torch::Tensor mean = (la.to(torch::kDouble) + lb.to(torch::kDouble)) / 2;
  EXPECT_TRUE(torch::allclose(EnsembleLogits(both, x).to(torch::kDouble), mean, 0, 1e-5));
  EXPECT_TRUE(torch::equal(EnsembleLogits(only_a, x), la));
}

// One pass scores each member and the ensemble (the argmax of the mean logits). The labels are
// the mean's argmax except for the first 16 images, which take member a's: the three scores then
// differ, so that a member mixed up with another or with the ensemble shows.
TEST(Distillation, EnsembleAccuracyCountsEachMemberAndTheMeanLogitsArgmax) {
  ResNet20 a = SeededEvalModel(3, QuantConfig{4, 4});
  ResNet20 b = SeededEvalModel(4, QuantConfig{4, 4});
  Dataset d;
  d.images = torch::randint(0, 256, {64, 3, 32, 32}, torch::kUInt8);
  torch::Tensor la, lb;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor x = Normalize(d.images);
    la = a->forward(x).to(torch::kDouble);
    lb = b->forward(x).to(torch::kDouble);
  }
  const torch::Tensor mean = (la + lb) / 2;
  d.labels = mean.argmax(1);
  d.labels.narrow(0, 0, 16).copy_(la.argmax(1).narrow(0, 0, 16));
  auto percent = [&](const torch::Tensor& l) {
    return 100.0 * l.argmax(1).eq(d.labels).sum().item<int64_t>() / 64.0;
  };
  const double want_a = percent(la), want_b = percent(lb), want_mean = percent(mean);
  ASSERT_NE(want_a, want_b);
  ASSERT_NE(want_a, want_mean);
  ASSERT_NE(want_b, want_mean);
  std::vector<ResNet20> both = {a, b};
  const EnsembleAccuracy acc = EvaluateEnsemble(both, d, torch::kCPU, /*batch=*/24);
  ASSERT_EQ(acc.members.size(), 2u);
  EXPECT_DOUBLE_EQ(acc.members[0], want_a);
  EXPECT_DOUBLE_EQ(acc.members[1], want_b);
  EXPECT_DOUBLE_EQ(acc.ensemble, want_mean);
  EXPECT_DOUBLE_EQ(Evaluate(b, d, torch::kCPU), want_b);
}

// A checkpoint whose every floating parameter and buffer is `value` and whose batch norms have
// tracked `batches` batches.
std::string ConstantCheckpoint(const std::string& path, float value, int64_t batches,
                               QuantConfig quant = QuantConfig{4, 4}) {
  ResNet20 model(quant);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) p.value().fill_(value);
  for (auto& b : model->named_buffers())
    b.value().fill_(b.value().is_floating_point() ? value : static_cast<float>(batches));
  SaveCheckpoint(path, model, nullptr, {quant, batches});
  return path;
}

// Parameters 1, 2 and 6 average to 3, exactly; the batch counter is the last checkpoint's.
TEST(WeightAveraging, ParametersAreTheMeanAndCountersTheLastCheckpoints) {
  const std::string dir = TempDir("average");
  const std::vector<std::string> paths = {ConstantCheckpoint(dir + "/a.pt", 1, 5),
                                          ConstantCheckpoint(dir + "/b.pt", 2, 7),
                                          ConstantCheckpoint(dir + "/c.pt", 6, 9)};
  CheckpointMeta meta;
  ResNet20 mean = AverageCheckpoints(paths, &meta);
  EXPECT_EQ(meta.epochs_done, 9);
  size_t checked = 0;
  for (auto& p : mean->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), torch::full_like(p.value(), 3))) << p.key();
    ++checked;
  }
  // 18 quantized convs (weight and two alphas), conv1, 19 batch norms (weight, bias), fc.
  EXPECT_EQ(checked, 18u * 3 + 1 + 19 * 2 + 2);
  for (auto& b : mean->named_buffers()) {
    const float want = b.value().is_floating_point() ? 3.0f : 9.0f;
    EXPECT_TRUE(torch::equal(b.value(), torch::full_like(b.value(), want))) << b.key();
  }
  // One checkpoint averages to itself.
  ResNet20 one = AverageCheckpoints({paths[1]});
  for (auto& p : one->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), torch::full_like(p.value(), 2))) << p.key();
  fs::remove_all(dir);
}

TEST(WeightAveraging, CheckpointsOfOtherBitWidthsAreRefusedByName) {
  const std::string dir = TempDir("average_bits");
  const std::string a = ConstantCheckpoint(dir + "/a.pt", 1, 1);
  const std::string b = ConstantCheckpoint(dir + "/w2.pt", 1, 1, QuantConfig{2, 4});
  try {
    AverageCheckpoints({a, b});
    FAIL() << "averaged a w4a4 and a w2a4 checkpoint";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w2.pt: w2 a4, but"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// The first batch norm normalizes conv1's output; its recomputed statistics are the per-channel
// mean of the batch means and of the unbiased batch variances of that output. The images come
// class by class, as the data set stores them (80 dark, then 80 bright): the pass must draw its
// four batches of 40 across both, so that the variance is that of all 160 images (to sampling
// error), not the far smaller within-group variance that in-order batches would give. Both are
// computed here from conv1 directly.
TEST(WeightAveraging, BatchNormStatisticsAreTheAverageOverShuffledBatches) {
  ResNet20 model = SeededEvalModel(5, QuantConfig{4, 4});
  torch::Tensor images = torch::cat({torch::randint(0, 100, {80, 3, 32, 32}, torch::kUInt8),
                                     torch::randint(150, 256, {80, 3, 32, 32}, torch::kUInt8)});
  std::vector<torch::Tensor> before;
  for (auto& p : model->parameters()) before.push_back(p.clone());
  torch::Tensor z;
  {
    torch::NoGradGuard no_grad;
    z = model->conv1->forward(Normalize(images)).to(torch::kDouble);
  }
  auto channel_var = [](const torch::Tensor& t) {
    return t.var({0, 2, 3}, /*unbiased=*/true, /*keepdim=*/false);
  };
  // Equal batches: the mean of their means is the mean of all images, whatever the partition.
  const torch::Tensor want_mean = z.mean({0, 2, 3});
  const torch::Tensor want_var = channel_var(z);
  const torch::Tensor within_var =
      (channel_var(z.narrow(0, 0, 80)) + channel_var(z.narrow(0, 80, 80))) / 2;
  // Precondition: in-order batches would miss the variance of some channel by far more than the
  // tolerance below, so that the check can tell the two apart.
  ASSERT_GT(((within_var - want_var).abs() / want_var).max().item<double>(), 0.3)
      << "in-order batches must show";

  RecomputeBatchNormStatistics(model, images, torch::kCPU,
                               BatchNormPass{/*batch=*/40, /*augment=*/false, /*cutout=*/0});
  EXPECT_TRUE(torch::allclose(model->bn1->running_mean.to(torch::kDouble), want_mean, 1e-4, 1e-5));
  const double worst = ((model->bn1->running_var.to(torch::kDouble) - want_var).abs() / want_var)
                           .max()
                           .item<double>();
  EXPECT_LT(worst, 0.1) << "running variance off the variance of all images by " << worst;
  EXPECT_EQ(model->bn1->num_batches_tracked.item<int64_t>(), 4);
  EXPECT_FALSE(model->is_training());
  EXPECT_EQ(model->bn1->options.momentum(), c10::optional<double>(0.1)) << "momentum restored";
  size_t i = 0;
  for (auto& p : model->parameters()) EXPECT_TRUE(torch::equal(p, before[i++]));
  // A later batch norm saw statistics too (not its initial 0 and 1).
  EXPECT_GT(model->blocks.back()->bn2->running_mean.abs().sum().item<double>(), 0);
}

// `average --bn-stats mean` (a model soup of sibling runs) keeps the mean of the checkpoints' own
// running statistics; the default recomputes them. Two seeded models with random statistics,
// their mean taken here in double, and a CIFAR-10 binary folder of 20 images per file.
TEST(WeightAveraging, MeanStatisticsOptionKeepsTheCheckpointsOwn) {
  const std::string dir = TempDir("average_bn_mean");
  std::vector<ResNet20> models = {SeededEvalModel(21, QuantConfig{4, 4}),
                                  SeededEvalModel(22, QuantConfig{4, 4})};
  for (size_t m = 0; m < models.size(); ++m) {
    torch::NoGradGuard no_grad;
    for (auto& b : models[m]->named_buffers())
      if (b.value().is_floating_point()) b.value().uniform_(0.5, 1.5);
    SaveCheckpoint(dir + "/" + std::to_string(m) + ".pt", models[m], nullptr, {{4, 4}, 3});
  }
  sa::testing::WriteFakeBinaryCifar(dir, 20);
  const std::string cmd = std::string(SA_GOLDEN_EXE) + " average --checkpoint " + dir +
                          "/0.pt --checkpoint " + dir + "/1.pt --data " + dir;
  auto [rc, out] = sa::testing::RunCommand(cmd + " --bn-stats mean --out " + dir + "/mean.pt");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("batch-norm statistics the mean of the checkpoints' running statistics"),
            std::string::npos)
      << out;
  auto [rc2, out2] = sa::testing::RunCommand(cmd + " --out " + dir + "/recomputed.pt");
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("from 100 training images"), std::string::npos) << out2;

  ResNet20 mean = LoadCheckpoint(dir + "/mean.pt");
  ResNet20 recomputed = LoadCheckpoint(dir + "/recomputed.pt");
  auto a = models[0]->named_buffers(), b = models[1]->named_buffers();
  auto r = recomputed->named_buffers();
  int checked = 0, recomputed_differs = 0;
  for (auto& buf : mean->named_buffers()) {
    if (!buf.value().is_floating_point()) continue;
    const torch::Tensor want =
        ((a[buf.key()].to(torch::kDouble) + b[buf.key()].to(torch::kDouble)) / 2).to(torch::kFloat);
    EXPECT_TRUE(torch::equal(buf.value(), want)) << buf.key();
    recomputed_differs += !torch::allclose(r[buf.key()], want, 1e-3, 0);
    ++checked;
  }
  EXPECT_EQ(checked, 19 * 2) << "running mean and variance of 19 batch norms";
  EXPECT_EQ(recomputed_differs, checked) << "the default must recompute every statistic";
  fs::remove_all(dir);
}

}  // namespace
