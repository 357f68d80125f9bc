// NumPy .npy (version 1.0, little-endian, C order) reading and atomic writing for the vector set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vectors/input.h"

namespace sa::vectors {

enum class DType { kUint8, kInt8, kInt16, kInt32 };

const char* DTypeDescr(DType dtype);  // "|u1", "|i1", "<i2", "<i4"
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
// Parses .npy bytes (versions 1.0 and 2.0); `name` appears in error messages. The header is
// read by a small parser of the Python dict literal that numpy writes, accepting what numpy's
// read_array_header_1_0/2_0 accept in the forms real writers produce (any key order, quote style,
// whitespace, trailing commas; a repeated key takes its last value, as in Python) and refusing
// everything numpy refuses: non-ASCII or NUL bytes, keys other than descr/fortran_order/shape,
// shapes that are not tuples of integers, headers over numpy's 10,000-byte limit. Rarer Python
// spellings (hex or underscored integers, escapes, comments, Python 2 longs) are refused too.
// The element count is overflow-checked against the data actually present.
NpyArray DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name);

// Bytes an .npy file of `dtype` and `shape` can have at most: the longest header plus the data.
uint64_t MaxNpyFileBytes(DType dtype, const std::vector<int64_t>& shape);

// Reads a regular file of at most `max_bytes` (see ReadRegularFile) and decodes it.
NpyArray ReadNpy(const std::string& path, uint64_t max_bytes = 1ull << 30);
// Writes through a fresh temporary file beside PATH, then renames (see WriteFileAtomic).
void WriteNpy(const std::string& path, const NpyArray& array);

}  // namespace sa::vectors
