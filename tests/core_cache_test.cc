// The core cache in-process, without Verilator: its key, file lists, cache folder, locking and
// cleaning, with a stand-in for CMake (a shell script) so that a "build" takes milliseconds.
#include "sim/core_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace {
namespace fs = std::filesystem;
using sa::sim::CanonicalParams;
using sa::sim::CoreCache;
using sa::sim::CoreKey;
using sa::sim::CoreKit;
using sa::sim::CoreSpec;
using sa::testing::TempDir;

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A core of two files and a kit whose "cmake" is a script: configure makes the build folder,
// build writes an executable and params.txt (and appends a line to builds.txt, so the test can
// count builds), or, with FAIL in the environment, prints a Verilator-style error and fails.
class CoreCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("core_cache");
    fs::create_directories(dir_ + "/rtl");
    Write(dir_ + "/rtl/a.sv", "module a; endmodule\n");
    Write(dir_ + "/rtl/top.sv", "module top; a u(); endmodule\n");
    Write(dir_ + "/rtl/core.f", "// my core\n\na.sv\n  top.sv  \n# done\n");
    Write(dir_ + "/harness.h", "abi 1\n");
    const std::string cmake = dir_ + "/fake_cmake.sh";
    Write(cmake,
          "#!/bin/sh\n"
          "if [ \"$1\" = --build ]; then\n"
          "  if [ -n \"$FAIL\" ]; then echo '%Error: top.sv:1:8: syntax error'; exit 1; fi\n"
          "  echo build >> " +
              dir_ +
              "/builds.txt; sleep 0.3\n"
              "  printf '#!/bin/sh\\necho core\\n' > \"$2/sa-cosim-core\"; chmod +x "
              "\"$2/sa-cosim-core\"\n"
              "  echo 'Rows=8 Cols=8' > \"$2/params.txt\"; exit 0\n"
              "fi\n"
              "while [ $# -gt 0 ]; do [ \"$1\" = -B ] && mkdir -p \"$2\"; shift; done\n");
    fs::permissions(cmake, fs::perms::owner_all);
    kit_.kit_dir = dir_;
    kit_.kit_file = dir_ + "/kit.cmake";
    kit_.cmake = cmake;
    kit_.generator = "Ninja";
    kit_.verilator_version = "5.006";
    kit_.abi_files = {dir_ + "/harness.h"};
    spec_.filelist = dir_ + "/rtl/core.f";
    spec_.top = "top";
    spec_.params = {"Rows=8"};
    unsetenv("FAIL");
  }
  int Builds() {
    std::istringstream in(sa::testing::Slurp(dir_ + "/builds.txt"));
    int n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  }
  std::string dir_;
  CoreKit kit_;
  CoreSpec spec_;
};

TEST_F(CoreCacheTest, FileListReadsRelativePathsAndSkipsCommentsAndBlanks) {
  const auto files = sa::sim::ReadFileList(spec_.filelist);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], dir_ + "/rtl/a.sv");
  EXPECT_EQ(files[1], dir_ + "/rtl/top.sv");
  Write(dir_ + "/rtl/bad.f", "a.sv\nmissing.sv\n");
  try {
    sa::sim::ReadFileList(dir_ + "/rtl/bad.f");
    FAIL() << "a missing listed file was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("missing.sv does not exist"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(sa::sim::ReadFileList(dir_ + "/rtl/nope.f"), std::invalid_argument);
  Write(dir_ + "/rtl/empty.f", "// nothing\n");
  EXPECT_THROW(sa::sim::ReadFileList(dir_ + "/rtl/empty.f"), std::invalid_argument);
}

TEST(CoreCacheParams, CanonicalFormIsSortedByNameAndTheLastValueWins) {
  EXPECT_EQ(CanonicalParams({"Rows=4", "Cols=8", "Rows=16"}),
            (std::vector<std::string>{"Cols=8", "Rows=16"}));
  EXPECT_EQ(CanonicalParams({}), std::vector<std::string>{});
}

TEST_F(CoreCacheTest, KeyChangesWithEveryInputAndNotWithTheTreesLocation) {
  const std::string k = CoreKey(spec_, kit_);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(CoreKey(spec_, kit_), k) << "the key is a function of the inputs";
  auto changed = [&](auto edit) {
    CoreSpec s = spec_;
    CoreKit kit = kit_;
    edit(s, kit);
    return CoreKey(s, kit) != k;
  };
  EXPECT_TRUE(changed([](CoreSpec& s, CoreKit&) { s.params = {"Rows=4"}; }));
  EXPECT_TRUE(changed([](CoreSpec& s, CoreKit&) { s.top = "a"; }));
  EXPECT_TRUE(changed([](CoreSpec& s, CoreKit&) { s.dataflow = "os"; }));
  EXPECT_TRUE(changed([](CoreSpec& s, CoreKit&) { s.pin = true; }));
  EXPECT_TRUE(changed([](CoreSpec&, CoreKit& k) { k.verilator_version = "5.020"; }));
  EXPECT_FALSE(changed([](CoreSpec& s, CoreKit&) { s.params = {"Rows=8", "Rows=8"}; }));
  // One byte of one source, or of the harness.
  Write(dir_ + "/rtl/a.sv", "module a;  endmodule\n");
  EXPECT_NE(CoreKey(spec_, kit_), k);
  Write(dir_ + "/rtl/a.sv", "module a; endmodule\n");
  EXPECT_EQ(CoreKey(spec_, kit_), k);
  Write(dir_ + "/harness.h", "abi 2\n");
  EXPECT_NE(CoreKey(spec_, kit_), k);
  Write(dir_ + "/harness.h", "abi 1\n");
  // A copy of the tree elsewhere is the same core.
  fs::copy(dir_ + "/rtl", dir_ + "/copy");
  CoreSpec copy = spec_;
  copy.filelist = dir_ + "/copy/core.f";
  EXPECT_EQ(CoreKey(copy, kit_), k);
}

TEST_F(CoreCacheTest, BuildsOnceThenReusesAndSaysSoOnlyWhenBuilding) {
  CoreCache cache(dir_ + "/cache", kit_);
  std::ostringstream log1, log2;
  const std::string exe = cache.Get(spec_, log1);
  EXPECT_TRUE(fs::is_regular_file(exe));
  EXPECT_NE(log1.str().find("sa-cosim: built core top"), std::string::npos) << log1.str();
  EXPECT_NE(log1.str().find("[Rows=8 Cols=8]"), std::string::npos) << "parameters read back";
  EXPECT_EQ(cache.Get(spec_, log2), exe);
  EXPECT_EQ(log2.str(), "") << "a cache hit prints nothing";
  EXPECT_EQ(Builds(), 1);
  // A build with the pin model serves a fast-only request; not the other way round.
  CoreSpec pin = spec_;
  pin.pin = true;
  std::ostringstream log3;
  const std::string pin_exe = cache.Get(pin, log3);
  EXPECT_NE(pin_exe, exe);
  EXPECT_EQ(Builds(), 2);
  EXPECT_TRUE(fs::is_directory(dir_ + "/cache/tmp"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/cache/tmp")) << "no staging folder left behind";
}

TEST_F(CoreCacheTest, TwoProcessesAskingAtOnceBuildOnce) {
  CoreCache cache(dir_ + "/cache", kit_);
  pid_t kids[2];
  for (pid_t& kid : kids) {
    kid = fork();
    if (kid == 0) {
      std::ostringstream log;
      const std::string exe = cache.Get(spec_, log);
      _exit(fs::is_regular_file(exe) ? 0 : 1);
    }
  }
  for (pid_t kid : kids) {
    int status = 0;
    waitpid(kid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(Builds(), 1) << "the second process waited for the first and reused its core";
}

TEST_F(CoreCacheTest, AFailedBuildSaysWhyKeepsTheLogAndInstallsNothing) {
  CoreCache cache(dir_ + "/cache", kit_);
  setenv("FAIL", "1", 1);
  std::ostringstream log;
  try {
    cache.Get(spec_, log);
    FAIL() << "a failing build returned a core";
  } catch (const sa::sim::BuildError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("%Error: top.sv:1:8: syntax error"), std::string::npos) << what;
    EXPECT_NE(what.find("full log: " + dir_ + "/cache/logs/"), std::string::npos) << what;
  }
  unsetenv("FAIL");
  EXPECT_TRUE(fs::is_empty(dir_ + "/cache/cores"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/cache/tmp"));
  EXPECT_EQ(Builds(), 0);
}

TEST_F(CoreCacheTest, CleanRemovesOnlyWhatTheCacheMade) {
  CoreCache cache(dir_ + "/cache", kit_);
  std::ostringstream log, out;
  cache.Get(spec_, log);
  Write(dir_ + "/cache/notes.txt", "mine\n");
  fs::create_directories(dir_ + "/cache/cores/not-a-key");
  EXPECT_EQ(cache.List(out), 1);
  EXPECT_NE(out.str().find("top"), std::string::npos) << out.str();
  EXPECT_EQ(cache.Clean(out), 1);
  EXPECT_TRUE(fs::exists(dir_ + "/cache/notes.txt"));
  EXPECT_TRUE(fs::exists(dir_ + "/cache/cores/not-a-key"));
  std::ostringstream again;
  EXPECT_EQ(cache.List(again), 0);
}

TEST(CoreCacheRoot, FlagThenSaCacheThenXdgThenHome) {
  setenv("SA_CACHE", "/a", 1);
  setenv("XDG_CACHE_HOME", "/b", 1);
  setenv("HOME", "/c", 1);
  EXPECT_EQ(sa::sim::CacheRoot("/flag"), "/flag");
  EXPECT_EQ(sa::sim::CacheRoot(""), "/a");
  unsetenv("SA_CACHE");
  EXPECT_EQ(sa::sim::CacheRoot(""), "/b/sacosim");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(sa::sim::CacheRoot(""), "/c/.cache/sacosim");
}

}  // namespace
