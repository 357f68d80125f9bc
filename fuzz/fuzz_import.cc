// libFuzzer target: the reader behind `sa-golden import` (golden/state_dict_reader.h) on
// arbitrary bytes. It must either throw std::runtime_error or return tensors that lie inside
// their storage records; each returned tensor is then read in full. Our zip check, read adapter
// and pickle walk run under ASan + UBSan; LibTorch itself is not instrumented, so a read of
// its outside a record would crash the target rather than be reported.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "golden/state_dict_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const sa::golden::StateDict sd =
        sa::golden::ReadStateDict(std::vector<uint8_t>(data, data + size), "fuzz.pth");
    for (const auto& [name, t] : sd.tensors)
      if (t.numel() <= (int64_t{1} << 20)) (void)t.contiguous().clone();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
