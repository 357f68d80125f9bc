// Hostile input against the command-line tools: every bad vector set, sample bundle, image,
// checkpoint and output path is refused with one exact line and exit 2, nothing hangs, and no
// file the tools did not create is deleted or changed. One case per cause (issue 8).
#include <gtest/gtest.h>

#include <jpeglib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <chrono>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "tests/test_util.h"
#include "vectors/int_conv.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
namespace sv = sa::vectors;
using sa::testing::RewriteWithChecksum;
using sa::testing::RunCommand;
using sa::testing::Slurp;
using sa::testing::TempDir;

// The environment may point the suite at other builds (an older release, to show what it misses).
std::string Exe(const char* env, const char* built) {
  const char* v = std::getenv(env);
  return v ? v : built;
}
const std::string kGolden = Exe("SA_GOLDEN_EXE", SA_GOLDEN_EXE);
const std::string kCosim = Exe("SA_COSIM_EXE", SA_COSIM_EXE);  // empty: co-simulation not built
const std::string kSource = SA_SOURCE_DIR;
constexpr const char* kLayer = "layer1.0.conv1";

void WriteText(const std::string& path, const std::string& text) {
  sv::WriteFileAtomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// Replaces the first `from` in a file by `to` (the test's precondition: it is there).
void EditText(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = Slurp(path);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  text.replace(at, from.size(), to);
  WriteText(path, text);
}

// A valid one-layer set: 1 image, 2 -> 3 channels, 4 x 4, 3 x 3 kernel, a4w4.
void WriteSmallSet(const std::string& dir) {
  sv::LayerVectors v;
  v.info.name = kLayer;
  sv::ConvGeometry& g = v.info.geometry;
  g = {1, 2, 3, 4, 4, 3, 1, 1};
  v.info.act_delta = 0.5;
  v.act = {sv::DType::kUint8, {1, 2, 4, 4}, {}};
  for (int i = 0; i < 32; ++i) v.act.bytes.push_back(static_cast<uint8_t>(i % 16));
  v.wgt = {sv::DType::kInt8, {3, 2, 3, 3}, {}};
  for (int i = 0; i < 54; ++i) v.wgt.bytes.push_back(static_cast<uint8_t>(i % 15 - 7));
  auto psum = sv::IntConv2d(g, v.act.Data<uint8_t>(), v.wgt.Data<int8_t>());
  v.psum = {sv::DType::kInt32,
            {1, 3, 4, 4},
            std::vector<uint8_t>(reinterpret_cast<uint8_t*>(psum.data()),
                                 reinterpret_cast<uint8_t*>(psum.data() + psum.size()))};
  sv::VectorSetWriter w(dir);
  w.AddLayer(std::move(v));
  sv::Manifest m;
  m.checkpoint_path = "model.pt";
  m.checkpoint_sha256 = std::string(64, '0');
  m.images = {7};
  m.layers = {kLayer};
  w.Commit(m);
}

// One hostile vector set: a change to the valid set, and the exact message both tools print.
struct SetCase {
  const char* name;
  // Damages the set in `set`; returns the refusal without the "tool: " prefix.
  std::function<std::string(const std::string& set)> damage;
};

std::string M(const std::string& set) { return set + "/manifest.json"; }
std::string L(const std::string& set) { return set + "/" + kLayer + "/layer.json"; }
std::string F(const std::string& set, const char* file) { return set + "/" + kLayer + "/" + file; }

const SetCase kSetCases[] = {
    {"EmptyLayerList",
     [](const std::string& s) {
       EditText(M(s), "\"layer1.0.conv1\"", "");
       return M(s) + ": 'layers' is empty: nothing to check";
     }},
    {"LayerListedTwice",
     [](const std::string& s) {
       EditText(M(s), "\"layer1.0.conv1\"", "\"layer1.0.conv1\", \"layer1.0.conv1\"");
       return M(s) + ": layer 'layer1.0.conv1' is listed twice";
     }},
    {"VersionBeyond32Bits",
     [](const std::string& s) {
       EditText(M(s), "\"version\": 1", "\"version\": 4294967297");
       return M(s) + ": version 4294967297 is not supported (expected 1 to 2)";
     }},
    {"VersionAsFloat",
     [](const std::string& s) {
       EditText(M(s), "\"version\": 1", "\"version\": 1.9");
       return M(s) + ": 'version' is 1.9, not an integer";
     }},
    {"VersionAsBool",
     [](const std::string& s) {
       EditText(M(s), "\"version\": 1", "\"version\": true");
       return M(s) + ": 'version' is true, not an integer";
     }},
    {"DuplicateJsonKey",
     [](const std::string& s) {
       EditText(M(s), "\"act_bits\": 4", "\"act_bits\": 4, \"act_bits\": 4");
       return M(s) + ": duplicate key 'act_bits'";
     }},
    {"IntegerBeyond64Bits",
     [](const std::string& s) {
       EditText(M(s), "\"act_bits\": 4", "\"act_bits\": 46116860184273879048");
       return M(s) + ": 'act_bits' is 4.611686018427388e+19, not an integer";
     }},
    {"DeepNesting",
     [](const std::string& s) {
       EditText(M(s), "\"act_bits\": 4",
                "\"x\": " + std::string(40, '[') + std::string(40, ']') + ", \"act_bits\": 4");
       return M(s) + ": JSON nested deeper than 16";
     }},
    {"ManifestNotAnObject",
     [](const std::string& s) {
       WriteText(M(s), "[1, 2]");
       return M(s) + ": expected a JSON object";
     }},
    {"HugeManifest",
     [](const std::string& s) {
       std::string text = Slurp(M(s));
       text.append(100u << 20, ' ');  // still valid JSON
       WriteText(M(s), text);
       return M(s) + ": is 100 MiB, more than the 16 MiB such a file may have";
     }},
    {"LayerNameWithDotDot",
     [](const std::string& s) {
       EditText(M(s), "\"layer1.0.conv1\"", "\"../layer1.0.conv1\"");
       return M(s) +
              ": layer name '../layer1.0.conv1' is not a plain folder name ([A-Za-z0-9._-], "
              "not starting with '.')";
     }},
    {"LayerNameWithSlash",
     [](const std::string& s) {
       EditText(M(s), "\"layer1.0.conv1\"", "\"layer1.0.conv1/../layer1.0.conv1\"");
       return M(s) +
              ": layer name 'layer1.0.conv1/../layer1.0.conv1' is not a plain folder name "
              "([A-Za-z0-9._-], not starting with '.')";
     }},
    {"LayerFolderLinksOutOfTheSet",
     [](const std::string& s) {
       const std::string outside = s + "-outside";
       fs::rename(s + "/" + kLayer, outside);
       fs::create_directory_symlink(outside, s + "/" + kLayer);
       return s + "/" + kLayer + ": a symbolic link out of " + s + " (to " +
              fs::canonical(outside).string() + ")";
     }},
    {"FileNameWithDotDot",
     [](const std::string& s) {
       EditText(L(s), "\"file\": \"act.npy\"", "\"file\": \"../../../etc/passwd\"");
       return L(s) +
              ": file name '../../../etc/passwd' is not a plain file name ([A-Za-z0-9._-], not "
              "starting with '.')";
     }},
    {"FileLinksToDevZero",
     [](const std::string& s) {
       fs::remove(F(s, "act.npy"));
       fs::create_symlink("/dev/zero", F(s, "act.npy"));
       return F(s, "act.npy") + ": a symbolic link out of " + s + "/" + kLayer + " (to /dev/zero)";
     }},
    {"FileIsAFifo",
     [](const std::string& s) {
       fs::remove(F(s, "act.npy"));
       EXPECT_EQ(::mkfifo(F(s, "act.npy").c_str(), 0600), 0);
       return F(s, "act.npy") + ": is a FIFO, expected a regular file";
     }},
    {"FileIsADirectory",
     [](const std::string& s) {
       fs::remove(F(s, "wgt.npy"));
       fs::create_directory(F(s, "wgt.npy"));
       return F(s, "wgt.npy") + ": is a directory, expected a regular file";
     }},
    {"LayerJsonMissing",
     [](const std::string& s) {
       fs::remove(L(s));
       return L(s) + ": cannot open (No such file or directory)";
     }},
    {"LayerNameDiffersFromFolder",
     [](const std::string& s) {
       EditText(L(s), "\"name\": \"layer1.0.conv1\"", "\"name\": \"layer3.2.conv2\"");
       return L(s) + ": name 'layer3.2.conv2' differs from its folder 'layer1.0.conv1'";
     }},
    {"LayerBitsDifferFromManifest",
     [](const std::string& s) {
       EditText(L(s), "\"act_bits\": 4", "\"act_bits\": 8");
       return L(s) + ": bit widths a8w4 differ from the manifest's a4w4";
     }},
    {"ZeroWeightBits",
     [](const std::string& s) {
       EditText(L(s), "\"wgt_bits\": 4", "\"wgt_bits\": 0");
       return L(s) + ": 'wgt_bits' is 0 (expected 2..8)";
     }},
    {"FortyActivationBits",
     [](const std::string& s) {
       EditText(L(s), "\"act_bits\": 4", "\"act_bits\": 40");
       return L(s) + ": 'act_bits' is 40 (expected 2..8)";
     }},
    {"FractionalStride",
     [](const std::string& s) {
       EditText(L(s), "\"stride\": 1", "\"stride\": 1.7");
       return L(s) + ": 'stride' is 1.7, not an integer";
     }},
    {"MapSideBeyond64Bits",
     [](const std::string& s) {
       EditText(L(s), "\"in_h\": 4", "\"in_h\": 184467440737095516155");
       return L(s) + ": 'in_h' is 1.844674407370955e+20, not an integer";
     }},
    {"GeometryProductOverflows",
     [](const std::string& s) {
       EditText(L(s), "\"in_channels\": 2", "\"in_channels\": 65536");
       EditText(L(s), "\"in_h\": 4", "\"in_h\": 65536");
       EditText(L(s), "\"in_w\": 4", "\"in_w\": 65536");
       return L(s) + ": activation count exceeds 17179869184";
     }},
    {"PaddingAsLargeAsTheKernel",
     [](const std::string& s) {
       EditText(L(s), "\"padding\": 1", "\"padding\": 3");
       return L(s) + ": padding 3 is not smaller than the kernel";
     }},
    {"BatchDiffersFromImages",
     [](const std::string& s) {
       EditText(M(s), "7", "7, 8");
       return L(s) + ": batch 1 differs from the 2 images of the manifest";
     }},
    {"NpyElementCountOverflows",
     [](const std::string& s) {
       RewriteWithChecksum(
           s + "/" + kLayer, "act.npy",
           sa::testing::NpyWithHeader("{'descr': '|u1', 'fortran_order': False, "
                                      "'shape': (4294967296, 4294967296, 1, 1), }\n",
                                      {}));
       return F(s, "act.npy") + ": shape's byte count overflows";
     }},
    {"NpyHeaderTooLong",
     [](const std::string& s) {
       RewriteWithChecksum(
           s + "/" + kLayer, "act.npy",
           sa::testing::NpyWithHeader("{'descr': '" + std::string(60000, 'u') + "'}", {}));
       return F(s, "act.npy") + ": is 58 KiB, more than the 9 KiB such a file may have";
     }},
    {"NpyHeaderNonAscii",
     [](const std::string& s) {
       RewriteWithChecksum(s + "/" + kLayer, "act.npy",
                           sa::testing::NpyWithHeader("{'descr': '|u1', 'fortran_order': False, "
                                                      "'shape': (1, 2, 4, 4), }\xe9\n",
                                                      std::vector<uint8_t>(32, 1)));
       return F(s, "act.npy") + ": header holds a non-ASCII or NUL byte (numpy refuses it)";
     }},
    {"NpyShapeWithLetters",
     [](const std::string& s) {
       const std::string h =
           "{'descr': '|u1', 'fortran_order': False, 'shape': (1abc, 16, 32xyz, 32.9), }\n";
       RewriteWithChecksum(s + "/" + kLayer, "act.npy", sa::testing::NpyWithHeader(h, {}));
       return F(s, "act.npy") + ": header: shape holds a non-integer at byte " +
              std::to_string(h.find("1abc"));
     }},
    {"ActivationBeyondItsBits",
     [](const std::string& s) {
       sv::NpyArray a = sv::ReadNpy(F(s, "act.npy"));
       a.bytes[5] = 200;
       RewriteWithChecksum(s + "/" + kLayer, "act.npy", sv::EncodeNpy(a));
       return F(s, "act.npy") + ": activation 200 at flat index 5 exceeds the 4-bit maximum 15";
     }},
    {"WeightOutsideTheSymmetricRange",
     [](const std::string& s) {
       sv::NpyArray w = sv::ReadNpy(F(s, "wgt.npy"));
       w.bytes[3] = static_cast<uint8_t>(-8);
       RewriteWithChecksum(s + "/" + kLayer, "wgt.npy", sv::EncodeNpy(w));
       return F(s, "wgt.npy") + ": weight -8 at flat index 3 is outside the 4-bit range +-7";
     }},
};

class HostileSet : public ::testing::TestWithParam<SetCase> {
 protected:
  void SetUp() override {
    root_ = TempDir(std::string("hostile_") + GetParam().name);
    set_ = root_ + "/set";
    WriteSmallSet(set_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_, set_;
};

TEST_P(HostileSet, BothToolsRefuseWithOneExactLineAndExitTwo) {
  // Sanity: the undamaged set passes both tools.
  ASSERT_EQ(RunCommand(kGolden + " verify --vectors " + set_).status, 0);
  if (!kCosim.empty()) ASSERT_EQ(RunCommand(kCosim + " --vectors " + set_).status, 0);
  const std::string message = GetParam().damage(set_);
  // `timeout` turns a hang (a FIFO read, say) into a failure instead of a stuck test.
  auto golden = RunCommand("timeout 60 " + kGolden + " verify --vectors " + set_);
  EXPECT_EQ(golden.status, 2);
  EXPECT_EQ(golden.output, "sa-golden: " + message + "\n");
  if (!kCosim.empty()) {
    auto cosim = RunCommand("timeout 60 " + kCosim + " --vectors " + set_);
    EXPECT_EQ(cosim.status, 2);
    EXPECT_EQ(cosim.output, "sa-cosim: " + message + "\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Causes, HostileSet, ::testing::ValuesIn(kSetCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Outputs: nothing the tool did not write is deleted, replaced or truncated.

class DumpOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir("dump_out");
    work_ = root_ + "/work";
    fs::create_directories(work_);
    victims_ = {{work_ + "/notes.txt", "my notes\n"}, {work_ + "/data.bin", "\x01\x02\x03"}};
    for (const auto& [path, text] : victims_) std::ofstream(path) << text;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Runs dump from `cwd` with `out`; returns the result.
  sa::testing::CommandResult Dump(const std::string& cwd, const std::string& out,
                                  const std::string& extra = "") {
    return RunCommand("cd " + cwd + " && " + kGolden + " dump --checkpoint " + kSource +
                      "/golden/checkpoints/w4a4/model.pt --samples " + kSource +
                      "/vectors/samples/test_images.npy --images 0 --out " + out + extra);
  }
  void ExpectVictimsIntact() {
    for (const auto& [path, text] : victims_) EXPECT_EQ(Slurp(path), text) << path;
  }
  std::string root_, work_;
  std::map<std::string, std::string> victims_;
};

TEST_F(DumpOutput, CurrentFolderAndItsAncestorsAreRefused) {
  for (const char* out : {".", "./", "..", "../..", "/"}) {
    auto r = Dump(work_, out);
    EXPECT_EQ(r.status, 2) << out;
    std::string shown = out;  // named without trailing separators
    while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
    EXPECT_EQ(r.output, "sa-golden: --out: " + shown +
                            " is the current folder or one of its ancestors; not replaced\n");
  }
  ExpectVictimsIntact();
}

TEST_F(DumpOutput, AFolderThatIsNotAVectorSetIsRefused) {
  auto r = Dump(root_, work_);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output,
            "sa-golden: --out: " + work_ + " is a folder that is not a vector set; not replaced\n");
  ExpectVictimsIntact();
}

TEST_F(DumpOutput, ARegularFileOrALinkIsRefused) {
  auto r = Dump(root_, work_ + "/notes.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output,
            "sa-golden: --out: " + work_ + "/notes.txt exists and is not a folder; not replaced\n");
  fs::create_directory_symlink(work_, root_ + "/link");
  auto l = Dump(root_, root_ + "/link");
  EXPECT_EQ(l.status, 2);
  EXPECT_EQ(l.output, "sa-golden: --out: " + root_ + "/link is a symbolic link; not replaced\n");
  ExpectVictimsIntact();
}

TEST_F(DumpOutput, AUserFolderNamedLikeTheOldStagingFolderIsLeftAlone) {
  fs::create_directories(root_ + "/set.partial");
  std::ofstream(root_ + "/set.partial/mine") << "mine";
  auto r = Dump(root_, "set");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(Slurp(root_ + "/set.partial/mine"), "mine");
  EXPECT_TRUE(sv::IsVectorSet(root_ + "/set"));
  // The only entries beside it are the user's and the set: no staging folder left behind.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root_)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"set", "set.partial", "work"}));
}

TEST_F(DumpOutput, AnEmptyFolderIsFilledAndAMissingParentIsRefused) {
  fs::create_directories(root_ + "/empty");
  EXPECT_EQ(Dump(root_, "empty").status, 0);
  EXPECT_TRUE(sv::IsVectorSet(root_ + "/empty"));
  auto r = Dump(root_, root_ + "/no/such/set");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: --out: " + root_ + "/no/such/set: folder " + root_ +
                          "/no/such does not exist\n");
}

TEST_F(DumpOutput, SingleFileOutputsNeverReplaceAFolderOrTouchATmpFile) {
  std::ofstream(root_ + "/h.csv.tmp") << "user file";
  const std::string set = kSource + "/vectors/default";
  auto ok =
      RunCommand(kGolden + " verify --vectors " + set + " --psum-histogram " + root_ + "/h.csv");
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_EQ(Slurp(root_ + "/h.csv.tmp"), "user file");
  auto dir = RunCommand(kGolden + " verify --vectors " + set + " --psum-histogram " + work_);
  EXPECT_EQ(dir.status, 2);
  EXPECT_EQ(dir.output,
            "sa-golden: --psum-histogram: " + work_ + " exists and is not a regular file\n");
  ExpectVictimsIntact();
}

TEST_F(DumpOutput, ForceReplacesOnlyASetThatHoldsNothingElse) {
  ASSERT_EQ(Dump(root_, "set").status, 0);
  // A user keeps a file inside the set (a report, say): --force must not delete it.
  std::ofstream(root_ + "/set/report.json") << "mine";
  auto r = Dump(root_, "set", " --force");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output,
            "sa-golden: --out: set holds report.json, which is not part of the vector "
            "set; not replaced\n");
  EXPECT_EQ(Slurp(root_ + "/set/report.json"), "mine");
  std::ofstream(root_ + "/set/layer1.0.conv1/notes.txt") << "mine too";
  fs::remove(root_ + "/set/report.json");
  auto r2 = Dump(root_, "set", " --force");
  EXPECT_EQ(r2.status, 2);
  EXPECT_NE(r2.output.find("holds layer1.0.conv1/notes.txt"), std::string::npos) << r2.output;
  fs::remove(root_ + "/set/layer1.0.conv1/notes.txt");
  // Only the tool's own files left: replaced; and a trailing separator names the same folder.
  auto ok = Dump(root_, "set/", " --force");
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_TRUE(sv::IsVectorSet(root_ + "/set"));
}

TEST_F(DumpOutput, TrainNeverWritesIntoAFolderOfTheUsers) {
  auto r = RunCommand(kGolden + " train --data " + root_ + " --out " + work_ + " --epochs 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: --out: " + work_ +
                          " is not empty; continue a run with --resume " + work_ +
                          "/checkpoint.pt, or name a new folder\n");
  ExpectVictimsIntact();
}

// A teacher that is no checkpoint stops the run before its --out folder is made.
TEST_F(DumpOutput, TrainChecksTheTeacherBeforeWritingAnything) {
  std::ofstream(root_ + "/teacher.pt") << "not a checkpoint";
  const std::string out = root_ + "/run";
  auto r = RunCommand(kGolden + " train --data /nonexistent --out " + out + " --teacher " + root_ +
                      "/teacher.pt --epochs 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output.rfind("sa-golden: " + root_ + "/teacher.pt: not a readable checkpoint", 0), 0u)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(DumpOutput, SamplesChecksBothFilesBeforeReadingAnything) {
  fs::create_directories(root_ + "/s.json");
  auto r =
      RunCommand(kGolden + " samples --data /nonexistent --images 0 --out " + root_ + "/s.npy");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: --out: " + root_ + "/s.json exists and is not a regular file\n");
  auto ext = RunCommand(kGolden + " samples --data /nonexistent --images 0 --out " + root_ + "/s");
  EXPECT_EQ(ext.status, 2);
  EXPECT_EQ(ext.output,
            "sa-golden: --out: " + root_ + "/s must end in .npy (FILE.json goes beside it)\n");
}

TEST(HostileInputs, ANewlineInsideAJsonNameStillGivesOneLine) {
  const std::string root = TempDir("newline");
  WriteSmallSet(root + "/set");
  EditText(M(root + "/set"), "\"layer1.0.conv1\"", "\"layer\\nX\"");
  auto r = RunCommand(kGolden + " verify --vectors " + root + "/set");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("layer name 'layer?X'"), std::string::npos) << r.output;
  fs::remove_all(root);
}

TEST(CosimOutput, AReportThroughASymbolicLinkKeepsTheLink) {
  if (kCosim.empty()) GTEST_SKIP() << "co-simulation not built";
  const std::string root = TempDir("report_link");
  std::ofstream(root + "/shared.json") << "old";
  ::chmod((root + "/shared.json").c_str(), 0640);
  fs::create_symlink(root + "/shared.json", root + "/r.json");
  auto r = RunCommand(kCosim + " --vectors " + kSource + "/vectors/default --layers " + kLayer +
                      " --quiet --report " + root + "/r.json");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(root + "/r.json"));
  EXPECT_NE(Slurp(root + "/shared.json").find("schema_version"), std::string::npos);
  EXPECT_EQ(fs::status(root + "/shared.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  fs::remove_all(root);
}

TEST(CosimOutput, UnwritableReportAndTraceAreRefusedBeforeSimulation) {
  if (kCosim.empty()) GTEST_SKIP() << "co-simulation not built";
  const std::string root = TempDir("cosim_out");
  const std::string set = kSource + "/vectors/default";
  auto report = RunCommand(kCosim + " --vectors " + set + " --report " + root);
  EXPECT_EQ(report.status, 2);
  EXPECT_EQ(report.output, "sa-cosim: --report: " + root + " exists and is not a regular file\n");
  auto trace = RunCommand(kCosim + " --vectors " + set + " --trace /nonexistent/t.vcd");
  EXPECT_EQ(trace.status, 2);
  EXPECT_EQ(trace.output,
            "sa-cosim: --trace: /nonexistent/t.vcd: folder /nonexistent does not exist\n");
  auto twice = RunCommand(kCosim + " --vectors " + set + " --layers " + kLayer + "," + kLayer);
  EXPECT_EQ(twice.status, 2);
  EXPECT_EQ(twice.output, std::string("sa-cosim: --layers: '") + kLayer + "' is named twice\n");
  auto usage = RunCommand(kCosim + " --vectors " + set + " --no-such-flag");
  EXPECT_EQ(usage.status, 2);
  EXPECT_EQ(usage.output, "sa-cosim: The following argument was not expected: --no-such-flag\n");
  fs::remove_all(root);
}

// Numbers that parse but mean nothing: NaN probabilities ran (the report then held null), and
// seeds outside 0..2^62 wrapped (a negative one) or ran into a report that could not be merged.
TEST(CosimFlags, NanProbabilitiesAndOutOfRangeSeedsAreRefused) {
  if (kCosim.empty()) GTEST_SKIP() << "co-simulation not built";
  const std::string run = kCosim + " --vectors " + kSource + "/vectors/default --layers " + kLayer;
  for (const std::string flags : {"--stall-prob nan", "--psum-stall-prob nan", "--stall-prob inf",
                                  "--seed -1", "--seed 18446744073709551616",
                                  "--seed 9223372036854775808", "--seed 4611686018427387905"}) {
    auto r = RunCommand(run + " " + flags);
    EXPECT_EQ(r.status, 2) << flags << ": " << r.output;
    const std::string flag = flags.substr(0, flags.find(' '));
    EXPECT_NE(r.output.find(flag), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
}

// sa-report merge: a report that planned nothing says nothing passed (it printed TOTAL PASS 0,
// exit 0), and one listing millions of images is refused while it is parsed (three 60 MB ones
// took 154 s and 2.75 GB).
TEST(ReportMerge, NothingPlannedAndHugeImageListsAreRefused) {
  if (kCosim.empty()) GTEST_SKIP() << "co-simulation not built";
  const std::string report = fs::path(kCosim).parent_path().string() + "/sa-report";
  const std::string root = TempDir("merge_hostile");
  auto good = RunCommand(kCosim + " --vectors " + kSource + "/vectors/default --layers " + kLayer +
                         " --quiet --report " + root + "/good.json");
  ASSERT_EQ(good.status, 0) << good.output;
  std::string text = Slurp(root + "/good.json");
  const size_t at = text.find("\"units_planned\": 1");
  ASSERT_NE(at, std::string::npos);
  std::string none = text;
  none.replace(at, std::string("\"units_planned\": 1").size(), "\"units_planned\": 0");
  WriteText(root + "/none.json", none);
  auto r = RunCommand(report + " merge " + root + "/none.json");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("none.json"), std::string::npos) << r.output;
  // 3 million image indices: about 6 MB of JSON.
  std::string huge = "{\"schema_version\": 8, \"vectors\": {\"images\": [0";
  for (int i = 1; i < 3000000; ++i) huge += ",0";
  huge += "]}}";
  WriteText(root + "/huge.json", huge);
  const auto t0 = std::chrono::steady_clock::now();
  r = RunCommand(report + " merge " + root + "/huge.json " + root + "/huge.json");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("a JSON array of more than"), std::string::npos) << r.output;
  EXPECT_LT(seconds, 20) << "refused while parsing, not after";
  fs::remove_all(root);
}

// export-memh writes each psum in --psum-width bits: psums that do not fit were cut silently.
TEST(VectorsExport, PsumsWiderThanPsumWidthAreRefused) {
  if (kCosim.empty()) GTEST_SKIP() << "co-simulation not built";
  const std::string tool = fs::path(kCosim).parent_path().string() + "/sa-vectors";
  const std::string root = TempDir("memh_width");
  auto r = RunCommand(tool + " export-memh --vectors " + kSource + "/vectors/default --layers " +
                      kLayer + " --rows 8 --cols 8 --psum-width 8 --out " + root + "/memh");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--psum-width 8: " + std::string(kLayer) + "'s psums span "),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(root + "/memh/" + kLayer + "/psum.memh"));
  fs::remove_all(root);
}

// ---------------------------------------------------------------------------------------------
// Other inputs: samples bundles, checkpoints, JPEG images.

TEST(HostileInputs, SamplesJsonWithAStringIndexNamesTheFile) {
  const std::string root = TempDir("samples");
  fs::copy_file(kSource + "/vectors/samples/test_images.npy", root + "/s.npy");
  std::string j = Slurp(kSource + "/vectors/samples/test_images.json");
  const size_t at = j.find("\"indices\": [") + std::string("\"indices\": [").size();
  const size_t first = j.find_first_of("0123456789", at);
  const size_t end = j.find_first_not_of("0123456789", first);
  j.replace(first, end - first, "\"" + j.substr(first, end - first) + "\"");
  WriteText(root + "/s.json", j);
  auto r = RunCommand(kGolden + " dump --checkpoint " + kSource +
                      "/golden/checkpoints/w4a4/model.pt --samples " + root +
                      "/s.npy --images 0 --out " + root + "/v");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: " + root + "/s.json: indices[0] is \"0\", not an integer\n");
  EXPECT_FALSE(fs::exists(root + "/v"));
  fs::remove_all(root);
}

TEST(HostileInputs, AFifoCheckpointIsRefusedWithoutHanging) {
  const std::string root = TempDir("fifo_ckpt");
  ASSERT_EQ(::mkfifo((root + "/model.pt").c_str(), 0600), 0);
  auto r = RunCommand("timeout 60 " + kGolden + " eval --checkpoint " + root + "/model.pt --data " +
                      root);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: " + root + "/model.pt: is a FIFO, expected a regular file\n");
  fs::remove_all(root);
}

// A real 32 x 32 JPEG whose frame header then claims `side` x `side` pixels.
std::vector<uint8_t> JpegClaiming(int side) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = 32;
  c.image_height = 32;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_simple_progression(&c);  // progressive, as in the report
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(32 * 3, 128);
  while (c.next_scanline < 32) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buf, buf + size);
  jpeg_destroy_compress(&c);
  free(buf);
  for (size_t i = 0; i + 8 < out.size(); ++i) {
    if (out[i] == 0xff && (out[i + 1] == 0xc0 || out[i + 1] == 0xc2)) {  // SOF0 / SOF2
      out[i + 5] = out[i + 7] = static_cast<uint8_t>(side >> 8);
      out[i + 6] = out[i + 8] = static_cast<uint8_t>(side & 0xff);
      break;
    }
  }
  return out;
}

TEST(HostileInputs, AJpegClaimingAHugeImageIsRefusedAfterItsHeader) {
  const std::string root = TempDir("jpeg_bomb");
  const char* classes[] = {"airplane", "automobile", "bird",  "cat",  "deer",
                           "dog",      "frog",       "horse", "ship", "truck"};
  for (const char* c : classes) fs::create_directories(root + "/test/" + c);
  for (const char* c : classes) fs::create_directories(root + "/train/" + c);
  const std::string bomb = root + "/test/airplane/0000.jpg";
  WriteText(bomb, "");
  sv::WriteFileAtomic(bomb, JpegClaiming(65500));
  ASSERT_LT(fs::file_size(bomb), 2000u);
  // Virtual memory capped at 2 GiB: decoding 65,500 x 65,500 pixels would need 12 GiB. (Not
  // under AddressSanitizer, which reserves terabytes of address space for its shadow.)
  const std::string cap = SA_UNDER_ASAN ? "" : "ulimit -v 2097152; ";
  auto r = RunCommand(cap + "timeout 60 " + kGolden + " eval --checkpoint " + kSource +
                      "/golden/checkpoints/w4a4/model.pt --data " + root);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "sa-golden: " + bomb + ": image is 65500x65500x3, expected 32x32 RGB\n");
  fs::remove_all(root);
}

}  // namespace
