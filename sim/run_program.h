// Runs another program (verilator_coverage, vcd2fst) without a shell: arguments are passed as
// they are, so no file name can be read as shell syntax.
#pragma once

#include <string>
#include <vector>

namespace sa::sim {

// Runs argv[0] (searched in PATH) with `argv`, its stdout and stderr discarded, and waits.
// Returns its exit status, or -1 when it could not be started or died of a signal.
int RunProgram(const std::vector<std::string>& argv);

// The same, with stdout and stderr appended to the file `log_path` (created if absent).
int RunProgramLogged(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace sa::sim
