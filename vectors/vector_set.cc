// Writing and strict, verified reading of sa-vectors sets (manifest.json, layer.json + .npy).
#include "vectors/vector_set.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "vectors/npz.h"
#include "vectors/output.h"
#include "vectors/sha256.h"

namespace sa::vectors {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFileKeys[3] = {"act", "wgt", "psum"};
constexpr const char* kChunkPrefix = "chunk-";

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Bytes a .npz holding one member of at most `npy_bytes` can have: deflate's stored blocks add
// 5 bytes per 16 KiB at worst, the zip headers about 100 plus the name twice.
uint64_t MaxNpzFileBytes(uint64_t npy_bytes) { return npy_bytes + npy_bytes / 1024 + 4096; }

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
  std::set<std::string> layers, chunks;
  try {
    const Manifest m = ReadManifest(dir);
    for (const std::string& l : m.layers) layers.insert(l);
    for (const Chunk& c : m.chunks) chunks.insert(c.dir);
  } catch (const FormatError&) {
    return "manifest.json (unreadable)";
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.json" && e.is_regular_file(ec) && !e.is_symlink(ec)) continue;
    if (e.is_symlink(ec) || !e.is_directory(ec)) return name;
    if (chunks.count(name)) {
      const std::string inside = ForeignEntry(e.path().string());
      if (!inside.empty()) return name + "/" + inside;
      continue;
    }
    if (!layers.count(name) || !chunks.empty()) return name;
    for (const auto& f : fs::directory_iterator(e.path(), ec)) {
      const std::string file = f.path().filename().string();
      bool ours = file == "layer.json";
      for (const char* key : kFileKeys)
        ours = ours || file == std::string(key) + ".npy" || file == std::string(key) + ".npz";
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

VectorSetWriter::VectorSetWriter(std::string dir, bool replace, WriteOptions options)
    : dir_(TrimSeparators(std::move(dir))), options_(options), replace_(replace) {
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
  const std::string layer_dir = (chunk_dir_.empty() ? partial_ : chunk_dir_) + "/" + info.name;
  fs::create_directories(layer_dir);
  if (options_.compact && info.psum_min >= INT16_MIN && info.psum_max <= INT16_MAX) {
    NpyArray narrow{DType::kInt16, layer.psum.shape, {}};
    narrow.bytes.resize(static_cast<size_t>(n) * 2);
    for (int64_t i = 0; i < n; ++i) narrow.MutableData<int16_t>()[i] = static_cast<int16_t>(p[i]);
    layer.psum = std::move(narrow);
  }
  json files;
  for (auto [key, array] : {std::pair{"act", &layer.act}, std::pair{"wgt", &layer.wgt},
                            std::pair{"psum", &layer.psum}}) {
    if (array == &layer.psum && !options_.psums) continue;
    const std::string file = std::string(key) + (options_.compact ? ".npz" : ".npy");
    auto bytes =
        options_.compact ? EncodeNpz(std::string(key) + ".npy", *array) : EncodeNpy(*array);
    WriteFileAtomic(layer_dir + "/" + file, bytes);
    files[key] = {{"file", file}, {"sha256", Sha256Hex(bytes)}};
    if (array == &layer.psum)
      files[key]["dtype"] = layer.psum.dtype == DType::kInt16 ? "int16" : "int32";
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

namespace {

// manifest.json: version 1 where the set uses nothing of version 2, so that sets written before
// it stay byte-identical when dumped again.
std::vector<uint8_t> ManifestBytes(const Manifest& m, const WriteOptions& options, bool in_chunks) {
  const bool v2 = options.compact || !options.psums || in_chunks || !m.chunks.empty();
  json j = {{"format", "sa-vectors"},
            {"version", v2 ? 2 : 1},
            {"checkpoint", {{"path", m.checkpoint_path}, {"sha256", m.checkpoint_sha256}}},
            {"act_bits", m.act_bits},
            {"wgt_bits", m.wgt_bits},
            {"images", m.images},
            {"layers", m.layers}};
  if (v2) j["psums"] = options.psums ? "stored" : "computed";
  if (!m.chunks.empty()) {
    j["chunks"] = json::array();
    for (const Chunk& c : m.chunks) j["chunks"].push_back({{"dir", c.dir}, {"images", c.count}});
  }
  return JsonBytes(j);
}

}  // namespace

void VectorSetWriter::BeginChunk() {
  if (!chunk_dir_.empty()) throw std::logic_error("BeginChunk: the previous chunk is open");
  char name[32];
  std::snprintf(name, sizeof(name), "%s%06zu", kChunkPrefix, chunks_.size());
  chunk_dir_ = partial_ + "/" + name;
  fs::create_directories(chunk_dir_);
  chunks_.push_back(Chunk{name, chunk_images_, 0});
}

void VectorSetWriter::EndChunk(Manifest chunk) {
  if (chunk_dir_.empty()) throw std::logic_error("EndChunk: no chunk is open");
  chunk.chunks.clear();
  chunks_.back().count = static_cast<int64_t>(chunk.images.size());
  chunk_images_ += chunks_.back().count;
  WriteFileAtomic(chunk_dir_ + "/manifest.json", ManifestBytes(chunk, options_, true));
  chunk_dir_.clear();
}

void VectorSetWriter::Commit(Manifest m) {
  if (!chunk_dir_.empty()) throw std::logic_error("Commit: a chunk is still open");
  m.chunks = chunks_;
  if (!chunks_.empty() && static_cast<int64_t>(m.images.size()) != chunk_images_)
    throw std::logic_error("Commit: the manifest lists other images than the chunks");
  WriteFileAtomic(partial_ + "/manifest.json", ManifestBytes(m, options_, false));
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
  const int64_t version = IntField(j, "version", 0, INT64_MAX, path);
  if (version < 1 || version > kFormatVersion)
    throw FormatError(path + ": version " + std::to_string(version) +
                      " is not supported (expected 1 to " + std::to_string(kFormatVersion) + ")");
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
  if (version >= 2) {
    const std::string psums = StringField(j, "psums", path);
    if (psums != "stored" && psums != "computed")
      throw FormatError(path + ": psums is '" + psums.substr(0, 32) +
                        "', expected 'stored' or 'computed'");
    m.psums_stored = psums == "stored";
    if (j.contains("chunks")) {
      const json& chunks = ArrayField(j, "chunks", path);
      if (chunks.empty()) throw FormatError(path + ": 'chunks' is empty");
      std::set<std::string> dirs;
      int64_t first = 0;
      for (size_t k = 0; k < chunks.size(); ++k) {
        const std::string where = path + ": chunks[" + std::to_string(k) + "]";
        if (!chunks[k].is_object()) throw FormatError(where + " is not an object");
        Chunk c;
        c.dir = StringField(chunks[k], "dir", where);
        if (!IsSafeName(c.dir) || !dirs.insert(c.dir).second ||
            std::count(m.layers.begin(), m.layers.end(), c.dir))
          throw FormatError(where + ": dir '" + c.dir.substr(0, 64) +
                            "' is not a plain folder name of its own");
        c.first = first;
        c.count = IntField(chunks[k], "images", 1, Limits::kMaxBatch, where);
        first += c.count;
        if (first > static_cast<int64_t>(m.images.size())) break;
        m.chunks.push_back(c);
      }
      if (first != static_cast<int64_t>(m.images.size()))
        throw FormatError(path + ": the chunks hold " + std::to_string(first) +
                          " images, the manifest lists " + std::to_string(m.images.size()));
    }
  }
  return m;
}

size_t ChunkCount(const Manifest& manifest) {
  return manifest.chunks.empty() ? 1 : manifest.chunks.size();
}

size_t ChunkOfImage(const Manifest& manifest, int64_t position) {
  size_t k = 0;
  while (k + 1 < manifest.chunks.size() && manifest.chunks[k + 1].first <= position) ++k;
  return k;
}

ChunkRef OpenChunk(const std::string& dir, const Manifest& m, size_t k) {
  if (m.chunks.empty()) {
    if (k != 0) throw std::logic_error("OpenChunk: a set without chunks has only chunk 0");
    return ChunkRef{dir, m, 0};
  }
  const Chunk& c = m.chunks.at(k);
  ChunkRef r{PathInside(dir, c.dir, dir + "/manifest.json"), {}, c.first};
  r.manifest = ReadManifest(r.dir);
  const std::string path = r.dir + "/manifest.json";
  const auto first = m.images.begin() + c.first;
  if (!r.manifest.chunks.empty()) throw FormatError(path + ": a chunk holds chunks of its own");
  if (r.manifest.checkpoint_path != m.checkpoint_path ||
      r.manifest.checkpoint_sha256 != m.checkpoint_sha256 || r.manifest.act_bits != m.act_bits ||
      r.manifest.wgt_bits != m.wgt_bits || r.manifest.layers != m.layers ||
      r.manifest.psums_stored != m.psums_stored)
    throw FormatError(path + ": checkpoint, bit widths, layers or psums differ from the set's");
  if (!std::equal(r.manifest.images.begin(), r.manifest.images.end(), first, first + c.count) ||
      static_cast<int64_t>(r.manifest.images.size()) != c.count)
    throw FormatError(path + ": its images are not the set's images " + std::to_string(c.first) +
                      ".." + std::to_string(c.first + c.count - 1));
  return r;
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
    if (k == 2 && !manifest.psums_stored) {
      if (files.contains("psum"))
        throw FormatError(path + ": lists a psum file, but the manifest says psums are computed");
      break;
    }
    const json& f = ObjectField(files, kFileKeys[k], path);
    LayerFile lf{StringField(f, "file", path), StringField(f, "sha256", path), ""};
    if (!IsSafeName(lf.file))
      throw FormatError(path + ": file name '" + lf.file.substr(0, 64) +
                        "' is not a plain file name ([A-Za-z0-9._-], not starting with '.')");
    if (!IsHex64(lf.sha256))
      throw FormatError(path + ": sha256 of '" + lf.file + "' is not 64 lowercase hex digits");
    if (k == 2 && f.contains("dtype")) {
      lf.dtype = StringField(f, "dtype", path);
      if (lf.dtype != "int16" && lf.dtype != "int32")
        throw FormatError(path + ": psum dtype '" + lf.dtype.substr(0, 32) +
                          "' is not int16 or int32");
    }
    if (files_out) files_out[k] = lf;
  }
  return info;
}

LayerVectors ReadLayer(const std::string& dir, const Manifest& manifest, const std::string& layer,
                       bool need_psums) {
  if (!manifest.chunks.empty())
    throw std::logic_error("ReadLayer: " + dir + " is chunked; read each chunk (OpenChunk)");
  const std::string layer_dir = PathInside(dir, layer, dir + "/manifest.json");
  const std::string path = layer_dir + "/layer.json";
  LayerFile files[3];
  LayerVectors v;
  v.info =
      ParseLayerInfo(ReadRegularFile(PathInside(layer_dir, "layer.json", path), kMaxLayerJsonBytes),
                     path, manifest, layer, files);
  const ConvGeometry& g = v.info.geometry;

  // A .npz is one deflated .npy named after its key (numpy.load(file)[key]).
  auto load = [&](int k, DType dtype, const std::vector<int64_t>& shape) {
    const std::string file = PathInside(layer_dir, files[k].file, path);
    const bool npz = EndsWith(files[k].file, ".npz");
    const uint64_t max_npy = MaxNpyFileBytes(dtype, shape);
    auto bytes = ReadRegularFile(file, npz ? MaxNpzFileBytes(max_npy) : max_npy);
    if (Sha256Hex(bytes) != files[k].sha256)
      throw FormatError(file + ": sha256 does not match layer.json (file changed or corrupt)");
    NpyArray a = npz ? DecodeNpz(bytes, std::string(kFileKeys[k]) + ".npy", max_npy, file)
                     : DecodeNpy(bytes, file);
    if (k == 2 && files[k].dtype == "int16") dtype = DType::kInt16;  // a compact set's psums
    CheckArray(a, dtype, shape, file);
    return std::pair{a, file};
  };
  std::string act_file, wgt_file;
  std::tie(v.act, act_file) = load(0, DType::kUint8, {g.batch, g.in_channels, g.in_h, g.in_w});
  std::tie(v.wgt, wgt_file) =
      load(1, DType::kInt8, {g.out_channels, g.in_channels, g.kernel, g.kernel});
  if (manifest.psums_stored) {
    v.psum = load(2, DType::kInt32, {g.batch, g.out_channels, g.OutH(), g.OutW()}).first;
    if (v.psum.dtype == DType::kInt16) {  // widened: every user reads int32
      NpyArray wide{DType::kInt32, v.psum.shape, {}};
      wide.bytes.resize(v.psum.bytes.size() * 2);
      const int16_t* src = v.psum.Data<int16_t>();
      for (int64_t i = 0; i < v.psum.NumElements(); ++i) wide.MutableData<int32_t>()[i] = src[i];
      v.psum = std::move(wide);
    }
  }

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
  if (!manifest.psums_stored && need_psums) {  // after the range checks: IntConv2d trusts them
    std::vector<int32_t> psum = IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
    v.psum.dtype = DType::kInt32;
    v.psum.shape = {g.batch, g.out_channels, g.OutH(), g.OutW()};
    v.psum.bytes.assign(reinterpret_cast<const uint8_t*>(psum.data()),
                        reinterpret_cast<const uint8_t*>(psum.data() + psum.size()));
    // The dump recorded the range of the psums it computed: a reference that disagrees, or
    // inputs changed with their checksums, shows here.
    if (!psum.empty()) {
      auto [lo, hi] = std::minmax_element(psum.begin(), psum.end());
      if (*lo != v.info.psum_min || *hi != v.info.psum_max)
        throw FormatError(path + ": the computed psums span [" + std::to_string(*lo) + ", " +
                          std::to_string(*hi) + "], layer.json says [" +
                          std::to_string(v.info.psum_min) + ", " + std::to_string(v.info.psum_max) +
                          "]");
    }
  }
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
  for (const Chunk& c : manifest.chunks) {
    const std::string chunk_dir = PathInside(dir, c.dir, dir + "/manifest.json");
    add(c.dir + "/manifest.json", ReadRegularFile(chunk_dir + "/manifest.json", kMaxManifestBytes));
  }
  for (size_t k = 0; k < ChunkCount(manifest); ++k) {
    const std::string base =
        manifest.chunks.empty() ? dir : PathInside(dir, manifest.chunks[k].dir, dir);
    const std::string prefix = manifest.chunks.empty() ? "" : manifest.chunks[k].dir + "/";
    for (const std::string& layer : manifest.layers) {
      const std::string layer_dir = PathInside(base, layer, base + "/manifest.json");
      const std::string path = layer_dir + "/layer.json";
      add(prefix + layer + "/layer.json",
          ReadRegularFile(PathInside(layer_dir, "layer.json", path), kMaxLayerJsonBytes));
    }
  }
  return Sha256Hex(all);
}

}  // namespace sa::vectors
