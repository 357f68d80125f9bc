// PyTorch files in and out: fixtures written by Python's torch.save in both shapes the course
// flow produces (tests/fixtures/notebook_pth/make_fixture.py), evaluated here to the logits Python
// computed with the notebook's arithmetic; the export read back; every refusal one line.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

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
  for (int64_t i = 0; i < 10; ++i) {
    for (int64_t c = 0; c < 10; ++c)
      EXPECT_NEAR(logits[i][c].item<float>(), want["logits"][i][c].get<double>(), 1e-4)
          << "image " << i << " logit " << c;
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

INSTANTIATE_TEST_SUITE_P(BothShapes, PytorchFiles,
                         ::testing::Values("w4a4_state_dict.pth", "w2a4_checkpoint.pth"));

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
  EXPECT_NE(err.find("its storage record holds"), std::string::npos) << err;
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
  // OrderedDict() -> {}; BUILD obj state -> obj['_metadata'] = state (key before the state).
  const std::string want = "\x80\x02"s + "}q\x01"s + item + key + "}q\x02"s + key + "}s" + "s.";
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
