// The sa-vectors format (vectors/README.md): the contract between the golden model and the RTL.
// Writer used by sa-golden, reader used by the co-simulation; neither needs LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/int_conv.h"
#include "vectors/npy.h"

namespace sa::vectors {

constexpr int kFormatVersion = 1;

struct LayerInfo {
  std::string name;  // e.g. "layer1.0.conv1"
  ConvGeometry geometry;
  int act_bits = 4, wgt_bits = 4;
  double act_alpha = 0, wgt_alpha = 0, act_delta = 0, wgt_delta = 0;
  int64_t psum_min = 0, psum_max = 0;
  double recon_max_abs_err = 0;
};

struct LayerVectors {
  LayerInfo info;
  NpyArray act;   // uint8 [N, Cin, H, W]
  NpyArray wgt;   // int8  [Cout, Cin, K, K]
  NpyArray psum;  // int32 [N, Cout, OH, OW]
};

struct Manifest {
  std::string checkpoint_path, checkpoint_sha256;
  int act_bits = 4, wgt_bits = 4;
  std::vector<int64_t> images;
  std::vector<std::string> layers;
};

// Builds a set in DIR.partial and renames it to DIR on Commit(), replacing an old DIR; if the
// writer is destroyed without Commit() the partial folder is removed, so DIR is never half-written.
class VectorSetWriter {
 public:
  explicit VectorSetWriter(std::string dir);
  ~VectorSetWriter();
  VectorSetWriter(const VectorSetWriter&) = delete;
  VectorSetWriter& operator=(const VectorSetWriter&) = delete;

  // Fills psum_min/psum_max from the psum array, writes the three .npy files and layer.json;
  // returns the layer's description as written.
  LayerInfo AddLayer(LayerVectors layer);
  void Commit(const Manifest& manifest);

 private:
  std::string dir_, partial_;
  bool committed_ = false;
};

// Reads manifest.json. Throws FormatError naming the file on any problem.
Manifest ReadManifest(const std::string& dir);
// Reads one layer: layer.json, then each .npy after checking its sha256 against layer.json and
// its dtype and shape against the geometry.
LayerVectors ReadLayer(const std::string& dir, const std::string& layer);
// sha256 of manifest.json, recorded in co-simulation reports.
std::string ManifestSha256(const std::string& dir);

}  // namespace sa::vectors
