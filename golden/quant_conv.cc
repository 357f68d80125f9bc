// Fused CPU training kernels for QuantConv2d (see quant_conv.h).
//
// Why hand-written loops: LibTorch 1.13 has no fused kernel for these quantizers, and its CPU
// fuser (TorchScript/NNC) does not reach a C++ frontend module. Composed of ATen ops, the
// activation quantizer costs about ten passes over each activation tensor forward and backward
// (measured with torch.profiler on the notebook's model: 40 % of a step outside the convs);
// here it is one pass forward and one backward, in the same float operations, so the values are
// bit-identical. The float convs stay ATen's (oneDNN); the int8 one is oneDNN's, called directly
// (int8_conv.h).
#include "golden/quant_conv.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "golden/int8_conv.h"
#include "golden/quant.h"

namespace sa::golden {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

constexpr int64_t kGrain = 1 << 15;  // elements per parallel chunk (32 Ki floats = 128 KiB)

// c10's own bf16 conversions (round to nearest even; the values stored here are small integers,
// exact), on raw bits so that the loops stay plain arithmetic the compiler vectorizes.
using c10::detail::f32_from_bits;
using c10::detail::round_to_nearest_even;

// One element of the activation quantizer, in QuantizeAct's float operations and order:
// u = x / alpha, c = min(u, 1) (NaN stays NaN), r = round-half-even(c * M), q = r / M.
struct ActQuantElement {
  float u, r, q;
  ActQuantElement(float x, float alpha, float levels) {
    u = x / alpha;
    const float c = u > 1.f ? 1.f : u;
    r = std::nearbyint(c * levels);
    q = r / levels;
  }
};

// target_clones: one build runs AVX-512 code where the CPU has it (GCC vectorizes these loops at
// -O3, rounding with vrndscaleps; the bf16 stores need AVX-512BW, hence x86-64-v4: AVX-512 F, BW,
// CD, DQ, VL) and plain code elsewhere. Checked with objdump: the x86-64-v4 clones are vector
// loops.
#define SA_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))

// The kernels' bodies are templates on kRelu (a ReLU folded in front: max(x, 0) as torch::relu
// has it, NaN staying NaN) so that each clone is a branch-free loop; measured, a run-time flag
// in the loop cost 13 % of a training step.
#define SA_INLINE __attribute__((always_inline)) inline

template <bool kRelu>
SA_INLINE float Relu(float x) {
  if constexpr (kRelu) return x < 0.f ? 0.f : x;
  return x;
}

template <bool kRelu>
SA_INLINE void ActForwardBody(const float* __restrict__ x, float* __restrict__ x_q, int64_t n,
                              float alpha, float levels) {
  for (int64_t i = 0; i < n; ++i)
    x_q[i] = ActQuantElement(Relu<kRelu>(x[i]), alpha, levels).q * alpha;
}

template <bool kRelu>
SA_INLINE void ActForwardIntsBody(const float* __restrict__ x, float* __restrict__ x_q,
                                  uint16_t* __restrict__ x_int_bf16, int64_t n, float alpha,
                                  float levels) {
  for (int64_t i = 0; i < n; ++i) {
    const ActQuantElement e(Relu<kRelu>(x[i]), alpha, levels);
    x_q[i] = e.q * alpha;
    x_int_bf16[i] = round_to_nearest_even(e.r);
  }
}

// The integers as u8 (for the int8 conv) and bf16 (for the backward); returns how many fall
// outside 0..255 (negative inputs, NaN), which u8 cannot hold: the caller then takes float.
// In blocks, the u8 stores in a loop of their own: mixed with the float work, GCC vectorizes
// the whole loop at 16 bytes (xmm) only.
template <bool kRelu>
SA_INLINE int32_t ActIntsBody(const float* __restrict__ x, uint8_t* __restrict__ x_u8,
                              uint16_t* __restrict__ x_int_bf16, int64_t n, float alpha,
                              float levels) {
  constexpr int64_t kBlock = 256;
  float r_fit[kBlock];
  int32_t outside = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = std::min(kBlock, n - b);
#pragma omp simd reduction(+ : outside)
    for (int64_t j = 0; j < len; ++j) {
      const float r = ActQuantElement(Relu<kRelu>(x[b + j]), alpha, levels).r;
      const bool fits = r >= 0.f && r <= 255.f;
      outside += fits ? 0 : 1;
      r_fit[j] = fits ? r : 0.f;
      x_int_bf16[b + j] = round_to_nearest_even(r);
    }
    for (int64_t j = 0; j < len; ++j) x_u8[b + j] = static_cast<uint8_t>(r_fit[j]);
  }
  return outside;
}

// Straight-through gradient below the clip, zero above (and, with kRelu, zero where ReLU's
// output is <= 0, as torch's threshold_backward); alpha's gradient is the sum over
// elements of g * (u > 1 ? 1 : q - u), g = grad * g_scale read as float or as bf16 bits. The
// sum is a SIMD reduction (-fopenmp-simd), in double.
template <bool kRelu, typename G>
SA_INLINE double ActBackwardBody(const float* __restrict__ x, const G* __restrict__ g,
                                 float g_scale, float* __restrict__ grad_x, int64_t n, float alpha,
                                 float levels) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) {
    const ActQuantElement e(Relu<kRelu>(x[i]), alpha, levels);
    float gi;
    if constexpr (std::is_same_v<G, uint16_t>)
      gi = f32_from_bits(g[i]) * g_scale;
    else
      gi = g[i] * g_scale;
    const bool above = e.u > 1.f;
    bool pass = !above;
    if constexpr (kRelu) pass = pass && !(x[i] <= 0.f);  // NaN passes, as in threshold_backward
    grad_x[i] = pass ? gi : 0.f;
    acc += static_cast<double>(gi * (above ? 1.f : e.q - e.u));
  }
  return acc;
}

// One x86-64-v4 + baseline clone pair per body and ReLU choice.
#define SA_KERNEL_PAIR(RET, NAME, BODY, PARAMS, ARGS)           \
  SA_CLONES RET NAME##Plain PARAMS { return BODY<false> ARGS; } \
  SA_CLONES RET NAME##Relu PARAMS { return BODY<true> ARGS; }

SA_KERNEL_PAIR(void, ActForwardKernel, ActForwardBody,
               (const float* x, float* x_q, int64_t n, float alpha, float levels),
               (x, x_q, n, alpha, levels))
SA_KERNEL_PAIR(void, ActForwardIntsKernel, ActForwardIntsBody,
               (const float* x, float* x_q, uint16_t* ints, int64_t n, float alpha, float levels),
               (x, x_q, ints, n, alpha, levels))
SA_KERNEL_PAIR(int32_t, ActIntsKernel, ActIntsBody,
               (const float* x, uint8_t* u8, uint16_t* ints, int64_t n, float alpha, float levels),
               (x, u8, ints, n, alpha, levels))
SA_KERNEL_PAIR(double, ActBackwardKernelF32, ActBackwardBody,
               (const float* x, const float* g, float g_scale, float* grad_x, int64_t n,
                float alpha, float levels),
               (x, g, g_scale, grad_x, n, alpha, levels))
SA_KERNEL_PAIR(double, ActBackwardKernelBf16, ActBackwardBody,
               (const float* x, const uint16_t* g, float g_scale, float* grad_x, int64_t n,
                float alpha, float levels),
               (x, g, g_scale, grad_x, n, alpha, levels))

// A tensor's own dense layout (contiguous or channels-last), so that element i of two tensors
// laid out alike is the same logical element.
torch::Tensor Dense(const torch::Tensor& t) { return t.contiguous(t.suggest_memory_format()); }

// Forward values of QuantizeAct; also the integers as bf16 when `x_int_bf16` is given.
torch::Tensor ActForward(const torch::Tensor& x_dense, float alpha, float levels, bool relu,
                         torch::Tensor* x_int_bf16) {
  torch::Tensor x_q = torch::empty_like(x_dense);
  uint16_t* ints = nullptr;
  if (x_int_bf16) {
    *x_int_bf16 = torch::empty_like(x_dense, x_dense.options().dtype(torch::kBFloat16));
    ints = reinterpret_cast<uint16_t*>(x_int_bf16->data_ptr<at::BFloat16>());
  }
  const float* in = x_dense.data_ptr<float>();
  float* out = x_q.data_ptr<float>();
  at::parallel_for(0, x_dense.numel(), kGrain, [&](int64_t begin, int64_t end) {
    if (ints)
      (relu ? ActForwardIntsKernelRelu : ActForwardIntsKernelPlain)(
          in + begin, out + begin, ints + begin, end - begin, alpha, levels);
    else
      (relu ? ActForwardKernelRelu : ActForwardKernelPlain)(in + begin, out + begin, end - begin,
                                                            alpha, levels);
  });
  return x_q;
}

// The integers as u8 and bf16, or false if some do not fit in u8.
bool ActInts(const torch::Tensor& x_dense, float alpha, float levels, bool relu,
             torch::Tensor* x_u8, torch::Tensor* x_int_bf16) {
  *x_u8 = torch::empty_like(x_dense, x_dense.options().dtype(torch::kByte));
  *x_int_bf16 = torch::empty_like(x_dense, x_dense.options().dtype(torch::kBFloat16));
  const float* in = x_dense.data_ptr<float>();
  uint8_t* u8 = x_u8->data_ptr<uint8_t>();
  auto* bf = reinterpret_cast<uint16_t*>(x_int_bf16->data_ptr<at::BFloat16>());
  std::atomic<int64_t> outside{0};
  at::parallel_for(0, x_dense.numel(), kGrain, [&](int64_t begin, int64_t end) {
    outside += (relu ? ActIntsKernelRelu : ActIntsKernelPlain)(in + begin, u8 + begin, bf + begin,
                                                               end - begin, alpha, levels);
  });
  return outside == 0;
}

// Gradients of the activation quantizer: {grad_x, grad_alpha}, from grad_x_q = grad * g_scale.
std::pair<torch::Tensor, torch::Tensor> ActBackward(const torch::Tensor& x_dense,
                                                    torch::Tensor grad, float g_scale, float alpha,
                                                    float levels, bool relu) {
  const auto format = x_dense.suggest_memory_format();
  grad = grad.contiguous(format);
  TORCH_INTERNAL_ASSERT(grad.is_contiguous(format) && x_dense.is_contiguous(format),
                        "layouts of x and its gradient");
  torch::Tensor grad_x = torch::empty_like(x_dense);
  const int64_t n = x_dense.numel();
  const int64_t chunks = std::max<int64_t>(1, (n + kGrain - 1) / kGrain);
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  const float* xs = x_dense.data_ptr<float>();
  float* gx = grad_x.data_ptr<float>();
  const bool bf16 = grad.scalar_type() == torch::kBFloat16;
  const void* gs = bf16 ? static_cast<const void*>(grad.data_ptr<at::BFloat16>())
                        : static_cast<const void*>(grad.data_ptr<float>());
  // Fixed chunks, summed in order: the same result on any thread count.
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t begin = c * kGrain, len = std::min(kGrain, n - begin);
      partial[static_cast<size_t>(c)] =
          bf16 ? (relu ? ActBackwardKernelBf16Relu : ActBackwardKernelBf16Plain)(
                     xs + begin, static_cast<const uint16_t*>(gs) + begin, g_scale, gx + begin, len,
                     alpha, levels)
               : (relu ? ActBackwardKernelF32Relu : ActBackwardKernelF32Plain)(
                     xs + begin, static_cast<const float*>(gs) + begin, g_scale, gx + begin, len,
                     alpha, levels);
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return {grad_x, torch::tensor(static_cast<float>(total), x_dense.options())};
}

// The weight side: NormalizeWeight and QuantizeWeight's float operations, element by element in
// one vector loop (a conv has at most 64 x 64 x 3 x 3 weights, so one thread): ~25 small ATen ops
// per conv and step fewer. The mean and standard deviation stay ATen's reductions, for their
// values.
struct WeightQuantized {
  float mean = 0, std = 0, alpha = 0, levels = 0;
  torch::Tensor w_int;       // float, as WeightToInt
  torch::Tensor w_q;         // float, (w_int / L) * alpha
  torch::Tensor w_int_s8;    // the integers for the int8 conv
  torch::Tensor w_int_bf16;  // and for the bf16 backward
};

// u = ((w - mean) / std) / alpha: NormalizeWeight, then QuantizeWeight's division.
SA_INLINE float WeightU(float w, float mean, float std, float alpha) {
  return ((w - mean) / std) / alpha;
}
SA_INLINE float Sign(float u) { return static_cast<float>((0.f < u) - (u < 0.f)); }

SA_CLONES void WeightForwardKernel(const float* __restrict__ w, float* __restrict__ ints,
                                   float* __restrict__ q, int8_t* __restrict__ s8,
                                   uint16_t* __restrict__ bf, int64_t n, float mean, float std,
                                   float alpha, float levels) {
  for (int64_t i = 0; i < n; ++i) {
    const float u = WeightU(w[i], mean, std, alpha);
    const float c = u < -1.f ? -1.f : (u > 1.f ? 1.f : u);  // clamp(-1, 1)
    const float r = std::nearbyint(std::fabs(c) * levels);
    ints[i] = Sign(u) * r;
    q[i] = (ints[i] / levels) * alpha;
    bf[i] = round_to_nearest_even(ints[i]);
  }
  // Narrow stores in a loop of their own (see ActIntsBody).
  // |w_int| <= 127 for bits <= 8 (QuantConvTrain checks); NaN (a constant weight: std 0) -> 0.
  for (int64_t i = 0; i < n; ++i) s8[i] = static_cast<int8_t>(ints[i] == ints[i] ? ints[i] : 0.f);
}

SA_CLONES double WeightBackwardKernel(const float* __restrict__ w, const float* __restrict__ g,
                                      const float* __restrict__ ints, float* __restrict__ grad_w,
                                      int64_t n, float g_scale, float mean, float std, float alpha,
                                      float levels) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) {
    const float u = WeightU(w[i], mean, std, alpha);
    const float q = ints[i] / levels;
    const float g_i = g[i] * g_scale;  // the bf16 backward's alpha_x / M
    acc += static_cast<double>(g_i * (std::fabs(u) > 1.f ? Sign(u) : q - u));
    grad_w[i] = g_i / std;
  }
  return acc;
}

WeightQuantized QuantizeWeights(const torch::Tensor& weight, const torch::Tensor& alpha,
                                int64_t bits) {
  torch::NoGradGuard no_grad;
  const torch::Tensor w = weight.contiguous();
  WeightQuantized k;
  // The reference reduces the weight in its own layout; training keeps weights contiguous
  // (SetTrainKernels converts only activations), so the mean and std are the same floats.
  k.mean = w.mean().item<float>();
  k.std = w.std(/*unbiased=*/true).item<float>();
  k.alpha = alpha.item<float>();
  k.levels = static_cast<float>(WeightLevels(bits));
  k.w_int = torch::empty_like(w);
  k.w_q = torch::empty_like(w);
  k.w_int_s8 = torch::empty_like(w, w.options().dtype(torch::kChar));
  k.w_int_bf16 = torch::empty_like(w, w.options().dtype(torch::kBFloat16));
  const float* in = w.data_ptr<float>();
  float* ints = k.w_int.data_ptr<float>();
  float* q = k.w_q.data_ptr<float>();
  int8_t* s8 = k.w_int_s8.data_ptr<int8_t>();
  auto* bf = reinterpret_cast<uint16_t*>(k.w_int_bf16.data_ptr<at::BFloat16>());
  WeightForwardKernel(in, ints, q, s8, bf, w.numel(), k.mean, k.std, k.alpha, k.levels);
  return k;
}

// {grad of the raw weight, grad of alpha} from the gradient of w_q (grad_wq * g_scale):
// straight through to the normalized weight, then NormalizeWeight's backward (division by the
// detached std); alpha as quant.cc's WeightQuantFn: the sum of g * (|u| > 1 ? sign(u) : q - u).
std::pair<torch::Tensor, torch::Tensor> WeightBackward(const torch::Tensor& weight,
                                                       const WeightQuantized& k,
                                                       const torch::Tensor& grad_wq,
                                                       float g_scale) {
  const torch::Tensor w = weight.contiguous(), g = grad_wq.contiguous();
  torch::Tensor grad_w = torch::empty_like(w);
  const float* in = w.data_ptr<float>();
  const float* gs = g.data_ptr<float>();
  const float* ints = k.w_int.data_ptr<float>();
  float* out = grad_w.data_ptr<float>();
  const double acc =
      WeightBackwardKernel(in, gs, ints, out, w.numel(), g_scale, k.mean, k.std, k.alpha, k.levels);
  return {grad_w, torch::tensor(static_cast<float>(acc), w.options())};
}

struct QuantConvFn : public torch::autograd::Function<QuantConvFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                               torch::Tensor act_alpha, torch::Tensor wgt_alpha, int64_t act_bits,
                               int64_t wgt_bits, int64_t stride, int64_t padding,
                               int64_t kernels_id, bool relu) {
    TORCH_CHECK(x.is_cpu() && x.scalar_type() == torch::kFloat, "QuantConvTrain: CPU float32");
    const auto kernels = static_cast<TrainKernels>(kernels_id);
    const bool bf16 = kernels == TrainKernels::kBf16 || kernels == TrainKernels::kInt8;
    const torch::Tensor x_dense = Dense(x);
    const float a_alpha = act_alpha.item<float>();
    const float a_levels = static_cast<float>(ActLevels(act_bits));
    const WeightQuantized wq = QuantizeWeights(weight, wgt_alpha, wgt_bits);
    const auto format = x_dense.suggest_memory_format();
    torch::Tensor x_int16, x_u8, out, conv_in, conv_w;  // conv_*: what the backward convolves
    if (kernels == TrainKernels::kInt8 &&
        ActInts(x_dense, a_alpha, a_levels, relu, &x_u8, &x_int16)) {
      // Exact integer sums, then one float scale: the float32 conv of the quantized values
      // differs from this by rounding only (ulps), as any other summation order does.
      const float scale = (a_alpha / a_levels) * (wq.alpha / wq.levels);
      out = Int8Conv2d(x_u8, wq.w_int_s8, stride, padding).mul_(scale);
    } else {
      torch::Tensor x_q = ActForward(x_dense, a_alpha, a_levels, relu, bf16 ? &x_int16 : nullptr);
      const torch::Tensor w_q = wq.w_q.contiguous(format);
      out = at::convolution(x_q, w_q, /*bias=*/{}, {stride, stride}, {padding, padding},
                            /*dilation=*/{1, 1}, /*transposed=*/false, /*output_padding=*/{0, 0},
                            /*groups=*/1);
      if (!bf16) conv_in = x_q, conv_w = w_q;
    }
    // bf16 keeps the integers (|x_int| <= 256, |w_int| <= 127 are exact in bf16; x_int is 0..255
    // after a ReLU, as every quantized conv's input in ResNet-20 is; a larger negative integer
    // would be rounded) and the scales apart: d/dx_q = (alpha_w / L) conv^T(g, w_int), d/dw_q =
    // (alpha_x / M) corr(x_int, g).
    if (bf16) conv_in = x_int16, conv_w = wq.w_int_bf16.contiguous(format);
    ctx->save_for_backward({x_dense, weight, act_alpha, wgt_alpha, wq.w_int, conv_in, conv_w});
    ctx->saved_data["w_mean"] = static_cast<double>(wq.mean);
    ctx->saved_data["w_std"] = static_cast<double>(wq.std);
    ctx->saved_data["act_bits"] = act_bits;
    ctx->saved_data["wgt_bits"] = wgt_bits;
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["bf16"] = bf16;
    ctx->saved_data["relu"] = relu;
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x_dense = saved[0], &weight = saved[1], &act_alpha = saved[2],
                        &wgt_alpha = saved[3], &w_int = saved[4], &conv_in = saved[5],
                        &conv_w = saved[6];
    const int64_t act_bits = ctx->saved_data["act_bits"].toInt();
    const int64_t wgt_bits = ctx->saved_data["wgt_bits"].toInt();
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const int64_t padding = ctx->saved_data["padding"].toInt();
    const bool bf16 = ctx->saved_data["bf16"].toBool();
    const bool relu = ctx->saved_data["relu"].toBool();
    const float a_alpha = act_alpha.item<float>();
    const float w_alpha = wgt_alpha.item<float>();
    const float a_levels = static_cast<float>(ActLevels(act_bits));
    const float w_levels = static_cast<float>(WeightLevels(wgt_bits));

    torch::Tensor g = grads[0].contiguous(x_dense.suggest_memory_format());
    if (bf16) g = g.to(torch::kBFloat16);
    auto [grad_in, grad_w, unused] = at::convolution_backward(
        g, conv_in, conv_w, /*bias_sizes=*/c10::nullopt, {stride, stride}, {padding, padding},
        /*dilation=*/{1, 1}, /*transposed=*/false, /*output_padding=*/{0, 0}, /*groups=*/1,
        {true, true, false});
    (void)unused;
    const float in_scale = bf16 ? w_alpha / w_levels : 1.f;
    auto [grad_x, grad_act_alpha] =
        ActBackward(x_dense, grad_in, in_scale, a_alpha, a_levels, relu);

    WeightQuantized k;
    k.mean = static_cast<float>(ctx->saved_data["w_mean"].toDouble());
    k.std = static_cast<float>(ctx->saved_data["w_std"].toDouble());
    k.alpha = w_alpha;
    k.levels = w_levels;
    k.w_int = w_int;
    auto [grad_weight, grad_wgt_alpha] =
        WeightBackward(weight, k, grad_w.to(torch::kFloat), bf16 ? a_alpha / a_levels : 1.f);
    return {grad_x,
            grad_weight,
            grad_act_alpha.reshape({}),
            grad_wgt_alpha.reshape({}),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

// The bf16 kernels are oneDNN's: a cap (ONEDNN_MAX_CPU_ISA) below AVX-512 BF16 leaves it none.
bool CpuHasBf16() {
  return __builtin_cpu_supports("avx512bf16") && OneDnnAllows(dnnl_cpu_isa_avx512_core_bf16);
}

namespace {
// Each choice's flag name and, for those that need instructions, what to say where they lack.
struct TrainKernelsInfo {
  TrainKernels kernels;
  const char* name;
  const char* missing;  // nullptr: runs on any CPU
};
constexpr TrainKernelsInfo kTrainKernels[] = {
    {TrainKernels::kReference, "reference", nullptr},
    {TrainKernels::kFp32, "fp32", nullptr},
    {TrainKernels::kBf16, "bf16", "this CPU has no AVX-512 BF16; use fp32"},
    {TrainKernels::kInt8, "int8", "this CPU lacks AVX-512 VNNI or BF16; use bf16 or fp32"},
};
}  // namespace

bool CpuRuns(TrainKernels kernels) {
  switch (kernels) {
    case TrainKernels::kBf16:
      return CpuHasBf16();
    case TrainKernels::kInt8:
      return CpuHasBf16() && CpuHasVnni();
    default:
      return true;
  }
}

std::vector<std::string> TrainKernelsChoices() {
  std::vector<std::string> names{"auto"};
  for (const auto& k : kTrainKernels) names.emplace_back(k.name);
  return names;
}

TrainKernels ParseTrainKernels(const std::string& name) {
  if (name == "auto") {
    for (TrainKernels fastest : {TrainKernels::kInt8, TrainKernels::kBf16})
      if (CpuRuns(fastest)) return fastest;
    return TrainKernels::kFp32;
  }
  for (const auto& k : kTrainKernels) {
    if (name != k.name) continue;
    if (!CpuRuns(k.kernels)) throw std::invalid_argument("--kernels " + name + ": " + k.missing);
    return k.kernels;
  }
  throw std::invalid_argument("--kernels " + name +
                              ": must be auto, int8, bf16, fp32 or reference");
}

std::string TrainKernelsName(TrainKernels kernels) {
  for (const auto& k : kTrainKernels)
    if (k.kernels == kernels) return k.name;
  return "?";
}

torch::Tensor QuantConvTrain(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& act_alpha, const torch::Tensor& wgt_alpha,
                             int64_t act_bits, int64_t wgt_bits, int64_t stride, int64_t padding,
                             TrainKernels kernels, bool relu_input) {
  TORCH_CHECK(kernels != TrainKernels::kReference, "QuantConvTrain: not for the reference ops");
  TORCH_CHECK(act_bits <= 8 && wgt_bits <= 8, "QuantConvTrain: integers of at most 8 bits");
  return QuantConvFn::apply(x, weight, act_alpha, wgt_alpha, act_bits, wgt_bits, stride, padding,
                            static_cast<int64_t>(kernels), relu_input);
}

torch::Tensor FusedActQuant(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  return ActForward(Dense(x), alpha.item<float>(), static_cast<float>(ActLevels(bits)),
                    /*relu=*/false, nullptr);
}

}  // namespace sa::golden
