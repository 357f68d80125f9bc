// Training, evaluation and checkpoints of the quantized ResNet-20.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "golden/data.h"
#include "golden/model.h"

namespace sa::golden {

struct TrainOptions {
  QuantConfig quant;
  int64_t epochs = 200;
  int64_t batch = 128;
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 5e-4;  // conv and fc weights only; none on alphas and batch norm
  double warmup_epochs = 2;    // linear warm-up, then the schedule below, stepped per batch
  // "cosine": half-cosine from --lr to zero; "constant": --lr to the end, the flat phase whose
  // snapshots (keep_every) weight averaging takes the mean of (AverageCheckpoints).
  std::string schedule = "cosine";
  int64_t keep_every = 0;  // > 0: also keep OUT/epoch-NNN.pt (model only) every N epochs
  double label_smoothing = 0;
  int64_t cutout = 0;  // side in pixels of the Cutout square (data.h); 0: none
  uint64_t seed = 0;
  std::string data;    // CIFAR-10 root (binary or JPEG tree)
  std::string out;     // output folder: checkpoint.pt, train_log.csv, card.json
  std::string resume;  // checkpoint to continue from, or empty
  std::string init;    // checkpoint to initialize weights from (e.g. full precision)
  // Knowledge distillation (Hinton et al. 2015): with teacher checkpoints, the loss is
  // DistillationLoss below. The teachers run in eval mode on the same augmented batch; with
  // several, their mean logits are the soft targets (an ensemble teacher, EnsembleLogits).
  std::vector<std::string> teachers;
  double distill_weight = 0.9;       // share of the soft-target term (0: labels only)
  double distill_temperature = 4.0;  // softens both distributions in the soft-target term
  int64_t train_limit = 0;  // > 0: use only the first N training images (tests, smoke runs)
  int64_t test_limit = 0;
  int64_t stop_after = 0;  // > 0: stop once this many epochs are done (resume later)
  int64_t eval_every = 1;  // evaluate on the test set every N epochs (and at the end)
  std::string kernels =
      "auto";           // training kernels: auto, int8, bf16, fp32, reference (quant_conv.h)
  std::string command;  // the command line, recorded in the model card
};

struct TrainResult {
  double test_accuracy = 0;  // percent, after the last epoch
  double final_loss = 0;
  double seconds = 0;
  double images_per_second = 0;
};

// (1 - weight) * CE(student, labels) + weight * T^2 * KL(softmax(teacher / T) || softmax(student
// / T)), each averaged over the batch. T^2 keeps the soft term's gradient scale independent of T.
// The teacher's logits carry no gradient; undefined ones (no teacher) leave the CE term alone.
// Label smoothing applies to the CE term only.
torch::Tensor DistillationLoss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                               double weight, double temperature, double label_smoothing = 0);

// Writes OUT/checkpoint.pt atomically after every epoch, appends OUT/train_log.csv and writes
// OUT/card.json at the end. Prints one progress line per epoch.
TrainResult Train(const TrainOptions& options);

// Checkpoint = model state + optimizer state + metadata, written to PATH.tmp then renamed.
struct CheckpointMeta {
  QuantConfig quant;
  int64_t epochs_done = 0;
};
void SaveCheckpoint(const std::string& path, ResNet20& model, torch::optim::Optimizer* optimizer,
                    const CheckpointMeta& meta);
// Builds the model the checkpoint describes and loads its weights; throws std::runtime_error
// naming the file if it is missing or not a checkpoint.
ResNet20 LoadCheckpoint(const std::string& path, CheckpointMeta* meta = nullptr);
// Restores the optimizer state saved beside the model (for --resume).
void LoadOptimizerState(const std::string& path, torch::optim::Optimizer& optimizer);

// Top-1 accuracy in percent on `data`, in eval mode, in batches of `batch`.
double Evaluate(ResNet20& model, const Dataset& data, torch::Device device, int64_t batch = 500);
// The mean of the models' logits for the normalized batch x (no gradients): the prediction of an
// ensemble, and the soft targets of several distillation teachers.
torch::Tensor EnsembleLogits(std::vector<ResNet20>& models, const torch::Tensor& x);
// Top-1 accuracies in percent, in eval mode, from one pass over `data`: each model's alone and
// that of their mean logits (the two agree for one model).
struct EnsembleAccuracy {
  std::vector<double> members;  // in the order of `models`
  double ensemble = 0;
};
EnsembleAccuracy EvaluateEnsemble(std::vector<ResNet20>& models, const Dataset& data,
                                  torch::Device device, int64_t batch = 500);

// Stochastic weight averaging (Izmailov et al. 2018): the element-wise mean of the parameters
// of checkpoints of one model (same bit widths), summed in float64 in the order given; integer
// buffers come from the last one. `meta` gets the last one's. The batch-norm statistics of the
// mean are not the mean of the statistics: RecomputeBatchNormStatistics sets them afterwards.
ResNet20 AverageCheckpoints(const std::vector<std::string>& paths, CheckpointMeta* meta = nullptr);
// How RecomputeBatchNormStatistics feeds the training images: like training (random crop and
// flip, then Cutout) or as they are.
struct BatchNormPass {
  int64_t batch = 128;
  bool augment = true;
  int64_t cutout = 0;  // side of the Cutout square; 0: none
  uint64_t seed = 0;   // of the crops, flips and squares
};
// Sets every batch norm's running mean and variance to their average over the batches of
// `images` (uint8 [N,3,32,32]) in train-mode forward passes, as torch.optim.swa_utils.update_bn
// does (momentum None: the cumulative average, each batch weighted alike). The images should be
// fed as the model was trained: statistics of the clean training images, which the model fits
// better than test images, do not describe the test images. Measured on the w4a4 default
// (89.02 % with its training EMA statistics): 85.64 % from the clean training images, 88.66 %
// from crops, flips and Cutout 16 as it was trained. No change to the parameters; leaves eval
// mode.
void RecomputeBatchNormStatistics(ResNet20& model, const torch::Tensor& images,
                                  torch::Device device, const BatchNormPass& pass = {});

torch::Device DefaultDevice();

// CPU set-up for LibTorch programs: `threads` OpenMP threads (0: all cores; OpenMP here may
// otherwise start with one) and glibc malloc tuned to keep large blocks. Without the latter,
// every freed activation tensor (megabytes) goes back to the OS by munmap and every new one
// page-faults in fresh memory: measured here, a 16->16 3x3 conv on 100 32x32 images took 36 ms
// instead of 1.9 ms, and test-set evaluation ran 8x slower.
void ConfigureCpuRuntime(int threads = 0);

}  // namespace sa::golden
