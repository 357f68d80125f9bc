// NumPy .npy codec. Written by hand: no maintained C++ library in Debian reads and writes .npy.
#include "vectors/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace sa::vectors {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kPreludeLen = kMagicLen + 2 + 2;  // magic, version, header length (v1.0)

}  // namespace

const char* DTypeDescr(DType dtype) {
  switch (dtype) {
    case DType::kUint8:
      return "|u1";
    case DType::kInt8:
      return "|i1";
    case DType::kInt32:
      return "<i4";
  }
  return "?";
}

size_t DTypeSize(DType dtype) { return dtype == DType::kInt32 ? 4 : 1; }

int64_t NpyArray::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<uint8_t> EncodeNpy(const NpyArray& array) {
  std::ostringstream header;
  header << "{'descr': '" << DTypeDescr(array.dtype) << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < array.shape.size(); ++i) {
    header << array.shape[i] << (array.shape.size() == 1 || i + 1 < array.shape.size() ? "," : "");
    if (i + 1 < array.shape.size()) header << ' ';
  }
  header << "), }";
  std::string text = header.str();
  // Pad with spaces and end with '\n' so that data starts at a multiple of 64 bytes.
  size_t total = kPreludeLen + text.size() + 1;
  text.append((64 - total % 64) % 64, ' ');
  text.push_back('\n');

  std::vector<uint8_t> out(kMagic, kMagic + kMagicLen);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(text.size() & 0xff));
  out.push_back(static_cast<uint8_t>(text.size() >> 8));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return out;
}

NpyArray DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw FormatError(name + ": " + what); };
  if (bytes.size() < kPreludeLen || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    fail("not a .npy file (bad magic)");
  if (bytes[6] != 1 || bytes[7] != 0) fail("unsupported .npy version (expected 1.0)");
  size_t header_len = bytes[8] | (static_cast<size_t>(bytes[9]) << 8);
  if (bytes.size() < kPreludeLen + header_len) fail("truncated .npy header");
  std::string header(bytes.begin() + kPreludeLen, bytes.begin() + kPreludeLen + header_len);

  static const std::regex kDescr(R"('descr':\s*'([^']*)')");
  static const std::regex kOrder(R"('fortran_order':\s*(True|False))");
  static const std::regex kShape(R"('shape':\s*\(([^)]*)\))");
  std::smatch m;
  NpyArray array;
  if (!std::regex_search(header, m, kDescr)) fail("header has no descr");
  std::string descr = m[1];
  if (descr == "|u1" || descr == "u1") {
    array.dtype = DType::kUint8;
  } else if (descr == "|i1" || descr == "i1") {
    array.dtype = DType::kInt8;
  } else if (descr == "<i4") {
    array.dtype = DType::kInt32;
  } else {
    fail("unsupported dtype '" + descr + "' (expected uint8, int8 or little-endian int32)");
  }
  if (!std::regex_search(header, m, kOrder) || m[1] != "False") fail("not in C order");
  if (!std::regex_search(header, m, kShape)) fail("header has no shape");
  std::stringstream dims(m[1]);
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    size_t first = dim.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    try {
      long long d = std::stoll(dim.substr(first));
      if (d < 0) fail("negative dimension in shape");
      array.shape.push_back(d);
    } catch (const std::logic_error&) {
      fail("bad shape '" + std::string(m[1]) + "'");
    }
  }
  size_t expected = static_cast<size_t>(array.NumElements()) * DTypeSize(array.dtype);
  size_t have = bytes.size() - kPreludeLen - header_len;
  if (have != expected)
    fail("data is " + std::to_string(have) + " bytes, shape needs " + std::to_string(expected) +
         (have < expected ? " (truncated)" : " (trailing bytes)"));
  array.bytes.assign(bytes.begin() + kPreludeLen + header_len, bytes.end());
  return array;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open (" + std::strerror(errno) + ")");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw FormatError(tmp + ": cannot create (" + std::strerror(errno) + ")");
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw FormatError(tmp + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw FormatError(path + ": cannot rename into place (" + std::strerror(errno) + ")");
  }
}

NpyArray ReadNpy(const std::string& path) { return DecodeNpy(ReadFileBytes(path), path); }

void WriteNpy(const std::string& path, const NpyArray& array) {
  WriteFileAtomic(path, EncodeNpy(array));
}

}  // namespace sa::vectors
