// PyTorch state_dict import and export through LibTorch's pickler (torch::pickle_load/save read
// and write torch.save's zip format), with the notebook's parameter names.
#include "golden/pytorch_io.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>
#include <torch/serialize.h>

#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "golden/pickle_rewrite.h"
#include "vectors/input.h"
#include "vectors/output.h"

namespace sa::golden {
namespace {

constexpr const char* kNotebookAlpha = ".weight_quant.wgt_alpha";
constexpr const char* kOurAlpha = ".wgt_alpha";
constexpr uint64_t kMaxPytorchFileBytes = 1ull << 30;

std::string EndsReplaced(const std::string& s, const std::string& from, const std::string& to) {
  if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0)
    return s.substr(0, s.size() - from.size()) + to;
  return s;
}

std::string Shape(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

ResNet20 ImportPytorch(const std::string& path, QuantConfig config) {
  ValidateQuantConfig(config);
  const std::vector<uint8_t> bytes = vectors::ReadRegularFile(path, kMaxPytorchFileBytes);
  // torch.save's zip: data.pkl (the pickle program) and data/<key> (tensor storages). The
  // program goes through OrderedDictsAsDicts first (LibTorch 1.13 cannot read OrderedDicts).
  c10::IValue root;
  // LibTorch 1.13 builds each storage as numel * itemsize bytes over the record, whatever the
  // record's size: every tensor's storage is checked against its record below.
  std::map<const void*, size_t> record_bytes;
  try {
    caffe2::serialize::PyTorchStreamReader zip(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
    if (!zip.hasRecord("data.pkl"))
      throw std::runtime_error(path + ": no data.pkl: not a file torch.save wrote");
    const auto [pkl, pkl_size] = zip.getRecord("data.pkl");
    const std::string program =
        OrderedDictsAsDicts(std::string(static_cast<const char*>(pkl.get()), pkl_size), path);
    size_t pos = 0;
    torch::jit::Unpickler unpickler(
        [&](char* buf, size_t n) {
          const size_t k = std::min(n, program.size() - pos);
          std::memcpy(buf, program.data() + pos, k);
          pos += k;
          return k;
        },
        /*type_resolver=*/nullptr, /*obj_loader=*/nullptr,
        [&](const std::string& key) {
          if (!zip.hasRecord("data/" + key))
            throw std::runtime_error(path + ": tensor storage data/" + key + " is missing");
          auto [data, size] = zip.getRecord("data/" + key);
          record_bytes[data.get()] = size;
          return std::move(data);
        },
        at::Device(at::kCPU));
    root = unpickler.parse_ivalue();
  } catch (const c10::Error& e) {
    std::string msg = e.msg();
    throw std::runtime_error(path + ": not a file torch.save wrote (" +
                             vectors::OneLine(msg.substr(0, msg.find('\n'))) + ")");
  } catch (const std::logic_error& e) {  // out_of_range and the like from LibTorch's unpickler
    throw std::runtime_error(path + ": holds something LibTorch cannot read (" +
                             vectors::OneLine(e.what()) + ")");
  }
  if (!root.isGenericDict())
    throw std::runtime_error(path + ": holds a " + root.tagKind() + ", not a state_dict");
  c10::Dict<c10::IValue, c10::IValue> dict = root.toGenericDict();
  const c10::IValue key("state_dict");
  if (dict.contains(key)) {
    if (!dict.at(key).isGenericDict())
      throw std::runtime_error(path + ": 'state_dict' is not a dict of tensors");
    dict = dict.at(key).toGenericDict();
  }
  // Our names from the file's: no 'module.' prefix, our name for the weight quantizer's alpha.
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& entry : dict) {
    if (entry.key().isString() && entry.key().toStringRef() == "_metadata") continue;
    if (!entry.key().isString() || !entry.value().isTensor())
      throw std::runtime_error(
          path + ": the state_dict holds a non-tensor entry" +
          (entry.key().isString() ? " '" + entry.key().toStringRef() + "'" : std::string()));
    std::string name = entry.key().toStringRef();
    const torch::Tensor& t = entry.value().toTensor();
    const size_t need = t.storage().nbytes();
    auto rec = record_bytes.find(t.storage().data());
    if (need > 0 && (rec == record_bytes.end() || rec->second < need))
      throw std::runtime_error(path + ": tensor '" + name + "' claims " + std::to_string(need) +
                               " bytes, its storage record holds " +
                               std::to_string(rec == record_bytes.end() ? 0 : rec->second));
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    tensors[EndsReplaced(name, kNotebookAlpha, kOurAlpha)] = entry.value().toTensor();
  }
  ResNet20 model(config);
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto fill = [&](const std::string& name, torch::Tensor& dst) {
    auto it = tensors.find(name);
    const std::string shown = EndsReplaced(name, kOurAlpha, kNotebookAlpha);
    if (it == tensors.end()) throw std::runtime_error(path + ": missing tensor '" + shown + "'");
    if (it->second.sizes() != dst.sizes())
      throw std::runtime_error(path + ": tensor '" + shown + "' has shape " + Shape(it->second) +
                               ", ResNet-20 needs " + Shape(dst));
    try {
      dst.copy_(it->second.to(dst.dtype()));
    } catch (const c10::Error& e) {  // e.g. a quantized or complex tensor
      std::string msg = e.msg();
      throw std::runtime_error(path + ": tensor '" + shown + "' cannot be read as " +
                               std::string(c10::toString(dst.scalar_type())) + " (" +
                               vectors::OneLine(msg.substr(0, msg.find('\n'))) + ")");
    }
    used.insert(name);
  };
  for (auto& p : model->named_parameters()) fill(p.key(), p.value());
  for (auto& b : model->named_buffers()) fill(b.key(), b.value());
  for (const auto& [name, t] : tensors)
    if (!used.count(name))
      throw std::runtime_error(path + ": unexpected tensor '" +
                               EndsReplaced(name, kOurAlpha, kNotebookAlpha) +
                               "' (not a ResNet-20 parameter or buffer)");
  return model;
}

void ExportPytorch(ResNet20& model, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    dict.insert(EndsReplaced(name, kOurAlpha, kNotebookAlpha), t.detach().cpu().contiguous());
  };
  for (const auto& p : model->named_parameters()) add(p.key(), p.value());
  for (const auto& b : model->named_buffers()) add(b.key(), b.value());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  vectors::WriteFileAtomic(path, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

}  // namespace sa::golden
