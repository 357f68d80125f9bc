// Tests of the vector-set format library: .npy bytes, round trips, the integer convolution and
// the rejection of every kind of corrupt input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/test_util.h"
#include "vectors/int_conv.h"
#include "vectors/npy.h"
#include "vectors/npz.h"
#include "vectors/output.h"
#include "vectors/sha256.h"
#include "vectors/vector_set.h"

namespace {
using sa::testing::TempDir;
namespace fs = std::filesystem;
using namespace sa::vectors;

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

// The committed default sets must come from the committed checkpoints: a retrained checkpoint
// committed without re-dumping its set would leave CI co-simulating the old network's vectors.
TEST(CommittedSets, ManifestNamesTheCommittedCheckpointByItsDigest) {
  for (const char* set : {"default", "default-w2a4"}) {
    SCOPED_TRACE(set);
    const Manifest m = ReadManifest(std::string(SA_SOURCE_DIR) + "/vectors/" + set);
    ASSERT_FALSE(m.checkpoint_path.empty());
    EXPECT_EQ(m.checkpoint_sha256,
              Sha256File(std::string(SA_SOURCE_DIR) + "/" + m.checkpoint_path));
  }
}

TEST(Npy, HeaderBytesAreExactlyWhatNumpyWrites) {
  NpyArray a;
  a.dtype = DType::kInt32;
  a.shape = {2, 3};
  a.bytes.assign(24, 0);
  auto bytes = EncodeNpy(a);
  // numpy.save of np.zeros((2,3), '<i4'): 10-byte prelude + 118-byte header = 128, by hand.
  const std::string dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  EXPECT_EQ(bytes[8] | (bytes[9] << 8), 118);
  EXPECT_EQ(std::string(bytes.begin() + 10, bytes.begin() + 10 + dict.size()), dict);
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(bytes[126], ' ');
}

TEST(Npy, OneDimensionalShapeHasTrailingComma) {
  NpyArray a;
  a.dtype = DType::kUint8;
  a.shape = {5};
  a.bytes.assign(5, 7);
  auto bytes = EncodeNpy(a);
  std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(text.find("'shape': (5,)"), std::string::npos);
  EXPECT_EQ((bytes.size() - 5) % 64, 0u);
}

TEST(Npy, RoundTripThroughAFile) {
  const std::string dir = TempDir("rt");
  NpyArray a;
  a.dtype = DType::kInt8;
  a.shape = {2, 2, 3};
  for (int i = 0; i < 12; ++i) a.bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(i - 6)));
  WriteNpy(dir + "/a.npy", a);
  EXPECT_FALSE(fs::exists(dir + "/a.npy.tmp"));
  NpyArray b = ReadNpy(dir + "/a.npy");
  EXPECT_EQ(b.dtype, a.dtype);
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(b.bytes, a.bytes);
  EXPECT_EQ(b.Data<int8_t>()[0], -6);
}

TEST(Npy, CorruptFilesAreRejectedWithTheirName) {
  NpyArray a;
  a.dtype = DType::kInt32;
  a.shape = {4};
  a.bytes.assign(16, 1);
  auto good = EncodeNpy(a);
  auto truncated = good;
  truncated.resize(good.size() - 3);
  EXPECT_NE(ErrorOf([&] {
              DecodeNpy(truncated, "x.npy");
            }).find("x.npy: data is 13 bytes, shape needs 16 (truncated)"),
            std::string::npos);
  auto bad_magic = good;
  bad_magic[1] = 'X';
  EXPECT_NE(ErrorOf([&] { DecodeNpy(bad_magic, "m.npy"); }).find("m.npy: not a .npy file"),
            std::string::npos);
  auto fortran = good;
  std::string s(fortran.begin(), fortran.end());
  s.replace(s.find("False"), 5, "True ");
  EXPECT_NE(ErrorOf([&] {
              DecodeNpy(std::vector<uint8_t>(s.begin(), s.end()), "f.npy");
            }).find("C order"),
            std::string::npos);
  std::string f8(good.begin(), good.end());
  f8.replace(f8.find("<i4"), 3, "<f8");
  EXPECT_NE(ErrorOf([&] {
              DecodeNpy(std::vector<uint8_t>(f8.begin(), f8.end()), "d.npy");
            }).find("unsupported dtype '<f8'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { DecodeNpy({}, "e.npy"); }).find("e.npy"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ReadNpy("/nonexistent/z.npy"); }).find("/nonexistent/z.npy: cannot open"),
            std::string::npos);
}

// Output paths are checked before a long run by making a file where the output will go:
// access() alone says yes to root on /proc, and the JUnit was then refused after the run.
TEST(OutputChecks, AFolderThatTakesNoFileIsRefusedBeforeTheRun) {
  EXPECT_NE(ErrorOf([] { CheckOutputFile("/proc/x.xml", "--junit"); }).find("--junit: /proc/x.xml"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              CheckOutputFolder("/proc/waves", "--trace-failures");
            }).find("--trace-failures: /proc/waves"),
            std::string::npos);
  const std::string dir = TempDir("output_checks");
  EXPECT_EQ(ErrorOf([&] { CheckOutputFile(dir + "/r.json", "--report"); }), "");
  EXPECT_EQ(ErrorOf([&] { CheckOutputFolder(dir + "/waves", "--trace-failures"); }), "");
  EXPECT_TRUE(fs::is_directory(dir + "/waves"));
  EXPECT_EQ(ErrorOf([&] { CheckOutputFolder(dir + "/waves", "--trace-failures"); }), "");
  std::ofstream(dir + "/file") << "x";
  EXPECT_NE(ErrorOf([&] {
              CheckOutputFolder(dir + "/file", "--trace-failures");
            }).find("exists and is not a folder"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              CheckOutputFolder(dir + "/no/waves", "--trace-failures");
            }).find("does not exist"),
            std::string::npos);
  // The probes leave nothing behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
  EXPECT_TRUE(fs::is_empty(dir + "/waves"));
}

TEST(Sha256, KnownDigest) {
  // FIPS 180-2 test vector for "abc".
  std::vector<uint8_t> abc{'a', 'b', 'c'};
  EXPECT_EQ(Sha256Hex(abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(IntConv, HandComputedThreeByThreeWithPaddingAndStride) {
  // One 3x3 input channel 1..9, one 3x3 kernel of ones except the centre -1, padding 1.
  ConvGeometry g;
  g.in_h = g.in_w = 3;
  g.kernel = 3;
  g.padding = 1;
  std::vector<uint8_t> act{1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int8_t> wgt{1, 1, 1, 1, -1, 1, 1, 1, 1};
  auto out = IntConv2d(g, act.data(), wgt.data());
  // Top-left: neighbours 2+4+5 minus centre 1 = 10; centre: 45 - 2*5 = 35; bottom-right: 5+6+8-9
  // = 10.
  ASSERT_EQ(out.size(), 9u);
  EXPECT_EQ(out[0], 10);
  EXPECT_EQ(out[4], 35);
  EXPECT_EQ(out[8], 10);
  EXPECT_EQ(out[1], 1 + 3 + 4 + 5 + 6 - 2);  // top-middle: 17
  g.stride = 2;
  auto strided = IntConv2d(g, act.data(), wgt.data());
  ASSERT_EQ(strided.size(), 4u);  // 2x2 output: positions (0,0) (0,2) (2,0) (2,2)
  EXPECT_EQ(strided[0], 10);
  EXPECT_EQ(strided[3], 10);
}

LayerVectors SmallLayer() {
  LayerVectors v;
  v.info.name = "layer1.0.conv1";
  ConvGeometry& g = v.info.geometry;
  g.batch = 1;
  g.in_channels = 2;
  g.out_channels = 3;
  g.in_h = g.in_w = 4;
  g.kernel = 3;
  g.padding = 1;
  v.info.act_delta = 0.5;
  v.info.wgt_delta = 0.25;
  v.act.dtype = DType::kUint8;
  v.act.shape = {1, 2, 4, 4};
  for (int i = 0; i < 32; ++i) v.act.bytes.push_back(static_cast<uint8_t>(i % 16));
  v.wgt.dtype = DType::kInt8;
  v.wgt.shape = {3, 2, 3, 3};
  for (int i = 0; i < 54; ++i)
    v.wgt.bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(i % 15 - 7)));
  auto psum = IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
  v.psum.dtype = DType::kInt32;
  v.psum.shape = {1, 3, 4, 4};
  v.psum.bytes.assign(reinterpret_cast<uint8_t*>(psum.data()),
                      reinterpret_cast<uint8_t*>(psum.data() + psum.size()));
  return v;
}

// A one-layer set of test image 7 holding `layer` (named layer1.0.conv1).
void WriteOneLayerSet(const std::string& dir, LayerVectors layer) {
  VectorSetWriter w(dir);
  w.AddLayer(std::move(layer));
  Manifest m;
  m.checkpoint_path = "model.pt";
  m.checkpoint_sha256 = "00";
  m.images = {7};
  m.layers = {"layer1.0.conv1"};
  w.Commit(m);
}

class VectorSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir_ = root_ + "/set";
    WriteOneLayerSet(dir_, SmallLayer());
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_, dir_;
};

TEST_F(VectorSetTest, RoundTrip) {
  EXPECT_FALSE(fs::exists(dir_ + ".partial"));
  Manifest m = ReadManifest(dir_);
  EXPECT_EQ(m.images, std::vector<int64_t>{7});
  EXPECT_EQ(m.layers, std::vector<std::string>{"layer1.0.conv1"});
  LayerVectors want = SmallLayer();
  LayerVectors got = ReadLayer(dir_, "layer1.0.conv1");
  EXPECT_EQ(got.act.bytes, want.act.bytes);
  EXPECT_EQ(got.wgt.bytes, want.wgt.bytes);
  EXPECT_EQ(got.psum.bytes, want.psum.bytes);
  EXPECT_EQ(got.info.geometry.OutH(), 4);
  EXPECT_DOUBLE_EQ(got.info.act_delta, 0.5);
  const int32_t* p = want.psum.Data<int32_t>();
  EXPECT_EQ(got.info.psum_min, *std::min_element(p, p + 48));
  EXPECT_EQ(got.info.psum_max, *std::max_element(p, p + 48));
}

TEST_F(VectorSetTest, NearTiesAreOptionalAndStrict) {
  // SetUp's layer has no count (-1): layer.json omits the field and the reader reports -1.
  EXPECT_EQ(ReadLayer(dir_, "layer1.0.conv1").info.act_near_ties, -1);
  const std::string other = root_ + "/ties";
  LayerVectors v = SmallLayer();
  v.info.act_near_ties = 3;
  v.info.wgt_near_ties = 1;
  v.info.tie_margin = 1e-5;
  WriteOneLayerSet(other, std::move(v));
  LayerInfo info = ReadLayer(other, "layer1.0.conv1").info;
  EXPECT_EQ(info.act_near_ties, 3);
  EXPECT_EQ(info.wgt_near_ties, 1);
  EXPECT_DOUBLE_EQ(info.tie_margin, 1e-5);
  const std::string layer_json = other + "/layer1.0.conv1/layer.json";
  auto text = ReadRegularFile(layer_json, 1 << 30);
  std::string j(text.begin(), text.end());
  j.replace(j.find("\"activations\": 3"), 16, "\"activations\": -3");
  WriteFileAtomic(layer_json, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(ErrorOf([&] { ReadLayer(other, "layer1.0.conv1"); }).find("activations"),
            std::string::npos);
}

TEST_F(VectorSetTest, AbandonedWriterLeavesNothingBehind) {
  {
    VectorSetWriter w(root_ + "/other");
    w.AddLayer(SmallLayer());
  }  // no Commit
  EXPECT_FALSE(fs::exists(root_ + "/other"));
  EXPECT_FALSE(fs::exists(root_ + "/other.partial"));
}

TEST_F(VectorSetTest, ChangedFileFailsItsChecksum) {
  const std::string psum = dir_ + "/layer1.0.conv1/psum.npy";
  auto bytes = ReadRegularFile(psum, 1 << 30);
  bytes.back() ^= 1;
  WriteFileAtomic(psum, bytes);
  EXPECT_NE(
      ErrorOf([&] { ReadLayer(dir_, "layer1.0.conv1"); }).find("psum.npy: sha256 does not match"),
      std::string::npos);
}

TEST_F(VectorSetTest, TruncatedFileWithMatchingChecksumFailsItsShape) {
  auto bytes = ReadRegularFile(dir_ + "/layer1.0.conv1/act.npy", 1 << 30);
  bytes.resize(bytes.size() - 4);
  sa::testing::RewriteWithChecksum(dir_ + "/layer1.0.conv1", "act.npy", bytes);
  EXPECT_NE(ErrorOf([&] {
              ReadLayer(dir_, "layer1.0.conv1");
            }).find("act.npy: data is 28 bytes, shape needs 32 (truncated)"),
            std::string::npos);
}

TEST_F(VectorSetTest, BadManifestsAreRejected) {
  EXPECT_NE(ErrorOf([&] { ReadManifest(root_ + "/nope"); }).find("no such vector set folder"),
            std::string::npos);
  WriteFileAtomic(dir_ + "/manifest.json", {'{', 'x'});
  EXPECT_NE(ErrorOf([&] { ReadManifest(dir_); }).find("manifest.json: not valid JSON"),
            std::string::npos);
  const std::string v3 = R"({"format": "sa-vectors", "version": 3})";
  WriteFileAtomic(dir_ + "/manifest.json", std::vector<uint8_t>(v3.begin(), v3.end()));
  EXPECT_NE(ErrorOf([&] { ReadManifest(dir_); }).find("version 3 is not supported"),
            std::string::npos);
  const std::string missing = R"({"format": "sa-vectors", "version": 1})";
  WriteFileAtomic(dir_ + "/manifest.json", std::vector<uint8_t>(missing.begin(), missing.end()));
  EXPECT_NE(ErrorOf([&] { ReadManifest(dir_); }).find("missing field 'checkpoint'"),
            std::string::npos);
}

TEST_F(VectorSetTest, LayerJsonThatDisagreesWithTheArraysIsRejected) {
  const std::string layer_json = dir_ + "/layer1.0.conv1/layer.json";
  auto text = ReadRegularFile(layer_json, 1 << 30);
  std::string j(text.begin(), text.end());
  j.replace(j.find("\"out_channels\": 3"), 17, "\"out_channels\": 4");
  WriteFileAtomic(layer_json, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(ErrorOf([&] {
              ReadLayer(dir_, "layer1.0.conv1");
            }).find("wgt.npy: shape is [3,2,3,3], layer.json says [4,2,3,3]"),
            std::string::npos);
}

namespace npy_header {

std::vector<uint8_t> Npy(const std::string& header, size_t data_bytes, int major = 1) {
  return sa::testing::NpyWithHeader(header, std::vector<uint8_t>(data_bytes, 7), major);
}

// Headers numpy's read_array_header_1_0/2_0 accept, in spellings other writers produce.
TEST(NpyHeader, AcceptsWhatNumpyAccepts) {
  struct Case {
    std::string header;
    int major;
    DType dtype;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {
      {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\n", 1, DType::kInt32, {2, 3}},
      {"{\"shape\": (2,3), \"descr\": \"|u1\", \"fortran_order\": False}",
       1,
       DType::kUint8,
       {2, 3}},
      {"  {'fortran_order':False,'shape':(6,),'descr':'i1'}\n\n", 2, DType::kInt8, {6}},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (), }", 1, DType::kUint8, {}},
      // A repeated key takes its last value, as in a Python dict literal.
      {"{'descr': '<f8', 'descr': '<i4', 'fortran_order': False, 'shape': (1, 6)}",
       1,
       DType::kInt32,
       {1, 6}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    int64_t n = 1;
    for (int64_t d : c.shape) n *= d;
    NpyArray a =
        DecodeNpy(Npy(c.header, static_cast<size_t>(n) * DTypeSize(c.dtype), c.major), "ok.npy");
    EXPECT_EQ(a.dtype, c.dtype);
    EXPECT_EQ(a.shape, c.shape);
  }
}

// Headers numpy refuses (or that only a hostile writer makes), each with its reason.
TEST(NpyHeader, RefusesWhatNumpyRefuses) {
  const std::string ok_tail = "'fortran_order': False, 'shape': (2,), }";
  const std::pair<std::string, std::string> cases[] = {
      {"{'descr': '|u1', " + ok_tail + "\xff", "non-ASCII or NUL byte"},
      {std::string("{'descr': '|u1', ") + '\0' + ok_tail, "non-ASCII or NUL byte"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1abc, 2), }", "non-integer at byte"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2.9,), }", "non-integer at byte"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (-2,), }", "non-integer at byte"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (02,), }", "leading zero"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2), }", "is not a tuple"},
      {"{'descr': '|u1', 'fortran_order': 0, 'shape': (2,), }", "not True or False"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'x': 1}", "key 'x'"},
      {"{'descr': '|u1', 'shape': (2,), }", "lacks one of"},
      {"{'descr': '|u1', " + ok_tail + " junk", "text after the dict"},
      {"{'descr': '|u\\x31', " + ok_tail, "escapes"},
      {"['descr', '|u1']", "expected '{'"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'"},
      {"{'descr': '>i4', " + ok_tail, "unsupported dtype '>i4'"},
      {"{'descr': '|u1', 'fortran_order': True, 'shape': (2,), }", "not in C order"},
  };
  for (const auto& [header, reason] : cases) {
    SCOPED_TRACE(header);
    const std::string e = ErrorOf([&] { DecodeNpy(Npy(header, 2), "bad.npy"); });
    EXPECT_EQ(e.rfind("bad.npy: ", 0), 0u) << e;
    EXPECT_NE(e.find(reason), std::string::npos) << e;
  }
}

// The report's stack overflows: 60 KB descr (v1.0) and 65 KB of "'shape': (" (v2.0) are refused
// by numpy's 10,000-byte header limit, without recursion.
TEST(NpyHeader, LongHeadersAreRefusedByLengthNotByStackOverflow) {
  const std::string long_descr = "{'descr': '" + std::string(60000, 'u') + "'}";
  EXPECT_EQ(ErrorOf([&] { DecodeNpy(Npy(long_descr, 0), "d.npy"); }),
            "d.npy: header is 60013 bytes, more than numpy's limit of 10000");
  std::string shapes;
  while (shapes.size() < 65000) shapes += "'shape': (";
  EXPECT_EQ(ErrorOf([&] { DecodeNpy(Npy(shapes, 0, 2), "s.npy"); }),
            "s.npy: header is " + std::to_string(shapes.size()) +
                " bytes, more than numpy's limit of 10000");
  // Just under the limit, a long but well-formed header parses.
  std::string padded = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
  padded.append(9999 - padded.size(), ' ');
  padded += '\n';
  EXPECT_EQ(DecodeNpy(Npy(padded, 3), "p.npy").shape, std::vector<int64_t>{3});
}

TEST(NpyHeader, ElementCountOverflowIsRefused) {
  const std::string h =
      "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296, 1, 1), }";
  EXPECT_EQ(ErrorOf([&] { DecodeNpy(Npy(h, 0), "o.npy"); }), "o.npy: shape's byte count overflows");
}

}  // namespace npy_header

// ---------------------------------------------------------------------------------------------
// Compact and chunked sets (format version 2)

// A layer of `batch` images with pseudo-random 4-bit activations and weights scaled by `scale`;
// its psums from the definition written out as loops here, not from IntConv2d.
LayerVectors BatchLayer(int64_t batch, uint32_t seed, int scale = 1) {
  LayerVectors v;
  v.info.name = "layer1.0.conv1";
  ConvGeometry& g = v.info.geometry;
  g.batch = batch;
  g.in_channels = 3;
  g.out_channels = 2;
  g.in_h = 5;
  g.in_w = 4;
  g.kernel = 3;
  g.stride = 1;
  g.padding = 1;
  v.info.act_bits = v.info.wgt_bits = 4;
  auto next = [&seed] { return (seed = seed * 1664525u + 1013904223u) >> 24; };
  v.act = {DType::kUint8, {batch, 3, 5, 4}, {}};
  for (int64_t i = 0; i < batch * 60; ++i) v.act.bytes.push_back(static_cast<uint8_t>(next() % 16));
  v.wgt = {DType::kInt8, {2, 3, 3, 3}, {}};
  for (int i = 0; i < 54; ++i)
    v.wgt.bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(next() % 15) - 7));
  std::vector<int32_t> psum;
  for (int64_t n = 0; n < batch; ++n)
    for (int co = 0; co < 2; ++co)
      for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 4; ++x) {
          int32_t sum = 0;
          for (int ci = 0; ci < 3; ++ci)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = y + ky - 1, ix = x + kx - 1;
                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 4) continue;
                sum += v.act.bytes[static_cast<size_t>(((n * 3 + ci) * 5 + iy) * 4 + ix)] *
                       static_cast<int8_t>(
                           v.wgt.bytes[static_cast<size_t>(((co * 3 + ci) * 3 + ky) * 3 + kx)]);
              }
          psum.push_back(sum * scale);
        }
  v.psum = {DType::kInt32, {batch, 2, 5, 4}, {}};
  v.psum.bytes.assign(reinterpret_cast<uint8_t*>(psum.data()),
                      reinterpret_cast<uint8_t*>(psum.data() + psum.size()));
  return v;
}

Manifest TestManifest(std::vector<int64_t> images) {
  Manifest m;
  m.checkpoint_path = "model.pt";
  m.checkpoint_sha256 = "00";
  m.images = std::move(images);
  m.layers = {"layer1.0.conv1"};
  return m;
}

std::string Text(const std::string& path) {
  auto b = ReadRegularFile(path, 1 << 30);
  return std::string(b.begin(), b.end());
}

class CompactSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

TEST_F(CompactSetTest, NpzFilesRoundTripAndPsumsNarrowOnlyWhereTheyFit) {
  for (int scale : {1, 1000}) {  // |psum| <= 7 * 15 * 27 = 2835; times 1000 leaves int16
    const std::string dir = root_ + "/s" + std::to_string(scale);
    VectorSetWriter w(dir, false, WriteOptions{/*compact=*/true, /*psums=*/true});
    w.AddLayer(BatchLayer(3, 5, scale));
    w.Commit(TestManifest({0, 1, 2}));
    const std::string layer_json = Text(dir + "/layer1.0.conv1/layer.json");
    EXPECT_NE(layer_json.find("\"file\": \"act.npz\""), std::string::npos) << layer_json;
    EXPECT_NE(layer_json.find(scale == 1 ? "\"dtype\": \"int16\"" : "\"dtype\": \"int32\""),
              std::string::npos)
        << layer_json;
    EXPECT_NE(Text(dir + "/manifest.json").find("\"version\": 2"), std::string::npos);
    const LayerVectors want = BatchLayer(3, 5, scale), got = ReadLayer(dir, "layer1.0.conv1");
    EXPECT_EQ(got.act.bytes, want.act.bytes);
    EXPECT_EQ(got.wgt.bytes, want.wgt.bytes);
    EXPECT_EQ(got.psum.dtype, DType::kInt32);  // widened on read
    EXPECT_EQ(got.psum.bytes, want.psum.bytes);
  }
}

TEST_F(CompactSetTest, OmittedPsumsAreComputedAndCheckedAgainstTheRecordedRange) {
  const std::string dir = root_ + "/set";
  VectorSetWriter w(dir, false, WriteOptions{/*compact=*/false, /*psums=*/false});
  w.AddLayer(BatchLayer(2, 9));
  w.Commit(TestManifest({4, 5}));
  EXPECT_FALSE(fs::exists(dir + "/layer1.0.conv1/psum.npy"));
  EXPECT_NE(Text(dir + "/manifest.json").find("\"psums\": \"computed\""), std::string::npos);
  EXPECT_EQ(ReadLayer(dir, "layer1.0.conv1").psum.bytes, BatchLayer(2, 9).psum.bytes);
  EXPECT_TRUE(
      ReadLayer(dir, ReadManifest(dir), "layer1.0.conv1", /*need_psums=*/false).psum.bytes.empty());
  // A recorded range the computed psums do not span (edited inputs, or a wrong reference).
  const std::string path = dir + "/layer1.0.conv1/layer.json";
  std::string j = Text(path);
  const size_t at = j.find("\"psum_max\": ");
  j.insert(at + 12, "1");
  WriteFileAtomic(path, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(ErrorOf([&] { ReadLayer(dir, "layer1.0.conv1"); }).find("the computed psums span"),
            std::string::npos);
}

TEST_F(CompactSetTest, ChunkedSetsListTheirChunksAndEachChunkIsASet) {
  const std::string dir = root_ + "/set";
  VectorSetWriter w(dir, false, WriteOptions{/*compact=*/true, /*psums=*/true});
  w.BeginChunk();
  w.AddLayer(BatchLayer(2, 1));
  w.EndChunk(TestManifest({10, 11}));
  w.BeginChunk();
  w.AddLayer(BatchLayer(1, 2));
  w.EndChunk(TestManifest({12}));
  w.Commit(TestManifest({10, 11, 12}));
  const Manifest m = ReadManifest(dir);
  ASSERT_EQ(ChunkCount(m), 2u);
  EXPECT_EQ(m.chunks[1].dir, "chunk-000001");
  EXPECT_EQ(m.chunks[1].first, 2);
  EXPECT_EQ(ChunkOfImage(m, 1), 0u);
  EXPECT_EQ(ChunkOfImage(m, 2), 1u);
  EXPECT_THROW(ReadLayer(dir, m, "layer1.0.conv1"), std::logic_error);
  const ChunkRef second = OpenChunk(dir, m, 1);
  EXPECT_EQ(second.first, 2);
  EXPECT_EQ(ReadLayer(second.dir, second.manifest, "layer1.0.conv1").psum.bytes,
            BatchLayer(1, 2).psum.bytes);
  // The set's identity covers every chunk's files; a chunk that lists other images is refused.
  const std::string before = SetSha256(dir, m);
  const std::string chunk_manifest = dir + "/chunk-000001/manifest.json";
  std::string j = Text(chunk_manifest);
  j.replace(j.find("12"), 2, "13");
  WriteFileAtomic(chunk_manifest, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(SetSha256(dir, m), before);
  EXPECT_NE(ErrorOf([&] { OpenChunk(dir, m, 1); }).find("its images are not the set's images 2..2"),
            std::string::npos);
  // Chunks that do not add up to the images, or a chunk folder outside the set.
  for (auto [from, to, error] :
       {std::tuple{"\"images\": 1\n", "\"images\": 2\n", "the chunks hold 4 images"},
        std::tuple{"\"dir\": \"chunk-000000\"", "\"dir\": \"..\"", "is not a plain folder name"}}) {
    std::string top = Text(dir + "/manifest.json");
    const size_t at = top.find(from);
    ASSERT_NE(at, std::string::npos) << from << top;
    top.replace(at, std::string(from).size(), to);
    EXPECT_NE(ErrorOf([&] {
                ParseManifest(std::vector<uint8_t>(top.begin(), top.end()), "m");
              }).find(error),
              std::string::npos)
        << error;
  }
}

TEST(Npz, HostileArchivesAreRefusedWithTheirName) {
  NpyArray a{DType::kUint8, {4, 4}, std::vector<uint8_t>(16, 3)};
  const std::vector<uint8_t> good = EncodeNpz("act.npy", a);
  EXPECT_EQ(DecodeNpz(good, "act.npy", 1000, "f.npz").bytes, a.bytes);
  EXPECT_EQ(EncodeNpz("act.npy", a), good);  // byte-identical: no clock reaches it
  // Deflated: 4 KiB of ReLU-like activations (mostly zero) take a fraction of their .npy.
  NpyArray relu{DType::kUint8, {4096}, std::vector<uint8_t>(4096, 0)};
  for (size_t i = 0; i < 4096; i += 7) relu.bytes[i] = static_cast<uint8_t>(i % 16);
  EXPECT_LT(EncodeNpz("act.npy", relu).size() * 4, EncodeNpy(relu).size());
  EXPECT_NE(ErrorOf([&] {
              DecodeNpz(good, "wgt.npy", 1000, "f.npz");
            }).find("f.npz: member 'act.npy', expected 'wgt.npy'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              DecodeNpz(good, "act.npy", 50, "f.npz");
            }).find("more than the 50 its shape allows"),
            std::string::npos);
  std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
  EXPECT_NE(ErrorOf([&] {
              DecodeNpz(cut, "act.npy", 1000, "f.npz");
            }).find("f.npz: not a valid .npz (zip) file"),
            std::string::npos);
  // A flipped bit in the deflated data: inflate or the CRC check fails.
  std::vector<uint8_t> flipped = good;
  flipped[30 + 7 + 4] ^= 0x10;  // past the 30-byte local header and the 7-byte name
  EXPECT_NE(ErrorOf([&] { DecodeNpz(flipped, "act.npy", 1000, "f.npz"); }).find("f.npz"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              DecodeNpz({'P', 'K'}, "act.npy", 1000, "f.npz");
            }).find("f.npz: "),
            std::string::npos);
}

}  // namespace
