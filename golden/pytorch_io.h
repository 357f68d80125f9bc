// The course notebook's PyTorch files in and out: state_dicts as torch.save writes them.
#pragma once

#include <string>

#include "golden/model.h"

namespace sa::golden {

// Reads a file written by the notebook's flow with torch.save: model.state_dict(), or a dict
// holding one under 'state_dict' (with 'epoch', 'best_prec' ...), names optionally prefixed
// 'module.' (DataParallel), 'weight_quant.wgt_alpha' for the weight quantizer's alpha. Every
// parameter and buffer of ResNet-20 must be there with its shape, and nothing else: otherwise a
// std::runtime_error names the file and the first missing, unexpected or misshapen tensor.
ResNet20 ImportPytorch(const std::string& path, QuantConfig config);

// Writes `model` as torch.save(model.state_dict()) of the notebook's model would (the
// notebook's names), loadable with torch.load and load_state_dict(strict=True). Atomic.
void ExportPytorch(ResNet20& model, const std::string& path);

}  // namespace sa::golden
