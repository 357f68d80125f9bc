// libFuzzer target: DecodeNpy either refuses the bytes with a FormatError or returns an array
// whose data is exactly the bytes its dtype and shape need. Inputs that start as a zip archive
// ("PK") go through DecodeNpz too: refused, or an array within the size bound it was given.
#include <cstdint>
#include <cstdlib>

#include "vectors/npy.h"
#include "vectors/npz.h"

namespace {

void CheckArray(const sa::vectors::NpyArray& a) {
  uint64_t need = sa::vectors::DTypeSize(a.dtype);
  for (int64_t d : a.shape) need *= static_cast<uint64_t>(d);
  if (a.bytes.size() != need) std::abort();  // accepted an array whose size is wrong
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const sa::vectors::NpyArray a = sa::vectors::DecodeNpy(bytes, "fuzz.npy");
    CheckArray(a);
    // What it accepted, re-encoded, decodes to the same array, as .npy and as .npz.
    const sa::vectors::NpyArray b = sa::vectors::DecodeNpy(sa::vectors::EncodeNpy(a), "re.npy");
    if (b.shape != a.shape || b.dtype != a.dtype || b.bytes != a.bytes) std::abort();
    const sa::vectors::NpyArray c = sa::vectors::DecodeNpz(
        sa::vectors::EncodeNpz("a.npy", a), "a.npy", sa::vectors::EncodeNpy(a).size(), "re.npz");
    if (c.shape != a.shape || c.dtype != a.dtype || c.bytes != a.bytes) std::abort();
  } catch (const sa::vectors::FormatError&) {
  }
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    constexpr uint64_t kBound = 1 << 20;  // what a shape would allow
    try {
      const sa::vectors::NpyArray z = sa::vectors::DecodeNpz(bytes, "act.npy", kBound, "fuzz.npz");
      CheckArray(z);
      if (z.bytes.size() > kBound) std::abort();
    } catch (const sa::vectors::FormatError&) {
    }
  }
  return 0;
}
