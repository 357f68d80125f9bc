// SGD + cosine training loop, evaluation, and atomic checkpoints with resumable optimizer state.
#include "golden/train.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <thread>

#include "golden/data.h"
#include "vectors/input.h"
#include "vectors/output.h"

namespace sa::golden {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// A random order of 0..n-1 (int64 tensor) drawn with Fisher-Yates from `rng`: written out rather
// than torch::randperm so that the order is the same across LibTorch versions and devices.
torch::Tensor ShuffledIndices(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(perm[i], perm[static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1))]);
  return torch::from_blob(perm.data(), {n}, torch::kInt64).clone();
}

template <typename... Args>
std::string Format(const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

// c10::Error messages carry a C++ backtrace after the first line; users need the first line.
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

torch::serialize::InputArchive OpenArchive(const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error(path + ": no such checkpoint file");
  // Regular files only (a FIFO would hang the loader) and of a sane size (ours are about 1 MB).
  if (vectors::RegularFileSize(path) > (1ull << 30))
    throw std::runtime_error(path + ": larger than 1 GiB; not a checkpoint of this model");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable checkpoint (" + FirstLine(e.msg()) + ")");
  }
  return archive;
}

int64_t ReadInt(torch::serialize::InputArchive& archive, const char* key, const std::string& path) {
  torch::Tensor t;
  if (!archive.try_read(key, t))
    throw std::runtime_error(path + ": checkpoint has no '" + key + "'");
  return t.item<int64_t>();
}

// Learning rate at global step `step`: linear warm-up, then half-cosine down to zero or, with
// the constant schedule, --lr to the end.
double LearningRate(const TrainOptions& o, int64_t step, int64_t steps_per_epoch) {
  const double warm = o.warmup_epochs * static_cast<double>(steps_per_epoch);
  const double total = static_cast<double>(o.epochs * steps_per_epoch);
  if (step < warm) return o.lr * (static_cast<double>(step) + 1) / warm;
  if (o.schedule == "constant") return o.lr;
  const double progress = (static_cast<double>(step) - warm) / std::max(1.0, total - warm);
  return o.lr * 0.5 * (1 + std::cos(M_PI * progress));
}

void ValidateOptions(const TrainOptions& o) {
  ValidateQuantConfig(o.quant);
  if (o.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
  if (o.batch < 1 || o.batch > 65536) throw std::invalid_argument("--batch must be in 1..65536");
  if (!(o.lr > 0 && o.lr < 100)) throw std::invalid_argument("--lr must be in (0, 100)");
  if (o.label_smoothing < 0 || o.label_smoothing >= 1)
    throw std::invalid_argument("--label-smoothing must be in [0, 1)");
  if (o.cutout < 0 || o.cutout > 32) throw std::invalid_argument("--cutout must be in 0..32");
  if (o.out.empty()) throw std::invalid_argument("--out is required");
  if (o.schedule != "cosine" && o.schedule != "constant")
    throw std::invalid_argument("--schedule " + o.schedule + ": must be cosine or constant");
  if (o.keep_every < 0) throw std::invalid_argument("--keep-every must be 0 or more");
  if (!(o.distill_weight >= 0 && o.distill_weight <= 1))
    throw std::invalid_argument("--distill-weight must be in [0, 1]");
  if (!(o.distill_temperature >= 0.01 && o.distill_temperature <= 100))
    throw std::invalid_argument("--distill-temperature must be in [0.01, 100]");
}

std::string DeviceName(torch::Device device) {
  return device.is_cuda() ? "cuda"
                          : "cpu (" + std::to_string(torch::get_num_threads()) + " threads)";
}

// Copies parameters and buffers whose names and shapes match from another checkpoint (for
// initializing a quantized model from a full-precision or wider-bit one).
void InitFrom(const std::string& path, ResNet20& model) {
  ResNet20 source = LoadCheckpoint(path);
  torch::NoGradGuard no_grad;
  auto src_params = source->named_parameters();
  auto src_buffers = source->named_buffers();
  for (auto& p : model->named_parameters())
    if (auto* s = src_params.find(p.key()); s && s->sizes() == p.value().sizes())
      p.value().copy_(*s);
  for (auto& b : model->named_buffers())
    if (auto* s = src_buffers.find(b.key()); s && s->sizes() == b.value().sizes())
      b.value().copy_(*s);
}

// OUT/epoch-012.pt: the snapshot --keep-every leaves after epoch 12.
std::string KeptCheckpointPath(const std::string& out, int64_t epoch) {
  return (fs::path(out) / Format("epoch-%03lld.pt", static_cast<long long>(epoch))).string();
}

}  // namespace

torch::Tensor DistillationLoss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                               double weight, double temperature, double label_smoothing) {
  torch::Tensor hard = F::cross_entropy(
      student_logits, labels, F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
  if (weight == 0 || !teacher_logits.defined()) return hard;
  torch::Tensor soft =
      F::kl_div(F::log_softmax(student_logits / temperature, 1),
                F::log_softmax(teacher_logits.detach() / temperature, 1),
                F::KLDivFuncOptions().reduction(torch::kBatchMean).log_target(true));
  return (1 - weight) * hard + weight * temperature * temperature * soft;
}

void ConfigureCpuRuntime(int threads) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // fixed threshold: no mmap for tensors below 256 MiB
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // keep up to 1 GiB of freed heap for reuse
  torch::set_num_threads(
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

torch::Device DefaultDevice() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

void SaveCheckpoint(const std::string& path, ResNet20& model, torch::optim::Optimizer* optimizer,
                    const CheckpointMeta& meta) {
  torch::serialize::OutputArchive root;
  torch::serialize::OutputArchive model_archive;
  model->save(model_archive);
  root.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    root.write("optimizer", optimizer_archive);
  }
  root.write("meta_wgt_bits", torch::tensor(meta.quant.wgt_bits));
  root.write("meta_act_bits", torch::tensor(meta.quant.act_bits));
  root.write("meta_epochs_done", torch::tensor(meta.epochs_done));
  const std::string tmp = vectors::MakeTempFileBeside(path);  // never a user's PATH.tmp
  root.save_to(tmp);
  // With an ordinary file's mode (mkstemp makes 0600); renamed into place or removed.
  vectors::RenameIntoPlace(tmp, path);
}

ResNet20 LoadCheckpoint(const std::string& path, CheckpointMeta* meta) {
  torch::serialize::InputArchive root = OpenArchive(path);
  CheckpointMeta m;
  m.quant.wgt_bits = ReadInt(root, "meta_wgt_bits", path);
  m.quant.act_bits = ReadInt(root, "meta_act_bits", path);
  m.epochs_done = ReadInt(root, "meta_epochs_done", path);
  try {
    ValidateQuantConfig(m.quant);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": bad bit widths in checkpoint (" + e.what() + ")");
  }
  ResNet20 model(m.quant);
  torch::serialize::InputArchive model_archive;
  try {
    root.read("model", model_archive);
    model->load(model_archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": model state does not fit ResNet-20 (" + FirstLine(e.msg()) +
                             ")");
  }
  if (meta) *meta = m;
  return model;
}

void LoadOptimizerState(const std::string& path, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive root = OpenArchive(path);
  torch::serialize::InputArchive optimizer_archive;
  if (!root.try_read("optimizer", optimizer_archive))
    throw std::runtime_error(path + ": checkpoint has no optimizer state to resume from");
  try {
    optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": optimizer state does not fit (" + FirstLine(e.msg()) + ")");
  }
}

double Evaluate(ResNet20& model, const Dataset& data, torch::Device device, int64_t batch) {
  std::vector<ResNet20> one = {model};
  return EvaluateEnsemble(one, data, device, batch).ensemble;
}

namespace {
// The mean of several models' logits, summed in the order given; one model's logits pass
// through untouched, so that a single teacher is bit-identical to its own forward.
torch::Tensor MeanLogits(const std::vector<torch::Tensor>& logits) {
  TORCH_CHECK(!logits.empty(), "MeanLogits: no models");
  if (logits.size() == 1) return logits[0];
  torch::Tensor sum = logits[0].clone();
  for (size_t m = 1; m < logits.size(); ++m) sum += logits[m];
  return sum / static_cast<double>(logits.size());
}

std::vector<torch::Tensor> EachModelsLogits(std::vector<ResNet20>& models, const torch::Tensor& x) {
  std::vector<torch::Tensor> logits;
  for (auto& m : models) logits.push_back(m->forward(x));
  return logits;
}
}  // namespace

torch::Tensor EnsembleLogits(std::vector<ResNet20>& models, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return MeanLogits(EachModelsLogits(models, x));
}

EnsembleAccuracy EvaluateEnsemble(std::vector<ResNet20>& models, const Dataset& data,
                                  torch::Device device, int64_t batch) {
  TORCH_CHECK(!models.empty(), "EvaluateEnsemble: no models");
  torch::NoGradGuard no_grad;
  for (auto& m : models) m->eval();
  std::vector<int64_t> correct(models.size() + 1, 0);  // the members, then the ensemble
  auto count = [](const torch::Tensor& logits, const torch::Tensor& labels) {
    return logits.argmax(1).cpu().eq(labels).sum().item<int64_t>();
  };
  for (int64_t i = 0; i < data.size(); i += batch) {
    const int64_t n = std::min(batch, data.size() - i);
    torch::Tensor x = Normalize(data.images.narrow(0, i, n).to(device));
    torch::Tensor labels = data.labels.narrow(0, i, n);
    std::vector<torch::Tensor> logits = EachModelsLogits(models, x);
    for (size_t m = 0; m < logits.size(); ++m) correct[m] += count(logits[m], labels);
    correct.back() += count(MeanLogits(logits), labels);
  }
  const double images = static_cast<double>(std::max<int64_t>(1, data.size()));
  EnsembleAccuracy acc;
  for (size_t m = 0; m < models.size(); ++m) acc.members.push_back(100.0 * correct[m] / images);
  acc.ensemble = 100.0 * correct.back() / images;
  return acc;
}

ResNet20 AverageCheckpoints(const std::vector<std::string>& paths, CheckpointMeta* meta) {
  if (paths.empty()) throw std::invalid_argument("average: no checkpoints");
  CheckpointMeta first_meta, last_meta;
  ResNet20 mean = LoadCheckpoint(paths[0], &first_meta);
  last_meta = first_meta;
  torch::NoGradGuard no_grad;
  // Float64 sums of every floating parameter and buffer, keyed by name.
  std::map<std::string, torch::Tensor> sums;
  auto add = [&sums](const std::string& key, const torch::Tensor& t) {
    if (!t.is_floating_point()) return;
    auto it = sums.find(key);
    if (it == sums.end())
      sums.emplace(key, t.to(torch::kFloat64));
    else
      it->second += t.to(torch::kFloat64);
  };
  auto add_model = [&add](ResNet20& m) {
    for (const auto& p : m->named_parameters()) add(p.key(), p.value());
    for (const auto& b : m->named_buffers()) add(b.key(), b.value());
  };
  add_model(mean);
  ResNet20 last = mean;
  for (size_t i = 1; i < paths.size(); ++i) {
    CheckpointMeta m;
    ResNet20 next = LoadCheckpoint(paths[i], &m);
    if (m.quant.wgt_bits != first_meta.quant.wgt_bits ||
        m.quant.act_bits != first_meta.quant.act_bits)
      throw std::invalid_argument(
          Format("%s: w%lld a%lld, but %s is w%lld a%lld; only one model's checkpoints average",
                 paths[i].c_str(), static_cast<long long>(m.quant.wgt_bits),
                 static_cast<long long>(m.quant.act_bits), paths[0].c_str(),
                 static_cast<long long>(first_meta.quant.wgt_bits),
                 static_cast<long long>(first_meta.quant.act_bits)));
    add_model(next);
    last = next;
    last_meta = m;
  }
  const double n = static_cast<double>(paths.size());
  for (auto& p : mean->named_parameters()) p.value().copy_(sums.at(p.key()) / n);
  // Integer buffers (num_batches_tracked) from the last checkpoint.
  auto last_buffers = last->named_buffers();
  for (auto& b : mean->named_buffers())
    b.value().copy_(b.value().is_floating_point() ? sums.at(b.key()) / n
                                                  : *last_buffers.find(b.key()));
  if (meta) *meta = last_meta;
  return mean;
}

void RecomputeBatchNormStatistics(ResNet20& model, const torch::Tensor& images,
                                  torch::Device device, const BatchNormPass& pass) {
  TORCH_CHECK(images.dim() == 4 && images.size(0) > 0, "RecomputeBatchNormStatistics: no images");
  TORCH_CHECK(pass.batch > 1, "RecomputeBatchNormStatistics: batch must be at least 2");
  torch::NoGradGuard no_grad;
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> norms;
  for (const auto& m : model->modules(/*include_self=*/false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      norms.emplace_back(bn, bn->options.momentum());
      bn->reset_running_stats();
      bn->options.momentum(c10::nullopt);  // cumulative average over the batches
    }
  model->train();
  std::mt19937_64 rng(pass.seed);
  // Shuffled, as training draws its batches: the data set is stored class by class, and batches
  // of one class each would average within-class variances, well below the variance the model
  // saw in training (WeightAveraging.BatchNormStatisticsAreTheAverageOverShuffledBatches).
  const torch::Tensor perm_t = ShuffledIndices(images.size(0), rng);
  for (int64_t i = 0; i < images.size(0); i += pass.batch) {
    const int64_t n = std::min(pass.batch, images.size(0) - i);
    if (n < 2) break;  // a batch norm cannot take the variance of one image
    torch::Tensor batch = images.index_select(0, perm_t.narrow(0, i, n)).to(device);
    torch::Tensor x = Normalize(pass.augment ? Augment(batch, rng) : batch);
    Cutout(x, pass.cutout, rng);
    model->forward(x);
  }
  for (auto& [bn, momentum] : norms) bn->options.momentum(momentum);
  model->eval();
}

TrainResult Train(const TrainOptions& o) {
  ValidateOptions(o);
  const torch::Device device = DefaultDevice();
  // The teachers keep their batch-norm statistics and never train: eval mode, no gradients.
  // Loaded first, so that a bad teacher file stops the run before anything is written.
  std::vector<ResNet20> teachers;
  for (const std::string& path : o.teachers) {
    teachers.push_back(LoadCheckpoint(path));
    teachers.back()->to(device);
    teachers.back()->eval();
  }
  // A new run writes only into an absent or empty folder; continuing one (--resume) may write
  // into a folder that already holds that run's files. Nothing else of the user's is replaced.
  std::error_code ec;
  if (fs::exists(fs::symlink_status(o.out, ec))) {
    if (!fs::is_directory(o.out, ec))
      throw vectors::FormatError("--out: " + o.out + " exists and is not a folder");
    if (o.resume.empty() && !fs::is_empty(o.out, ec))
      throw vectors::FormatError("--out: " + o.out +
                                 " is not empty; continue a run with --resume " + o.out +
                                 "/checkpoint.pt, or name a new folder");
  }
  fs::create_directories(o.out);
  const std::string checkpoint = (fs::path(o.out) / "checkpoint.pt").string();
  const std::string log_path = (fs::path(o.out) / "train_log.csv").string();
  vectors::CheckOutputFile(log_path, "--out");
  vectors::CheckOutputFile(checkpoint, "--out");

  auto t_load = Clock::now();
  Dataset train = LoadCifar10(o.data, Split::kTrain, o.train_limit);
  Dataset test = LoadCifar10(o.data, Split::kTest, o.test_limit);
  if (train.size() < o.batch)
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + " is larger than the " +
                                std::to_string(train.size()) + " training images");
  std::printf("data: %lld train + %lld test images from %s in %.1f s; device %s\n",
              static_cast<long long>(train.size()), static_cast<long long>(test.size()),
              o.data.c_str(), Seconds(t_load), DeviceName(device).c_str());
  std::fflush(stdout);
  torch::Tensor train_images = train.images.to(device);
  torch::Tensor train_labels = train.labels.to(device);

  torch::manual_seed(o.seed);
  ResNet20 model(o.quant);
  if (!o.init.empty()) InitFrom(o.init, model);
  int64_t start_epoch = 0;
  if (!o.resume.empty()) {
    CheckpointMeta meta;
    model = LoadCheckpoint(o.resume, &meta);
    if (meta.quant.wgt_bits != o.quant.wgt_bits || meta.quant.act_bits != o.quant.act_bits)
      throw std::invalid_argument("--resume " + o.resume +
                                  ": checkpoint bit widths differ from --wbits/--abits");
    start_epoch = meta.epochs_done;
  }
  model->to(device);
  // The fused kernels are CPU code; CUDA runs the reference ops.
  const TrainKernels kernels =
      device.is_cuda() ? TrainKernels::kReference : ParseTrainKernels(o.kernels);
  model->SetTrainKernels(kernels);
  // The teacher's forward through the same kernels. From the logs of separate runs here (not a
  // same-run benchmark): a w2a4 epoch with a w4a4 teacher took 54 s, against 65 s with the
  // reference ops for the teacher and 40 s without a teacher.
  for (auto& t : teachers) t->SetTeacherKernels(kernels);

  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->named_parameters()) {
    const bool is_alpha = p.key().find("alpha") != std::string::npos;
    (p.value().dim() > 1 && !is_alpha ? decay : no_decay).push_back(p.value());
  }
  auto group_options = [&](double wd) {
    return std::make_unique<torch::optim::SGDOptions>(
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(true).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, group_options(o.weight_decay));
  groups.emplace_back(no_decay, group_options(0));
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(o.lr));
  if (!o.resume.empty()) LoadOptimizerState(o.resume, optimizer);

  const int64_t steps_per_epoch = train.size() / o.batch;  // drop the last partial batch
  std::ofstream log(log_path, start_epoch == 0 ? std::ios::trunc : std::ios::app);
  if (!log) throw std::runtime_error(log_path + ": cannot write");
  if (start_epoch == 0) log << "epoch,lr,train_loss,train_acc,test_acc,images_per_s,seconds\n";

  // In-epoch progress only on a terminal: a log file gets the one line per epoch.
  const bool progress_tty = isatty(fileno(stdout)) != 0;
  TrainResult result;
  auto t_start = Clock::now();
  double train_seconds = 0;
  int64_t images_seen = 0;
  for (int64_t epoch = start_epoch; epoch < o.epochs; ++epoch) {
    model->train();
    // One generator per epoch, seeded from (seed, epoch): a resumed run draws the same numbers.
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    torch::Tensor perm_t = ShuffledIndices(train.size(), rng).to(device);

    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
    torch::Tensor correct =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    auto t_epoch = Clock::now();
    double lr = o.lr;

    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      torch::Tensor idx = perm_t.narrow(0, s * o.batch, o.batch);
      torch::Tensor x = Normalize(Augment(train_images.index_select(0, idx), rng));
      Cutout(x, o.cutout, rng);  // the teachers see the same cut image as the student
      torch::Tensor y = train_labels.index_select(0, idx);
      lr = LearningRate(o, epoch * steps_per_epoch + s, steps_per_epoch);
      for (auto& g : optimizer.param_groups())
        static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
      torch::Tensor teacher_logits;
      if (!teachers.empty()) teacher_logits = EnsembleLogits(teachers, x);
      torch::Tensor logits = model->forward(x);
      torch::Tensor loss = DistillationLoss(logits, teacher_logits, y, o.distill_weight,
                                            o.distill_temperature, o.label_smoothing);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.detach();
      correct += logits.argmax(1).eq(y).sum();
      if (progress_tty && steps_per_epoch >= 20 && (s + 1) % (steps_per_epoch / 10) == 0) {
        std::printf("  epoch %lld: %3lld%%  loss %.3f  %.0f img/s\r",
                    static_cast<long long>(epoch + 1),
                    static_cast<long long>(100 * (s + 1) / steps_per_epoch),
                    loss_sum.item<double>() / static_cast<double>(s + 1),
                    static_cast<double>((s + 1) * o.batch) / Seconds(t_epoch));
        std::fflush(stdout);
      }
    }
    const double epoch_seconds = Seconds(t_epoch);
    train_seconds += epoch_seconds;
    images_seen += steps_per_epoch * o.batch;
    const double ips = static_cast<double>(steps_per_epoch * o.batch) / epoch_seconds;
    const double train_loss = loss_sum.item<double>() / static_cast<double>(steps_per_epoch);
    const double train_acc =
        100.0 * correct.item<double>() / static_cast<double>(steps_per_epoch * o.batch);
    const bool last = epoch + 1 == o.epochs;
    const bool stopping = o.stop_after > 0 && epoch + 1 >= o.stop_after;
    double test_acc = std::nan("");
    if (last || stopping || (o.eval_every > 0 && (epoch + 1) % o.eval_every == 0))
      test_acc = Evaluate(model, test, device);
    SaveCheckpoint(checkpoint, model, &optimizer, {o.quant, epoch + 1});
    if (o.keep_every > 0 && (epoch + 1) % o.keep_every == 0)  // snapshots for weight averaging
      SaveCheckpoint(KeptCheckpointPath(o.out, epoch + 1), model, /*optimizer=*/nullptr,
                     {o.quant, epoch + 1});
    if (progress_tty) std::printf("%60s\r", "");
    std::printf(
        "epoch %3lld/%lld  lr %.4f  loss %.4f  train %.2f%%  test %s  %.0f img/s  %.1f s\n",
        static_cast<long long>(epoch + 1), static_cast<long long>(o.epochs), lr, train_loss,
        train_acc,
        std::isnan(test_acc) ? "  -   " : (std::to_string(test_acc).substr(0, 5) + "%").c_str(),
        ips, epoch_seconds);
    std::fflush(stdout);
    log << epoch + 1 << ',' << lr << ',' << train_loss << ',' << train_acc << ','
        << (std::isnan(test_acc) ? std::string() : std::to_string(test_acc)) << ',' << ips << ','
        << epoch_seconds << '\n';
    log.flush();
    result.test_accuracy = test_acc;
    result.final_loss = train_loss;
    if (o.stop_after > 0 && epoch + 1 >= o.stop_after && !last) {
      std::printf("stopping after epoch %lld (--stop-after); continue with --resume %s\n",
                  static_cast<long long>(epoch + 1), checkpoint.c_str());
      break;
    }
  }
  result.seconds = Seconds(t_start);
  result.images_per_second =
      train_seconds > 0 ? static_cast<double>(images_seen) / train_seconds : 0;
  if (start_epoch >= o.epochs) result.test_accuracy = Evaluate(model, test, device);

  nlohmann::json card = {
      {"dataset", "CIFAR-10 (JPEG edition)"},
      {"test_images", test.size()},
      {"test_accuracy", result.test_accuracy},
      {"wgt_bits", o.quant.wgt_bits},
      {"act_bits", o.quant.act_bits},
      {"epochs", o.epochs},
      {"batch", o.batch},
      {"lr", o.lr},
      {"schedule",
       Format("SGD momentum %g nesterov, linear warm-up %g epochs, %s", o.momentum, o.warmup_epochs,
              o.schedule == "constant" ? "then constant" : "cosine to 0")},
      {"weight_decay", o.weight_decay},
      {"label_smoothing", o.label_smoothing},
      {"cutout", o.cutout},
      {"seed", o.seed},
      {"train_images", train.size()},
      {"wall_seconds_this_run", result.seconds},
      {"train_images_per_second", result.images_per_second},
      {"device", DeviceName(device)},
      {"kernels", TrainKernelsName(kernels)},
      {"libtorch", TORCH_VERSION},
      {"command", o.command}};
  if (!o.teachers.empty())
    card["distillation"] = {{"teachers", o.teachers},
                            {"weight", o.distill_weight},
                            {"temperature", o.distill_temperature}};
  const std::string card_text = card.dump(2) + "\n";
  vectors::WriteFileAtomic((fs::path(o.out) / "card.json").string(),
                           std::vector<uint8_t>(card_text.begin(), card_text.end()));
  return result;
}

}  // namespace sa::golden
