// Small random vector sets for the contract tests (sa-cosim --contract-tests) and the
// co-simulation tests: random layer shapes (odd channel counts, strides, kernels, padding)
// whose psums come from a direct convolution written here, independent of vectors/int_conv.cc
// and of any core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/vector_set.h"

namespace sa::sim {

// An independent reference: zero-pad the input explicitly, then slide the kernel.
std::vector<int32_t> DirectConv(const vectors::ConvGeometry& g, const std::vector<uint8_t>& act,
                                const std::vector<int8_t>& wgt);

// Writes a set of 12 random layers of 2 images (test images 0 and 1) to `dir`, with 4-bit or
// (wgt_bits 2) 2-bit weights, symmetric as the golden model quantizes them.
void WriteRandomSet(const std::string& dir, uint64_t seed, int wgt_bits = 4);

}  // namespace sa::sim
