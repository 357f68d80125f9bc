// NumPy .npy codec. Written by hand: no maintained C++ library in Debian reads and writes .npy.
#include "vectors/npy.h"

#include <cctype>
#include <cstring>
#include <sstream>

#include "vectors/output.h"

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
    case DType::kInt16:
      return "<i2";
    case DType::kInt32:
      return "<i4";
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  return dtype == DType::kInt32 ? 4 : dtype == DType::kInt16 ? 2 : 1;
}

int64_t NpyArray::NumElements() const {
  // Shapes are checked against the data present when decoded, so this cannot overflow.
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

namespace {

constexpr size_t kMaxHeaderLen = 10000;  // numpy's max_header_size default (numpy >= 1.24)

// The header dict as numpy's safe_eval would see it.
struct HeaderDict {
  std::string descr;
  bool has_descr = false, has_order = false, has_shape = false, fortran_order = false;
  std::vector<int64_t> shape;
};

// Recursive-descent parser of "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }".
// Written by hand: std::regex recursed per character and overflowed the stack on long headers,
// and no Debian library parses Python literals from C++. Nesting is bounded (dict, then tuple).
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  HeaderDict Parse() {
    for (unsigned char c : s_)
      if (c == 0 || c >= 0x80) Fail("header holds a non-ASCII or NUL byte (numpy refuses it)");
    HeaderDict d;
    Skip();
    Expect('{');
    Skip();
    while (!Peek('}')) {
      const std::string key = String();
      Skip();
      Expect(':');
      Skip();
      if (key == "descr") {
        d.descr = String();
        d.has_descr = true;
      } else if (key == "fortran_order") {
        d.fortran_order = Bool();
        d.has_order = true;
      } else if (key == "shape") {
        d.shape = Tuple();
        d.has_shape = true;
      } else {
        Fail("header has key '" + key.substr(0, 32) +
             "' (numpy allows only descr, fortran_order, shape)");
      }
      Skip();
      if (Peek(',')) {
        ++i_;
        Skip();
      } else if (!Peek('}')) {
        Fail("header: expected ',' or '}' at byte " + Pos());
      }
    }
    ++i_;
    Skip();
    if (i_ != s_.size()) Fail("header has text after the dict at byte " + Pos());
    if (!d.has_descr || !d.has_order || !d.has_shape)
      Fail("header lacks one of descr, fortran_order, shape");
    return d;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const { throw FormatError(name_ + ": " + what); }
  std::string Pos() const { return std::to_string(i_); }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool IsWordChar(size_t at) const {
    return at < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at])) || s_[at] == '_');
  }
  void Expect(char c) {
    if (!Peek(c)) Fail(std::string("header: expected '") + c + "' at byte " + Pos());
    ++i_;
  }
  void Skip() {
    while (i_ < s_.size() && std::strchr(" \t\n\r\f\v", s_[i_]) != nullptr) ++i_;
  }
  std::string String() {
    if (!Peek('\'') && !Peek('"')) Fail("header: expected a quoted string at byte " + Pos());
    const char quote = s_[i_++];
    const size_t begin = i_;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '\\' || static_cast<unsigned char>(s_[i_]) < 0x20)
        Fail("header: escapes and control characters in strings are not supported");
      ++i_;
    }
    if (i_ == s_.size()) Fail("header: unterminated string");
    return s_.substr(begin, i_++ - begin);
  }
  bool Bool() {
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t n = std::strlen(word);
      if (s_.compare(i_, n, word) == 0 && !IsWordChar(i_ + n)) {
        i_ += n;
        return value;
      }
    }
    Fail("header: fortran_order is not True or False");
  }
  int64_t Int() {
    const size_t begin = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == begin || IsWordChar(i_) || Peek('.'))
      Fail("header: shape holds a non-integer at byte " + std::to_string(begin));
    if (s_[begin] == '0' && i_ - begin > 1)
      Fail("header: shape holds an integer with a leading zero (a Python syntax error)");
    if (i_ - begin > 18) Fail("header: shape dimension too large");
    return std::stoll(s_.substr(begin, i_ - begin));
  }
  // "()" | "(" int "," ")" | "(" int ("," int)+ [","] ")"; "(4)" is an int, not a tuple.
  std::vector<int64_t> Tuple() {
    Expect('(');
    Skip();
    std::vector<int64_t> dims;
    bool trailing_comma = false;
    while (!Peek(')')) {
      dims.push_back(Int());
      if (dims.size() > 32) Fail("header: shape has more than 32 dimensions (numpy's limit)");
      Skip();
      trailing_comma = Peek(',');
      if (trailing_comma) {
        ++i_;
        Skip();
      } else if (!Peek(')')) {
        Fail("header: expected ',' or ')' in shape at byte " + Pos());
      }
    }
    ++i_;
    if (dims.size() == 1 && !trailing_comma) Fail("header: shape '(n)' is not a tuple");
    return dims;
  }

  const std::string& s_;
  const std::string& name_;
  size_t i_ = 0;
};

}  // namespace

uint64_t MaxNpyFileBytes(DType dtype, const std::vector<int64_t>& shape) {
  uint64_t n = DTypeSize(dtype);
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return UINT64_MAX;
  return n + kPreludeLen + 2 + kMaxHeaderLen;  // + 2: the v2.0 length field is 4 bytes
}

NpyArray DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw FormatError(name + ": " + what); };
  if (bytes.size() < kPreludeLen || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    fail("not a .npy file (bad magic)");
  size_t prelude = kPreludeLen, header_len = 0;
  if (bytes[6] == 1 && bytes[7] == 0) {
    header_len = bytes[8] | (static_cast<size_t>(bytes[9]) << 8);
  } else if (bytes[6] == 2 && bytes[7] == 0) {
    prelude += 2;
    if (bytes.size() < prelude) fail("truncated .npy header");
    header_len = bytes[8] | (static_cast<size_t>(bytes[9]) << 8) |
                 (static_cast<size_t>(bytes[10]) << 16) | (static_cast<size_t>(bytes[11]) << 24);
  } else {
    fail("unsupported .npy version " + std::to_string(bytes[6]) + "." + std::to_string(bytes[7]) +
         " (expected 1.0 or 2.0)");
  }
  if (header_len > kMaxHeaderLen)
    fail("header is " + std::to_string(header_len) + " bytes, more than numpy's limit of " +
         std::to_string(kMaxHeaderLen));
  if (bytes.size() < prelude + header_len) fail("truncated .npy header");
  const auto data_begin = bytes.begin() + static_cast<std::ptrdiff_t>(prelude + header_len);
  const std::string header(bytes.begin() + static_cast<std::ptrdiff_t>(prelude), data_begin);
  const HeaderDict d = HeaderParser(header, name).Parse();

  NpyArray array;
  auto is = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (d.descr == n) return true;
    return false;
  };
  if (is({"|u1", "u1", "<u1", ">u1", "=u1"})) {
    array.dtype = DType::kUint8;
  } else if (is({"|i1", "i1", "<i1", ">i1", "=i1"})) {
    array.dtype = DType::kInt8;
  } else if (is({"<i2"})) {
    array.dtype = DType::kInt16;
  } else if (is({"<i4"})) {
    array.dtype = DType::kInt32;
  } else {
    fail("unsupported dtype '" + d.descr.substr(0, 32) +
         "' (expected uint8, int8, little-endian int16 or int32)");
  }
  if (d.fortran_order) fail("not in C order (fortran_order is True)");
  array.shape = d.shape;
  uint64_t expected = DTypeSize(array.dtype);
  for (int64_t dim : array.shape)
    if (__builtin_mul_overflow(expected, static_cast<uint64_t>(dim), &expected) ||
        expected > (uint64_t{1} << 62))
      fail("shape's byte count overflows");
  const uint64_t have = static_cast<uint64_t>(bytes.end() - data_begin);
  if (have != expected)
    fail("data is " + std::to_string(have) + " bytes, shape needs " + std::to_string(expected) +
         (have < expected ? " (truncated)" : " (trailing bytes)"));
  array.bytes.assign(data_begin, bytes.end());
  return array;
}

NpyArray ReadNpy(const std::string& path, uint64_t max_bytes) {
  return DecodeNpy(ReadRegularFile(path, max_bytes), path);
}

void WriteNpy(const std::string& path, const NpyArray& array) {
  WriteFileAtomic(path, EncodeNpy(array));
}

}  // namespace sa::vectors
