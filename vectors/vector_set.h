// The sa-vectors format (vectors/README.md): the contract between the golden model and the RTL.
// Writer used by sa-golden, reader used by the co-simulation; neither needs LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/input.h"
#include "vectors/int_conv.h"
#include "vectors/npy.h"

namespace sa::vectors {

// Version 1 sets hold .npy files of one batch; version 2 adds what compact and chunked sets
// use (.npz files, int16 psums, omitted psums, chunks). A writer writes 1 when it uses none.
constexpr int kFormatVersion = 2;

struct LayerInfo {
  std::string name;  // e.g. "layer1.0.conv1"
  ConvGeometry geometry;
  int act_bits = 4, wgt_bits = 4;
  double act_alpha = 0, wgt_alpha = 0, act_delta = 0, wgt_delta = 0;
  int64_t psum_min = 0, psum_max = 0;
  double recon_max_abs_err = 0;
  // Activations and weights the golden model found within `tie_margin` (relative) of a rounding
  // tie; -1 where layer.json predates the field. Diagnostic: their integers may legitimately
  // differ on another CPU, BLAS or GPU.
  int64_t act_near_ties = -1, wgt_near_ties = -1;
  double tie_margin = 0;
};

struct LayerVectors {
  LayerInfo info;
  NpyArray act;   // uint8 [N, Cin, H, W]
  NpyArray wgt;   // int8  [Cout, Cin, K, K]
  NpyArray psum;  // int32 [N, Cout, OH, OW] (in memory; on disk int16 where a set narrows it)
};

// Images [first, first + count) of a chunked set, in the folder `dir` inside it: a set of its
// own whose manifest lists those images.
struct Chunk {
  std::string dir;
  int64_t first = 0, count = 0;
};

struct Manifest {
  std::string checkpoint_path, checkpoint_sha256;
  int act_bits = 4, wgt_bits = 4;
  std::vector<int64_t> images;
  std::vector<std::string> layers;
  bool psums_stored = true;   // false: no psum files; readers compute them (IntConv2d)
  std::vector<Chunk> chunks;  // empty: the layer folders are in the set's own folder
};

// How a writer encodes the arrays (vectors/README.md, "Compact sets").
struct WriteOptions {
  bool compact = false;  // deflated .npz files; psums int16 where the layer's range fits
  bool psums = true;     // false: omit psum files (readers compute them)
  bool operator==(const WriteOptions& o) const { return compact == o.compact && psums == o.psums; }
};

// Bounds on what a vector set may declare, so that no declared size can overflow a product or
// make a tool allocate more than the files it was given. ResNet-20 uses a fraction of each.
struct Limits {
  static constexpr int64_t kMaxBatch = 1000000, kMaxChannels = 65536, kMaxMapSide = 65536;
  static constexpr int64_t kMaxKernel = 32, kMaxStride = 32, kMaxLayers = 10000;
  static constexpr int64_t kMaxArrayElements = int64_t{1} << 34;
  static constexpr int kMinBits = 2, kMaxBits = 8;  // uint8 activations, int8 weights
};

// Refuses (FormatError naming `path`) a geometry outside Limits, with a kernel that does not fit
// the padded input, or whose arrays' element counts overflow.
void ValidateGeometry(const ConvGeometry& g, const std::string& path);

// Refuses (FormatError naming --out) a DIR that VectorSetWriter(DIR, replace) may not replace.
void CheckVectorSetTarget(const std::string& dir, bool replace);

// Builds a set in a fresh staging folder beside DIR and renames it to DIR on Commit(); if the
// writer is destroyed without Commit() only the staging folder (its own) is removed, so DIR is
// never half-written. DIR may be absent, an empty folder, or (with `replace`) a vector set; any
// other DIR, the current folder or one of its ancestors is refused before anything is written.
// A chunked set is written chunk by chunk (BeginChunk, AddLayer..., EndChunk), so that only one
// chunk need be in memory; Commit then lists the chunks.
class VectorSetWriter {
 public:
  explicit VectorSetWriter(std::string dir, bool replace = false, WriteOptions options = {});
  ~VectorSetWriter();
  VectorSetWriter(const VectorSetWriter&) = delete;
  VectorSetWriter& operator=(const VectorSetWriter&) = delete;

  // Fills psum_min/psum_max from the psum array, writes the array files and layer.json (into the
  // open chunk, if any); returns the layer's description as written.
  LayerInfo AddLayer(LayerVectors layer);
  // Opens the next chunk (folder chunk-NNNNNN); EndChunk writes its manifest (`chunk` lists its
  // images and layers).
  void BeginChunk();
  void EndChunk(Manifest chunk);
  // Writes the set's manifest (`manifest.images`: every image, in chunk order) and renames the
  // set into place.
  void Commit(Manifest manifest);

 private:
  std::string dir_, partial_, chunk_dir_;
  WriteOptions options_;
  std::vector<Chunk> chunks_;
  int64_t chunk_images_ = 0;
  bool replace_ = false, committed_ = false;
};

// The number of chunks of a set (1 for a set without chunks).
size_t ChunkCount(const Manifest& manifest);
// Chunk k of the set in `dir` (the set itself when it has no chunks): its folder and manifest,
// checked against the set's (checkpoint, bit widths, layers, psums, and its images the set's
// slice [first, first + count)).
struct ChunkRef {
  std::string dir;
  Manifest manifest;
  int64_t first = 0;
};
ChunkRef OpenChunk(const std::string& dir, const Manifest& manifest, size_t k);
// The chunk holding image `position` (0 <= position < images) of the set.
size_t ChunkOfImage(const Manifest& manifest, int64_t position);

// True when DIR holds a manifest.json of the sa-vectors format (a set these tools wrote).
bool IsVectorSet(const std::string& dir);

// Reads manifest.json strictly (see input.h): integer fields in range, layer names safe, the
// layer list non-empty and without repeats. Throws FormatError naming the file on any problem.
Manifest ReadManifest(const std::string& dir);
Manifest ParseManifest(const std::vector<uint8_t>& bytes, const std::string& path);

// Parses a layer.json against its manifest: the name equals `layer` (its folder), bit widths
// equal the manifest's, batch equals the number of images, the geometry is valid. File names
// are returned in `files` (act, wgt, psum) with their sha256 (psum's empty where the set omits it).
struct LayerFile {
  std::string file, sha256;
  std::string dtype;  // psum only, version 2: "int16" or "int32" (empty: int32)
};
LayerInfo ParseLayerInfo(const std::vector<uint8_t>& bytes, const std::string& path,
                         const Manifest& manifest, const std::string& layer,
                         LayerFile files[3] = nullptr);

// Reads one layer of a set without chunks (or of one chunk, with OpenChunk's dir and manifest):
// layer.json, then each .npy or .npz (regular files inside the set, sizes capped by the
// geometry) after checking its sha256, its dtype and shape, and that every activation is in
// [0, 2^a - 1] and every weight in the quantizer's symmetric range [-(2^(w-1) - 1), 2^(w-1) - 1].
// Psums come back as int32 whatever their file's dtype; where the set omits them they are
// computed here with IntConv2d, unless `need_psums` is false (then `psum` is left empty).
LayerVectors ReadLayer(const std::string& dir, const Manifest& manifest, const std::string& layer,
                       bool need_psums = true);
// The same, reading the manifest first (a set without chunks).
LayerVectors ReadLayer(const std::string& dir, const std::string& layer);
// sha256 of manifest.json.
std::string ManifestSha256(const std::string& dir);
// The set's identity in co-simulation reports (a merge refuses shards of different sets): sha256
// over manifest.json and every layer's layer.json, which holds each .npy file's sha256 (checked
// on every read), so two sets that differ in any byte of any file differ here. A chunked set's
// covers each chunk's manifest and layer.json files too.
std::string SetSha256(const std::string& dir, const Manifest& manifest);

}  // namespace sa::vectors
