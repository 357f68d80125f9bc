// .npz encoding and strict decoding through libzip, entirely in memory.
#include "vectors/npz.h"

#include <zip.h>

#include <memory>

#include "vectors/input.h"

namespace sa::vectors {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct SourceFreer {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

std::string ErrorText(zip_error_t* e) {
  std::string s = zip_error_strerror(e);
  zip_error_fini(e);
  return s;
}

}  // namespace

std::vector<uint8_t> EncodeNpz(const std::string& member, const NpyArray& array) {
  const std::vector<uint8_t> npy = EncodeNpy(array);
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("npz " + member + ": " + what);  // libzip or memory, not the user
  };
  zip_error_t err;
  zip_error_init(&err);
  std::unique_ptr<zip_source_t, SourceFreer> out(zip_source_buffer_create(nullptr, 0, 0, &err));
  if (!out) fail(ErrorText(&err));
  zip_source_keep(out.get());  // zip_close releases the archive's reference; we read it after
  zip_t* za = zip_open_from_source(out.get(), ZIP_TRUNCATE, &err);
  if (!za) fail(ErrorText(&err));
  std::unique_ptr<zip_t, ZipCloser> archive(za);
  zip_source_t* data = zip_source_buffer(za, npy.data(), npy.size(), 0);
  if (!data) fail(zip_strerror(za));
  const zip_int64_t index = zip_file_add(za, member.c_str(), data, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(data);
    fail(zip_strerror(za));
  }
  // DOS date 1980-01-01 00:00, numpy's choice too: no clock or time zone reaches the bytes.
  constexpr zip_uint16_t kDosTime = 0, kDosDate = (1 << 5) | 1;
  // Level 1: 3x faster than zlib's default 6 on the dump's arrays (a third of a 4-bit set's dump
  // time went to deflate at 6), for files about 12 % larger.
  if (zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1) != 0 ||
      zip_file_set_dostime(za, static_cast<zip_uint64_t>(index), kDosTime, kDosDate, 0) != 0)
    fail(zip_strerror(za));
  if (zip_close(za) != 0) fail(zip_strerror(za));
  archive.release();  // closed

  zip_stat_t st;
  if (zip_source_stat(out.get(), &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
      zip_source_open(out.get()) != 0)
    fail("cannot read the archive back");
  std::vector<uint8_t> bytes(st.size);
  const zip_int64_t n = zip_source_read(out.get(), bytes.data(), st.size);
  zip_source_close(out.get());
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) fail("short read of the archive");
  return bytes;
}

NpyArray DecodeNpz(const std::vector<uint8_t>& bytes, const std::string& member,
                   uint64_t max_npy_bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw FormatError(name + ": " + what); };
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) fail("cannot open as a zip archive (" + ErrorText(&err) + ")");
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!za) {
    zip_source_free(src);
    fail("not a valid .npz (zip) file: " + ErrorText(&err));
  }
  std::unique_ptr<zip_t, ZipCloser> archive(za);  // owns `src` from here
  if (zip_get_num_entries(za, 0) != 1)
    fail("holds " + std::to_string(zip_get_num_entries(za, 0)) + " members, expected one (" +
         member + ")");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(za, 0, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
      !(st.valid & ZIP_STAT_SIZE))
    fail("unreadable member entry");
  if (member != st.name)
    fail("member '" + std::string(st.name).substr(0, 64) + "', expected '" + member + "'");
  if (st.size > max_npy_bytes)
    fail(member + " inflates to " + std::to_string(st.size) + " bytes, more than the " +
         std::to_string(max_npy_bytes) + " its shape allows");
  std::unique_ptr<zip_file_t, FileCloser> file(zip_fopen_index(za, 0, 0));
  if (!file) fail(member + ": " + zip_strerror(za));
  std::vector<uint8_t> npy(st.size);
  const zip_int64_t n = zip_fread(file.get(), npy.data(), st.size);
  uint8_t extra = 0;
  // Reading past the end makes libzip compare the CRC: -1 there is a corrupt member.
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size || zip_fread(file.get(), &extra, 1) != 0)
    fail(member + ": corrupt compressed data (" + zip_file_strerror(file.get()) + ")");
  return DecodeNpy(npy, name + ":" + member);
}

}  // namespace sa::vectors
