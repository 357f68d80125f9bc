// Exact integer 2-D convolution: the reference that defines psum.npy.
#pragma once

#include <cstdint>
#include <vector>

namespace sa::vectors {

struct ConvGeometry {
  int64_t batch = 1, in_channels = 1, out_channels = 1, in_h = 1, in_w = 1;
  int64_t kernel = 1, stride = 1, padding = 0;
  int64_t OutH() const { return (in_h + 2 * padding - kernel) / stride + 1; }
  int64_t OutW() const { return (in_w + 2 * padding - kernel) / stride + 1; }
};

// act [N, Cin, H, W] unsigned, wgt [Cout, Cin, K, K] signed; returns [N, Cout, OH, OW] with zero
// padding. Accumulates in int64 and checks that every sum fits int32 (throws otherwise).
std::vector<int32_t> IntConv2d(const ConvGeometry& g, const uint8_t* act, const int8_t* wgt);

}  // namespace sa::vectors
