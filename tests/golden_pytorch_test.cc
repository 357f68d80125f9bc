// PyTorch files in and out: fixtures written by Python's torch.save in both shapes the course
// flow produces (tests/fixtures/notebook_pth/make_fixture.py), evaluated here to the logits Python
// computed with the notebook's arithmetic; the export read back; every refusal one line.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "golden/data.h"
#include "golden/pickle_rewrite.h"
#include "golden/pytorch_io.h"
#include "tests/test_util.h"
#include "vectors/npy.h"

namespace {
using namespace sa::golden;
namespace fs = std::filesystem;
using sa::testing::RunCommand;

const std::string kFixtures = std::string(SA_SOURCE_DIR) + "/tests/fixtures/notebook_pth";

nlohmann::json Expected() {
  std::ifstream in(kFixtures + "/expected.json");
  return nlohmann::json::parse(in);
}

torch::Tensor SampleImages() {
  const sa::vectors::NpyArray a =
      sa::vectors::ReadNpy(std::string(SA_SOURCE_DIR) + "/vectors/samples/test_images.npy");
  return torch::from_blob(const_cast<uint8_t*>(a.Data<uint8_t>()), a.shape, torch::kUInt8).clone();
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

class PytorchFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(PytorchFiles, ImportGivesThePythonLogits) {
  const nlohmann::json want = Expected()[GetParam()];
  const QuantConfig q{want["wgt_bits"].get<int64_t>(), want["act_bits"].get<int64_t>()};
  ResNet20 model = ImportPytorch(kFixtures + "/" + GetParam(), q);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model->forward(Normalize(SampleImages()));
  ASSERT_EQ(logits.size(0), 10);
  // The float sums are the same operations, but their rounding follows the CPU's kernels
  // (AVX2 or AVX-512): a few float32 ulps of the logit (the random w2a4 model's reach 362).
  for (int64_t i = 0; i < 10; ++i) {
    for (int64_t c = 0; c < 10; ++c) {
      const double expected = want["logits"][i][c].get<double>();
      EXPECT_NEAR(logits[i][c].item<float>(), expected, 1e-4 + 1e-6 * std::abs(expected))
          << "image " << i << " logit " << c;
    }
    EXPECT_EQ(logits[i].argmax().item<int64_t>(), want["prediction"][i].get<int64_t>());
  }
}

TEST_P(PytorchFiles, ExportThenImportGivesTheSameTensors) {
  const nlohmann::json want = Expected()[GetParam()];
  const QuantConfig q{want["wgt_bits"].get<int64_t>(), want["act_bits"].get<int64_t>()};
  ResNet20 a = ImportPytorch(kFixtures + "/" + GetParam(), q);
  const std::string dir = sa::testing::TempDir("pt_roundtrip");
  ExportPytorch(a, dir + "/out.pth");
  ResNet20 b = ImportPytorch(dir + "/out.pth", q);
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()]));
  auto bb = b->named_buffers();
  for (const auto& x : a->named_buffers()) EXPECT_TRUE(torch::equal(x.value(), bb[x.key()]));
  fs::remove_all(dir);
}

// The two shapes the course flow writes, and a real module's state_dict() (with the _metadata
// that torch.save keeps through BUILD) bare and as a one-item dict (pickled with SETITEM).
INSTANTIATE_TEST_SUITE_P(EveryShape, PytorchFiles,
                         ::testing::Values("w4a4_state_dict.pth", "w2a4_checkpoint.pth",
                                           "w4a4_module_state_dict.pth",
                                           "w4a4_module_checkpoint.pth"));

TEST(PytorchImport, EveryMissingUnexpectedOrMisshapenTensorIsNamed) {
  const std::string dir = sa::testing::TempDir("pt_bad");
  ResNet20 good = ImportPytorch(kFixtures + "/w4a4_state_dict.pth", {4, 4});
  auto write = [&](const std::string& drop, const std::string& add, bool reshape) {
    c10::Dict<std::string, torch::Tensor> d;
    for (const auto& p : good->named_parameters()) {
      std::string name = p.key();
      if (name.size() > 10 && name.substr(name.size() - 10) == ".wgt_alpha")
        name = name.substr(0, name.size() - 10) + ".weight_quant.wgt_alpha";
      if (name == drop) continue;
      d.insert(name, reshape && name == "fc.weight" ? p.value().reshape({640}) : p.value());
    }
    for (const auto& b : good->named_buffers()) d.insert(b.key(), b.value());
    if (!add.empty()) d.insert(add, torch::zeros({1}));
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
    std::ofstream(dir + "/x.pth", std::ios::binary).write(bytes.data(), bytes.size());
    return dir + "/x.pth";
  };
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write("layer2.1.conv2.weight_quant.wgt_alpha", "", false), {4, 4});
            }),
            dir + "/x.pth: missing tensor 'layer2.1.conv2.weight_quant.wgt_alpha'");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write("", "layer4.0.conv1.weight", false), {4, 4});
            }),
            dir +
                "/x.pth: unexpected tensor 'layer4.0.conv1.weight' (not a ResNet-20 parameter "
                "or buffer)");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write("", "", true), {4, 4});
            }),
            dir + "/x.pth: tensor 'fc.weight' has shape [640], ResNet-20 needs [10,64]");
  std::ofstream(dir + "/junk.pth") << "not a zip";
  EXPECT_NE(ErrorOf([&] {
              ImportPytorch(dir + "/junk.pth", {4, 4});
            }).find("junk.pth: not a file torch.save wrote"),
            std::string::npos);
  fs::remove_all(dir);
}

// A storage record shorter than the tensor its pickle describes (LibTorch 1.13 would read past
// it): the file is rebuilt record by record with LibTorch's own zip writer, one record cut.
TEST(PytorchImport, AStorageShorterThanItsTensorIsRefused) {
  const std::string dir = sa::testing::TempDir("pt_short");
  caffe2::serialize::PyTorchStreamReader in(kFixtures + "/w4a4_state_dict.pth");
  caffe2::serialize::PyTorchStreamWriter out(dir + "/short.pth");
  bool cut = false;
  for (const std::string& name : in.getAllRecords()) {
    auto [data, size] = in.getRecord(name);
    if (name == "version") continue;  // the writer adds its own
    // The first storage larger than 64 bytes loses its second half.
    const bool shorten = !cut && name.rfind("data/", 0) == 0 && size > 64;
    cut |= shorten;
    out.writeRecord(name, data.get(), shorten ? size / 2 : size);
  }
  out.writeEndOfFile();
  ASSERT_TRUE(cut);
  const std::string err = ErrorOf([&] { ImportPytorch(dir + "/short.pth", {4, 4}); });
  EXPECT_NE(err.find("short.pth: tensor '"), std::string::npos) << err;
  EXPECT_NE(err.find("reaches beyond its storage record"), std::string::npos) << err;
  fs::remove_all(dir);
}

TEST(PickleRewrite, OrderedDictBecomesADictAndBuildStateAMetadataItem) {
  using namespace std::string_literals;
  // Hand-assembled protocol-2 program: OrderedDict() (class memoized in slot 0) with the item
  // 'a': 7, then BUILD with the state {'_metadata': OrderedDict()} (the class fetched back from
  // memo 0), then STOP. Literals are split so that no hex escape swallows the next character.
  const std::string od = "ccollections\nOrderedDict\n"s + "q\x00"s + ")R"s + "q\x01"s;
  const std::string item = "(X\x01\x00\x00\x00"s + "a" + "K\x07"s + "u";
  const std::string key = "X\x09\x00\x00\x00"s + "_metadata";
  const std::string state = "}q\x02"s + key + "h\x00"s + ")Rs";
  const std::string program = "\x80\x02"s + od + item + state + "b.";
  // OrderedDict() -> {}; BUILD obj state -> obj['_metadata'] = state, and SETITEM (which
  // LibTorch 1.13 refuses: "Unknown opcode for unpickling at 0x73") -> MARK key value SETITEMS.
  const std::string want =
      "\x80\x02"s + "}q\x01"s + item + "(" + key + "}q\x02"s + "(" + key + "}u" + "u.";
  EXPECT_EQ(OrderedDictsAsDicts(program, "p"), want);
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts(program.substr(0, 20), "p"); }),
            "p: unterminated line argument at byte 2 of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("\x80\x02\xff"s, "p"); }),
            "p: unknown opcode 255 at byte 2 of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("ccollections\nOrderedDict\nK\x01."s, "p"); }),
            "p: collections.OrderedDict used other than as OrderedDict() at byte 25 of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts(program.substr(0, program.size() - 1), "p"); }),
            "p: no STOP opcode at byte " + std::to_string(program.size() - 1) + " of its pickle");
}

// What LibTorch 1.13 would read past its buffers on, or allocate without bound for, is refused.
TEST(PickleRewrite, RefusesWhatTorchSaveNeverWrites) {
  using namespace std::string_literals;
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("\x80\x02}(X\x01\x00\x00\x00"s + "au."s, "p"); }),
            "p: SETITEMS of an odd number of items at byte 10 of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("\x80\x02Nr\xff\xff\xff\xff."s, "p"); }),
            "p: memo slot 4294967295 out of order at byte 3 of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("\x80\x02h\x00."s, "p"); }),
            "p: memo slot 0 never set at byte 2 of its pickle");
  // A persistent id whose dtype slot is an integer, not a torch.*Storage global.
  const std::string bad_persid = "\x80\x02(X\x07\x00\x00\x00"s + "storage" + "K\xc8"s +
                                 "X\x01\x00\x00\x00"s + "0" + "X\x03\x00\x00\x00"s + "cpu" +
                                 "K\x04tQ."s;
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts(bad_persid, "p"); }),
            "p: a persistent id that is not torch.save's storage tuple at byte " +
                std::to_string(bad_persid.size() - 2) + " of its pickle");
  EXPECT_EQ(ErrorOf([&] { OrderedDictsAsDicts("\x80\x02N0."s, "p"); }),
            "p: opcode 48, which LibTorch's unpickler cannot read, at byte 3 of its pickle");
}

// ---------------------------------------------------------------------------------------------
// Hostile files: each refused with one line naming the file (and the tensor), before any byte
// outside the file's own data is read or any large allocation is made.

// A torch.save-style zip of one float tensor 'conv1.weight' over a 64-byte storage record,
// whose pickle places it at `offset` (pickle opcodes) with `size_stride` (opcodes of the size
// and stride tuples), written with LibTorch's own zip writer.
std::string OneTensorFile(const std::string& dir, const std::string& name,
                          const std::string& offset, const std::string& size_stride) {
  using namespace std::string_literals;
  const std::string program = "\x80\x02}q\x00X\x0c\x00\x00\x00"s + "conv1.weight" +
                              "ctorch._utils\n_rebuild_tensor_v2\nq\x01((X\x07\x00\x00\x00"s +
                              "storage" + "ctorch\nFloatStorage\nq\x02X\x01\x00\x00\x00"s + "0" +
                              "X\x03\x00\x00\x00"s + "cpu" + "K\x10tQ"s + offset + size_stride +
                              "\x89"s + "ccollections\nOrderedDict\nq\x03)RtRs."s;
  caffe2::serialize::PyTorchStreamWriter out(dir + "/" + name);
  out.writeRecord("data.pkl", program.data(), program.size());
  const std::vector<float> storage(16, 0.5f);
  out.writeRecord("data/0", storage.data(), storage.size() * sizeof(float));
  out.writeEndOfFile();
  return dir + "/" + name;
}

TEST(PytorchHostile, TensorsReachingOutsideTheirStorageAreRefused) {
  using namespace std::string_literals;
  const std::string dir = sa::testing::TempDir("pt_extent");
  const std::string size4 = "K\x04\x85K\x01\x85"s;  // (4,), (1,)
  struct Case {
    const char* name;
    std::string offset, size_stride, want;
  } cases[] = {
      // -100,000 (BININT): the weights were read from the heap before the tensor's data.
      {"negative.pth", "J\x60\x79\xfe\xff"s, size4, "has a negative storage offset (-100000)"},
      // 2^62 (LONG1 of 8 bytes)
      {"far.pth", "\x8a\x08"s + std::string(7, '\0') + "\x40", size4,
       "reaches beyond its storage record (64 bytes)"},
      // offset 0, 4 elements 2^62 apart: the reach overflows 64 bits without a wide sum
      {"strides.pth", "K\x00"s, "K\x04\x85\x8a\x08"s + std::string(7, '\0') + "\x40\x85",
       "reaches beyond its storage record (64 bytes)"},
      // 17 elements over 16: one past the end
      {"long.pth", "K\x00"s, "K\x11\x85K\x01\x85"s, "reaches beyond its storage record"}};
  for (const Case& c : cases) {
    const std::string f = OneTensorFile(dir, c.name, c.offset, c.size_stride);
    const std::string err = ErrorOf([&] { ImportPytorch(f, {4, 4}); });
    EXPECT_EQ(err.find(f + ": tensor 'conv1.weight' "), 0u) << c.name << ": " << err;
    EXPECT_NE(err.find(c.want), std::string::npos) << c.name << ": " << err;
  }
  // In range (elements 12..15 of 16): the pickle and zip are right, so the refusal is ResNet-20's.
  const std::string fine = OneTensorFile(dir, "fine.pth", "K\x0c"s, size4);
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(fine, {4, 4});
            }),
            fine + ": tensor 'conv1.weight' has shape [4], ResNet-20 needs [16,3,3,3]");
  fs::remove_all(dir);
}

// PyTorch 2.x adds records beside data.pkl (byteorder, .format_version, .storage_alignment):
// read past when little-endian, refused when the tensors are big-endian.
TEST(PytorchImport, TheRecordsOfPytorch2AreReadAndABigEndianFileRefused) {
  using namespace std::string_literals;
  const std::string dir = sa::testing::TempDir("pt_2x");
  caffe2::serialize::PyTorchStreamReader in(kFixtures + "/w4a4_module_state_dict.pth");
  for (const char* order : {"little", "big"}) {
    const std::string path = dir + "/" + order + ".pth";
    {
      caffe2::serialize::PyTorchStreamWriter out(path);
      for (const std::string& name : in.getAllRecords()) {
        if (name == "version") continue;  // the writer adds its own
        auto [data, size] = in.getRecord(name);
        out.writeRecord(name, data.get(), size);
      }
      const std::string byteorder = order;
      out.writeRecord("byteorder", byteorder.data(), byteorder.size());
      out.writeRecord(".format_version", "1", 1);
      out.writeRecord(".storage_alignment", "64", 2);
      out.writeEndOfFile();
    }
    const std::string err = ErrorOf([&] { ImportPytorch(path, {4, 4}); });
    if (std::string(order) == "little")
      EXPECT_EQ(err, "");
    else
      EXPECT_EQ(err, path + ": byteorder 'big': only little-endian tensors are read");
  }
  fs::remove_all(dir);
}

TEST(PytorchHostile, DamagedZipsAndPickleBombsAreRefused) {
  using namespace std::string_literals;
  const std::string dir = sa::testing::TempDir("pt_zip");
  const std::string real = sa::testing::Slurp(kFixtures + "/w4a4_state_dict.pth");
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  // No end-of-central-directory record (ASan saw the reader copy 4,096 bytes before its buffer).
  const std::string no_end = write("no_end.pth", real.substr(0, real.size() - 22));
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(no_end, {4, 4});
            }),
            no_end + ": not a file torch.save wrote (no zip end-of-central-directory record)");
  // An entry marked deflated: it could inflate to any size.
  std::string deflated = real;
  const size_t cd = deflated.find("PK\x01\x02"s);
  ASSERT_NE(cd, std::string::npos);
  deflated[cd + 10] = 8;
  const std::string f = write("deflated.pth", deflated);
  EXPECT_NE(ErrorOf([&] {
              ImportPytorch(f, {4, 4});
            }).find("is compressed; torch.save stores"),
            std::string::npos);
  // A legacy (pre-1.6) file starts with a pickled magic number.
  const std::string legacy = write("legacy.pth",
                                   "\x80\x02\x8a\x0al\xfc\x9c"
                                   "F\xf9 j\xa8P\x19."s);
  EXPECT_NE(ErrorOf([&] {
              ImportPytorch(legacy, {4, 4});
            }).find("a legacy torch.save file"),
            std::string::npos);
  // 300,000 nested one-element tuples (300 KB) overflowed LibTorch's stack.
  std::string nested = "\x80\x02N"s;
  for (int i = 0; i < 300000; ++i) nested += "\x85";
  nested += ".";
  EXPECT_NE(ErrorOf([&] { OrderedDictsAsDicts(nested, "p"); }).find("nesting deeper than 64"),
            std::string::npos);
  // Millions of MARKs (the walker's own stack grew to gigabytes).
  const std::string marks = "\x80\x02"s + std::string(3000000, '(') + ".";
  EXPECT_NE(ErrorOf([&] { OrderedDictsAsDicts(marks, "p"); }).find("items on the stack"),
            std::string::npos);
  // A file far larger than any ResNet-20 checkpoint is refused by its size, unread.
  const std::string big = dir + "/big.pth";
  std::ofstream(big).close();
  fs::resize_file(big, 1000ull << 20);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = ErrorOf([&] { ImportPytorch(big, {4, 4}); });
  EXPECT_NE(err.find(big), std::string::npos) << err;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  fs::remove_all(dir);
}

// Values that import but mean nothing: two copies of one parameter, complex numbers, NaN, a
// zero alpha (every weight would quantize to +-7), a negative running variance.
TEST(PytorchHostile, BadValuesAreRefusedNamingTheTensor) {
  const std::string dir = sa::testing::TempDir("pt_values");
  ResNet20 good = ImportPytorch(kFixtures + "/w4a4_state_dict.pth", {4, 4});
  auto write = [&](const std::function<void(c10::Dict<std::string, torch::Tensor>&)>& change) {
    c10::Dict<std::string, torch::Tensor> d;
    for (const auto& p : good->named_parameters()) {
      std::string name = p.key();
      if (name.size() > 10 && name.substr(name.size() - 10) == ".wgt_alpha")
        name = name.substr(0, name.size() - 10) + ".weight_quant.wgt_alpha";
      d.insert(name, p.value().detach().clone());
    }
    for (const auto& b : good->named_buffers()) d.insert(b.key(), b.value().clone());
    change(d);
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
    std::ofstream(dir + "/x.pth", std::ios::binary).write(bytes.data(), bytes.size());
    return dir + "/x.pth";
  };
  const std::string x = dir + "/x.pth";
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(
                  write([](auto& d) {
                    d.insert("module.conv1.weight", torch::full({16, 3, 3, 3}, std::nanf("")));
                  }),
                  {4, 4});
            }),
            x + ": tensors 'conv1.weight' and 'module.conv1.weight' are the same parameter");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write([](auto& d) {
                              d.insert_or_assign("fc.bias",
                                                 torch::zeros({10}, torch::kComplexFloat));
                            }),
                            {4, 4});
            }),
            x + ": tensor 'fc.bias' is ComplexFloat, not a float or integer tensor");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write([](auto& d) {
                              torch::Tensor w = d.at("layer1.0.conv1.weight");
                              w[0][0][0][0] = std::nanf("");
                            }),
                            {4, 4});
            }),
            x + ": tensor 'layer1.0.conv1.weight' holds NaN or infinity");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write([](auto& d) {
                              d.insert_or_assign("layer2.0.conv2.weight_quant.wgt_alpha",
                                                 torch::tensor(0.0f));
                            }),
                            {4, 4});
            }),
            x + ": tensor 'layer2.0.conv2.weight_quant.wgt_alpha' must be positive");
  EXPECT_EQ(ErrorOf([&] {
              ImportPytorch(write([](auto& d) { d.at("bn1.running_var")[3] = -1.0f; }), {4, 4});
            }),
            x + ": tensor 'bn1.running_var' must be positive");
  fs::remove_all(dir);
}

TEST(PytorchCli, ImportAndExportNeverOverwriteAndRefuseInOneLine) {
  const std::string dir = sa::testing::TempDir("pt_cli");
  const std::string g = SA_GOLDEN_EXE;
  auto ok = RunCommand(g + " import --from " + kFixtures +
                       "/w2a4_checkpoint.pth --wbits 2 --abits 4 --out " + dir + "/m.pt");
  ASSERT_EQ(ok.status, 0) << ok.output;
  auto again = RunCommand(g + " import --from " + kFixtures +
                          "/w2a4_checkpoint.pth --wbits 2 --abits 4 --out " + dir + "/m.pt");
  EXPECT_EQ(again.status, 2);
  EXPECT_EQ(again.output, "sa-golden: --out " + dir + "/m.pt: exists; not replaced\n");
  auto out = RunCommand(g + " export --checkpoint " + dir + "/m.pt --to-pytorch " + dir + "/m.pth");
  ASSERT_EQ(out.status, 0) << out.output;
  auto json = RunCommand(g + " import --from " + kFixtures +
                         "/expected.json --wbits 4 --abits 4 --out " + dir + "/n.pt");
  EXPECT_EQ(json.status, 2);
  EXPECT_NE(json.output.find("expected.json: not a file torch.save wrote"), std::string::npos)
      << json.output;
  EXPECT_EQ(std::count(json.output.begin(), json.output.end(), '\n'), 1) << json.output;
  EXPECT_FALSE(fs::exists(dir + "/n.pt"));
  fs::remove_all(dir);
}

}  // namespace
