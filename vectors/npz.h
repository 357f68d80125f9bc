// One array as a deflated .npz file (what numpy.savez_compressed writes, read by numpy.load):
// a zip archive holding one .npy member. Compact vector sets use it (vectors/README.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/npy.h"

namespace sa::vectors {

// The bytes of an .npz holding `array` as the one member `member` (e.g. "act.npy"), deflated (zlib
// level 1). Byte-identical for the same array: the member's time stamp is fixed.
std::vector<uint8_t> EncodeNpz(const std::string& member, const NpyArray& array);

// Decodes `bytes` (the file `name`, for error messages): a zip archive of exactly one member,
// named `member`, whose uncompressed size is at most `max_npy_bytes` and whose CRC checks. The
// member is inflated into a buffer of its declared size only after that bound is checked, so a
// hostile archive cannot make the reader allocate more than the geometry allows.
NpyArray DecodeNpz(const std::vector<uint8_t>& bytes, const std::string& member,
                   uint64_t max_npy_bytes, const std::string& name);

}  // namespace sa::vectors
