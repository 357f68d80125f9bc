// NumPy .npy (version 1.0, little-endian, C order) reading and atomic writing for the vector set.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa::vectors {

// A user-caused problem with a file (missing, truncated, corrupt, wrong shape): the message
// names the file and what is wrong, and main() prints it as one line.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DType { kUint8, kInt8, kInt32 };

const char* DTypeDescr(DType dtype);  // "|u1", "|i1", "<i4"
size_t DTypeSize(DType dtype);

struct NpyArray {
  DType dtype = DType::kUint8;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // raw little-endian element data, C order

  int64_t NumElements() const;
  template <typename T>
  const T* Data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  template <typename T>
  T* MutableData() {
    return reinterpret_cast<T*>(bytes.data());
  }
};

// Serializes to the exact bytes of a .npy file (header padded to a multiple of 64 bytes).
std::vector<uint8_t> EncodeNpy(const NpyArray& array);
// Parses .npy bytes; `name` appears in error messages.
NpyArray DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name);

NpyArray ReadNpy(const std::string& path);
// Writes to PATH.tmp, then renames, so that a crash never leaves a half-written file.
void WriteNpy(const std::string& path, const NpyArray& array);

// Whole-file helpers shared by the reader and writer of the vector set.
std::vector<uint8_t> ReadFileBytes(const std::string& path);
void WriteFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace sa::vectors
