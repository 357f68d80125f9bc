// PyTorch state_dict import and export through LibTorch's pickler (torch::pickle_load/save read
// and write torch.save's zip format), with the notebook's parameter names.
#include "golden/pytorch_io.h"

#include <torch/serialize.h>

#include <map>
#include <set>
#include <stdexcept>

#include "golden/state_dict_reader.h"
#include "vectors/input.h"
#include "vectors/output.h"

namespace sa::golden {
namespace {

bool EndsWith(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

std::string Shape(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

ResNet20 ImportPytorch(const std::string& path, QuantConfig config) {
  ValidateQuantConfig(config);
  // The size first: a file far larger than any ResNet-20 checkpoint is refused unread.
  const StateDict sd = ReadStateDict(vectors::ReadRegularFile(path, kMaxPytorchFileBytes), path);
  const std::map<std::string, torch::Tensor>& tensors = sd.tensors;
  ResNet20 model(config);
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto fill = [&](const std::string& name, torch::Tensor& dst) {
    auto it = tensors.find(name);
    const std::string shown = NotebookName(name);
    if (it == tensors.end()) throw std::runtime_error(path + ": missing tensor '" + shown + "'");
    const std::string& in_file = sd.file_names.at(name);
    if (it->second.sizes() != dst.sizes())
      throw std::runtime_error(path + ": tensor '" + in_file + "' has shape " + Shape(it->second) +
                               ", ResNet-20 needs " + Shape(dst));
    // Floats as the notebook saves them (or in a half format); integer buffers as they are.
    const auto type = it->second.scalar_type();
    const bool is_float = type == torch::kFloat || type == torch::kHalf || type == torch::kBFloat16;
    const bool ok = dst.is_floating_point() ? is_float : type == dst.scalar_type();
    if (!ok)
      throw std::runtime_error(
          path + ": tensor '" + in_file + "' is " + std::string(c10::toString(type)) + ", not " +
          (dst.is_floating_point() ? std::string("a float tensor")
                                   : std::string(c10::toString(dst.scalar_type()))));
    if (!dst.is_floating_point()) {
      dst.copy_(it->second);
    } else {
      const torch::Tensor v = it->second.to(torch::kFloat);
      if (!torch::isfinite(v).all().item<bool>())
        throw std::runtime_error(path + ": tensor '" + in_file + "' holds NaN or infinity");
      // A quantizer's alpha is its clipping range and a batch norm's variance is under a square
      // root: zero or negative values give a model that runs but means nothing.
      const bool must_be_positive = EndsWith(name, "_alpha") || EndsWith(name, ".running_var");
      if (must_be_positive && !(v > 0).all().item<bool>())
        throw std::runtime_error(path + ": tensor '" + in_file + "' must be positive");
      dst.copy_(v);
    }
    used.insert(name);
  };
  for (auto& p : model->named_parameters()) fill(p.key(), p.value());
  for (auto& b : model->named_buffers()) fill(b.key(), b.value());
  for (const auto& [name, t] : tensors)
    if (!used.count(name))
      throw std::runtime_error(path + ": unexpected tensor '" + NotebookName(name) +
                               "' (not a ResNet-20 parameter or buffer)");
  return model;
}

void ExportPytorch(ResNet20& model, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    dict.insert(NotebookName(name), t.detach().cpu().contiguous());
  };
  for (const auto& p : model->named_parameters()) add(p.key(), p.value());
  for (const auto& b : model->named_buffers()) add(b.key(), b.value());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

}  // namespace sa::golden
