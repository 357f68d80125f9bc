// libFuzzer target: DecodeNpy either refuses the bytes with a FormatError or returns an array
// whose data is exactly the bytes its dtype and shape need.
#include <cstdint>
#include <cstdlib>

#include "vectors/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    const sa::vectors::NpyArray a = sa::vectors::DecodeNpy(bytes, "fuzz.npy");
    uint64_t need = sa::vectors::DTypeSize(a.dtype);
    for (int64_t d : a.shape) need *= static_cast<uint64_t>(d);
    if (a.bytes.size() != need) std::abort();  // accepted an array whose size is wrong
    // What it accepted, re-encoded, decodes to the same array.
    const sa::vectors::NpyArray b = sa::vectors::DecodeNpy(sa::vectors::EncodeNpy(a), "re.npy");
    if (b.shape != a.shape || b.dtype != a.dtype || b.bytes != a.bytes) std::abort();
  } catch (const sa::vectors::FormatError&) {
  }
  return 0;
}
