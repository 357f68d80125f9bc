// sa-vectors: vector-set tools that need neither LibTorch nor a Verilated model.
//   export-memh: a layer's vectors as $readmemh files for Verilog testbenches (sim/memh.h).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "sim/memh.h"
#include "sim/plan.h"
#include "vectors/exit_codes.h"
#include "vectors/input.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace {
namespace fs = std::filesystem;
namespace sv = sa::vectors;
using namespace sa::sim;

struct ExportOptions {
  std::string vectors, out, layers, image;
  ArrayConfig cfg;
  int64_t max_passes = 0;
};

int ExportMemh(const ExportOptions& o) {
  const sv::Manifest manifest = sv::ReadManifest(o.vectors);
  if (manifest.act_bits > o.cfg.act_width || manifest.wgt_bits > o.cfg.wgt_width)
    throw std::invalid_argument("--act-width/--wgt-width: the set has a" +
                                std::to_string(manifest.act_bits) + "w" +
                                std::to_string(manifest.wgt_bits) + " values, wider than the core");
  const std::vector<std::string> layers = ParseLayerSelection(o.layers, manifest, o.vectors);
  const int64_t image =
      o.image.empty() ? 0 : ParseImageSelection(o.image, manifest.images, o.vectors).at(0);
  // Absent or an empty folder: the export is staged beside it and renamed into place.
  std::error_code ec;
  if (fs::exists(fs::symlink_status(o.out)) &&
      !(fs::is_directory(fs::symlink_status(o.out)) && fs::is_empty(o.out, ec)))
    throw std::invalid_argument("--out: " + o.out + " exists and is not an empty folder");
  const std::string stage = sv::MakeStagingDir(o.out);
  try {
    for (const std::string& l : layers) {
      const sv::ChunkRef chunk =
          sv::OpenChunk(o.vectors, manifest, sv::ChunkOfImage(manifest, image));
      const sv::LayerVectors one =
          ImageSlice(sv::ReadLayer(chunk.dir, chunk.manifest, l), image - chunk.first);
      const std::string dir = sv::PathInside(stage, l, "--layers");
      fs::create_directory(dir);
      const MemhCounts c = WriteMemh(one, o.cfg, dir, o.max_passes);
      std::printf("%-16s %6lld passes %8lld weight rows %9lld beats %9lld psum vectors\n",
                  l.c_str(), static_cast<long long>(c.passes), static_cast<long long>(c.wgt_rows),
                  static_cast<long long>(c.act_beats), static_cast<long long>(c.psum_vectors));
    }
    const std::string readme = MemhReadme(o.cfg);
    sv::WriteFileAtomic(stage + "/README.md", std::vector<uint8_t>(readme.begin(), readme.end()));
    if (std::rename(stage.c_str(), o.out.c_str()) != 0)
      throw sv::FormatError("--out: " + o.out + ": cannot rename the export into place");
  } catch (...) {
    fs::remove_all(stage, ec);  // the staging folder this run created
    throw;
  }
  std::printf("%s: %zu layer(s) of test image %lld for %s, layout in README.md\n", o.out.c_str(),
              layers.size(), static_cast<long long>(manifest.images[static_cast<size_t>(image)]),
              o.cfg.Name().c_str());
  return sa::kExitPass;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sa-vectors: vector-set tools (no LibTorch, no simulator)"};
  app.require_subcommand(1);
  ExportOptions o;
  auto* memh = app.add_subcommand(
      "export-memh",
      "a layer's vectors as $readmemh files in the order a weight-stationary core "
      "consumes them (rtl/tb/sa_memh_tb.sv reads them)");
  memh->add_option("--vectors", o.vectors, "vector set folder")->required();
  memh->add_option("--out", o.out, "folder to create (absent or empty)")->required();
  memh->add_option("--layers", o.layers, "comma-separated layer names (default: all)");
  memh->add_option("--image", o.image, "test image of the set (default: its first)");
  memh->add_option("--rows", o.cfg.rows)->check(CLI::Range(1, 64))->capture_default_str();
  memh->add_option("--cols", o.cfg.cols)->check(CLI::Range(1, 64))->capture_default_str();
  memh->add_option("--act-width", o.cfg.act_width)->check(CLI::Range(2, 8))->capture_default_str();
  memh->add_option("--wgt-width", o.cfg.wgt_width)->check(CLI::Range(2, 8))->capture_default_str();
  memh->add_option("--psum-width", o.cfg.psum_width)
      ->check(CLI::Range(8, 64))
      ->capture_default_str();
  memh->add_option("--acc-depth", o.cfg.acc_depth, "output pixels per pass (the core's)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  memh->add_option("--max-passes", o.max_passes, "only the first N passes (whole groups)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "sa-vectors: %s\n", sv::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  try {
    return ExportMemh(o);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sa-vectors: out of memory\n");
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-vectors: %s\n", sv::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
}
