// Strict reading of every file a user hands the tools: regular files only, a size cap per file
// kind, names from a safe character set, JSON without duplicate keys, checked integer fields and
// overflow-checked products. Each refusal is a FormatError whose message names the file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa::vectors {

// A user-caused problem with an input (missing, truncated, corrupt, hostile): the message names
// the file or flag and what is wrong, and main() prints it as one line and exits 2.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Size caps per file kind (bytes). The .npy caps are derived from the declared geometry instead.
constexpr uint64_t kMaxManifestBytes = 16ull << 20;   // 10,000-image sets list 10,000 indices
constexpr uint64_t kMaxLayerJsonBytes = 64ull << 10;  // a layer.json is about 1 KiB
constexpr uint64_t kMaxNpyHeaderBytes = 65535;        // the .npy v1.0 limit; numpy's is 10,000

// `text` made safe to print as one line: control characters (a newline decoded from a JSON
// string, a terminal escape) become '?'. main() prints every error through it.
std::string OneLine(const std::string& text);

// Reads a whole regular file of at most `max_bytes`. Refuses directories, FIFOs, devices and
// sockets without blocking on them (the file is opened O_NONBLOCK and checked with fstat), and
// files that grow past their size while being read.
std::vector<uint8_t> ReadRegularFile(const std::string& path, uint64_t max_bytes);

// Size of a regular file (same refusals as ReadRegularFile, nothing read).
uint64_t RegularFileSize(const std::string& path);

// True when `name` is a safe single path component: 1-128 characters of [A-Za-z0-9._-], not
// starting with '.', so it can be neither "." nor ".." nor hidden, nor hold a separator.
bool IsSafeName(const std::string& name);

// `root`/`name` after checking that `name` is safe and that the path, with every symbolic link
// resolved, still lies inside `root` (links inside a vector set are allowed only if they do).
std::string PathInside(const std::string& root, const std::string& name, const std::string& what);

// Parses JSON text, refusing duplicate keys in any object, nesting deeper than 16, arrays of
// more than `max_array` elements (0: no limit; refused while parsing, before the rest is read
// into memory) and anything that is not one JSON value; errors name `path`.
nlohmann::json ParseStrictJson(const std::vector<uint8_t>& bytes, const std::string& path,
                               size_t max_array = 0);

// Typed fields of a JSON object. Integers must be JSON integers (not 1.0, not true) within
// [lo, hi]; numbers must be finite; a missing field or wrong type names the file and the key.
int64_t IntField(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi,
                 const std::string& path);
double NumberField(const nlohmann::json& j, const char* key, const std::string& path);
std::string StringField(const nlohmann::json& j, const char* key, const std::string& path);
const nlohmann::json& ObjectField(const nlohmann::json& j, const char* key,
                                  const std::string& path);
const nlohmann::json& ArrayField(const nlohmann::json& j, const char* key, const std::string& path);
// An integer element of an array (the same rules as IntField); `what` names it in messages.
int64_t IntValue(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& what,
                 const std::string& path);

// a * b, or a FormatError naming `what` when the product leaves [0, limit].
int64_t CheckedProduct(std::initializer_list<int64_t> factors, int64_t limit,
                       const std::string& what);

}  // namespace sa::vectors
