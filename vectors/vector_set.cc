// Writing and strict, verified reading of sa-vectors sets (manifest.json, layer.json + .npy).
#include "vectors/vector_set.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "vectors/output.h"
#include "vectors/sha256.h"

namespace sa::vectors {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kActFile = "act.npy";
constexpr const char* kWgtFile = "wgt.npy";
constexpr const char* kPsumFile = "psum.npy";
constexpr const char* kFileKeys[3] = {"act", "wgt", "psum"};

std::vector<uint8_t> JsonBytes(const json& j) {
  std::string text = j.dump(2) + "\n";
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void CheckArray(const NpyArray& a, DType dtype, const std::vector<int64_t>& shape,
                const std::string& path) {
  if (a.dtype != dtype)
    throw FormatError(path + ": dtype is " + DTypeDescr(a.dtype) + ", expected " +
                      DTypeDescr(dtype));
  if (a.shape != shape)
    throw FormatError(path + ": shape is " + ShapeString(a.shape) + ", layer.json says " +
                      ShapeString(shape));
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// True when `p` (made absolute) is the current folder or one of its ancestors.
bool IsCwdOrAncestor(const fs::path& p) {
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(fs::absolute(p), ec);
  const fs::path cwd = fs::canonical(fs::current_path(), ec);
  if (ec) return false;
  auto t = target.begin();
  auto c = cwd.begin();
  for (; t != target.end(); ++t, ++c) {
    if (t->empty()) continue;  // a trailing separator
    if (c == cwd.end() || *t != *c) return false;
  }
  return true;
}

}  // namespace

void ValidateGeometry(const ConvGeometry& g, const std::string& path) {
  if (g.in_h + 2 * g.padding < g.kernel || g.in_w + 2 * g.padding < g.kernel)
    throw FormatError(path + ": kernel " + std::to_string(g.kernel) +
                      " does not fit the padded input map");
  if (g.padding >= g.kernel)
    throw FormatError(path + ": padding " + std::to_string(g.padding) +
                      " is not smaller than the kernel");
  const int64_t lim = Limits::kMaxArrayElements;
  CheckedProduct({g.batch, g.in_channels, g.in_h, g.in_w}, lim, path + ": activation count");
  CheckedProduct({g.out_channels, g.in_channels, g.kernel, g.kernel}, lim, path + ": weight count");
  CheckedProduct({g.batch, g.out_channels, g.OutH(), g.OutW()}, lim, path + ": psum count");
}

// The first entry of a vector set folder that this writer would not have put there (a file kept
// inside the set by a user, say), or "" when the folder holds only manifest.json and the layer
// folders it lists, each with only layer.json and its three .npy files. Only such a folder is
// ever replaced: everything in it is the tool's own.
std::string ForeignEntry(const std::string& dir) {
  std::set<std::string> layers;
  try {
    for (const std::string& l : ReadManifest(dir).layers) layers.insert(l);
  } catch (const FormatError&) {
    return "manifest.json (unreadable)";
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.json" && e.is_regular_file(ec) && !e.is_symlink(ec)) continue;
    if (!layers.count(name) || e.is_symlink(ec) || !e.is_directory(ec)) return name;
    for (const auto& f : fs::directory_iterator(e.path(), ec)) {
      const std::string file = f.path().filename().string();
      const bool ours =
          file == "layer.json" || file == kActFile || file == kWgtFile || file == kPsumFile;
      if (!ours || f.is_symlink(ec) || !f.is_regular_file(ec)) return name + "/" + file;
    }
  }
  if (ec) return "(unlistable: " + ec.message() + ")";
  return "";
}

// --out without trailing separators: "vecs/" names the folder vecs.
std::string TrimSeparators(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// ---------------------------------------------------------------------------------------------
// Writing

void CheckVectorSetTarget(const std::string& dir_given, bool replace_) {
  const std::string dir_ = TrimSeparators(dir_given);
  if (dir_.empty()) throw FormatError("--out: empty path");
  if (IsCwdOrAncestor(dir_))
    throw FormatError("--out: " + dir_ +
                      " is the current folder or one of its ancestors; not replaced");
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw FormatError("--out: " + dir_ + " is a symbolic link; not replaced");
    if (!S_ISDIR(st.st_mode))
      throw FormatError("--out: " + dir_ + " exists and is not a folder; not replaced");
    std::error_code ec;
    const bool empty = fs::is_empty(dir_, ec);
    if (!empty && !IsVectorSet(dir_))
      throw FormatError("--out: " + dir_ + " is a folder that is not a vector set; not replaced");
    if (!empty && !replace_)
      throw FormatError("--out: " + dir_ +
                        " is an existing vector set; give --force to replace it");
    if (!empty) {
      const std::string foreign = ForeignEntry(dir_);
      if (!foreign.empty())
        throw FormatError("--out: " + dir_ + " holds " + foreign +
                          ", which is not part of the vector set; not replaced");
    }
  } else {
    const fs::path parent = fs::path(dir_).lexically_normal().parent_path();
    if (!parent.empty() && !fs::is_directory(parent))
      throw FormatError("--out: " + dir_ + ": folder " + parent.string() + " does not exist");
  }
}

VectorSetWriter::VectorSetWriter(std::string dir, bool replace)
    : dir_(TrimSeparators(std::move(dir))), replace_(replace) {
  CheckVectorSetTarget(dir_, replace_);
  partial_ = MakeStagingDir(dir_);
}

VectorSetWriter::~VectorSetWriter() {
  if (!committed_ && !partial_.empty()) {
    std::error_code ec;
    fs::remove_all(partial_, ec);  // the staging folder this writer created, and only it
  }
}

LayerInfo VectorSetWriter::AddLayer(LayerVectors layer) {
  LayerInfo& info = layer.info;
  if (!IsSafeName(info.name)) throw std::logic_error("AddLayer: unsafe layer name " + info.name);
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
  if (info.act_near_ties >= 0)
    j["near_ties"] = {{"relative_margin", info.tie_margin},
                      {"activations", info.act_near_ties},
                      {"weights", info.wgt_near_ties}};
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
  // An absent DIR or an empty folder is replaced by one rename (rename(2) replaces an empty
  // folder). An existing set is first moved aside into a fresh folder, checked again to be a
  // set, and removed only once the new one is in place.
  std::error_code ec;
  std::string old;
  if (replace_ && fs::is_directory(fs::symlink_status(dir_, ec)) && !fs::is_empty(dir_, ec)) {
    if (!IsVectorSet(dir_) || !ForeignEntry(dir_).empty())
      throw FormatError("--out: " + dir_ + " is no longer only a vector set; not replaced");
    old = MakeStagingDir(dir_ + ".old");
    if (::rename(dir_.c_str(), old.c_str()) != 0) {
      fs::remove(old, ec);
      throw FormatError(dir_ + ": cannot move the old vector set aside (" + std::strerror(errno) +
                        ")");
    }
  }
  if (::rename(partial_.c_str(), dir_.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    if (!old.empty()) ::rename(old.c_str(), dir_.c_str());  // put the old set back
    throw FormatError(dir_ + ": cannot move the new vector set into place (" + err + ")");
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

// ---------------------------------------------------------------------------------------------
// Reading

bool IsVectorSet(const std::string& dir) {
  try {
    json j = ParseStrictJson(ReadRegularFile(dir + "/manifest.json", kMaxManifestBytes),
                             dir + "/manifest.json");
    return j.is_object() && j.value("format", "") == "sa-vectors";
  } catch (const std::exception&) {
    return false;
  }
}

Manifest ParseManifest(const std::vector<uint8_t>& bytes, const std::string& path) {
  json j = ParseStrictJson(bytes, path);
  if (!j.is_object()) throw FormatError(path + ": expected a JSON object");
  if (StringField(j, "format", path) != "sa-vectors")
    throw FormatError(path + ": format is not 'sa-vectors'");
  if (const int64_t v = IntField(j, "version", 0, INT64_MAX, path); v != kFormatVersion)
    throw FormatError(path + ": version " + std::to_string(v) + " is not supported (expected " +
                      std::to_string(kFormatVersion) + ")");
  Manifest m;
  const json& ck = ObjectField(j, "checkpoint", path);
  m.checkpoint_path = StringField(ck, "path", path);
  m.checkpoint_sha256 = StringField(ck, "sha256", path);
  if (m.checkpoint_sha256.size() > 128 || m.checkpoint_path.size() > 4096)
    throw FormatError(path + ": checkpoint path or sha256 too long");
  m.act_bits = static_cast<int>(IntField(j, "act_bits", Limits::kMinBits, Limits::kMaxBits, path));
  m.wgt_bits = static_cast<int>(IntField(j, "wgt_bits", Limits::kMinBits, Limits::kMaxBits, path));
  const json& images = ArrayField(j, "images", path);
  if (images.empty() || static_cast<int64_t>(images.size()) > Limits::kMaxBatch)
    throw FormatError(path + ": 'images' must list 1.." + std::to_string(Limits::kMaxBatch) +
                      " test-image indices");
  for (size_t i = 0; i < images.size(); ++i)
    m.images.push_back(
        IntValue(images[i], 0, INT32_MAX, "images[" + std::to_string(i) + "]", path));
  const json& layers = ArrayField(j, "layers", path);
  if (layers.empty()) throw FormatError(path + ": 'layers' is empty: nothing to check");
  if (static_cast<int64_t>(layers.size()) > Limits::kMaxLayers)
    throw FormatError(path + ": more than " + std::to_string(Limits::kMaxLayers) + " layers");
  std::set<std::string> seen;
  for (const json& l : layers) {
    if (!l.is_string()) throw FormatError(path + ": 'layers' holds a non-string");
    const std::string name = l.get<std::string>();
    if (!IsSafeName(name))
      throw FormatError(path + ": layer name '" + name.substr(0, 64) +
                        "' is not a plain folder name ([A-Za-z0-9._-], not starting with '.')");
    if (!seen.insert(name).second)
      throw FormatError(path + ": layer '" + name + "' is listed twice");
    m.layers.push_back(name);
  }
  return m;
}

Manifest ReadManifest(const std::string& dir) {
  if (!fs::is_directory(dir)) throw FormatError(dir + ": no such vector set folder");
  const std::string path = dir + "/manifest.json";
  return ParseManifest(ReadRegularFile(path, kMaxManifestBytes), path);
}

LayerInfo ParseLayerInfo(const std::vector<uint8_t>& bytes, const std::string& path,
                         const Manifest& manifest, const std::string& layer,
                         LayerFile files_out[3]) {
  json j = ParseStrictJson(bytes, path);
  if (!j.is_object()) throw FormatError(path + ": expected a JSON object");
  LayerInfo info;
  ConvGeometry& g = info.geometry;
  info.name = StringField(j, "name", path);
  if (info.name != layer)
    throw FormatError(path + ": name '" + info.name.substr(0, 64) + "' differs from its folder '" +
                      layer + "'");
  using L = Limits;
  g.batch = IntField(j, "batch", 1, L::kMaxBatch, path);
  g.in_channels = IntField(j, "in_channels", 1, L::kMaxChannels, path);
  g.out_channels = IntField(j, "out_channels", 1, L::kMaxChannels, path);
  g.kernel = IntField(j, "kernel", 1, L::kMaxKernel, path);
  g.stride = IntField(j, "stride", 1, L::kMaxStride, path);
  g.padding = IntField(j, "padding", 0, L::kMaxKernel, path);
  g.in_h = IntField(j, "in_h", 1, L::kMaxMapSide, path);
  g.in_w = IntField(j, "in_w", 1, L::kMaxMapSide, path);
  ValidateGeometry(g, path);
  if (IntField(j, "out_h", 1, L::kMaxMapSide, path) != g.OutH() ||
      IntField(j, "out_w", 1, L::kMaxMapSide, path) != g.OutW())
    throw FormatError(path + ": out_h/out_w disagree with the input size, kernel, stride, padding");
  if (g.batch != static_cast<int64_t>(manifest.images.size()))
    throw FormatError(path + ": batch " + std::to_string(g.batch) + " differs from the " +
                      std::to_string(manifest.images.size()) + " images of the manifest");
  info.act_bits = static_cast<int>(IntField(j, "act_bits", L::kMinBits, L::kMaxBits, path));
  info.wgt_bits = static_cast<int>(IntField(j, "wgt_bits", L::kMinBits, L::kMaxBits, path));
  if (info.act_bits != manifest.act_bits || info.wgt_bits != manifest.wgt_bits)
    throw FormatError(path + ": bit widths a" + std::to_string(info.act_bits) + "w" +
                      std::to_string(info.wgt_bits) + " differ from the manifest's a" +
                      std::to_string(manifest.act_bits) + "w" + std::to_string(manifest.wgt_bits));
  info.act_alpha = NumberField(j, "act_alpha", path);
  info.wgt_alpha = NumberField(j, "wgt_alpha", path);
  info.act_delta = NumberField(j, "act_delta", path);
  info.wgt_delta = NumberField(j, "wgt_delta", path);
  info.psum_min = IntField(j, "psum_min", INT32_MIN, INT32_MAX, path);
  info.psum_max = IntField(j, "psum_max", INT32_MIN, INT32_MAX, path);
  info.recon_max_abs_err = NumberField(j, "recon_max_abs_err", path);
  if (j.contains("near_ties")) {  // optional: sets written before it have no such field
    const json& t = ObjectField(j, "near_ties", path);
    info.tie_margin = NumberField(t, "relative_margin", path);
    info.act_near_ties = IntField(t, "activations", 0, L::kMaxArrayElements, path);
    info.wgt_near_ties = IntField(t, "weights", 0, L::kMaxArrayElements, path);
  }
  const json& files = ObjectField(j, "files", path);
  for (int k = 0; k < 3; ++k) {
    const json& f = ObjectField(files, kFileKeys[k], path);
    LayerFile lf{StringField(f, "file", path), StringField(f, "sha256", path)};
    if (!IsSafeName(lf.file))
      throw FormatError(path + ": file name '" + lf.file.substr(0, 64) +
                        "' is not a plain file name ([A-Za-z0-9._-], not starting with '.')");
    if (!IsHex64(lf.sha256))
      throw FormatError(path + ": sha256 of '" + lf.file + "' is not 64 lowercase hex digits");
    if (files_out) files_out[k] = lf;
  }
  return info;
}

LayerVectors ReadLayer(const std::string& dir, const Manifest& manifest, const std::string& layer) {
  const std::string layer_dir = PathInside(dir, layer, dir + "/manifest.json");
  const std::string path = layer_dir + "/layer.json";
  LayerFile files[3];
  LayerVectors v;
  v.info =
      ParseLayerInfo(ReadRegularFile(PathInside(layer_dir, "layer.json", path), kMaxLayerJsonBytes),
                     path, manifest, layer, files);
  const ConvGeometry& g = v.info.geometry;

  auto load = [&](int k, DType dtype, const std::vector<int64_t>& shape) {
    const std::string file = PathInside(layer_dir, files[k].file, path);
    auto bytes = ReadRegularFile(file, MaxNpyFileBytes(dtype, shape));
    if (Sha256Hex(bytes) != files[k].sha256)
      throw FormatError(file + ": sha256 does not match layer.json (file changed or corrupt)");
    NpyArray a = DecodeNpy(bytes, file);
    CheckArray(a, dtype, shape, file);
    return std::pair{a, file};
  };
  std::string act_file, wgt_file;
  std::tie(v.act, act_file) = load(0, DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w});
  std::tie(v.wgt, wgt_file) =
      load(1, DType::kInt8, {g.out_channels, g.in_channels, g.kernel, g.kernel});
  v.psum = load(2, DType::kInt32, {g.batch, g.out_channels, g.OutH(), g.OutW()}).first;

  // Values outside the lanes' ranges would be truncated by the RTL's ports or are outside what
  // the quantizer produces: refuse them here so that no tool simulates or verifies them.
  const int act_max = (1 << v.info.act_bits) - 1;
  const uint8_t* a = v.act.Data<uint8_t>();
  for (int64_t i = 0; i < v.act.NumElements(); ++i)
    if (a[i] > act_max)
      throw FormatError(act_file + ": activation " + std::to_string(a[i]) + " at flat index " +
                        std::to_string(i) + " exceeds the " + std::to_string(v.info.act_bits) +
                        "-bit maximum " + std::to_string(act_max));
  const int wgt_max = (1 << (v.info.wgt_bits - 1)) - 1;
  const int8_t* w = v.wgt.Data<int8_t>();
  for (int64_t i = 0; i < v.wgt.NumElements(); ++i)
    if (w[i] > wgt_max || w[i] < -wgt_max)
      throw FormatError(wgt_file + ": weight " + std::to_string(w[i]) + " at flat index " +
                        std::to_string(i) + " is outside the " + std::to_string(v.info.wgt_bits) +
                        "-bit range +-" + std::to_string(wgt_max));
  return v;
}

LayerVectors ReadLayer(const std::string& dir, const std::string& layer) {
  return ReadLayer(dir, ReadManifest(dir), layer);
}

std::string ManifestSha256(const std::string& dir) {
  return Sha256Hex(ReadRegularFile(dir + "/manifest.json", kMaxManifestBytes));
}

std::string SetSha256(const std::string& dir, const Manifest& manifest) {
  std::vector<uint8_t> all;
  auto add = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string head = name + " " + std::to_string(bytes.size()) + "\n";
    all.insert(all.end(), head.begin(), head.end());
    all.insert(all.end(), bytes.begin(), bytes.end());
  };
  add("manifest.json", ReadRegularFile(dir + "/manifest.json", kMaxManifestBytes));
  for (const std::string& layer : manifest.layers) {
    const std::string layer_dir = PathInside(dir, layer, dir + "/manifest.json");
    const std::string path = layer_dir + "/layer.json";
    add(layer + "/layer.json",
        ReadRegularFile(PathInside(layer_dir, "layer.json", path), kMaxLayerJsonBytes));
  }
  return Sha256Hex(all);
}

}  // namespace sa::vectors
