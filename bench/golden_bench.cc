// Golden-model benchmarks on the CPU: training and inference images/s of the quantized
// ResNet-20, and the time to dump each layer's vectors. Not a test: figures only.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <filesystem>
#include <thread>

#include "golden/data.h"
#include "golden/dump.h"
#include "golden/model.h"
#include "golden/train.h"

namespace {
using namespace sa::golden;

void SetThreads() { ConfigureCpuRuntime(); }

void BM_TrainStep(benchmark::State& state) {
  SetThreads();
  const int64_t batch = state.range(0), wbits = state.range(1);
  const auto kernels = static_cast<TrainKernels>(state.range(2));
  if (!CpuRuns(kernels)) {
    state.SkipWithError(("this CPU cannot run --kernels " + TrainKernelsName(kernels)).c_str());
    return;
  }
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{wbits, 4});
  model->SetTrainKernels(kernels);
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::Tensor images =
      torch::randint(0, 256, {batch, 3, 32, 32}, torch::kInt64).to(torch::kUInt8);
  torch::Tensor labels = torch::randint(0, 10, {batch}, torch::kInt64);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        model->forward(Normalize(Augment(images, rng))), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel("--kernels " + TrainKernelsName(kernels) + "; images/s = items_per_second");
}
// Args: batch, weight bits, TrainKernels (0 reference, 1 fp32, 2 bf16, 3 int8). The notebook's step
// beside these is measured by scripts/bench_train_speed.sh.
BENCHMARK(BM_TrainStep)
    ->Args({128, 4, static_cast<int64_t>(TrainKernels::kReference)})
    ->Args({128, 4, static_cast<int64_t>(TrainKernels::kFp32)})
    ->Args({128, 4, static_cast<int64_t>(TrainKernels::kBf16)})
    ->Args({128, 4, static_cast<int64_t>(TrainKernels::kInt8)})
    ->Args({128, 2, static_cast<int64_t>(TrainKernels::kInt8)})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);

void BM_Inference(benchmark::State& state) {
  SetThreads();
  const int64_t batch = state.range(0);
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{4, 4});
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({batch, 3, 32, 32});
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(x).sum().item<float>());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Inference)->Arg(500)->Unit(benchmark::kMillisecond)->MinTime(3);

// Dump of one image: reports the mean time of each of the 18 layers as counters (ms).
void BM_DumpPerLayer(benchmark::State& state) {
  torch::manual_seed(0);
  ResNet20 model(QuantConfig{4, 4});
  torch::Tensor image = torch::randint(0, 256, {1, 3, 32, 32}, torch::kInt64).to(torch::kUInt8);
  const std::string out = (std::filesystem::temp_directory_path() / "sa_bench_dump").string();
  sa::vectors::Manifest m;
  m.checkpoint_path = "bench";
  m.checkpoint_sha256 = "none";
  m.images = {0};
  std::vector<double> sums(18, 0);
  for (auto _ : state) {
    auto layers = DumpVectors(model, image, m, out);
    for (size_t i = 0; i < layers.size(); ++i) sums[i] += layers[i].seconds;
  }
  auto names = model->QuantConvs();
  for (size_t i = 0; i < sums.size(); ++i)
    state.counters[names[i].first + "_ms"] =
        1000 * sums[i] / static_cast<double>(state.iterations());
  std::filesystem::remove_all(out);
}
BENCHMARK(BM_DumpPerLayer)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace

BENCHMARK_MAIN();
