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

struct DumpOptions {
  vectors::WriteOptions write;  // compact files, psums stored or not
  // Images per forward pass and per chunk: peak memory grows with it, not with the set (about
  // 3.4 MB per image plus the model). 0, or at least the number of images: one batch, no chunks.
  int64_t chunk_images = 0;
  bool replace = false;   // replace an existing set at `out`
  bool progress = false;  // a line per chunk on stderr (images done, elapsed, ETA)
};

// Runs `images_u8` (uint8 [N,3,32,32]) through the model in eval mode on the CPU, a chunk of
// images at a time, captures the integer input and weights of each of the 18 quantized convs,
// computes the exact integer psums and writes the set to `out` (atomically: see
// VectorSetWriter), each chunk as it is done. `manifest` supplies checkpoint and image fields;
// layers and bit widths are filled in here. The stats cover every chunk.
std::vector<DumpedLayer> DumpVectors(ResNet20& model, const torch::Tensor& images_u8,
                                     vectors::Manifest manifest, const std::string& out,
                                     const DumpOptions& options = {});

// Converts a float tensor holding integers to an npy array, checking that every value is an
// integer in [lo, hi] (throws std::logic_error otherwise: a quantizer bug, not a user error).
vectors::NpyArray IntTensorToNpy(const torch::Tensor& t, vectors::DType dtype, int64_t lo,
                                 int64_t hi, const std::string& what);

}  // namespace sa::golden
