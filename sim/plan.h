// What a regression runs: units of one layer and one image, in a fixed order, split into
// shards (processes, Slurm array tasks) so that any split gives the same per-unit results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/vector_set.h"

namespace sa::sim {

// One layer of one image of the set: the smallest piece of work, with its own stall seed.
struct Unit {
  int64_t index = 0;  // position in the whole plan (chunk-major, layer-major, then images)
  std::string layer;
  int64_t image = 0;        // position of the image in the set (the manifest's images)
  int64_t test_image = -1;  // its test-set index, as the manifest lists it
  size_t chunk = 0;         // the set's chunk holding the image (0 in a set without chunks)
};

// Shard `index` of `count` (0 <= index < count) takes the units whose plan index % count ==
// index: every layer's images are spread over all shards, so shards finish together.
struct Shard {
  int index = 0, count = 1;
};

// "I/N" from --shard; throws std::invalid_argument naming `flag`.
Shard ParseShard(const std::string& text, const std::string& flag);
// The shard the environment assigns, where a scheduler set one: Slurm's job arrays
// (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT), else GoogleTest's
// convention (GTEST_SHARD_INDEX of GTEST_TOTAL_SHARDS); {0, 1} when neither is set. A
// malformed variable is an error naming it.
Shard ShardFromEnvironment();

// Comma-separated layer names (empty: every layer of the set, in its order); each must be a
// layer of the set, and none named twice. Throws std::invalid_argument naming --layers.
std::vector<std::string> ParseLayerSelection(const std::string& text,
                                             const vectors::Manifest& manifest,
                                             const std::string& set_dir);

// Test-set indices and ranges ("0..99,120"), each of which must be an image of the set;
// returns their positions in the set, in the order given. Throws std::invalid_argument naming
// --images.
std::vector<int64_t> ParseImageSelection(const std::string& text,
                                         const std::vector<int64_t>& set_images,
                                         const std::string& set_dir);

// The plan: chunk by chunk (so that a run holds one chunk's layer at a time), `layers` in the
// order given, each over the chunk's `images` (positions in the set) in the order given. For a
// set without chunks: layer-major.
std::vector<Unit> PlanUnits(const vectors::Manifest& manifest,
                            const std::vector<std::string>& layers,
                            const std::vector<int64_t>& images);
std::vector<Unit> UnitsOfShard(const std::vector<Unit>& plan, Shard shard);

// The stall pattern of a unit depends on the run's seed, the layer's name and the test image
// only, so a narrowed rerun (--layers L --images T) repeats a failure cycle for cycle.
uint64_t UnitSeed(uint64_t seed, const std::string& layer, int64_t test_image);

// Image `image` (a position in the batch) of a layer, as a batch of one.
vectors::LayerVectors ImageSlice(const vectors::LayerVectors& layer, int64_t image);

}  // namespace sa::sim
