// SHA-256 digests (OpenSSL) of buffers and files, as lowercase hex.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sa::vectors {

std::string Sha256Hex(const std::vector<uint8_t>& bytes);
std::string Sha256File(const std::string& path);

}  // namespace sa::vectors
