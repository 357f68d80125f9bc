// torch.save's zip of a state_dict, read from memory with every bound checked before anything is
// read or allocated; the model-independent half of `sa-golden import` (pytorch_io.h), on its own
// so that a fuzz target can take it without the model (fuzz/fuzz_import.cc).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sa::golden {

// A file may hold at most this many bytes (ResNet-20's tensors are 1.1 MB in float32; 4.3 MB
// at most with a checkpoint's optimizer state).
constexpr uint64_t kMaxPytorchFileBytes = 64ull << 20;

struct StateDict {
  // By our names: no 'module.' prefix, '.wgt_alpha' for the notebook's '.weight_quant.wgt_alpha'.
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, std::string> file_names;  // our name -> the file's, for messages
};

// Reads torch.save's zip format (PyTorch 1.6 and later): model.state_dict() with its _metadata,
// or a dict holding one under 'state_dict'. Before any zip reader or unpickler sees the bytes,
// the zip's layout is checked (end record, central directory and every entry inside the file,
// entries stored, as torch.save stores them) and the pickle walked (pickle_rewrite.h: depth and
// stack bounded); each tensor's offset, sizes and strides must stay inside its storage record,
// and two file names for one parameter are refused. Throws std::runtime_error naming `path`.
StateDict ReadStateDict(const std::vector<uint8_t>& bytes, const std::string& path);

// The notebook's name of one of ours (the weight quantizer's alpha), for messages and export.
std::string NotebookName(const std::string& ours);

}  // namespace sa::golden
