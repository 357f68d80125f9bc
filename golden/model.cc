// ResNet-20 built from QuantConv2d; the first conv and the classifier stay full precision.
#include "golden/model.h"

#include <stdexcept>

#include "golden/quant.h"

namespace sa::golden {
namespace F = torch::nn::functional;

void ValidateQuantConfig(const QuantConfig& c) {
  if (c.wgt_bits != 2 && c.wgt_bits != 3 && c.wgt_bits != 4 && c.wgt_bits != 8)
    throw std::invalid_argument("--wbits " + std::to_string(c.wgt_bits) +
                                ": must be one of 2, 3, 4, 8");
  if (c.act_bits != 2 && c.act_bits != 4 && c.act_bits != 8)
    throw std::invalid_argument("--abits " + std::to_string(c.act_bits) +
                                ": must be one of 2, 4, 8");
}

QuantConv2dImpl::QuantConv2dImpl(int64_t in_channels_, int64_t out_channels_, int64_t kernel_,
                                 int64_t stride_, int64_t padding_, QuantConfig config_)
    : in_channels(in_channels_),
      out_channels(out_channels_),
      kernel(kernel_),
      stride(stride_),
      padding(padding_),
      config(config_) {
  weight = register_parameter("weight", torch::empty({out_channels, in_channels, kernel, kernel}));
  // Kaiming-normal (fan_out, ReLU), as torchvision initializes ResNet convs.
  torch::nn::init::kaiming_normal_(weight, /*a=*/0, torch::kFanOut, torch::kReLU);
  wgt_alpha = register_parameter("wgt_alpha", torch::tensor(3.0f));
  act_alpha = register_parameter("act_alpha", torch::tensor(8.0f));
}

namespace {
bool UsesTrainKernels(const QuantConv2dImpl& conv, const torch::Tensor& x) {
  return (conv.is_training() || conv.kernels_in_eval) && !conv.capture &&
         conv.train_kernels != TrainKernels::kReference && x.is_cpu();
}
}  // namespace

torch::Tensor QuantConv2dImpl::ForwardOfRelu(const torch::Tensor& x) {
  if (UsesTrainKernels(*this, x))
    return QuantConvTrain(x, weight, act_alpha, wgt_alpha, config.act_bits, config.wgt_bits, stride,
                          padding, train_kernels, /*relu_input=*/true);
  return forward(torch::relu(x));
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  if (UsesTrainKernels(*this, x))
    return QuantConvTrain(x, weight, act_alpha, wgt_alpha, config.act_bits, config.wgt_bits, stride,
                          padding, train_kernels);
  torch::Tensor w_q = QuantizeWeight(NormalizeWeight(weight), wgt_alpha, config.wgt_bits);
  torch::Tensor x_q = QuantizeAct(x, act_alpha, config.act_bits);
  torch::Tensor out = F::conv2d(x_q, w_q, F::Conv2dFuncOptions().stride(stride).padding(padding));
  if (capture) {
    torch::NoGradGuard no_grad;
    captured.act_int = ActToInt(x, act_alpha, config.act_bits);
    captured.wgt_int = WeightInt();
    captured.act_q = x_q.detach();
    captured.wgt_q = w_q.detach();
    captured.output = out.detach();
    captured.act_alpha = act_alpha.item<float>();
    captured.wgt_alpha = wgt_alpha.item<float>();
    captured.act_delta = ActDelta();
    captured.wgt_delta = WeightDelta();
    captured.act_near_ties = CountNearTies(ActScaled(x, act_alpha, config.act_bits));
    captured.wgt_near_ties =
        CountNearTies(WeightScaled(NormalizeWeight(weight), wgt_alpha, config.wgt_bits));
  }
  return out;
}

torch::Tensor QuantConv2dImpl::WeightInt() const {
  torch::NoGradGuard no_grad;
  return WeightToInt(NormalizeWeight(weight), wgt_alpha, config.wgt_bits);
}

// The deltas are computed in float32 exactly as the forward pass scales the integers.
double QuantConv2dImpl::WeightDelta() const {
  torch::NoGradGuard no_grad;
  return (wgt_alpha / static_cast<double>(WeightLevels(config.wgt_bits))).item<float>();
}

double QuantConv2dImpl::ActDelta() const {
  torch::NoGradGuard no_grad;
  return (act_alpha / static_cast<double>(ActLevels(config.act_bits))).item<float>();
}

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride_,
                               QuantConfig config)
    : conv1(register_module("conv1", QuantConv2d(in_planes, planes, /*kernel=*/3, stride_,
                                                 /*padding=*/1, config))),
      conv2(register_module("conv2", QuantConv2d(planes, planes, /*kernel=*/3, /*stride=*/1,
                                                 /*padding=*/1, config))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))),
      stride(stride_),
      pad_channels((planes - in_planes) / 2) {}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = bn2(conv2->ForwardOfRelu(bn1(conv1(x))));
  torch::Tensor shortcut = x;
  if (stride != 1 || pad_channels != 0) {
    using torch::indexing::None;
    using torch::indexing::Slice;
    shortcut = x.index({Slice(), Slice(), Slice(None, None, stride), Slice(None, None, stride)});
    shortcut = F::pad(shortcut, F::PadFuncOptions({0, 0, 0, 0, pad_channels, pad_channels}))
                   .contiguous(x.suggest_memory_format());  // no-op unless channels-last
  }
  // In place: batch norm's backward needs its input, not its output; one tensor fewer.
  return out.add_(shortcut).relu_();
}

ResNet20Impl::ResNet20Impl(QuantConfig config_, int64_t num_classes) : config(config_) {
  ValidateQuantConfig(config);
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 3).padding(1).bias(false)));
  torch::nn::init::kaiming_normal_(conv1->weight, 0, torch::kFanOut, torch::kReLU);
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(16));
  // Stages are Sequentials named layer1..layer3 so that parameter names read like PyTorch's
  // ("layer2.0.conv1.weight"); module names themselves may not contain dots.
  int64_t in_planes = 16;
  const int64_t stage_planes[3] = {16, 32, 64};
  for (int stage = 0; stage < 3; ++stage) {
    torch::nn::Sequential seq;
    for (int b = 0; b < 3; ++b) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      blocks.emplace_back(in_planes, stage_planes[stage], stride, config);
      seq->push_back(blocks.back());
      in_planes = stage_planes[stage];
    }
    register_module("layer" + std::to_string(stage + 1), seq);
  }
  fc = register_module("fc", torch::nn::Linear(64, num_classes));
}

torch::Tensor ResNet20Impl::forward(torch::Tensor x) {
  if ((is_training() || kernels_in_eval) && channels_last_training && x.is_cpu())
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  x = torch::relu(bn1(conv1(x)));
  for (auto& block : blocks) x = block(x);
  x = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
  return fc(x);
}

void ResNet20Impl::SetTrainKernels(TrainKernels kernels) {
  for (auto& [name, conv] : QuantConvs()) conv->train_kernels = kernels;
  channels_last_training = kernels != TrainKernels::kReference;
}

void ResNet20Impl::SetTeacherKernels(TrainKernels kernels) {
  SetTrainKernels(kernels);
  kernels_in_eval = true;
  for (auto& [name, conv] : QuantConvs()) conv->kernels_in_eval = true;
}

std::vector<std::pair<std::string, QuantConv2d>> ResNet20Impl::QuantConvs() const {
  std::vector<std::pair<std::string, QuantConv2d>> convs;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string prefix = "layer" + std::to_string(i / 3 + 1) + "." + std::to_string(i % 3);
    convs.emplace_back(prefix + ".conv1", blocks[i]->conv1);
    convs.emplace_back(prefix + ".conv2", blocks[i]->conv2);
  }
  return convs;
}

}  // namespace sa::golden
