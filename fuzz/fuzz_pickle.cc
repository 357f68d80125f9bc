// libFuzzer target: OrderedDictsAsDicts (golden/pickle_rewrite.h) either refuses a pickle
// program with a runtime_error or returns one that ends in STOP, holds no OrderedDict global and
// is left unchanged by a second rewrite.
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
    if (out.size() > program.size()) std::abort();  // it only ever drops or shortens
    if (sa::golden::OrderedDictsAsDicts(out, "again.pkl") != out) std::abort();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
