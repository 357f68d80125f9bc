// The state_dict reader (state_dict_reader.h).
#include "golden/state_dict_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "golden/pickle_rewrite.h"
#include "vectors/input.h"

namespace sa::golden {
namespace {

constexpr const char* kNotebookAlpha = ".weight_quant.wgt_alpha";
constexpr const char* kOurAlpha = ".wgt_alpha";
constexpr size_t kMaxZipEntries = 10000;

uint64_t Le(const std::vector<uint8_t>& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[at + static_cast<size_t>(i)]) << (8 * i);
  return v;
}

// The zip's layout, checked before any zip reader touches it: the end record and central
// directory inside the file, every entry stored (torch.save never compresses, so no entry can
// inflate beyond the file) with its data inside the file. Written by hand: LibTorch's reader
// (miniz) reads before its buffer on a file without an end record, and inflates whatever an
// entry declares.
void CheckZipLayout(const std::vector<uint8_t>& b, const std::string& path) {
  auto bad = [&](const std::string& why) {
    throw std::runtime_error(path + ": not a file torch.save wrote (" + why + ")");
  };
  if (b.size() >= 3 && b[0] == 0x80 && b[1] == 0x02 && b[2] == 0x8a)
    throw std::runtime_error(path +
                             ": a legacy torch.save file (before PyTorch 1.6, not a zip); "
                             "load it and save it again with PyTorch 1.6 or later");
  if (b.size() < 22) bad("too short for a zip archive");
  size_t eocd = std::string::npos;
  const size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (size_t at = b.size() - 22 + 1; at-- > lowest;)
    if (Le(b, at, 4) == 0x06054b50) {
      eocd = at;
      break;
    }
  if (eocd == std::string::npos) bad("no zip end-of-central-directory record");
  const uint64_t entries = Le(b, eocd + 10, 2), cd_size = Le(b, eocd + 12, 4),
                 cd_off = Le(b, eocd + 16, 4);
  if (cd_off == 0xffffffff || entries == 0xffff) bad("a zip64 archive, far larger than ResNet-20");
  if (entries == 0 || entries > kMaxZipEntries) bad(std::to_string(entries) + " zip entries");
  if (cd_off > eocd || cd_size > eocd - cd_off) bad("central directory outside the file");
  size_t at = cd_off;
  for (uint64_t i = 0; i < entries; ++i) {
    if (at + 46 > cd_off + cd_size || Le(b, at, 4) != 0x02014b50) bad("damaged central directory");
    const uint64_t method = Le(b, at + 10, 2), csize = Le(b, at + 20, 4), usize = Le(b, at + 24, 4),
                   name_len = Le(b, at + 28, 2), extra_len = Le(b, at + 30, 2),
                   comment_len = Le(b, at + 32, 2), local = Le(b, at + 42, 4);
    const std::string name(
        b.begin() + static_cast<std::ptrdiff_t>(std::min(at + 46, b.size())),
        b.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(at + 46 + name_len, b.size())));
    if (method != 0 || csize != usize)
      bad("zip entry " + vectors::OneLine(name) + " is compressed; torch.save stores entries");
    if (local + 30 > cd_off || Le(b, local, 4) != 0x04034b50)
      bad("zip entry " + vectors::OneLine(name) + " has no local header inside the file");
    const uint64_t data = local + 30 + Le(b, local + 26, 2) + Le(b, local + 28, 2);
    if (data > cd_off || usize > cd_off - data)
      bad("zip entry " + vectors::OneLine(name) + " runs past the end of the file's data");
    at += 46 + name_len + extra_len + comment_len;
  }
}

// A read adapter over the file's bytes that never reads outside them (LibTorch's
// MemoryReadAdapter copies whatever is asked).
class BoundedReadAdapter : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BoundedReadAdapter(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  size_t size() const override { return bytes_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= bytes_.size()) return 0;
    const size_t k = std::min<uint64_t>(n, bytes_.size() - pos);
    std::memcpy(buf, bytes_.data() + pos, k);
    return k;
  }

 private:
  const std::vector<uint8_t>& bytes_;
};

// Every element a tensor can reach inside its storage record: offset and strides not negative,
// offset + sum((size - 1) * stride) + 1 elements within the record's bytes, without overflow.
void CheckExtent(const torch::Tensor& t, size_t record, const std::string& path,
                 const std::string& name) {
  auto bad = [&](const std::string& why) {
    throw std::runtime_error(path + ": tensor '" + name + "' " + why);
  };
  if (t.numel() == 0) return;
  const int64_t offset = t.storage_offset();
  if (offset < 0) bad("has a negative storage offset (" + std::to_string(offset) + ")");
  unsigned __int128 last = static_cast<unsigned __int128>(offset);
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) bad("has a negative stride");
    last +=
        static_cast<unsigned __int128>(t.size(d) - 1) * static_cast<unsigned __int128>(t.stride(d));
  }
  const unsigned __int128 bytes = (last + 1) * static_cast<unsigned __int128>(t.element_size());
  if (bytes > record)
    bad("reaches beyond its storage record (" + std::to_string(record) + " bytes)");
}

std::string EndsReplaced(const std::string& s, const std::string& from, const std::string& to) {
  if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0)
    return s.substr(0, s.size() - from.size()) + to;
  return s;
}

}  // namespace

std::string NotebookName(const std::string& ours) {
  return EndsReplaced(ours, kOurAlpha, kNotebookAlpha);
}

StateDict ReadStateDict(const std::vector<uint8_t>& bytes, const std::string& path) {
  CheckZipLayout(bytes, path);
  // torch.save's zip: data.pkl (the pickle program) and data/<key> (tensor storages). The
  // program goes through OrderedDictsAsDicts first (LibTorch 1.13 cannot read OrderedDicts).
  c10::IValue root;
  // LibTorch 1.13 builds each storage as numel * itemsize bytes over the record, whatever the
  // record's size: every tensor's storage is checked against its record below.
  std::map<const void*, size_t> record_bytes;
  try {
    caffe2::serialize::PyTorchStreamReader zip(std::make_shared<BoundedReadAdapter>(bytes));
    if (!zip.hasRecord("data.pkl"))
      throw std::runtime_error(path + ": no data.pkl: not a file torch.save wrote");
    // PyTorch 2.x records the byte order; its tensors are read as little-endian.
    if (zip.hasRecord("byteorder")) {
      const auto [order, order_size] = zip.getRecord("byteorder");
      const std::string text(static_cast<const char*>(order.get()), order_size);
      if (text != "little")
        throw std::runtime_error(path + ": byteorder '" + vectors::OneLine(text.substr(0, 16)) +
                                 "': only little-endian tensors are read");
    }
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
  // Each tensor's kind and reach inside its record are checked before anything reads it.
  StateDict out;
  for (const auto& entry : dict) {
    if (entry.key().isString() && entry.key().toStringRef() == "_metadata") continue;
    if (!entry.key().isString() || !entry.value().isTensor())
      throw std::runtime_error(
          path + ": the state_dict holds a non-tensor entry" +
          (entry.key().isString() ? " '" + entry.key().toStringRef() + "'" : std::string()));
    const std::string original = entry.key().toStringRef();
    const torch::Tensor& t = entry.value().toTensor();
    auto rec = record_bytes.find(t.storage().data());
    const size_t record = rec == record_bytes.end() ? 0 : rec->second;
    // Plain float or integer tensors only: the unpickler also builds quantized and complex
    // ones, on which LibTorch's own operations abort (the fuzzer's first find: a QInt8
    // storage without a quantizer, cloned).
    if (t.is_quantized() ||
        !(t.is_floating_point() || c10::isIntegralType(t.scalar_type(), /*includeBool=*/false)))
      throw std::runtime_error(path + ": tensor '" + original + "' is " +
                               std::string(c10::toString(t.scalar_type())) +
                               ", not a float or integer tensor");
    CheckExtent(t, record, path, original);
    std::string name = original;
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    name = EndsReplaced(name, kNotebookAlpha, kOurAlpha);
    const auto [seen, fresh] = out.file_names.emplace(name, original);
    if (!fresh)
      throw std::runtime_error(path + ": tensors '" + seen->second + "' and '" + original +
                               "' are the same parameter");
    out.tensors[name] = t;
  }
  return out;
}

}  // namespace sa::golden
