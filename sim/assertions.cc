// The pending RTL assertion hit (sim/assertions.h). One per process: SystemC runs one model at a
// time in one thread, and each worker of --jobs is a process of its own.
#include "sim/assertions.h"

#include <fstream>
#include <regex>
#include <vector>

namespace sa::sim {
namespace {
bool pending = false;
AssertionHit hit_;
}  // namespace

std::string AssertionLabel(const std::string& file, int line) {
  // Verilator names the line of the failing check, which may be a continuation of the
  // statement that carries the label: look up to 5 lines back.
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string text;
  for (int n = 0; n < line && std::getline(in, text); ++n) lines.push_back(text);
  const std::regex label(R"(([A-Za-z_][A-Za-z0-9_$]*)\s*:\s*(assert|assume)\b)");
  for (int k = static_cast<int>(lines.size()) - 1; k >= 0 && k >= line - 6; --k) {
    std::smatch m;
    if (std::regex_search(lines[static_cast<size_t>(k)], m, label)) return m[1].str();
  }
  return "";
}

void RecordAssertion(const char* file, int line) {
  if (pending) return;  // the first one of the edge says where it went wrong
  pending = true;
  hit_.file = file ? file : "";
  hit_.line = line;
  hit_.name = AssertionLabel(hit_.file, line);
  if (hit_.name.empty()) hit_.name = "assertion";
}

bool TakeAssertion(AssertionHit* hit) {
  if (!pending) return false;
  *hit = hit_;
  pending = false;
  return true;
}

}  // namespace sa::sim
