// sa-golden: train, evaluate and extract integer test vectors from the quantized ResNet-20.
#include <torch/torch.h>

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "golden/data.h"
#include "golden/dump.h"
#include "golden/model.h"
#include "golden/pytorch_io.h"
#include "golden/train.h"
#include "golden/verify.h"
#include "vectors/exit_codes.h"
#include "vectors/input.h"
#include "vectors/npy.h"
#include "vectors/output.h"
#include "vectors/sha256.h"

namespace {
namespace fs = std::filesystem;
using namespace sa::golden;

std::string JoinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// A sample bundle: FILE.npy (uint8 [N,3,32,32]) with FILE.json {"indices": [...]} naming the
// test-set index of each row, so the main job can dump vectors without the data set.
Dataset LoadSampleImages(const std::string& npy_path, const std::vector<int64_t>& wanted) {
  namespace sv = sa::vectors;
  constexpr int64_t kMaxImages = 1000000;
  sv::NpyArray a = sv::ReadNpy(
      npy_path, /*max_bytes=*/sv::MaxNpyFileBytes(sv::DType::kUint8, {kMaxImages, 3, 32, 32}));
  if (a.dtype != sv::DType::kUint8 || a.shape.size() != 4 || a.shape[0] < 1 || a.shape[1] != 3 ||
      a.shape[2] != 32 || a.shape[3] != 32)
    throw sv::FormatError(npy_path + ": expected uint8 images of shape [N, 3, 32, 32]");
  const std::string json_path = fs::path(npy_path).replace_extension(".json").string();
  const nlohmann::json j =
      sv::ParseStrictJson(sv::ReadRegularFile(json_path, sv::kMaxManifestBytes), json_path);
  const nlohmann::json& index_list = sv::ArrayField(j, "indices", json_path);
  const nlohmann::json& label_list = sv::ArrayField(j, "labels", json_path);
  if (static_cast<int64_t>(index_list.size()) != a.shape[0] ||
      label_list.size() != index_list.size())
    throw sv::FormatError(json_path + ": indices/labels do not match the " +
                          std::to_string(a.shape[0]) + " images of " + npy_path);
  std::vector<int64_t> indices, labels;
  for (size_t i = 0; i < index_list.size(); ++i) {
    indices.push_back(
        sv::IntValue(index_list[i], 0, INT32_MAX, "indices[" + std::to_string(i) + "]", json_path));
    labels.push_back(
        sv::IntValue(label_list[i], -1, 9, "labels[" + std::to_string(i) + "]", json_path));
  }
  torch::Tensor all = torch::from_blob(a.bytes.data(), a.shape, torch::kUInt8).clone();
  std::vector<int64_t> rows, out_labels;
  for (int64_t w : wanted) {
    auto it = std::find(indices.begin(), indices.end(), w);
    if (it == indices.end())
      throw sv::FormatError("--images: test image " + std::to_string(w) + " is not in " + npy_path);
    rows.push_back(it - indices.begin());
    out_labels.push_back(labels[rows.back()]);
  }
  return {all.index_select(0, torch::tensor(rows, torch::kInt64)),
          torch::tensor(out_labels, torch::kInt64)};
}

int RunTrain(TrainOptions o) {
  TrainResult r = Train(o);
  std::printf(
      "done: test accuracy %.2f%% (CIFAR-10, JPEG edition if trained on it), %.0f s, %.0f img/s\n",
      r.test_accuracy, r.seconds, r.images_per_second);
  return 0;
}

// One line per checkpoint; with several, also the accuracy of their ensemble (mean logits), the
// figure an ensemble teacher of `train --teacher A --teacher B` reaches.
int RunEval(const std::vector<std::string>& checkpoints, const std::string& data, int64_t limit,
            const std::string& json_out) {
  if (!json_out.empty()) sa::vectors::CheckOutputFile(json_out, "--json");
  std::vector<ResNet20> models;
  std::vector<CheckpointMeta> metas(checkpoints.size());
  for (size_t m = 0; m < checkpoints.size(); ++m)
    models.push_back(LoadCheckpoint(checkpoints[m], &metas[m]));
  Dataset test = LoadCifar10(data, Split::kTest, limit);
  torch::Device device = DefaultDevice();
  nlohmann::json j = {{"test_images", test.size()}};
  for (auto& model : models) model->to(device);
  // One pass over the test set scores every member and their ensemble.
  const EnsembleAccuracy acc = EvaluateEnsemble(models, test, device);
  for (size_t m = 0; m < models.size(); ++m) {
    std::printf("%s: w%lld a%lld, %lld epochs; test accuracy %.2f%% on %lld images of %s\n",
                checkpoints[m].c_str(), static_cast<long long>(metas[m].quant.wgt_bits),
                static_cast<long long>(metas[m].quant.act_bits),
                static_cast<long long>(metas[m].epochs_done), acc.members[m],
                static_cast<long long>(test.size()), data.c_str());
    if (models.size() == 1)
      j["checkpoint"] = checkpoints[m];
    else
      j["members"].push_back({{"checkpoint", checkpoints[m]}, {"test_accuracy", acc.members[m]}});
  }
  if (models.size() > 1)
    std::printf("ensemble of %zu (mean logits): test accuracy %.2f%%\n", models.size(),
                acc.ensemble);
  j["test_accuracy"] = acc.ensemble;
  if (!json_out.empty()) {
    auto text = j.dump(2) + "\n";
    sa::vectors::WriteFileAtomic(json_out, std::vector<uint8_t>(text.begin(), text.end()));
  }
  return 0;
}

// --images items: an index, or a range A..B (A <= B), each within [0, 2^31); at most a million
// images in all. Throws std::invalid_argument naming --images.
std::vector<int64_t> ExpandImages(const std::vector<std::string>& items) {
  constexpr int64_t kMax = 1000000;
  std::vector<int64_t> out;
  auto number = [](const std::string& text, const std::string& item) {
    if (text.empty() || text.size() > 10 ||
        text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) > INT32_MAX)
      throw std::invalid_argument("--images '" + item.substr(0, 40) +
                                  "': expected test-set indices or ranges, e.g. 0..99,120");
    return std::stoll(text);
  };
  for (const std::string& item : items) {
    const size_t dots = item.find("..");
    const int64_t lo = number(item.substr(0, dots), item);
    const int64_t hi = dots == std::string::npos ? lo : number(item.substr(dots + 2), item);
    if (hi < lo) throw std::invalid_argument("--images " + item + ": an empty range");
    if (hi - lo >= kMax || static_cast<int64_t>(out.size()) + (hi - lo + 1) > kMax)
      throw std::invalid_argument("--images: more than " + std::to_string(kMax) + " images");
    for (int64_t i = lo; i <= hi; ++i) out.push_back(i);
  }
  return out;
}

int RunDump(const std::string& checkpoint, const std::string& data, const std::string& samples,
            const std::vector<int64_t>& images, const std::string& out, DumpOptions options) {
  if (data.empty() == samples.empty())
    throw std::invalid_argument("dump: give exactly one of --data and --samples");
  // Refuse an output that may not be replaced before the model runs (the writer checks again).
  sa::vectors::CheckVectorSetTarget(out, options.replace);
  // Vectors are dumped on the CPU with one thread so that they are byte-identical run to run.
  torch::set_num_threads(1);
  ResNet20 model = LoadCheckpoint(checkpoint);
  Dataset d = samples.empty() ? LoadCifar10Images(data, Split::kTest, images)
                              : LoadSampleImages(samples, images);
  sa::vectors::Manifest manifest;
  manifest.checkpoint_path = checkpoint;  // as given, so that reruns write identical manifests
  manifest.checkpoint_sha256 = sa::vectors::Sha256File(checkpoint);
  manifest.images = images;
  options.progress = true;
  auto layers = DumpVectors(model, d.images, manifest, out, options);
  std::printf("%-16s %9s %9s %14s %9s\n", "layer", "psum_min", "psum_max", "recon_max_err", "ms");
  for (const auto& l : layers)
    std::printf("%-16s %9lld %9lld %14.3g %9.1f\n", l.name.c_str(),
                static_cast<long long>(l.psum_min), static_cast<long long>(l.psum_max),
                l.recon_max_abs_err, 1000 * l.seconds);
  std::printf("wrote %zu layers of %zu image(s) to %s\n", layers.size(), images.size(),
              out.c_str());
  return 0;
}

// Writes a sample bundle (see LoadSampleImages) of test images, so that vectors can later be
// dumped on a machine without the data set.
int RunSamples(const std::string& data, const std::vector<int64_t>& images,
               const std::string& out) {
  // Both files of the bundle are checked before anything is read or written.
  if (fs::path(out).extension() != ".npy")
    throw std::invalid_argument("--out: " + out + " must end in .npy (FILE.json goes beside it)");
  const std::string json_path = fs::path(out).replace_extension(".json").string();
  sa::vectors::CheckOutputFile(out, "--out");
  sa::vectors::CheckOutputFile(json_path, "--out");
  Dataset d = LoadCifar10Images(data, Split::kTest, images);
  sa::vectors::NpyArray a;
  a.dtype = sa::vectors::DType::kUint8;
  a.shape = d.images.sizes().vec();
  torch::Tensor c = d.images.contiguous();
  a.bytes.assign(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
  std::vector<int64_t> labels(d.labels.data_ptr<int64_t>(),
                              d.labels.data_ptr<int64_t>() + d.size());
  nlohmann::json j = {{"source", "CIFAR-10 (JPEG edition) test split, image-folder order"},
                      {"data", data},
                      {"indices", images},
                      {"labels", labels}};
  const std::string text = j.dump(2) + "\n";
  sa::vectors::WriteNpy(out, a);
  sa::vectors::WriteFileAtomic(json_path, std::vector<uint8_t>(text.begin(), text.end()));
  std::printf("wrote %zu test images to %s (+ %s)\n", images.size(), out.c_str(),
              json_path.c_str());
  return 0;
}

int RunVerify(const std::string& dir, double max_recon_err, const std::string& histogram) {
  if (!histogram.empty()) sa::vectors::CheckOutputFile(histogram, "--psum-histogram");
  auto checks = VerifyVectorSet(dir, histogram.empty() ? 0 : /*bins=*/40);
  if (!histogram.empty()) WritePsumHistogramCsv(checks, histogram);
  int failed = 0;
  // near ties: activations/weights within 1e-5 of a rounding tie (see vectors/README.md)
  std::printf("%-16s %-4s %9s %14s %11s  %s\n", "layer", "", "psums", "recon_max_err", "near_ties",
              "problem");
  int64_t near_ties = 0;
  for (const auto& c : checks) {
    const std::string ties = c.act_near_ties < 0 ? "-"
                                                 : std::to_string(c.act_near_ties) + "/" +
                                                       std::to_string(c.wgt_near_ties);
    if (c.act_near_ties > 0) near_ties += c.act_near_ties;
    if (c.wgt_near_ties > 0) near_ties += c.wgt_near_ties;
    std::string problem = c.problem;
    if (problem.empty() && !(c.recon_max_abs_err <= max_recon_err))
      problem = "recon_max_abs_err above --max-recon-err";
    failed += problem.empty() ? 0 : 1;
    std::printf("%-16s %-4s %9lld %14.3g %11s  %s\n", c.name.c_str(),
                problem.empty() ? "OK" : "FAIL", static_cast<long long>(c.psums),
                c.recon_max_abs_err, ties.c_str(), problem.c_str());
  }
  std::printf("%s: %zu layers, %d failed\n", dir.c_str(), checks.size(), failed);
  if (near_ties > 0)
    std::printf(
        "note: %lld integers lie within 1e-5 of a rounding tie (near_ties, act/wgt): "
        "they may legitimately differ on another CPU, BLAS or GPU\n",
        static_cast<long long>(near_ties));
  return failed ? sa::kExitFail : sa::kExitPass;
}

// Outputs that are whole models are never written over: a second name is cheap, a lost model
// is not.
void CheckNewFile(const std::string& path, const std::string& flag) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0)
    throw std::invalid_argument(flag + " " + path + ": exists; not replaced");
  sa::vectors::CheckOutputFile(path, flag);
}

int RunImport(const std::string& from, QuantConfig bits, const std::string& out) {
  CheckNewFile(out, "--out");
  ResNet20 model = ImportPytorch(from, bits);
  SaveCheckpoint(out, model, /*optimizer=*/nullptr, {bits, /*epochs_done=*/0});
  std::printf("%s: w%lld a%lld model from %s\n", out.c_str(), static_cast<long long>(bits.wgt_bits),
              static_cast<long long>(bits.act_bits), from.c_str());
  return sa::kExitPass;
}

int RunAverage(const std::vector<std::string>& checkpoints, const std::string& data, int64_t limit,
               const BatchNormPass& pass, bool recompute_bn, const std::string& out) {
  CheckNewFile(out, "--out");
  CheckpointMeta meta;
  ResNet20 model = AverageCheckpoints(checkpoints, &meta);
  Dataset test = LoadCifar10(data, Split::kTest, limit);
  torch::Device device = DefaultDevice();
  model->to(device);
  std::string statistics = "the mean of the checkpoints' running statistics";
  if (recompute_bn) {
    Dataset train = LoadCifar10(data, Split::kTrain, limit);
    RecomputeBatchNormStatistics(model, train.images, device, pass);
    statistics = "from " + std::to_string(train.size()) + " training images (" +
                 (pass.augment ? "crops and flips" : "as they are") + ", cutout " +
                 std::to_string(pass.cutout) + ")";
  }
  SaveCheckpoint(out, model, /*optimizer=*/nullptr, meta);
  const double acc = Evaluate(model, test, device);
  std::printf(
      "%s: mean of %zu checkpoints (w%lld a%lld), batch-norm statistics %s; test "
      "accuracy %.2f%% on %lld images\n",
      out.c_str(), checkpoints.size(), static_cast<long long>(meta.quant.wgt_bits),
      static_cast<long long>(meta.quant.act_bits), statistics.c_str(), acc,
      static_cast<long long>(test.size()));
  return sa::kExitPass;
}

int RunExport(const std::string& checkpoint, const std::string& to) {
  CheckNewFile(to, "--to-pytorch");
  ResNet20 model = LoadCheckpoint(checkpoint);
  ExportPytorch(model, to);
  std::printf(
      "%s: state_dict of %s with the notebook's names (torch.load, then\n"
      "  model.load_state_dict(..., strict=True))\n",
      to.c_str(), checkpoint.c_str());
  return sa::kExitPass;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sa-golden: quantization-aware ResNet-20 golden model and test-vector extraction"};
  app.require_subcommand(1);
  const std::string command = JoinArgs(argc, argv);

  TrainOptions t;
  t.command = command;
  auto* train = app.add_subcommand("train", "train the quantized ResNet-20 (CUDA when available)");
  train->add_option("--wbits", t.quant.wgt_bits, "weight bits")
      ->check(CLI::IsMember({2, 3, 4, 8}))
      ->capture_default_str();
  train->add_option("--abits", t.quant.act_bits, "activation bits")
      ->check(CLI::IsMember({2, 4, 8}))
      ->capture_default_str();
  train->add_option("--epochs", t.epochs)->check(CLI::Range(1, 100000))->capture_default_str();
  train->add_option("--batch", t.batch)->check(CLI::Range(1, 65536))->capture_default_str();
  train->add_option("--lr", t.lr, "peak learning rate")
      ->check(CLI::Range(1e-6, 100.0))
      ->capture_default_str();
  train->add_option("--weight-decay", t.weight_decay)
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  train->add_option("--warmup-epochs", t.warmup_epochs)
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  train->add_option("--label-smoothing", t.label_smoothing)
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  train
      ->add_option("--cutout", t.cutout,
                   "side in pixels of a square set to the mean colour at a random place in each "
                   "training image (Cutout; 16 is the usual for CIFAR-10); 0: none")
      ->check(CLI::Range(0, 32))
      ->capture_default_str();
  train->add_option("--seed", t.seed)->capture_default_str();
  train
      ->add_option("--schedule", t.schedule,
                   "lr after the warm-up: cosine (to 0 at the last epoch) or constant (--lr to "
                   "the end: the phase whose --keep-every snapshots `average` takes the mean of)")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  train
      ->add_option("--keep-every", t.keep_every,
                   "also keep OUT/epoch-NNN.pt (model only) after every N-th epoch")
      ->check(CLI::NonNegativeNumber);
  train
      ->add_option("--kernels", t.kernels,
                   "training kernels: int8, bf16 and fp32 fuse the quantizers and run "
                   "channels-last (bf16: conv backward on the integers in bf16; int8: also the "
                   "forward conv on the integers, exact sums); reference: the notebook's ops one "
                   "by one; auto: the fastest this CPU has (docs/training-speed.md)")
      ->check(CLI::IsMember(sa::golden::TrainKernelsChoices()))
      ->capture_default_str();
  train
      ->add_option("--data", t.data, "CIFAR-10 root: binary batches or train/ and test/ JPEG trees")
      ->required();
  train->add_option("--out", t.out, "output folder")->required();
  train->add_option("--resume", t.resume, "checkpoint to continue from")->check(CLI::ExistingFile);
  train->add_option("--init", t.init, "checkpoint to take matching weights from")
      ->check(CLI::ExistingFile);
  auto* teacher = train
                      ->add_option("--teacher", t.teachers,
                                   "checkpoint whose soft predictions the model also learns "
                                   "(knowledge distillation; any bit widths); repeat it for an "
                                   "ensemble teacher, whose logits are the teachers' mean")
                      ->allow_extra_args(false)
                      ->check(CLI::ExistingFile);
  train
      ->add_option("--distill-weight", t.distill_weight,
                   "share of the teacher's soft targets in the loss (the labels get the rest)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(teacher)
      ->capture_default_str();
  train
      ->add_option("--distill-temperature", t.distill_temperature,
                   "temperature of both softmaxes in the soft-target term")
      ->check(CLI::Range(0.01, 100.0))
      ->needs(teacher)
      ->capture_default_str();
  train
      ->add_option("--train-limit", t.train_limit,
                   "use a class-balanced subset of N training images")
      ->check(CLI::NonNegativeNumber);
  train->add_option("--test-limit", t.test_limit, "evaluate on a subset of N test images")
      ->check(CLI::NonNegativeNumber);
  train
      ->add_option("--stop-after", t.stop_after,
                   "stop once N epochs are done (continue with --resume)")
      ->check(CLI::NonNegativeNumber);
  train->add_option("--eval-every", t.eval_every, "test-set evaluation every N epochs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 1024));

  std::string checkpoint, data, samples, out, vectors_dir, json_out;
  int64_t limit = 0;
  std::vector<std::string> image_items{"0"};  // --images: indices and ranges A..B
  double max_recon_err = 1e-3;
  auto* eval = app.add_subcommand("eval", "test accuracy of a checkpoint");
  std::vector<std::string> eval_checkpoints;
  eval->add_option("--checkpoint", eval_checkpoints,
                   "checkpoint to evaluate; repeat it to also evaluate the ensemble")
      ->allow_extra_args(false)
      ->required();
  eval->add_option("--data", data)->required();
  eval->add_option("--limit", limit, "evaluate on a class-balanced subset")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--json", json_out, "also write the result as JSON");

  auto* dump = app.add_subcommand("dump", "write the 18 layers' integer test vectors");
  dump->add_option("--checkpoint", checkpoint)->required();
  dump->add_option("--data", data, "CIFAR-10 root to take the test images from");
  dump->add_option("--samples", samples, "sample bundle FILE.npy (+ FILE.json) instead of --data");
  dump->add_option("--images", image_items, "test-set indices and ranges, e.g. 0..9999,12000")
      ->delimiter(',')
      ->capture_default_str();
  dump->add_option("--out", out, "vector set folder (written atomically)")->required();
  DumpOptions dump_options;
  dump_options.chunk_images = 100;  // about 0.5 GB peak: 3.4 MB per image plus the model
  dump->add_flag("--force", dump_options.replace, "replace --out if it is an existing vector set");
  dump->add_option("--chunk-images", dump_options.chunk_images,
                   "images per forward pass and per chunk of the set (bounds memory); "
                   "0: all in one")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}))
      ->capture_default_str();
  dump->add_flag("--compact", dump_options.write.compact,
                 "deflated .npz files, int16 psums where they fit");
  bool omit_psums = false;
  dump->add_flag("--omit-psums", omit_psums,
                 "write no psum files: sa-cosim and verify compute them (regression-scale sets)");

  auto* verify = app.add_subcommand("verify", "check a vector set: checksums, ranges, exact psums");
  verify->add_option("--vectors", vectors_dir)->required();
  verify->add_option("--max-recon-err", max_recon_err, "bound on recon_max_abs_err")
      ->capture_default_str();
  std::string histogram;
  verify->add_option("--psum-histogram", histogram,
                     "also write each layer's psum histogram as CSV");

  auto* samples_cmd =
      app.add_subcommand("samples", "write a bundle of test images for dump --samples");
  samples_cmd->add_option("--data", data)->required();
  samples_cmd->add_option("--images", image_items, "test-set indices and ranges, e.g. 0..9")
      ->delimiter(',')
      ->required();
  samples_cmd->add_option("--out", out, "FILE.npy (FILE.json is written beside it)")->required();

  auto* average = app.add_subcommand(
      "average",
      "stochastic weight averaging: the mean of checkpoints of one run (train --keep-every), "
      "with batch-norm statistics recomputed on the training images");
  std::vector<std::string> average_checkpoints;
  average->add_option("--checkpoint", average_checkpoints, "checkpoint to average; repeat it")
      ->allow_extra_args(false)
      ->required();
  average
      ->add_option("--data", data,
                   "CIFAR-10 root: batch-norm statistics from its training set, accuracy from "
                   "its test set")
      ->required();
  // Checkpoints of one run at a constant lr (SWA) need their statistics recomputed; the final
  // checkpoints of sibling runs from one start (a "model soup", Wortsman et al. 2022) sit close
  // enough that the mean of their own statistics may serve. Recomputing is not free: it takes
  // the 89.29 % w4a4 model of commit df1e789 to 89.11 % with its training Cutout, 88.40 %
  // without, 85.66 % on unaugmented images (golden/checkpoints/w4a4/README.md).
  std::string bn_stats = "recompute";
  average
      ->add_option("--bn-stats", bn_stats,
                   "batch-norm statistics of the mean: recompute them on the training images, "
                   "or take the mean of the checkpoints' own")
      ->check(CLI::IsMember({"recompute", "mean"}))
      ->capture_default_str();
  average->add_option("--out", out, "checkpoint to write (must not exist)")->required();
  BatchNormPass bn_pass;
  average
      ->add_option("--cutout", bn_pass.cutout,
                   "Cutout side of the batch-norm pass: the training run's --cutout")
      ->check(CLI::Range(0, 32))
      ->capture_default_str();
  average->add_flag("--no-augment{false}", bn_pass.augment,
                    "batch-norm pass on the training images as they are, without the training "
                    "crops and flips");
  average->add_option("--seed", bn_pass.seed, "of the batch-norm pass's crops, flips and squares")
      ->capture_default_str();
  average->add_option("--limit", limit, "class-balanced subsets of N training and N test images")
      ->check(CLI::NonNegativeNumber);

  std::string pytorch_file;
  QuantConfig import_bits;
  auto* import_cmd = app.add_subcommand(
      "import",
      "a PyTorch file of the notebook's model (torch.save of a state_dict) as a checkpoint");
  import_cmd->add_option("--from", pytorch_file, "PyTorch .pth/.pt file")->required();
  import_cmd->add_option("--wbits", import_bits.wgt_bits, "weight bits it was trained with")
      ->check(CLI::IsMember({2, 3, 4, 8}))
      ->required();
  import_cmd->add_option("--abits", import_bits.act_bits, "activation bits")
      ->check(CLI::IsMember({2, 4, 8}))
      ->required();
  import_cmd->add_option("--out", out, "checkpoint to write (must not exist)")->required();
  auto* export_cmd = app.add_subcommand(
      "export", "a checkpoint as a PyTorch state_dict with the notebook's names (torch.load)");
  export_cmd->add_option("--checkpoint", checkpoint)->required();
  export_cmd->add_option("--to-pytorch", pytorch_file, "file to write (must not exist)")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "sa-golden: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  // Every exception is a run that could not be done (exit 2); a failed check returns 1.
  try {
    ConfigureCpuRuntime(threads);
    if (train->parsed()) return RunTrain(t);
    if (eval->parsed()) return RunEval(eval_checkpoints, data, limit, json_out);
    const std::vector<int64_t> images = ExpandImages(image_items);
    if (dump->parsed()) {
      dump_options.write.psums = !omit_psums;
      return RunDump(checkpoint, data, samples, images, out, dump_options);
    }
    if (verify->parsed()) return RunVerify(vectors_dir, max_recon_err, histogram);
    if (samples_cmd->parsed()) return RunSamples(data, images, out);
    if (average->parsed())
      return RunAverage(average_checkpoints, data, limit, bn_pass, bn_stats == "recompute", out);
    if (import_cmd->parsed()) return RunImport(pytorch_file, import_bits, out);
    if (export_cmd->parsed()) return RunExport(checkpoint, pytorch_file);
  } catch (const c10::Error& e) {
    std::string msg = e.msg();
    std::fprintf(stderr, "sa-golden: %s\n",
                 sa::vectors::OneLine(msg.substr(0, msg.find('\n'))).c_str());
    return sa::kExitError;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sa-golden: out of memory\n");
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-golden: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  return sa::kExitPass;
}
