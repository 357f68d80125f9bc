// The fused training kernels (golden/quant_conv.h) against the reference ops of quant.cc: the
// same float values forward, the same gradients backward (fp32), close ones (bf16).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <tuple>

#include "golden/int8_conv.h"
#include "golden/model.h"
#include "golden/quant.h"
#include "golden/quant_conv.h"

namespace {
using namespace sa::golden;

// Bit patterns equal, element by element (NaN-safe, distinguishes -0 from 0).
::testing::AssertionResult BitIdentical(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << "sizes differ";
  torch::Tensor ca = a.contiguous(), cb = b.contiguous();
  const auto* pa = reinterpret_cast<const uint32_t*>(ca.data_ptr<float>());
  const auto* pb = reinterpret_cast<const uint32_t*>(cb.data_ptr<float>());
  for (int64_t i = 0; i < ca.numel(); ++i)
    if (pa[i] != pb[i]) {
      float fa, fb;
      std::memcpy(&fa, pa + i, 4);
      std::memcpy(&fb, pb + i, 4);
      return ::testing::AssertionFailure() << "element " << i << ": " << fa << " vs " << fb;
    }
  return ::testing::AssertionSuccess();
}

double RelErr(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).norm().item<double>() / std::max(1e-30, want.norm().item<double>());
}

// Activations that exercise every branch: negatives, zeros, values above the clip, and many
// sitting exactly on a rounding tie of the quantizer (x = alpha * (k + 0.5) / M) or one ulp off.
torch::Tensor HardActivations(std::vector<int64_t> shape, float alpha, int64_t bits) {
  torch::manual_seed(7);
  torch::Tensor x = torch::rand(shape) * (3 * alpha) - 0.5 * alpha;
  const auto m = static_cast<double>(ActLevels(bits));
  torch::Tensor k = torch::randint(0, ActLevels(bits), shape).to(torch::kFloat);
  torch::Tensor ties = (k + 0.5) * (alpha / m);
  torch::Tensor pick = torch::rand(shape);
  x = torch::where(pick < 0.2, ties, x);
  x = torch::where((pick >= 0.2) & (pick < 0.3), torch::nextafter(ties, ties + 1), x);
  x = torch::where((pick >= 0.3) & (pick < 0.35), torch::zeros_like(x), x);
  return x;
}

class FusedActQuantTest
    : public ::testing::TestWithParam<std::tuple<int64_t, bool /*channels_last*/>> {};

TEST_P(FusedActQuantTest, BitIdenticalToQuantizeAct) {
  const auto [bits, channels_last] = GetParam();
  const float alpha = 2.7f;
  // 3 x 16 x 41 x 43 = 84,624 elements: several parallel chunks and a ragged SIMD tail.
  torch::Tensor x = HardActivations({3, 16, 41, 43}, alpha, bits);
  if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  torch::Tensor a = torch::tensor(alpha);
  torch::Tensor want = QuantizeAct(x, a, bits).detach();
  torch::Tensor got = FusedActQuant(x, a, bits);
  EXPECT_EQ(got.suggest_memory_format(), x.suggest_memory_format());
  EXPECT_TRUE(BitIdentical(got, want));
  // Not vacuous: many elements sit on ties, where half-away rounding would differ.
  const auto m = static_cast<double>(ActLevels(bits));
  torch::Tensor half_away =
      (torch::sign(x / a) * torch::floor((x / a).clamp_max(1).abs() * m + 0.5));
  EXPECT_GT(half_away.ne(ActToInt(x, a, bits)).sum().item<int64_t>(), 1000);
}

INSTANTIATE_TEST_SUITE_P(BitsAndLayouts, FusedActQuantTest,
                         ::testing::Combine(::testing::Values(2, 4, 8), ::testing::Bool()));

struct ConvCase {
  int64_t cin, cout, size, stride, wgt_bits, act_bits = 4;
};
void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.cin << "->" << c.cout << " " << c.size << "x" << c.size << " stride " << c.stride << " w"
      << c.wgt_bits << "_a" << c.act_bits;
}

// One quantized conv through the reference ops (autograd of quant.cc) and through
// QuantConvTrain, with leaf inputs; returns {out, grad_x, grad_w, grad_act_alpha, grad_wgt_alpha}.
std::vector<torch::Tensor> RunConv(const ConvCase& c, TrainKernels kernels, bool channels_last,
                                   bool after_relu = false, bool relu_input = false) {
  torch::manual_seed(3);
  torch::Tensor x = HardActivations({4, c.cin, c.size, c.size}, 2.0f, c.act_bits);
  if (after_relu) x = x.clamp_min(0);
  if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  x.requires_grad_(true);
  torch::Tensor w = torch::randn({c.cout, c.cin, 3, 3}).requires_grad_(true);
  torch::Tensor act_alpha = torch::tensor(2.0f).requires_grad_(true);
  torch::Tensor wgt_alpha = torch::tensor(1.7f).requires_grad_(true);
  torch::Tensor out;
  if (kernels == TrainKernels::kReference) {
    out = torch::conv2d(QuantizeAct(relu_input ? torch::relu(x) : x, act_alpha, c.act_bits),
                        QuantizeWeight(NormalizeWeight(w), wgt_alpha, c.wgt_bits),
                        /*bias=*/{}, c.stride, /*padding=*/1);
  } else {
    out = QuantConvTrain(x, w, act_alpha, wgt_alpha, c.act_bits, c.wgt_bits, c.stride,
                         /*padding=*/1, kernels, relu_input);
  }
  torch::manual_seed(5);
  torch::Tensor upstream = torch::randn(out.sizes());
  out.backward(upstream);
  return {out.detach(), x.grad(), w.grad(), act_alpha.grad(), wgt_alpha.grad()};
}

class QuantConvTrainTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(QuantConvTrainTest, Fp32MatchesTheReferenceOps) {
  const auto want = RunConv(GetParam(), TrainKernels::kReference, /*channels_last=*/false);
  const auto got = RunConv(GetParam(), TrainKernels::kFp32, /*channels_last=*/false);
  // Same conv on the same quantized values: the output and the element-wise gradients are the
  // same floats; the alpha gradients are sums taken in another order.
  EXPECT_TRUE(BitIdentical(got[0], want[0]));
  EXPECT_TRUE(BitIdentical(got[1], want[1]));
  EXPECT_TRUE(BitIdentical(got[2], want[2]));
  EXPECT_NEAR(got[3].item<double>(), want[3].item<double>(),
              1e-5 * std::abs(want[3].item<double>()) + 1e-6);
  EXPECT_NEAR(got[4].item<double>(), want[4].item<double>(),
              1e-5 * std::abs(want[4].item<double>()) + 1e-6);
}

TEST_P(QuantConvTrainTest, ChannelsLastMatchesUpToSummationOrder) {
  const auto want = RunConv(GetParam(), TrainKernels::kReference, false);
  const auto got = RunConv(GetParam(), TrainKernels::kFp32, /*channels_last=*/true);
  EXPECT_EQ(got[0].suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  for (int i = 0; i < 5; ++i) EXPECT_LT(RelErr(got[i], want[i]), 1e-5) << "result " << i;
}

TEST_P(QuantConvTrainTest, Bf16KeepsTheForwardAndBendsGradientsByBf16Rounding) {
  if (!CpuHasBf16()) GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  const auto want = RunConv(GetParam(), TrainKernels::kFp32, true);
  const auto got = RunConv(GetParam(), TrainKernels::kBf16, true);
  EXPECT_TRUE(BitIdentical(got[0], want[0]));  // the forward stays float32
  // bf16 keeps 8 significant bits: the upstream gradient and the conv's outputs are rounded to
  // 2^-9 relative each, the integers are exact. The alpha gradients are sums of terms of both
  // signs, so their relative error is larger.
  for (int i = 1; i < 3; ++i) EXPECT_LT(RelErr(got[i], want[i]), 1e-2) << "result " << i;
  for (int i = 3; i < 5; ++i) EXPECT_LT(RelErr(got[i], want[i]), 5e-2) << "result " << i;
  // A scale slip (alpha / levels applied to the wrong side) would be off by far more.
  for (int i = 1; i < 5; ++i) EXPECT_GT(RelErr(got[i], want[i]), 0) << "result " << i;
}

bool CpuHasInt8() { return CpuHasBf16() && CpuHasVnni(); }

TEST_P(QuantConvTrainTest, FoldedReluMatchesReluThenQuantize) {
  const auto want = RunConv(GetParam(), TrainKernels::kReference, false, false, /*relu=*/true);
  const auto got = RunConv(GetParam(), TrainKernels::kFp32, false, false, /*relu=*/true);
  EXPECT_TRUE(BitIdentical(got[0], want[0]));
  EXPECT_TRUE(BitIdentical(got[1], want[1]));  // ReLU's and the quantizer's masks, both
  EXPECT_TRUE(BitIdentical(got[2], want[2]));
  for (int i = 3; i < 5; ++i)
    EXPECT_NEAR(got[i].item<double>(), want[i].item<double>(),
                1e-5 * std::abs(want[i].item<double>()) + 1e-6);
  if (!CpuHasInt8()) return;
  // After the folded ReLU every integer fits u8, so int8 takes its integer conv here.
  const auto int8 = RunConv(GetParam(), TrainKernels::kInt8, true, false, /*relu=*/true);
  EXPECT_LT(RelErr(int8[0], want[0]), 1e-5);
  // The folded ReLU's backward in bf16: within bf16 rounding of the fp32 one.
  const auto fp32 = RunConv(GetParam(), TrainKernels::kFp32, true, false, /*relu=*/true);
  const auto bf16 = RunConv(GetParam(), TrainKernels::kBf16, true, false, /*relu=*/true);
  for (int i = 1; i < 3; ++i) EXPECT_LT(RelErr(bf16[i], fp32[i]), 1e-2) << "result " << i;
}

TEST_P(QuantConvTrainTest, Int8ForwardIsTheExactIntegerSumScaled) {
  if (!CpuHasInt8()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI or BF16";
  const ConvCase& c = GetParam();
  const auto got = RunConv(c, TrainKernels::kInt8, true, /*after_relu=*/true);
  const auto bf16 = RunConv(c, TrainKernels::kBf16, true, /*after_relu=*/true);
  // Independent: the integers' convolution in double (exact), then the one float scale. The
  // same x and w as RunConv's (HardActivations seeds the generator; w is drawn right after).
  torch::Tensor x = HardActivations({4, c.cin, c.size, c.size}, 2.0f, c.act_bits).clamp_min(0);
  torch::Tensor w = torch::randn({c.cout, c.cin, 3, 3});
  torch::Tensor act_alpha = torch::tensor(2.0f), wgt_alpha = torch::tensor(1.7f);
  torch::Tensor sums = torch::conv2d(
      ActToInt(x, act_alpha, c.act_bits).to(torch::kDouble),
      WeightToInt(NormalizeWeight(w), wgt_alpha, c.wgt_bits).to(torch::kDouble), {}, c.stride, 1);
  const float scale = (2.0f / static_cast<float>(ActLevels(c.act_bits))) *
                      (1.7f / static_cast<float>(WeightLevels(c.wgt_bits)));
  EXPECT_TRUE(BitIdentical(got[0], sums.to(torch::kFloat) * scale));
  EXPECT_LT(RelErr(got[0], bf16[0]), 1e-5);  // and the float32 conv of the quantized values
  // The backward is bf16's, on the same integers.
  for (int i = 1; i < 5; ++i) EXPECT_TRUE(BitIdentical(got[i], bf16[i])) << "result " << i;
}

TEST_P(QuantConvTrainTest, Int8FallsBackToFloatWhereIntegersAreNegative) {
  if (!CpuHasInt8()) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI or BF16";
  // HardActivations has negatives (the quantizer keeps them): u8 cannot hold them.
  const auto got = RunConv(GetParam(), TrainKernels::kInt8, true);
  const auto bf16 = RunConv(GetParam(), TrainKernels::kBf16, true);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(BitIdentical(got[i], bf16[i])) << "result " << i;
}

TEST(Int8Conv2d, SumsExactlyInBothLayouts) {
  if (!CpuHasVnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  torch::manual_seed(9);
  // 8-bit extremes: image 0 all 255 and filter 0 all 127 give interior sums of
  // 255 x 127 x 32 x 9 = 9.3 M (< 2^24, exact in float), far beyond 16-bit pair sums.
  torch::Tensor x = torch::randint(0, 256, {2, 32, 9, 9}).to(torch::kByte);
  torch::Tensor w = torch::randint(-127, 128, {32, 32, 3, 3}).to(torch::kChar);
  x.index_put_({0}, 255);
  w.index_put_({0}, 127);
  for (bool channels_last : {false, true}) {
    torch::Tensor xi = channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
    for (int64_t stride : {1, 2}) {
      torch::Tensor want = torch::conv2d(x.to(torch::kDouble), w.to(torch::kDouble), {}, stride, 1);
      torch::Tensor got = Int8Conv2d(xi, w, stride, /*padding=*/1);
      EXPECT_TRUE(torch::equal(got.to(torch::kDouble), want))
          << "channels_last " << channels_last << " stride " << stride;
      EXPECT_EQ(got.suggest_memory_format(), xi.suggest_memory_format());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, QuantConvTrainTest,
                         ::testing::Values(ConvCase{16, 16, 12, 1, 4}, ConvCase{16, 32, 12, 2, 4},
                                           ConvCase{32, 32, 8, 1, 2}, ConvCase{16, 16, 10, 1, 3},
                                           // 8 bits: u8 up to 255, s8 up to +-127
                                           ConvCase{16, 16, 10, 1, 8, 8}));

// Copies of one freshly initialized model, one per kernel choice: reference, fp32, bf16, and
// int8 where the CPU runs it.
std::vector<ResNet20> ModelCopies() {
  torch::manual_seed(1);
  std::vector<ResNet20> models;
  std::vector<TrainKernels> choices = {TrainKernels::kReference, TrainKernels::kFp32,
                                       TrainKernels::kBf16};
  if (CpuHasInt8()) choices.push_back(TrainKernels::kInt8);
  for (auto kernels : choices) {
    models.emplace_back(QuantConfig{4, 4});
    models.back()->SetTrainKernels(kernels);
  }
  torch::NoGradGuard no_grad;
  for (size_t m = 1; m < models.size(); ++m) {
    auto src = models[0]->parameters();
    auto dst = models[m]->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  return models;
}

TEST(TrainKernels, Bf16AndFp32ModelsShareTheForwardAndNearlyTheGradients) {
  if (!CpuHasBf16()) GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  auto models = ModelCopies();
  torch::manual_seed(2);  // the same batch however many models were built
  torch::Tensor x = torch::randn({8, 3, 32, 32});
  torch::Tensor y = torch::randint(0, 10, {8});
  std::vector<torch::Tensor> losses;
  for (auto& m : models) {
    m->train();
    losses.push_back(torch::cross_entropy_loss(m->forward(x), y));
    losses.back().backward();
  }
  // fp32 and bf16 run the same float32 forward in the same layout: the same loss, bit for bit.
  EXPECT_TRUE(BitIdentical(losses[2].detach(), losses[1].detach()));
  // The reference runs NCHW; channels-last sums in another order, and over 18 quantized layers
  // of a random network an ulp now and then moves an activation across a rounding tie, so only
  // a close loss (a few per cent here; a wrong scale or mask would be far off).
  EXPECT_NEAR(losses[1].item<double>(), losses[0].item<double>(), 5e-2 * losses[0].item<double>());
  if (losses.size() > 3)  // int8: exact integer sums, scaled once; close like channels-last
    EXPECT_NEAR(losses[3].item<double>(), losses[1].item<double>(),
                5e-2 * losses[1].item<double>());
  // Same forward: the gradients differ by bf16 rounding only, carried back through 18 layers
  // (measured: under 1 % per weight tensor). The alphas' gradients are sums of terms of both
  // signs, so each alone may move more; together they stay close.
  const auto g32 = models[1]->parameters(), g16 = models[2]->parameters();
  std::vector<torch::Tensor> alpha32, alpha16;
  for (size_t i = 0; i < g32.size(); ++i) {
    if (g32[i].dim() > 0) {
      EXPECT_LT(RelErr(g16[i].grad(), g32[i].grad()), 3e-2) << "parameter " << i;
    } else {
      alpha32.push_back(g32[i].grad().reshape({1}));
      alpha16.push_back(g16[i].grad().reshape({1}));
    }
  }
  EXPECT_LT(RelErr(torch::cat(alpha16), torch::cat(alpha32)), 5e-2);
}

TEST(TrainKernels, EvaluationNeverTakesThem) {
  auto models = ModelCopies();
  torch::Tensor x = torch::randn({8, 3, 32, 32});
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> logits;
  for (auto& m : models) {
    m->eval();
    logits.push_back(m->forward(x));
  }
  for (size_t m = 1; m < logits.size(); ++m)
    EXPECT_TRUE(BitIdentical(logits[m], logits[0])) << "model " << m;
}

// A distillation teacher runs the kernels in eval mode: its logits stay close to Evaluate's
// (exact or reordered sums; a near-tie integer may flip), and setting it touches no other model.
TEST(TrainKernels, TeacherKernelsInEvalAreCloseToTheReference) {
  auto models = ModelCopies();
  torch::Tensor x = torch::randn({8, 3, 32, 32});
  torch::NoGradGuard no_grad;
  models[0]->eval();
  torch::Tensor reference = models[0]->forward(x);
  for (size_t m = 1; m < models.size(); ++m) {
    models[m]->eval();
    EXPECT_TRUE(BitIdentical(models[m]->forward(x), reference)) << "model " << m;
    models[m]->SetTeacherKernels(models[m]->QuantConvs()[0].second->train_kernels);
    torch::Tensor teacher = models[m]->forward(x);
    EXPECT_FALSE(teacher.requires_grad());
    EXPECT_TRUE(torch::allclose(teacher, reference, /*rtol=*/1e-3, /*atol=*/1e-3))
        << "model " << m << ": max diff " << (teacher - reference).abs().max().item<float>();
    // The int8 kernels' exact sums round differently from the float conv: proof they ran.
    if (models[m]->QuantConvs()[0].second->train_kernels == TrainKernels::kInt8)
      EXPECT_FALSE(BitIdentical(teacher, reference));
  }
}

TEST(TrainKernels, ParsesTheFlagAndRefusesOthers) {
  EXPECT_EQ(ParseTrainKernels("reference"), TrainKernels::kReference);
  EXPECT_EQ(ParseTrainKernels("fp32"), TrainKernels::kFp32);
  if (CpuHasBf16())
    EXPECT_EQ(ParseTrainKernels("bf16"), TrainKernels::kBf16);
  else
    EXPECT_THROW(ParseTrainKernels("bf16"), std::invalid_argument);
  EXPECT_EQ(ParseTrainKernels("auto"), CpuHasInt8()   ? TrainKernels::kInt8
                                       : CpuHasBf16() ? TrainKernels::kBf16
                                                      : TrainKernels::kFp32);
  if (CpuHasInt8())
    EXPECT_EQ(ParseTrainKernels("int8"), TrainKernels::kInt8);
  else
    EXPECT_THROW(ParseTrainKernels("int8"), std::invalid_argument);
  EXPECT_THROW(ParseTrainKernels("fp16"), std::invalid_argument);
}

}  // namespace
