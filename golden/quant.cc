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
    ctx->save_for_backward({w / alpha, w_int / levels});  // u and its quantized value q
    return w_int * (alpha / levels);
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
    ctx->save_for_backward({x / alpha, x_int / levels});
    return x_int * (alpha / levels);
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

torch::Tensor WeightToInt(const torch::Tensor& w_norm, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  torch::Tensor u = (w_norm / alpha).clamp(-1, 1);
  // round() is round-half-to-even, as in the notebook.
  return u.sign() * torch::round(u.abs() * static_cast<double>(WeightLevels(bits)));
}

torch::Tensor ActToInt(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  torch::NoGradGuard no_grad;
  torch::Tensor u = (x / alpha).clamp_max(1);
  return torch::round(u * static_cast<double>(ActLevels(bits)));
}

torch::Tensor QuantizeWeight(const torch::Tensor& w_norm, const torch::Tensor& alpha,
                             int64_t bits) {
  return WeightQuantFn::apply(w_norm, alpha, bits);
}

torch::Tensor QuantizeAct(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits) {
  return ActQuantFn::apply(x, alpha, bits);
}

}  // namespace sa::golden
