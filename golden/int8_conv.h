// Exact integer convolution on the CPU through oneDNN: u8 activations x s8 weights, 32-bit sums.
#pragma once

#include <torch/torch.h>

namespace sa::golden {

// True where oneDNN's int8 convolution sums exactly: AVX-512 VNNI multiplies u8 x s8 into
// 32-bit sums (without it oneDNN pairs products in saturating 16-bit sums). The CPU must have it
// and oneDNN must be allowed to use it: ONEDNN_MAX_CPU_ISA=AVX2 caps oneDNN below it.
bool CpuHasVnni();

// Whether oneDNN may use the instruction set `isa` (a dnnl_cpu_isa_t) on this CPU, after any
// ONEDNN_MAX_CPU_ISA cap.
bool OneDnnAllows(int isa);

// conv2d(x, w) with zero padding, as float32 tensors holding the integer sums: exact while
// |sum| < 2^24, which every ResNet-20 layer with 4-bit activations or weights keeps (at most
// 255 x 7 x 576 = 1.03 M); at a8w8 a sum near the maximum (18.7 M) is rounded once to float32,
// as the float conv's would be. Needs AVX-512 VNNI (without it oneDNN saturates 16-bit pairs). `x`
// is kByte, contiguous or channels-last (the output follows it); `w` is kChar [Cout, Cin, K, K].
// Primitives are built once per shape and reused.
torch::Tensor Int8Conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                         int64_t padding);

}  // namespace sa::golden
