// Units, shards and seeds of a regression.
#include "sim/plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace sa::sim {
namespace {

// A non-negative decimal integer that is the whole of `text` (no sign, no spaces, < 2^53).
bool ParseCount(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::stoll(text);
  return true;
}

Shard CheckedShard(int64_t index, int64_t count, const std::string& what) {
  if (count < 1 || count > 1000000 || index < 0 || index >= count)
    throw std::invalid_argument(what + ": shard " + std::to_string(index) + " of " +
                                std::to_string(count) + " is out of range (need 0 <= I < N)");
  return Shard{static_cast<int>(index), static_cast<int>(count)};
}

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int64_t EnvCount(const char* name) {
  int64_t v = 0;
  if (!ParseCount(Env(name), &v))
    throw std::invalid_argument(std::string(name) + "='" + Env(name) +
                                "' is not a non-negative integer");
  return v;
}

}  // namespace

Shard ParseShard(const std::string& text, const std::string& flag) {
  const size_t slash = text.find('/');
  int64_t index = 0, count = 0;
  if (slash == std::string::npos || !ParseCount(text.substr(0, slash), &index) ||
      !ParseCount(text.substr(slash + 1), &count))
    throw std::invalid_argument(flag + " '" + text + "': expected I/N, e.g. 0/4, or auto");
  return CheckedShard(index, count, flag + " " + text);
}

Shard ShardFromEnvironment() {
  if (Env("SLURM_ARRAY_TASK_ID") && Env("SLURM_ARRAY_TASK_COUNT")) {
    const int64_t min = Env("SLURM_ARRAY_TASK_MIN") ? EnvCount("SLURM_ARRAY_TASK_MIN") : 0;
    return CheckedShard(EnvCount("SLURM_ARRAY_TASK_ID") - min, EnvCount("SLURM_ARRAY_TASK_COUNT"),
                        "SLURM_ARRAY_TASK_ID/COUNT");
  }
  if (Env("GTEST_SHARD_INDEX") && Env("GTEST_TOTAL_SHARDS"))
    return CheckedShard(EnvCount("GTEST_SHARD_INDEX"), EnvCount("GTEST_TOTAL_SHARDS"),
                        "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS");
  return Shard{};
}

std::vector<std::string> ParseLayerSelection(const std::string& text,
                                             const vectors::Manifest& manifest,
                                             const std::string& set_dir) {
  if (text.empty()) return manifest.layers;
  std::vector<std::string> names;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) names.push_back(item);
  if (names.empty()) throw std::invalid_argument("--layers: no layer named");
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(manifest.layers.begin(), manifest.layers.end(), names[i]) ==
        manifest.layers.end())
      throw std::invalid_argument("--layers: '" + names[i] + "' is not a layer of " + set_dir);
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::invalid_argument("--layers: '" + names[i] + "' is named twice");
  }
  return names;
}

std::vector<int64_t> ParseImageSelection(const std::string& text,
                                         const std::vector<int64_t>& set_images,
                                         const std::string& set_dir) {
  std::unordered_map<int64_t, int64_t> position_of;  // test index -> first position in the set
  for (size_t i = 0; i < set_images.size(); ++i)
    position_of.emplace(set_images[i], static_cast<int64_t>(i));
  std::vector<bool> taken(set_images.size(), false);
  std::vector<int64_t> positions;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(begin, end - begin);
    begin = end + 1;
    const size_t dots = item.find("..");
    int64_t lo = 0, hi = 0;
    const bool ok = dots == std::string::npos
                        ? ParseCount(item, &lo) && (hi = lo, true)
                        : ParseCount(item.substr(0, dots), &lo) &&
                              ParseCount(item.substr(dots + 2), &hi) && lo <= hi;
    if (!ok)
      throw std::invalid_argument("--images '" + item.substr(0, 40) +
                                  "': expected test-image indices or ranges, e.g. 0..99,120");
    if (hi - lo >= static_cast<int64_t>(set_images.size()))
      throw std::invalid_argument("--images " + item + ": more images than the set's " +
                                  std::to_string(set_images.size()));
    for (int64_t t = lo; t <= hi; ++t) {
      auto it = position_of.find(t);
      if (it == position_of.end())
        throw std::invalid_argument("--images: test image " + std::to_string(t) + " is not in " +
                                    set_dir);
      if (taken[static_cast<size_t>(it->second)])
        throw std::invalid_argument("--images: test image " + std::to_string(t) +
                                    " is named twice");
      taken[static_cast<size_t>(it->second)] = true;
      positions.push_back(it->second);
    }
  }
  return positions;
}

std::vector<Unit> PlanUnits(const vectors::Manifest& manifest,
                            const std::vector<std::string>& layers,
                            const std::vector<int64_t>& images) {
  std::vector<Unit> plan;
  plan.reserve(layers.size() * images.size());
  std::vector<std::vector<int64_t>> by_chunk(vectors::ChunkCount(manifest));
  for (int64_t pos : images) by_chunk[vectors::ChunkOfImage(manifest, pos)].push_back(pos);
  for (size_t k = 0; k < by_chunk.size(); ++k)
    for (const std::string& layer : layers)
      for (int64_t pos : by_chunk[k])
        plan.push_back(Unit{static_cast<int64_t>(plan.size()), layer, pos,
                            manifest.images[static_cast<size_t>(pos)], k});
  return plan;
}

std::vector<Unit> UnitsOfShard(const std::vector<Unit>& plan, Shard shard) {
  std::vector<Unit> out;
  for (const Unit& u : plan)
    if (u.index % shard.count == shard.index) out.push_back(u);
  return out;
}

uint64_t UnitSeed(uint64_t seed, const std::string& layer, int64_t test_image) {
  // FNV-1a over the layer name and the image index, mixed with the seed.
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : layer) h = (h ^ c) * 1099511628211ULL;
  for (int b = 0; b < 8; ++b)
    h = (h ^ ((static_cast<uint64_t>(test_image) >> (8 * b)) & 0xff)) * 1099511628211ULL;
  return h ^ (seed * 0x9E3779B97F4A7C15ULL);
}

vectors::LayerVectors ImageSlice(const vectors::LayerVectors& layer, int64_t image) {
  vectors::LayerVectors one;
  one.info = layer.info;
  one.info.geometry.batch = 1;
  one.wgt = layer.wgt;
  auto slice = [image](const vectors::NpyArray& a) {
    vectors::NpyArray s;
    s.dtype = a.dtype;
    s.shape = a.shape;
    s.shape[0] = 1;
    const size_t per_image = a.bytes.size() / static_cast<size_t>(a.shape[0]);
    s.bytes.assign(a.bytes.begin() + static_cast<std::ptrdiff_t>(per_image * image),
                   a.bytes.begin() + static_cast<std::ptrdiff_t>(per_image * (image + 1)));
    return s;
  };
  one.act = slice(layer.act);
  one.psum = slice(layer.psum);
  return one;
}

}  // namespace sa::sim
