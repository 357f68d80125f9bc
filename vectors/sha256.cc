// SHA-256 through OpenSSL's EVP interface.
#include "vectors/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>

#include "vectors/npy.h"

namespace sa::vectors {

std::string Sha256Hex(const std::vector<uint8_t>& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::string Sha256File(const std::string& path) {
  return Sha256Hex(ReadRegularFile(path, /*max_bytes=*/4ull << 30));
}

}  // namespace sa::vectors
