// Writing and verified reading of sa-vectors sets (manifest.json, per-layer layer.json + .npy).
#include "vectors/vector_set.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "vectors/sha256.h"

namespace sa::vectors {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kActFile = "act.npy";
constexpr const char* kWgtFile = "wgt.npy";
constexpr const char* kPsumFile = "psum.npy";

std::vector<uint8_t> JsonBytes(const json& j) {
  std::string text = j.dump(2) + "\n";
  return std::vector<uint8_t>(text.begin(), text.end());
}

json ParseJsonFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    throw FormatError(path + ": not valid JSON (" + e.what() + ")");
  }
}

template <typename T>
T Field(const json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) throw FormatError(path + ": missing field '" + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw FormatError(path + ": field '" + key + "' has the wrong type");
  }
}

void CheckArray(const NpyArray& a, DType dtype, const std::vector<int64_t>& shape,
                const std::string& path) {
  if (a.dtype != dtype)
    throw FormatError(path + ": dtype is " + DTypeDescr(a.dtype) + ", expected " +
                      DTypeDescr(dtype));
  if (a.shape != shape) {
    auto str = [](const std::vector<int64_t>& s) {
      std::string out = "[";
      for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
      return out + "]";
    };
    throw FormatError(path + ": shape is " + str(a.shape) + ", layer.json says " + str(shape));
  }
}

}  // namespace

VectorSetWriter::VectorSetWriter(std::string dir)
    : dir_(std::move(dir)), partial_(dir_ + ".partial") {
  std::error_code ec;
  fs::remove_all(partial_, ec);
  if (!fs::create_directories(partial_, ec) && ec)
    throw FormatError(partial_ + ": cannot create folder (" + ec.message() + ")");
}

VectorSetWriter::~VectorSetWriter() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(partial_, ec);
  }
}

LayerInfo VectorSetWriter::AddLayer(LayerVectors layer) {
  LayerInfo& info = layer.info;
  const int32_t* p = layer.psum.Data<int32_t>();
  const int64_t n = layer.psum.NumElements();
  if (n > 0) {
    auto [lo, hi] = std::minmax_element(p, p + n);
    info.psum_min = *lo;
    info.psum_max = *hi;
  }
  const std::string layer_dir = partial_ + "/" + info.name;
  fs::create_directories(layer_dir);
  json files;
  for (auto [key, file, array] :
       {std::tuple{"act", kActFile, &layer.act}, std::tuple{"wgt", kWgtFile, &layer.wgt},
        std::tuple{"psum", kPsumFile, &layer.psum}}) {
    auto bytes = EncodeNpy(*array);
    WriteFileAtomic(layer_dir + "/" + file, bytes);
    files[key] = {{"file", file}, {"sha256", Sha256Hex(bytes)}};
  }
  const ConvGeometry& g = info.geometry;
  json j = {{"name", info.name},
            {"batch", g.batch},
            {"in_channels", g.in_channels},
            {"out_channels", g.out_channels},
            {"kernel", g.kernel},
            {"stride", g.stride},
            {"padding", g.padding},
            {"in_h", g.in_h},
            {"in_w", g.in_w},
            {"out_h", g.OutH()},
            {"out_w", g.OutW()},
            {"act_bits", info.act_bits},
            {"wgt_bits", info.wgt_bits},
            {"act_alpha", info.act_alpha},
            {"wgt_alpha", info.wgt_alpha},
            {"act_delta", info.act_delta},
            {"wgt_delta", info.wgt_delta},
            {"psum_min", info.psum_min},
            {"psum_max", info.psum_max},
            {"recon_max_abs_err", info.recon_max_abs_err},
            {"files", files}};
  WriteFileAtomic(layer_dir + "/layer.json", JsonBytes(j));
  return info;
}

void VectorSetWriter::Commit(const Manifest& m) {
  json j = {{"format", "sa-vectors"},
            {"version", kFormatVersion},
            {"checkpoint", {{"path", m.checkpoint_path}, {"sha256", m.checkpoint_sha256}}},
            {"act_bits", m.act_bits},
            {"wgt_bits", m.wgt_bits},
            {"images", m.images},
            {"layers", m.layers}};
  WriteFileAtomic(partial_ + "/manifest.json", JsonBytes(j));
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::rename(partial_, dir_, ec);
  if (ec)
    throw FormatError(dir_ + ": cannot move the new vector set into place (" + ec.message() + ")");
  committed_ = true;
}

Manifest ReadManifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  if (!fs::is_directory(dir)) throw FormatError(dir + ": no such vector set folder");
  json j = ParseJsonFile(path);
  if (Field<std::string>(j, "format", path) != "sa-vectors")
    throw FormatError(path + ": format is not 'sa-vectors'");
  if (int v = Field<int>(j, "version", path); v != kFormatVersion)
    throw FormatError(path + ": version " + std::to_string(v) + " is not supported (expected " +
                      std::to_string(kFormatVersion) + ")");
  Manifest m;
  json ck = Field<json>(j, "checkpoint", path);
  m.checkpoint_path = Field<std::string>(ck, "path", path);
  m.checkpoint_sha256 = Field<std::string>(ck, "sha256", path);
  m.act_bits = Field<int>(j, "act_bits", path);
  m.wgt_bits = Field<int>(j, "wgt_bits", path);
  m.images = Field<std::vector<int64_t>>(j, "images", path);
  m.layers = Field<std::vector<std::string>>(j, "layers", path);
  return m;
}

LayerVectors ReadLayer(const std::string& dir, const std::string& layer) {
  const std::string layer_dir = dir + "/" + layer;
  const std::string path = layer_dir + "/layer.json";
  json j = ParseJsonFile(path);
  LayerVectors v;
  LayerInfo& info = v.info;
  ConvGeometry& g = info.geometry;
  info.name = Field<std::string>(j, "name", path);
  g.batch = Field<int64_t>(j, "batch", path);
  g.in_channels = Field<int64_t>(j, "in_channels", path);
  g.out_channels = Field<int64_t>(j, "out_channels", path);
  g.kernel = Field<int64_t>(j, "kernel", path);
  g.stride = Field<int64_t>(j, "stride", path);
  g.padding = Field<int64_t>(j, "padding", path);
  g.in_h = Field<int64_t>(j, "in_h", path);
  g.in_w = Field<int64_t>(j, "in_w", path);
  for (int64_t d : {g.batch, g.in_channels, g.out_channels, g.kernel, g.stride, g.in_h, g.in_w})
    if (d <= 0) throw FormatError(path + ": geometry fields must be positive");
  if (g.padding < 0 || g.in_h + 2 * g.padding < g.kernel || g.in_w + 2 * g.padding < g.kernel)
    throw FormatError(path + ": padding and kernel do not fit the input map");
  if (Field<int64_t>(j, "out_h", path) != g.OutH() || Field<int64_t>(j, "out_w", path) != g.OutW())
    throw FormatError(path + ": out_h/out_w disagree with the input size, kernel, stride, padding");
  info.act_bits = Field<int>(j, "act_bits", path);
  info.wgt_bits = Field<int>(j, "wgt_bits", path);
  info.act_alpha = Field<double>(j, "act_alpha", path);
  info.wgt_alpha = Field<double>(j, "wgt_alpha", path);
  info.act_delta = Field<double>(j, "act_delta", path);
  info.wgt_delta = Field<double>(j, "wgt_delta", path);
  info.psum_min = Field<int64_t>(j, "psum_min", path);
  info.psum_max = Field<int64_t>(j, "psum_max", path);
  info.recon_max_abs_err = Field<double>(j, "recon_max_abs_err", path);
  json files = Field<json>(j, "files", path);

  auto load = [&](const char* key, DType dtype, const std::vector<int64_t>& shape) {
    json f = Field<json>(files, key, path);
    const std::string file = layer_dir + "/" + Field<std::string>(f, "file", path);
    auto bytes = ReadFileBytes(file);
    const std::string want = Field<std::string>(f, "sha256", path);
    if (Sha256Hex(bytes) != want)
      throw FormatError(file + ": sha256 does not match layer.json (file changed or corrupt)");
    NpyArray a = DecodeNpy(bytes, file);
    CheckArray(a, dtype, shape, file);
    return a;
  };
  v.act = load("act", DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w});
  v.wgt = load("wgt", DType::kInt8, {g.out_channels, g.in_channels, g.kernel, g.kernel});
  v.psum = load("psum", DType::kInt32, {g.batch, g.out_channels, g.OutH(), g.OutW()});
  return v;
}

std::string ManifestSha256(const std::string& dir) { return Sha256File(dir + "/manifest.json"); }

}  // namespace sa::vectors
