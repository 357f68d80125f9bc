// A pickle-program rewrite that lets LibTorch 1.13's unpickler read state_dicts. Its unpickler
// turns collections.OrderedDict into None and cannot apply BUILD to a dict (pytorch/pytorch
// #100741; fixed upstream only in 2024), yet model.state_dict() is an OrderedDict with a
// _metadata attribute set by BUILD. Written by hand because no maintained C++ pickle reader is
// packaged for Debian; it walks the opcodes (it never evaluates them) and leaves everything else
// to LibTorch.
#pragma once

#include <string>

namespace sa::golden {

// Returns the pickle program with every `collections.OrderedDict()` (GLOBAL or memo reference,
// EMPTY_TUPLE, REDUCE) replaced by EMPTY_DICT, every `BUILD obj state` turned into
// `obj["_metadata"] = state` (a state_dict's _metadata; the caller skips that key), and every
// SETITEM (which LibTorch 1.13 cannot read) into MARK key value SETITEMS. It also
// refuses, before LibTorch 1.13 reads past its own buffers, what torch.save never writes: memo
// slots out of order, odd SETITEMS/DICT, persistent ids other than the storage tuple, opcodes
// LibTorch cannot read. Anything malformed throws std::runtime_error naming `what`.
std::string OrderedDictsAsDicts(const std::string& pickle, const std::string& what);

}  // namespace sa::golden
