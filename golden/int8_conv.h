// Exact integer convolution on the CPU through oneDNN: u8 activations x s8 weights, 32-bit sums.
#pragma once

#include <torch/torch.h>

namespace sa::golden {

// True where oneDNN's int8 convolution sums exactly: AVX-512 VNNI multiplies u8 x s8 into
// 32-bit sums (without it oneDNN pairs products in saturating 16-bit sums).
bool CpuHasVnni();

// conv2d(x, w) with 3x3-style zero padding, as float32 tensors holding the exact integer sums
// (|sum| < 2^24 for ResNet-20's layers, so float32 holds them exactly). `x` is kByte, contiguous
// or channels-last (the output follows it); `w` is kChar [Cout, Cin, K, K]. Primitives are built
// once per shape and reused.
torch::Tensor Int8Conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                         int64_t padding);

}  // namespace sa::golden
