// Vector-set verification without LibTorch: the psum definition applied to the stored integers.
#include "golden/verify.h"

#include <algorithm>

#include "vectors/int_conv.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace sa::golden {

namespace {

PsumHistogram Histogram(const int32_t* p, int64_t n, int bins) {
  PsumHistogram h;
  h.counts.assign(static_cast<size_t>(bins), 0);
  if (n == 0) return h;
  const auto [lo, hi] = std::minmax_element(p, p + n);
  h.low = *lo;
  h.width = std::max<int64_t>(1, (int64_t{*hi} - *lo + bins) / bins);  // ceil((range + 1) / bins)
  for (int64_t i = 0; i < n; ++i) ++h.counts[static_cast<size_t>((p[i] - h.low) / h.width)];
  return h;
}

}  // namespace

std::vector<LayerCheck> VerifyVectorSet(const std::string& dir, int histogram_bins) {
  vectors::Manifest manifest = vectors::ReadManifest(dir);
  if (histogram_bins > 0 && !manifest.chunks.empty())
    throw vectors::FormatError(dir +
                               ": a chunked set; psum histograms are drawn of sets without "
                               "chunks (dump fewer images, or --chunk-images 0)");
  std::vector<LayerCheck> checks(manifest.layers.size());
  for (size_t k = 0; k < vectors::ChunkCount(manifest); ++k) {
    const vectors::ChunkRef chunk = vectors::OpenChunk(dir, manifest, k);
    for (size_t l = 0; l < manifest.layers.size(); ++l) {
      // One layer in memory at a time: peak memory is bounded by the largest layer, not the set.
      const vectors::LayerVectors v =
          vectors::ReadLayer(chunk.dir, chunk.manifest, manifest.layers[l]);
      LayerCheck& c = checks[l];
      c.name = manifest.layers[l];
      c.psums += v.psum.NumElements();
      c.recon_max_abs_err = std::max(c.recon_max_abs_err, v.info.recon_max_abs_err);
      // Summed over chunks; -1 (not recorded) if any chunk lacks the count.
      auto add = [k](int64_t& total, int64_t n) {
        total = k == 0 ? n : total < 0 || n < 0 ? -1 : total + n;
      };
      add(c.act_near_ties, v.info.act_near_ties);
      add(c.wgt_near_ties, v.info.wgt_near_ties);
      if (!c.problem.empty()) continue;
      std::vector<int32_t> expect =
          vectors::IntConv2d(v.info.geometry, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
      const int32_t* got = v.psum.Data<int32_t>();
      for (size_t i = 0; i < expect.size(); ++i) {
        if (expect[i] != got[i]) {
          c.problem = "psum at flat index " + std::to_string(i) +
                      (manifest.chunks.empty() ? "" : " of " + manifest.chunks[k].dir) + " is " +
                      std::to_string(got[i]) + ", the integer convolution gives " +
                      std::to_string(expect[i]);
          break;
        }
      }
      if (histogram_bins > 0)
        c.histogram = Histogram(v.psum.Data<int32_t>(), v.psum.NumElements(), histogram_bins);
    }
  }
  for (LayerCheck& c : checks) c.ok = c.problem.empty();
  return checks;
}

void WritePsumHistogramCsv(const std::vector<LayerCheck>& checks, const std::string& csv_path) {
  std::string csv = "layer,bin_low,bin_high,count\n";
  for (const LayerCheck& c : checks) {
    const PsumHistogram& h = c.histogram;
    for (size_t b = 0; b < h.counts.size(); ++b) {
      const int64_t low = h.low + static_cast<int64_t>(b) * h.width;
      csv += c.name + "," + std::to_string(low) + "," + std::to_string(low + h.width - 1) + "," +
             std::to_string(h.counts[b]) + "\n";
    }
  }
  vectors::WriteFileAtomic(csv_path, std::vector<uint8_t>(csv.begin(), csv.end()));
}

}  // namespace sa::golden
