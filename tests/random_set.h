// Small random vector sets for the co-simulation tests (sim/random_set.h, shared with
// sa-cosim --contract-tests) and a planted one-bit fault.
#pragma once

#include <string>

#include "sim/random_set.h"
#include "tests/test_util.h"
#include "vectors/npy.h"

namespace sa::testing {

using sa::sim::DirectConv;
using sa::sim::WriteRandomSet;

// Plants a one-bit fault in image 1 of a layer of a two-image set (psum flat index `index`).
inline void PlantFault(const std::string& layer_dir, int64_t index) {
  vectors::NpyArray psum = vectors::ReadNpy(layer_dir + "/psum.npy");
  psum.MutableData<int32_t>()[index] ^= 1;
  RewriteWithChecksum(layer_dir, "psum.npy", vectors::EncodeNpy(psum));
}

}  // namespace sa::testing
