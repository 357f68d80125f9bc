// Vector dump: captured integer tensors -> exact integer psums -> .npy files with checksums.
#include "golden/dump.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "golden/data.h"
#include "golden/quant.h"
#include "vectors/int_conv.h"

namespace sa::golden {

vectors::NpyArray IntTensorToNpy(const torch::Tensor& t, vectors::DType dtype, int64_t lo,
                                 int64_t hi, const std::string& what) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  if (!torch::equal(c, torch::round(c)))
    throw std::logic_error(what + ": quantized tensor holds non-integer values");
  if (c.numel() > 0 && (c.min().item<double>() < static_cast<double>(lo) ||
                        c.max().item<double>() > static_cast<double>(hi)))
    throw std::logic_error(what + ": integer values outside [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]");
  vectors::NpyArray a;
  a.dtype = dtype;
  a.shape = c.sizes().vec();
  a.bytes.resize(static_cast<size_t>(c.numel()) * vectors::DTypeSize(dtype));
  const double* src = c.data_ptr<double>();
  for (int64_t i = 0; i < c.numel(); ++i) {
    if (dtype == vectors::DType::kUint8) {
      a.MutableData<uint8_t>()[i] = static_cast<uint8_t>(src[i]);
    } else if (dtype == vectors::DType::kInt8) {
      a.MutableData<int8_t>()[i] = static_cast<int8_t>(src[i]);
    } else {
      a.MutableData<int32_t>()[i] = static_cast<int32_t>(src[i]);
    }
  }
  return a;
}

namespace {

// The vectors of one captured conv (a chunk's images): integers, exact psums, the notebook's
// reconstruction check.
vectors::LayerVectors LayerOf(const std::string& name, QuantConv2d& conv, const QuantConfig& q) {
  const ConvCapture& cap = conv->captured;
  vectors::LayerVectors v;
  vectors::LayerInfo& info = v.info;
  info.name = name;
  vectors::ConvGeometry& g = info.geometry;
  g.batch = cap.act_int.size(0);
  g.in_channels = conv->in_channels;
  g.out_channels = conv->out_channels;
  g.in_h = cap.act_int.size(2);
  g.in_w = cap.act_int.size(3);
  g.kernel = conv->kernel;
  g.stride = conv->stride;
  g.padding = conv->padding;
  info.act_bits = static_cast<int>(q.act_bits);
  info.wgt_bits = static_cast<int>(q.wgt_bits);
  info.act_alpha = cap.act_alpha;
  info.wgt_alpha = cap.wgt_alpha;
  info.act_delta = cap.act_delta;
  info.wgt_delta = cap.wgt_delta;
  info.act_near_ties = cap.act_near_ties;
  info.wgt_near_ties = cap.wgt_near_ties;
  info.tie_margin = kTieMargin;
  const int64_t wl = WeightLevels(q.wgt_bits);
  v.act =
      IntTensorToNpy(cap.act_int, vectors::DType::kUint8, 0, ActLevels(q.act_bits), name + " act");
  v.wgt = IntTensorToNpy(cap.wgt_int, vectors::DType::kInt8, -wl, wl, name + " wgt");
  std::vector<int32_t> psum = vectors::IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
  v.psum.dtype = vectors::DType::kInt32;
  v.psum.shape = {g.batch, g.out_channels, g.OutH(), g.OutW()};
  v.psum.bytes.assign(reinterpret_cast<const uint8_t*>(psum.data()),
                      reinterpret_cast<const uint8_t*>(psum.data() + psum.size()));
  // The notebook's check: integer psums times both steps reproduce the float convolution.
  torch::Tensor psum_t =
      torch::from_blob(psum.data(), v.psum.shape, torch::kInt32).to(torch::kFloat64);
  torch::Tensor recon = psum_t * info.wgt_delta * info.act_delta;
  info.recon_max_abs_err = (recon - cap.output.to(torch::kFloat64)).abs().max().item<double>();
  return v;
}

}  // namespace

std::vector<DumpedLayer> DumpVectors(ResNet20& model, const torch::Tensor& images_u8,
                                     vectors::Manifest manifest, const std::string& out,
                                     const DumpOptions& options) {
  using Clock = std::chrono::steady_clock;
  torch::NoGradGuard no_grad;
  model->to(torch::kCPU);
  model->eval();
  auto convs = model->QuantConvs();
  const QuantConfig& q = model->config;
  manifest.act_bits = static_cast<int>(q.act_bits);
  manifest.wgt_bits = static_cast<int>(q.wgt_bits);
  manifest.layers.clear();
  for (auto& [name, conv] : convs) manifest.layers.push_back(name);

  const int64_t n = images_u8.size(0);
  const bool chunked = options.chunk_images > 0 && options.chunk_images < n;
  const int64_t chunk = chunked ? options.chunk_images : n;
  vectors::VectorSetWriter writer(out, options.replace, options.write);
  std::vector<DumpedLayer> stats(convs.size());
  const auto start = Clock::now();
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    for (auto& [name, conv] : convs) conv->capture = true;
    model->forward(Normalize(images_u8.slice(0, first, first + count).to(torch::kCPU)));
    for (auto& [name, conv] : convs) conv->capture = false;
    if (chunked) writer.BeginChunk();
    for (size_t i = 0; i < convs.size(); ++i) {
      auto& [name, conv] = convs[i];
      const auto t0 = Clock::now();
      vectors::LayerVectors v = LayerOf(name, conv, q);
      conv->captured = ConvCapture{};  // peak memory: one chunk's captures, released as written
      const vectors::LayerInfo written = writer.AddLayer(std::move(v));
      DumpedLayer& d = stats[i];
      d.name = name;
      d.recon_max_abs_err = std::max(d.recon_max_abs_err, written.recon_max_abs_err);
      d.psum_min = first == 0 ? written.psum_min : std::min(d.psum_min, written.psum_min);
      d.psum_max = first == 0 ? written.psum_max : std::max(d.psum_max, written.psum_max);
      d.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (chunked) {
      vectors::Manifest part = manifest;
      part.images.assign(manifest.images.begin() + first, manifest.images.begin() + first + count);
      writer.EndChunk(part);
      if (options.progress) {
        const double s = std::chrono::duration<double>(Clock::now() - start).count();
        const int64_t done = first + count;
        std::fprintf(stderr, "dump: %lld/%lld images, %.0f s, ETA %.0f s\n",
                     static_cast<long long>(done), static_cast<long long>(n), s,
                     s / static_cast<double>(done) * static_cast<double>(n - done));
      }
    }
  }
  writer.Commit(manifest);
  return stats;
}

}  // namespace sa::golden
