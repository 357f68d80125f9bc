// libFuzzer target: OrderedDictsAsDicts (golden/pickle_rewrite.h) either refuses a pickle
// program with a runtime_error or returns one that ends in STOP; ASan
// and UBSan watch the walk itself. (A second rewrite of the output may refuse it: the slot of
// the OrderedDict class is dropped, so the memo numbering no longer starts at 0.)
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "golden/pickle_rewrite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string program(reinterpret_cast<const char*>(data), size);
  try {
    const std::string out = sa::golden::OrderedDictsAsDicts(program, "fuzz.pkl");
    if (out.empty() || out.back() != '.') std::abort();
    try {
      sa::golden::OrderedDictsAsDicts(out, "again.pkl");
    } catch (const std::runtime_error&) {
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
