// Quantizer tests: hand-computed integers (rounding ties, clamp edges), the straight-through
// gradients, and alpha gradients against finite differences of an independent surrogate.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden/quant.h"

namespace {
using namespace sa::golden;

torch::Tensor T(std::vector<float> v) { return torch::tensor(v); }
std::vector<float> V(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kFloat32);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(Levels, MatchTheBitWidths) {
  EXPECT_EQ(WeightLevels(4), 7);
  EXPECT_EQ(WeightLevels(2), 1);
  EXPECT_EQ(WeightLevels(8), 127);
  EXPECT_EQ(ActLevels(4), 15);
  EXPECT_EQ(ActLevels(2), 3);
}

TEST(WeightToInt, FourBitHandCases) {
  // alpha 2, L 7: u = w/2; 0.5*7 = 3.5 rounds to 4 (tie); u 1 and beyond clamp to 7.
  auto got = V(WeightToInt(T({0, 1, -1, 2, 3, -5, 0.25f, -0.25f, 0.6f}), torch::tensor(2.0f), 4));
  // 0.6/2*7 = 2.1 -> 2; 0.25/2*7 = 0.875 -> 1
  EXPECT_EQ(got, (std::vector<float>{0, 4, -4, 7, 7, -7, 1, -1, 2}));
}

TEST(WeightToInt, TwoBitTiesRoundToEven) {
  // L 1: u 0.5 is a tie and rounds to 0 (half-to-even), not 1 (half-up); 0.75 rounds to 1.
  auto got = V(WeightToInt(T({0.5f, -0.5f, 0.75f, -2, 0.25f, 1}), torch::tensor(1.0f), 2));
  EXPECT_EQ(got, (std::vector<float>{0, 0, 1, -1, 0, 1}));
}

TEST(ActToInt, FourBitHandCases) {
  // alpha 8, M 15: x 4 -> u 0.5 -> 7.5 -> 8 (tie to even); x >= 8 clamps to 15.
  auto got = V(ActToInt(T({0, 4, 8, 100, 2, 1, 0.25f, 7.9f}), torch::tensor(8.0f), 4));
  // 2 -> 3.75 -> 4; 1 -> 1.875 -> 2; 0.25 -> 0.46875 -> 0; 7.9 -> 14.8125 -> 15
  EXPECT_EQ(got, (std::vector<float>{0, 8, 15, 15, 4, 2, 0, 15}));
}

TEST(ActToInt, TwoBitTiesRoundToEven) {
  // M 3, alpha 2: x 1 -> u 0.5 -> 1.5 -> 2 (even); x 0.5 -> 0.75 -> 1
  auto got = V(ActToInt(T({1, 0.5f, 3}), torch::tensor(2.0f), 2));
  EXPECT_EQ(got, (std::vector<float>{2, 1, 3}));
}

TEST(CountNearTies, CountsWithinTheRelativeMargin) {
  // Ties at k + 0.5; margin 1e-5 relative: 7.5 +- 7.5e-5, 1.5 +- 1.5e-5. By hand: 7.5, 7.50007,
  // 1.5 and 1.49999 are near; 7.5001 (1e-4 off), 3, 0 (tie 0.5 is 0.5 off) and 15 are not.
  torch::Tensor v = T({7.5f, 7.50007f, 7.5001f, 1.5f, 1.49999f, 3.0f, 0.0f, 15.0f});
  EXPECT_EQ(CountNearTies(v, 1e-5), 4);
  EXPECT_EQ(CountNearTies(v, 1e-3), 5);  // 7.5001 joins
}

TEST(Quantize, ScaledValuesAreWhatTheIntegersRound) {
  // alpha 8, M 15: x 4 -> 7.5 (a tie); weights alpha 2, L 7: w -1 -> |u| 0.5 -> 3.5.
  EXPECT_EQ(V(ActScaled(T({4, 100, 0}), torch::tensor(8.0f), 4)),
            (std::vector<float>{7.5f, 15, 0}));
  EXPECT_EQ(V(WeightScaled(T({-1, 5}), torch::tensor(2.0f), 4)), (std::vector<float>{3.5f, 7}));
  EXPECT_EQ(CountNearTies(ActScaled(T({4, 100, 0}), torch::tensor(8.0f), 4)), 1);
}

TEST(Quantize, FloatValueIsTheNotebooksIntOverLevelsTimesAlpha) {
  // alpha 3: act 1/15 and weight 1/7 are where the two float orders part (by hand, float32:
  // (1/15)*3 = 0.20000002 but 1*(3/15) = 0.2; (1/7)*3 = 0.42857146 but 1*(3/7) = 0.42857143).
  // The notebook computes (round(u * L) / L) * alpha.
  const float alpha = 3.0f;
  const float act_notebook = (1.0f / 15.0f) * alpha;
  const float wgt_notebook = (1.0f / 7.0f) * alpha;
  ASSERT_NE(act_notebook, 1.0f * (alpha / 15.0f));
  ASSERT_NE(wgt_notebook, 1.0f * (alpha / 7.0f));
  // x = 0.2 -> u = 0.0667 -> 1.0 exactly on level 1; w = 0.43 -> u = 0.143 -> 1.0 -> level 1.
  EXPECT_EQ(V(QuantizeAct(T({0.2f}), torch::tensor(alpha), 4)), std::vector<float>{act_notebook});
  EXPECT_EQ(V(QuantizeWeight(T({0.43f, -0.43f}), torch::tensor(alpha), 4)),
            (std::vector<float>{wgt_notebook, -wgt_notebook}));
}

TEST(Quantize, StraightThroughGradients) {
  // Weights: gradient passes everywhere (also where clamped). Activations: zero above alpha.
  torch::Tensor w = T({0.5f, 5, -5}).requires_grad_(true);
  torch::Tensor wa = torch::tensor(2.0f).requires_grad_(true);
  (QuantizeWeight(w, wa, 4) * T({1, 2, 3})).sum().backward();
  EXPECT_EQ(V(w.grad()), (std::vector<float>{1, 2, 3}));
  torch::Tensor x = T({1, 7.99f, 8.01f, 20}).requires_grad_(true);
  torch::Tensor xa = torch::tensor(8.0f).requires_grad_(true);
  (QuantizeAct(x, xa, 4) * T({1, 2, 3, 4})).sum().backward();
  EXPECT_EQ(V(x.grad()), (std::vector<float>{1, 2, 0, 0}));
}

// The alpha gradient is that of the straight-through surrogate S(alpha) = alpha *
// (q0 - c(u0) + c(x/alpha)), c = clamp, with q0 and u0 frozen at alpha0: a different formula
// from the backward pass, differentiated numerically.
double SurrogateLoss(const torch::Tensor& x, const torch::Tensor& g, const torch::Tensor& q0,
                     const torch::Tensor& c0, double alpha, bool weights) {
  torch::Tensor c = weights ? (x / alpha).clamp(-1, 1) : (x / alpha).clamp_max(1);
  return (g * alpha * (q0 - c0 + c)).sum().item<double>();
}

void CheckAlphaGradient(bool weights, int64_t bits) {
  torch::manual_seed(3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const double alpha0 = weights ? 1.7 : 6.3;
  torch::Tensor x = weights ? torch::randn({400}, opts) * 1.5 : torch::rand({400}, opts) * 9;
  torch::Tensor g = torch::randn({400}, opts);
  torch::Tensor alpha = torch::tensor(alpha0, opts).requires_grad_(true);
  torch::Tensor xx = x.clone().requires_grad_(true);
  torch::Tensor q = weights ? QuantizeWeight(xx, alpha, bits) : QuantizeAct(xx, alpha, bits);
  (q * g).sum().backward();
  const double levels = static_cast<double>(weights ? WeightLevels(bits) : ActLevels(bits));
  torch::Tensor ints = weights ? WeightToInt(x, torch::tensor(alpha0, opts), bits)
                               : ActToInt(x, torch::tensor(alpha0, opts), bits);
  torch::Tensor q0 = ints / levels;
  torch::Tensor c0 = weights ? (x / alpha0).clamp(-1, 1) : (x / alpha0).clamp_max(1);
  const double h = 1e-6;
  const double fd = (SurrogateLoss(x, g, q0, c0, alpha0 + h, weights) -
                     SurrogateLoss(x, g, q0, c0, alpha0 - h, weights)) /
                    (2 * h);
  EXPECT_NEAR(alpha.grad().item<double>(), fd, 1e-5 * std::max(1.0, std::abs(fd)))
      << (weights ? "weights " : "activations ") << bits << " bits";
}

TEST(Quantize, AlphaGradientsMatchFiniteDifferences) {
  for (int64_t bits : {2, 4}) CheckAlphaGradient(/*weights=*/true, bits);
  for (int64_t bits : {2, 4}) CheckAlphaGradient(/*weights=*/false, bits);
}

class IntegerExtraction : public ::testing::TestWithParam<int64_t> {};

TEST_P(IntegerExtraction, WeightOverDeltaIsIntegralAndInRange) {
  const int64_t bits = GetParam();
  torch::manual_seed(bits);
  torch::Tensor w = torch::randn({16, 16, 3, 3});
  torch::Tensor alpha = torch::tensor(2.3f);
  torch::Tensor wq = QuantizeWeight(NormalizeWeight(w), alpha, bits);
  const double delta = (alpha / static_cast<double>(WeightLevels(bits))).item<float>();
  torch::Tensor ratio = wq.to(torch::kFloat64) / delta;
  EXPECT_LT((ratio - ratio.round()).abs().max().item<double>(), 1e-5);
  EXPECT_LE(ratio.round().abs().max().item<double>(), static_cast<double>(WeightLevels(bits)));
  EXPECT_EQ(ratio.round().abs().max().item<double>(), static_cast<double>(WeightLevels(bits)))
      << "a normal weight tensor reaches the clamp at alpha 2.3";
}

INSTANTIATE_TEST_SUITE_P(Bits, IntegerExtraction, ::testing::Values(2, 4));

TEST(NormalizeWeight, UsesUnbiasedStdAndDetachedStatistics) {
  torch::Tensor w = T({1, 2, 3, 4}).requires_grad_(true);
  torch::Tensor n = NormalizeWeight(w);
  // mean 2.5, unbiased std sqrt(5/3) = 1.2909944
  EXPECT_NEAR(n[0].item<float>(), -1.5f / 1.2909944f, 1e-6);
  n.sum().backward();
  // With mean and std constant, d/dw of sum((w - m)/s) is 1/s for every element.
  for (float gr : V(w.grad())) EXPECT_NEAR(gr, 1.0f / 1.2909944f, 1e-6);
}

}  // namespace
