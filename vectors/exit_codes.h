// The exit-code contract of every sacosim tool (README, "Exit codes").
#pragma once

namespace sa {

constexpr int kExitPass = 0;   // everything was checked and matched
constexpr int kExitFail = 1;   // the design (or the checked set) failed: mismatch, hang, overflow
constexpr int kExitError = 2;  // the run could not be done: usage, bad input, unwritable output

}  // namespace sa
