// Quantizers of the quantization-aware ResNet-20: integer tensors first, float values from them.
#pragma once

#include <torch/torch.h>

namespace sa::golden {

// Largest weight magnitude level for `bits`: 2^(bits-1) - 1 (4 bits: 7, 2 bits: 1).
int64_t WeightLevels(int64_t bits);
// Largest activation level for `bits`: 2^bits - 1 (4 bits: 15).
int64_t ActLevels(int64_t bits);

// Normalizes a conv weight by its own mean and unbiased standard deviation, both detached
// (constants in the backward pass), as the notebook does.
torch::Tensor NormalizeWeight(const torch::Tensor& weight);

// Relative distance from a rounding tie below which an integer may legitimately differ on another
// CPU, BLAS or GPU: one ulp of float32 is about 6e-8 relative, a convolution's sum several.
constexpr double kTieMargin = 1e-5;

// Elements of `scaled` (the value about to be rounded, u * L) within `relative_margin` of a
// rounding tie t = k + 0.5, that is |scaled - t| <= relative_margin * |t|.
int64_t CountNearTies(const torch::Tensor& scaled, double relative_margin = kTieMargin);
// The values the quantizers round: |clamp(w/alpha, -1, 1)| * L and min(x/alpha, 1) * M.
torch::Tensor WeightScaled(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits);
torch::Tensor ActScaled(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits);

// Integer weights of an already normalized weight: sign(u) * round(|clamp(u,-1,1)| * L), u =
// w/alpha.
torch::Tensor WeightToInt(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits);
// Integer activations: round(min(x/alpha, 1) * M).
torch::Tensor ActToInt(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits);

// Differentiable fake-quantizers: forward = (int / levels) * alpha, in the notebook's order;
// straight-through gradient for the input and the LSQ/PACT-style gradient for alpha (see the
// golden-model issue).
torch::Tensor QuantizeWeight(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits);
torch::Tensor QuantizeAct(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits);

}  // namespace sa::golden
