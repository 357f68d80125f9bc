// Direct-loop integer convolution. Slow but obviously right: it is the definition of a psum.
#include "vectors/int_conv.h"

#include <limits>
#include <stdexcept>

namespace sa::vectors {

std::vector<int32_t> IntConv2d(const ConvGeometry& g, const uint8_t* act, const int8_t* wgt) {
  const int64_t oh = g.OutH(), ow = g.OutW();
  std::vector<int32_t> out(static_cast<size_t>(g.batch * g.out_channels * oh * ow));
  size_t o = 0;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t co = 0; co < g.out_channels; ++co) {
      for (int64_t y = 0; y < oh; ++y) {
        for (int64_t x = 0; x < ow; ++x) {
          int64_t sum = 0;
          for (int64_t ci = 0; ci < g.in_channels; ++ci) {
            const uint8_t* a = act + (n * g.in_channels + ci) * g.in_h * g.in_w;
            const int8_t* w = wgt + (co * g.in_channels + ci) * g.kernel * g.kernel;
            for (int64_t ky = 0; ky < g.kernel; ++ky) {
              const int64_t iy = y * g.stride + ky - g.padding;
              if (iy < 0 || iy >= g.in_h) continue;
              for (int64_t kx = 0; kx < g.kernel; ++kx) {
                const int64_t ix = x * g.stride + kx - g.padding;
                if (ix < 0 || ix >= g.in_w) continue;
                sum += static_cast<int64_t>(a[iy * g.in_w + ix]) * w[ky * g.kernel + kx];
              }
            }
          }
          if (sum > std::numeric_limits<int32_t>::max() ||
              sum < std::numeric_limits<int32_t>::min())
            throw std::overflow_error("IntConv2d: psum does not fit int32");
          out[o++] = static_cast<int32_t>(sum);
        }
      }
    }
  }
  return out;
}

}  // namespace sa::vectors
