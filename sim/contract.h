// The DUT contract's tests, against any core: `sa-cosim --core X --contract-tests` or
// `sa-cosim --rtl F --top T --contract-tests`. Random small layers of odd shapes (checked
// against a direct convolution, sim/random_set.h) without and with random stalls, with the psum
// FIFO held nearly full (credit flow control), the handshake outputs probed between edges at
// the credit limit (registers only), with ReLU, with 2-bit weights (in the 2-bit mode
// where the core has it, in 4-bit passes where not), and the default network set with stalls.
// Each check runs the core executable as a user would and must exit 0.
#pragma once

#include <iosfwd>
#include <string>

namespace sa::sim {

// Runs every check on `core_exe` (a cached core executable), writing the sets and logs under
// `work_dir` (created; left for inspection). `default_set` is skipped when empty. One line per
// check on `out`. Returns 0 when every check passed, 1 when one failed (a design failure), 2
// when one could not be run.
int RunContractTests(const std::string& core_exe, const std::string& work_dir,
                     const std::string& default_set, std::ostream& out);

}  // namespace sa::sim
