// Extraction of per-layer integer test vectors (the sa-vectors format) from a trained model.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "golden/model.h"
#include "vectors/vector_set.h"

namespace sa::golden {

struct DumpedLayer {
  std::string name;
  double seconds = 0;  // integer extraction + exact psums + file writing
  int64_t psum_min = 0, psum_max = 0;
  double recon_max_abs_err = 0;
};

// Runs `images_u8` (uint8 [N,3,32,32]) through the model in eval mode on the CPU, captures the
// integer input and weights of each of the 18 quantized convs, computes the exact integer psums
// and writes the set to `out` (atomically: see VectorSetWriter). `manifest` supplies checkpoint
// and image fields; layers and bit widths are filled in here.
std::vector<DumpedLayer> DumpVectors(ResNet20& model, const torch::Tensor& images_u8,
                                     vectors::Manifest manifest, const std::string& out,
                                     bool replace = false);

// Converts a float tensor holding integers to an npy array, checking that every value is an
// integer in [lo, hi] (throws std::logic_error otherwise: a quantizer bug, not a user error).
vectors::NpyArray IntTensorToNpy(const torch::Tensor& t, vectors::DType dtype, int64_t lo,
                                 int64_t hi, const std::string& what);

}  // namespace sa::golden
