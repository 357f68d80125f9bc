// The training step's quantized convolution on the CPU: both quantizers and the conv in one
// autograd node, activation quantizer fused into single passes, conv backward optionally in bf16
// on the integers.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace sa::golden {

// How a training step computes the quantized convs.
enum class TrainKernels {
  kReference,  // the notebook's ops one by one (QuantizeAct/QuantizeWeight + conv2d), NCHW
  kFp32,       // fused quantizer passes, channels-last, conv backward in float32
  kBf16,       // as kFp32, conv backward in bf16 on the integers (exact in bf16); oneDNN sums
               // in fp32 and stores the two gradients in bf16
  kInt8,       // as kBf16, conv forward on the integers in oneDNN's u8 x s8 with exact sums
};
// "reference", "fp32", "bf16", "int8"; "auto" is int8 where the CPU has AVX-512 VNNI and BF16,
// bf16 where it has BF16, else fp32.
TrainKernels ParseTrainKernels(const std::string& name);
std::string TrainKernelsName(TrainKernels kernels);
// The flag's accepted values: "auto" and each choice's name.
std::vector<std::string> TrainKernelsChoices();
bool CpuHasBf16();
// Whether this CPU has the instructions `kernels` needs (bf16: AVX-512 BF16; int8: also VNNI).
bool CpuRuns(TrainKernels kernels);

// Forward: conv2d(QuantizeAct(x), QuantizeWeight(NormalizeWeight(weight))) with the float values
// bit-identical to QuantizeAct and QuantizeWeight (tests/golden_quant_conv_test); with kInt8,
// the exact integer sums times (alpha_x / M) * (alpha_w / L) instead. Gradients: the
// quantizers' straight-through and alpha gradients of quant.cc, through the conv's backward.
// CPU tensors only; `x` may be contiguous or channels-last (the output follows it). With
// `relu_input`, the conv quantizes relu(x) and the gradient passes ReLU too: the ReLU before a
// conv costs no pass of its own.
torch::Tensor QuantConvTrain(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& act_alpha, const torch::Tensor& wgt_alpha,
                             int64_t act_bits, int64_t wgt_bits, int64_t stride, int64_t padding,
                             TrainKernels kernels, bool relu_input = false);

// The fused activation quantizer alone (the forward values of QuantizeAct), for tests.
torch::Tensor FusedActQuant(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits);

}  // namespace sa::golden
