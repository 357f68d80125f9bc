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
  std::vector<LayerCheck> checks;
  for (const std::string& name : manifest.layers) {
    // One layer in memory at a time: peak memory is bounded by the largest layer, not the set.
    const vectors::LayerVectors v = vectors::ReadLayer(dir, manifest, name);
    LayerCheck c;
    c.name = name;
    c.psums = v.psum.NumElements();
    c.recon_max_abs_err = v.info.recon_max_abs_err;
    c.act_near_ties = v.info.act_near_ties;
    c.wgt_near_ties = v.info.wgt_near_ties;
    {
      std::vector<int32_t> expect =
          vectors::IntConv2d(v.info.geometry, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
      const int32_t* got = v.psum.Data<int32_t>();
      for (size_t i = 0; i < expect.size(); ++i) {
        if (expect[i] != got[i]) {
          c.problem = "psum at flat index " + std::to_string(i) + " is " + std::to_string(got[i]) +
                      ", the integer convolution gives " + std::to_string(expect[i]);
          break;
        }
      }
    }
    c.ok = c.problem.empty();
    if (histogram_bins > 0)
      c.histogram = Histogram(v.psum.Data<int32_t>(), c.psums, histogram_bins);
    checks.push_back(c);
  }
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
