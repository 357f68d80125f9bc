// CIFAR-10 loading (official binary batches or an image-folder tree of JPEGs) and augmentation.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa::golden {

// A user-caused data problem (missing folder, corrupt file); the message names the file.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Split { kTrain, kTest };

struct Dataset {
  torch::Tensor images;  // uint8 [N, 3, 32, 32], RGB
  torch::Tensor labels;  // int64 [N]
  int64_t size() const { return labels.size(0); }
};

// The CIFAR-10 class names in label order; also the folder names of the image-folder layout.
const std::vector<std::string>& ClassNames();

// Loads a split from ROOT, which holds either data_batch_{1..5}.bin / test_batch.bin (records of
// 1 label byte + 3072 planar RGB bytes) or train/<class>/*.jpg and test/<class>/*.jpg. Image i of
// the split is record i of the binary files, or the i-th file in (class, file name) order.
// `limit` > 0 keeps a subset for smoke runs and tests: the first `limit` binary records, or the
// first ceil(limit/10) images of each class of a JPEG tree (so that every class is present).
Dataset LoadCifar10(const std::string& root, Split split, int64_t limit = 0);
// Only the images with these split indices, in the order given.
Dataset LoadCifar10Images(const std::string& root, Split split,
                          const std::vector<int64_t>& indices);

// Decodes one JPEG file into 32 x 32 x 3 RGB bytes (HWC); throws DataError naming the file.
std::vector<uint8_t> DecodeJpeg32(const std::string& path);

// uint8 [N,3,32,32] -> float normalized with the CIFAR-10 channel mean and std.
torch::Tensor Normalize(const torch::Tensor& images_u8);

// Random crop of a 4-pixel zero-padded image back to 32 x 32 plus a random horizontal flip,
// one draw per image from `rng` (so training is reproducible from the seed alone).
torch::Tensor Augment(const torch::Tensor& images_u8, std::mt19937_64& rng);

// Cutout (DeVries & Taylor 2017): in each normalized image, a side x side square whose centre is
// drawn uniformly over the 32 x 32 pixels, clipped at the border, is set to 0 (the data set's
// mean colour), in place. One draw per image from `rng`; side 0 changes nothing and draws nothing,
// so runs without cutout keep their random stream.
void Cutout(torch::Tensor& normalized, int64_t side, std::mt19937_64& rng);

}  // namespace sa::golden
