// Helpers shared by the test suites: scratch folders and running the project's executables.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "vectors/npy.h"
#include "vectors/output.h"
#include "vectors/sha256.h"

namespace sa::testing {

// A fresh folder under the system temp dir, unique to this process.
inline std::string TempDir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / ("sa_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// A CIFAR-10 binary folder with `per_batch` records in each of the six files.
inline std::string WriteFakeBinaryCifar(const std::string& dir, int per_batch) {
  std::mt19937 rng(1);
  auto write = [&](const std::string& name) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    for (int i = 0; i < per_batch; ++i) {
      const uint8_t label = static_cast<uint8_t>(i % 10);
      out.put(static_cast<char>(label));
      // Class-dependent brightness so that a model can learn something.
      for (int p = 0; p < 3072; ++p) out.put(static_cast<char>((label * 25 + rng() % 20) & 0xff));
    }
  };
  for (int b = 1; b <= 5; ++b) write("data_batch_" + std::to_string(b) + ".bin");
  write("test_batch.bin");
  return dir;
}

// The whole content of a file (empty if it cannot be read).
inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// .npy bytes with a given header text and data, version `major` (1 or 2): hand-made headers
// for the reader's tests.
inline std::vector<uint8_t> NpyWithHeader(const std::string& header,
                                          const std::vector<uint8_t>& data, int major = 1) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t n = header.size();
  out.push_back(static_cast<uint8_t>(n & 0xff));
  out.push_back(static_cast<uint8_t>((n >> 8) & 0xff));
  if (major == 2) {
    out.push_back(static_cast<uint8_t>((n >> 16) & 0xff));
    out.push_back(static_cast<uint8_t>(n >> 24));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

struct CommandResult {
  int status;
  std::string output;  // stdout and stderr together
};

inline CommandResult RunCommand(const std::string& cmd) {
  std::array<char, 4096> buf;
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Replaces one file of a vector-set layer and fixes its checksum in layer.json, as a wrong
// golden model would: the readers' sha256 check then passes and later checks must catch it.
inline void RewriteWithChecksum(const std::string& layer_dir, const std::string& file,
                                const std::vector<uint8_t>& bytes) {
  const std::string old_sha = vectors::Sha256File(layer_dir + "/" + file);
  vectors::WriteFileAtomic(layer_dir + "/" + file, bytes);
  auto text = vectors::ReadRegularFile(layer_dir + "/layer.json", 1 << 30);
  std::string j(text.begin(), text.end());
  j.replace(j.find(old_sha), old_sha.size(), vectors::Sha256Hex(bytes));
  vectors::WriteFileAtomic(layer_dir + "/layer.json", std::vector<uint8_t>(j.begin(), j.end()));
}

}  // namespace sa::testing
