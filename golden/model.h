// Quantization-aware ResNet-20 for CIFAR-10 (He et al. 2016, option-A shortcuts).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "golden/quant_conv.h"

namespace sa::golden {

struct QuantConfig {
  int64_t wgt_bits = 4;  // one of 2, 3, 4, 8
  int64_t act_bits = 4;  // one of 2, 4, 8
};

// What a QuantConv2d saw in its last forward pass while capture is on (the vector dump).
struct ConvCapture {
  torch::Tensor act_int;  // float tensor holding integers, [N, Cin, H, W]
  torch::Tensor wgt_int;  // [Cout, Cin, K, K]
  torch::Tensor act_q, wgt_q, output;
  double act_alpha = 0, wgt_alpha = 0, act_delta = 0, wgt_delta = 0;
  // Elements within kTieMargin of a rounding tie (quant.h): their integers may differ elsewhere.
  int64_t act_near_ties = 0, wgt_near_ties = 0;
};

// A bias-free conv that quantizes its input (unsigned, act_bits) and its normalized weight
// (signed, wgt_bits), each with a learnable clipping alpha, then convolves the quantized values.
struct QuantConv2dImpl : torch::nn::Module {
  QuantConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                  int64_t padding, QuantConfig config);
  torch::Tensor forward(const torch::Tensor& x);
  // forward(relu(x)); the training kernels fold the ReLU into the quantizer.
  torch::Tensor ForwardOfRelu(const torch::Tensor& x);

  // Integer weights and the step between them, from the current parameters.
  torch::Tensor WeightInt() const;
  double WeightDelta() const;
  double ActDelta() const;

  int64_t in_channels, out_channels, kernel, stride, padding;
  QuantConfig config;
  torch::Tensor weight, wgt_alpha, act_alpha;
  bool capture = false;
  ConvCapture captured;
  // Kernels of a training-mode forward on the CPU (quant_conv.h); eval runs the reference
  // unless kernels_in_eval (a distillation teacher only: ResNet20Impl::SetTeacherKernels).
  TrainKernels train_kernels = TrainKernels::kReference;
  bool kernels_in_eval = false;
};
TORCH_MODULE(QuantConv2d);

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, QuantConfig config);
  torch::Tensor forward(const torch::Tensor& x);

  QuantConv2d conv1, conv2;
  torch::nn::BatchNorm2d bn1, bn2;
  int64_t stride, pad_channels;  // option A: subsample by `stride`, zero-pad channels each side
};
TORCH_MODULE(BasicBlock);

struct ResNet20Impl : torch::nn::Module {
  explicit ResNet20Impl(QuantConfig config, int64_t num_classes = 10);
  torch::Tensor forward(torch::Tensor x);

  // The 18 quantized convolutions in network order, with their names ("layer1.0.conv1", ...).
  std::vector<std::pair<std::string, QuantConv2d>> QuantConvs() const;
  // Selects the training kernels; the fused ones also run training in channels-last layout,
  // which oneDNN convolves without reordering (1.6x faster convs here).
  void SetTrainKernels(TrainKernels kernels);
  // For a distillation teacher: the same kernels in eval mode too. Their sums are exact or float
  // sums in another order, so a logit may differ from Evaluate's in the last bits and a near-tie
  // integer may flip: fine for soft targets, never for evaluation, dumps or vectors.
  void SetTeacherKernels(TrainKernels kernels);

  QuantConfig config;
  torch::nn::Conv2d conv1{nullptr};  // full precision 3 -> 16
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<BasicBlock> blocks;  // 9 blocks, 3 per stage
  torch::nn::Linear fc{nullptr};   // full precision 64 -> 10
  bool channels_last_training = false;
  bool kernels_in_eval = false;
};
TORCH_MODULE(ResNet20);

// Throws std::invalid_argument naming the flag when a bit width is not supported.
void ValidateQuantConfig(const QuantConfig& config);

}  // namespace sa::golden
