// CIFAR-10 readers: the binary batches and JPEG trees (decoded with libjpeg), plus augmentation.
#include "golden/data.h"

#include <ATen/Parallel.h>

#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which needs FILE and size_t declared

#include <jpeglib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "vectors/input.h"

namespace sa::golden {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kPixels = 3 * kSide * kSide;  // 3072
constexpr int64_t kRecord = 1 + kPixels;

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void JpegSilence(j_common_ptr, int) {}  // warnings (e.g. extraneous bytes) are not errors here

Dataset LoadBinary(const std::string& root, Split split, int64_t limit) {
  std::vector<std::string> files;
  if (split == Split::kTrain) {
    for (int i = 1; i <= 5; ++i)
      files.push_back(root + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    files.push_back(root + "/test_batch.bin");
  }
  std::vector<uint8_t> bytes;
  for (const auto& f : files) {
    std::vector<uint8_t> b;
    try {
      b = vectors::ReadRegularFile(f, /*max_bytes=*/64ull << 20);  // a batch is 30,730,000
    } catch (const vectors::FormatError& e) {
      throw DataError(e.what());
    }
    if (b.empty() || b.size() % kRecord != 0)
      throw DataError(f + ": size " + std::to_string(b.size()) + " is not a multiple of " +
                      std::to_string(kRecord) + "-byte records (truncated or not CIFAR-10)");
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  int64_t n = static_cast<int64_t>(bytes.size()) / kRecord;
  if (limit > 0) n = std::min(n, limit);
  Dataset d{torch::empty({n, 3, kSide, kSide}, torch::kUInt8), torch::empty({n}, torch::kInt64)};
  uint8_t* img = d.images.data_ptr<uint8_t>();
  int64_t* lab = d.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* rec = bytes.data() + i * kRecord;
    if (rec[0] > 9)
      throw DataError(files[0] + ": label " + std::to_string(rec[0]) + " out of range");
    lab[i] = rec[0];
    std::copy(rec + 1, rec + kRecord, img + i * kPixels);
  }
  return d;
}

struct JpegTree {
  std::vector<std::string> paths;  // in (class, file name) order: the split's image index
  std::vector<int64_t> labels;
  std::vector<int64_t> class_begin;  // index of each class's first image, plus the total
};

JpegTree ListJpegTree(const std::string& dir) {
  JpegTree tree;
  for (size_t c = 0; c < ClassNames().size(); ++c) {
    const fs::path class_dir = fs::path(dir) / ClassNames()[c];
    if (!fs::is_directory(class_dir))
      throw DataError(class_dir.string() + ": missing class folder");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(class_dir)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg"))
        files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    tree.class_begin.push_back(static_cast<int64_t>(tree.paths.size()));
    for (auto& f : files) {
      tree.paths.push_back(std::move(f));
      tree.labels.push_back(static_cast<int64_t>(c));
    }
  }
  tree.class_begin.push_back(static_cast<int64_t>(tree.paths.size()));
  if (tree.paths.empty()) throw DataError(dir + ": no JPEG images found");
  return tree;
}

// Decodes the images `indices` of the tree, in that order, on all threads.
Dataset DecodeJpegTree(const JpegTree& tree, const std::vector<int64_t>& indices) {
  const int64_t n = static_cast<int64_t>(indices.size());
  Dataset d{torch::empty({n, 3, kSide, kSide}, torch::kUInt8), torch::empty({n}, torch::kInt64)};
  uint8_t* img = d.images.data_ptr<uint8_t>();
  int64_t* lab = d.labels.data_ptr<int64_t>();
  std::string first_error;
  std::mutex error_mutex;
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        std::vector<uint8_t> hwc = DecodeJpeg32(tree.paths[indices[i]]);
        uint8_t* out = img + i * kPixels;  // HWC -> CHW
        for (int64_t p = 0; p < kSide * kSide; ++p)
          for (int64_t ch = 0; ch < 3; ++ch) out[ch * kSide * kSide + p] = hwc[p * 3 + ch];
        lab[i] = tree.labels[indices[i]];
      } catch (const DataError& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (first_error.empty()) first_error = e.what();
      }
    }
  });
  if (!first_error.empty()) throw DataError(first_error);
  return d;
}

// Resolves ROOT to a binary folder (returns "") or to the JPEG split folder.
std::string JpegSplitDir(const std::string& root, Split split) {
  if (!fs::is_directory(root)) throw DataError(root + ": no such data folder");
  if (fs::exists(fs::path(root) / "test_batch.bin") ||
      fs::exists(fs::path(root) / "data_batch_1.bin"))
    return "";
  fs::path tree = root;
  // Accept the folder that holds the extracted archive as well as the tree itself.
  if (!fs::is_directory(tree / "test") && fs::is_directory(tree / "cifar10-jpeg"))
    tree /= "cifar10-jpeg";
  const char* sub = split == Split::kTrain ? "train" : "test";
  if (!fs::is_directory(tree / sub))
    throw DataError(root + ": neither CIFAR-10 binary batches nor a " + sub +
                    "/<class>/*.jpg image-folder tree");
  return (tree / sub).string();
}

}  // namespace

const std::vector<std::string>& ClassNames() {
  static const std::vector<std::string> kNames = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return kNames;
}

std::vector<uint8_t> DecodeJpeg32(const std::string& path) {
  // A FIFO or device would block fopen() or never end: only regular files of a sane size.
  try {
    if (vectors::RegularFileSize(path) > (1u << 20)) throw DataError(path + ": larger than 1 MiB");
  } catch (const vectors::FormatError& e) {
    throw DataError(e.what());
  }
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw DataError(path + ": cannot open");
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = JpegErrorExit;
  err.base.emit_message = JpegSilence;
  std::vector<uint8_t> pixels;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::fclose(file);
    throw DataError(path + ": corrupt JPEG (" + err.message + ")");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, file);
  jpeg_read_header(&cinfo, TRUE);
  // Checked before any decompression: a tiny file may claim 65,500 x 65,500 pixels.
  if (cinfo.image_width != kSide || cinfo.image_height != kSide || cinfo.num_components != 3) {
    const std::string dims = std::to_string(cinfo.image_width) + "x" +
                             std::to_string(cinfo.image_height) + "x" +
                             std::to_string(cinfo.num_components);
    jpeg_destroy_decompress(&cinfo);
    std::fclose(file);
    throw DataError(path + ": image is " + dims + ", expected 32x32 RGB");
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_width != kSide || cinfo.output_height != kSide || cinfo.output_components != 3) {
    const std::string dims =
        std::to_string(cinfo.output_width) + "x" + std::to_string(cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    std::fclose(file);
    throw DataError(path + ": image is " + dims + ", expected 32x32 RGB");
  }
  pixels.resize(kPixels);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels.data() + cinfo.output_scanline * kSide * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  std::fclose(file);
  return pixels;
}

Dataset LoadCifar10(const std::string& root, Split split, int64_t limit) {
  const std::string jpeg_dir = JpegSplitDir(root, split);
  if (jpeg_dir.empty()) return LoadBinary(root, split, limit);
  JpegTree tree = ListJpegTree(jpeg_dir);
  std::vector<int64_t> indices;
  const size_t classes = tree.class_begin.size() - 1;
  const int64_t per_class =
      limit > 0 ? (limit + static_cast<int64_t>(classes) - 1) / static_cast<int64_t>(classes) : 0;
  for (size_t c = 0; c < classes; ++c) {
    int64_t end = tree.class_begin[c + 1];
    if (per_class > 0) end = std::min(end, tree.class_begin[c] + per_class);
    for (int64_t i = tree.class_begin[c]; i < end; ++i) indices.push_back(i);
  }
  return DecodeJpegTree(tree, indices);
}

Dataset LoadCifar10Images(const std::string& root, Split split,
                          const std::vector<int64_t>& indices) {
  const std::string jpeg_dir = JpegSplitDir(root, split);
  if (jpeg_dir.empty()) {
    Dataset all = LoadBinary(root, split, 0);
    for (int64_t i : indices)
      if (i < 0 || i >= all.size())
        throw DataError(root + ": image index " + std::to_string(i) + " out of range 0.." +
                        std::to_string(all.size() - 1));
    torch::Tensor idx = torch::tensor(indices, torch::kInt64);
    return {all.images.index_select(0, idx), all.labels.index_select(0, idx)};
  }
  JpegTree tree = ListJpegTree(jpeg_dir);
  for (int64_t i : indices)
    if (i < 0 || i >= static_cast<int64_t>(tree.paths.size()))
      throw DataError(jpeg_dir + ": image index " + std::to_string(i) + " out of range 0.." +
                      std::to_string(tree.paths.size() - 1));
  return DecodeJpegTree(tree, indices);
}

torch::Tensor Normalize(const torch::Tensor& images_u8) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(images_u8.device());
  static const float kMean[3] = {0.4914f, 0.4822f, 0.4465f};
  static const float kStd[3] = {0.2470f, 0.2435f, 0.2616f};
  torch::Tensor mean = torch::tensor({kMean[0], kMean[1], kMean[2]}, opts).view({1, 3, 1, 1});
  torch::Tensor std = torch::tensor({kStd[0], kStd[1], kStd[2]}, opts).view({1, 3, 1, 1});
  return (images_u8.to(torch::kFloat32) / 255.0f - mean) / std;
}

torch::Tensor Augment(const torch::Tensor& images_u8, std::mt19937_64& rng) {
  using torch::indexing::Slice;
  const int64_t b = images_u8.size(0);
  constexpr int64_t kPad = 4;
  std::vector<int64_t> off_y(b), off_x(b);
  std::vector<uint8_t> flip(b);
  for (int64_t i = 0; i < b; ++i) {
    off_y[i] = static_cast<int64_t>(rng() % (2 * kPad + 1));
    off_x[i] = static_cast<int64_t>(rng() % (2 * kPad + 1));
    flip[i] = static_cast<uint8_t>(rng() & 1);
  }
  auto dev = images_u8.device();
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  torch::Tensor ar = torch::arange(kSide, i64).to(dev);
  torch::Tensor rows = torch::from_blob(off_y.data(), {b, 1}, i64).to(dev) + ar.view({1, kSide});
  torch::Tensor cols = torch::from_blob(off_x.data(), {b, 1}, i64).to(dev) + ar.view({1, kSide});
  torch::Tensor fl = torch::from_blob(flip.data(), {b}, torch::kUInt8).to(dev).to(torch::kBool);
  // Mirror the column index instead of flipping the image: one gather does crop and flip.
  cols = torch::where(fl.view({b, 1}), cols.flip({1}), cols);
  torch::Tensor padded = torch::constant_pad_nd(images_u8, {kPad, kPad, kPad, kPad}, 0);
  torch::Tensor bidx = torch::arange(b, i64).to(dev).view({b, 1, 1});
  // Advanced indices separated by a slice move to the front: result is [B, 32, 32, C].
  torch::Tensor out =
      padded.index({bidx, Slice(), rows.view({b, kSide, 1}), cols.view({b, 1, kSide})});
  return out.permute({0, 3, 1, 2}).contiguous();
}

void Cutout(torch::Tensor& normalized, int64_t side, std::mt19937_64& rng) {
  if (side <= 0) return;
  const int64_t b = normalized.size(0);
  std::vector<int64_t> top(b), left(b);
  for (int64_t i = 0; i < b; ++i) {
    // Centre (cy, cx) in 0..31; the square spans [c - side/2, c - side/2 + side), clipped below.
    top[i] = static_cast<int64_t>(rng() % kSide) - side / 2;
    left[i] = static_cast<int64_t>(rng() % kSide) - side / 2;
  }
  auto dev = normalized.device();
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  torch::Tensor ar = torch::arange(kSide, i64).to(dev);
  torch::Tensor y0 = torch::from_blob(top.data(), {b, 1}, i64).to(dev);
  torch::Tensor x0 = torch::from_blob(left.data(), {b, 1}, i64).to(dev);
  torch::Tensor in_rows = ar.view({1, kSide}).ge(y0).logical_and(ar.view({1, kSide}).lt(y0 + side));
  torch::Tensor in_cols = ar.view({1, kSide}).ge(x0).logical_and(ar.view({1, kSide}).lt(x0 + side));
  torch::Tensor square = in_rows.view({b, 1, kSide, 1}).logical_and(in_cols.view({b, 1, 1, kSide}));
  normalized.masked_fill_(square, 0);
}

}  // namespace sa::golden
