// libFuzzer target: the manifest and layer.json readers. The input is a manifest, a NUL byte,
// then a layer.json; each is refused with a FormatError or yields values within the limits.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "vectors/vector_set.h"

namespace sv = sa::vectors;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* split = std::find(data, data + size, uint8_t{0});
  const std::vector<uint8_t> manifest_bytes(data, split);
  const std::vector<uint8_t> layer_bytes(split == data + size ? split : split + 1, data + size);
  sv::Manifest m;
  m.act_bits = m.wgt_bits = 4;
  m.images = {7};
  try {
    m = sv::ParseManifest(manifest_bytes, "manifest.json");
    if (m.layers.empty() || m.images.empty()) std::abort();
    for (const auto& l : m.layers)
      if (!sv::IsSafeName(l)) std::abort();
    if (m.act_bits < 2 || m.act_bits > 8 || m.wgt_bits < 2 || m.wgt_bits > 8) std::abort();
  } catch (const sv::FormatError&) {
  }
  try {
    sv::LayerFile files[3];
    const sv::LayerInfo info =
        sv::ParseLayerInfo(layer_bytes, "layer.json", m, "layer1.0.conv1", files);
    const sv::ConvGeometry& g = info.geometry;
    if (g.OutH() < 1 || g.OutW() < 1 || g.batch != static_cast<int64_t>(m.images.size()))
      std::abort();
    for (const auto& f : files)
      if (!sv::IsSafeName(f.file)) std::abort();
  } catch (const sv::FormatError&) {
  }
  return 0;
}
