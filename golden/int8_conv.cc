// oneDNN u8 x s8 -> f32 convolution with cached primitives (see int8_conv.h).
#include "golden/int8_conv.h"

#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>

namespace sa::golden {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct Int8ConvPlan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  dnnl::memory::desc user_weights;  // s8 oihw, as the caller's tensor holds them
  dnnl::memory weights;             // in the layout the primitive chose, refilled every call
  dnnl::reorder reorder;            // user_weights -> weights, built once per shape
};

// N, Cin, H, W, Cout, K, stride, padding, channels-last.
using PlanKey =
    std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>;

class Int8ConvCache {
 public:
  static Int8ConvCache& Get() {
    static Int8ConvCache cache;
    return cache;
  }

  torch::Tensor Run(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                    int64_t padding) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool channels_last = x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast;
    const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
    const int64_t cout = w.size(0), k = w.size(2);
    const int64_t oh = (h + 2 * padding - k) / stride + 1, ow = (wd + 2 * padding - k) / stride + 1;
    const tag layout = channels_last ? tag::nhwc : tag::nchw;
    const PlanKey key{n, cin, h, wd, cout, k, stride, padding, channels_last};
    auto it = plans_.find(key);
    if (it == plans_.end()) {
      dnnl::memory::desc src_md({n, cin, h, wd}, dt::u8, layout);
      dnnl::memory::desc wei_md({cout, cin, k, k}, dt::s8, tag::any);
      dnnl::memory::desc dst_md({n, cout, oh, ow}, dt::f32, layout);
      dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, wei_md,
          dst_md, {stride, stride}, {padding, padding}, {padding, padding});
      dnnl::convolution_forward::primitive_desc pd(desc, engine_);
      const dnnl::memory::desc user_md({cout, cin, k, k}, dt::s8, tag::oihw);
      dnnl::memory weights(pd.weights_desc(), engine_);
      dnnl::reorder reorder(
          dnnl::reorder::primitive_desc(engine_, user_md, engine_, pd.weights_desc()));
      it = plans_
               .emplace(key,
                        Int8ConvPlan{pd, dnnl::convolution_forward(pd), user_md, weights, reorder})
               .first;
    }
    Int8ConvPlan& plan = it->second;
    torch::Tensor w_dense = w.contiguous();
    dnnl::memory user_w(plan.user_weights, engine_, w_dense.data_ptr());
    plan.reorder.execute(stream_, user_w, plan.weights);
    torch::Tensor out = torch::empty(
        {n, cout, oh, ow}, x.options().dtype(torch::kFloat),
        channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous);
    dnnl::memory src(plan.pd.src_desc(), engine_, x.data_ptr());
    dnnl::memory dst(plan.pd.dst_desc(), engine_, out.data_ptr());
    plan.conv.execute(stream_,
                      {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, plan.weights}, {DNNL_ARG_DST, dst}});
    stream_.wait();
    return out;
  }

 private:
  Int8ConvCache() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}
  std::mutex mutex_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<PlanKey, Int8ConvPlan> plans_;
};

}  // namespace

bool OneDnnAllows(int isa) {
  const int effective = static_cast<int>(dnnl_get_effective_cpu_isa());
  return (effective & isa) == isa;  // each ISA's bits include those of the ISAs below it
}

bool CpuHasVnni() {
  return __builtin_cpu_supports("avx512vnni") && OneDnnAllows(dnnl_cpu_isa_avx512_core_vnni);
}

torch::Tensor Int8Conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                         int64_t padding) {
  TORCH_CHECK(CpuHasVnni(), "Int8Conv2d: this CPU has no AVX-512 VNNI (sums would saturate)");
  TORCH_CHECK(x.is_cpu() && x.scalar_type() == torch::kByte && x.dim() == 4,
              "Int8Conv2d: x must be a 4-d CPU uint8 tensor");
  TORCH_CHECK(w.is_cpu() && w.scalar_type() == torch::kChar && w.dim() == 4 &&
                  w.size(1) == x.size(1) && w.size(2) == w.size(3),
              "Int8Conv2d: w must be a [Cout, Cin, K, K] CPU int8 tensor");
  const torch::Tensor x_dense = x.contiguous(x.suggest_memory_format());
  return Int8ConvCache::Get().Run(x_dense, w, stride, padding);
}

}  // namespace sa::golden
