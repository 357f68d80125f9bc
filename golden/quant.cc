// Weight and activation quantizers as custom autograd functions.
#include "golden/quant.h"

namespace sa::golden {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct WeightQuantFn : public torch::autograd::Function<WeightQuantFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor w, torch::Tensor alpha,
                               int64_t bits) {
    const double levels = static_cast<double>(WeightLevels(bits));
    torch::Tensor w_int = WeightToInt(w, alpha, bits);
    torch::Tensor q = w_int / levels;
    ctx->save_for_backward({w / alpha, q});  // u and its quantized value q
    // The notebook's order, (round(u * L) / L) * alpha: int * (alpha / L) differs in the last
    // bit, and one ulp moves a later activation across a rounding tie (tests/golden_ties_test).
    return q * alpha;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor& u = saved[0];
    const torch::Tensor& q = saved[1];
    const torch::Tensor& g = grads[0];
    torch::Tensor outside = u.abs() > 1;
    torch::Tensor grad_alpha = (g * torch::where(outside, u.sign(), q - u)).sum();
    return {g, grad_alpha.reshape({}), torch::Tensor()};
  }
};

struct ActQuantFn : public torch::autograd::Function<ActQuantFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor alpha,
                               int64_t bits) {
    const double levels = static_cast<double>(ActLevels(bits));
    torch::Tensor x_int = ActToInt(x, alpha, bits);
    torch::Tensor q = x_int / levels;
    ctx->save_for_backward({x / alpha, q});
    return q * alpha;  // the notebook's order, as in WeightQuantFn
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor& u = saved[0];
    const torch::Tensor& q = saved[1];
    const torch::Tensor& g = grads[0];
    torch::Tensor above = u > 1;
    torch::Tensor grad_x = g.masked_fill(above, 0);
    torch::Tensor grad_alpha = (g * torch::where(above, torch::ones_like(u), q - u)).sum();
    return {grad_x, grad_alpha.reshape({}), torch::Tensor()};
  }
};

}  // namespace

int64_t WeightLevels(int64_t bits) { return (int64_t{1} << (bits - 1)) - 1; }
int64_t ActLevels(int64_t bits) { return (int64_t{1} << bits) - 1; }

torch::Tensor NormalizeWeight(const torch::Tensor& weight) {
  torch::Tensor detached = weight.detach();
  return (weight - detached.mean()) / detached.std(/*unbiased=*/true);
}

int64_t CountNearTies(const torch::Tensor& scaled, double relative_margin) {
  torch::NoGradGuard no_grad;
  torch::Tensor tie = torch::floor(scaled) + 0.5;
  return ((scaled - tie).abs() <= tie.abs() * relative_margin).sum().item<int64_t>();
}

torch::Tensor WeightScaled(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  return (w_norm / alpha).clamp(-1, 1).abs() * static_cast<double>(WeightLevels(bits));
}

torch::Tensor ActScaled(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  return (x / alpha).clamp_max(1) * static_cast<double>(ActLevels(bits));
}

torch::Tensor WeightToInt(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  // round() is round-half-to-even, as in the notebook.
  return (w_norm / alpha).sign() * torch::round(WeightScaled(w_norm, alpha, bits));
}

torch::Tensor ActToInt(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  return torch::round(ActScaled(x, alpha, bits));
}

torch::Tensor QuantizeWeight(const torch::Tensor& w_norm, const torch::Tensor& alpha,
                             int64_t bits) {
  return WeightQuantFn::apply(w_norm, alpha, bits);
}

torch::Tensor QuantizeAct(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  return ActQuantFn::apply(x, alpha, bits);
}

}  // namespace sa::golden
