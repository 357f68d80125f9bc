// The command line of a sa-cosim core executable, in one place: the regression flags that the
// sa-cosim front end (which picks and builds the core) checks and passes on unchanged, and the
// core executable's main.
#pragma once

#include <string>

#include "sim/regress.h"

namespace CLI {
class App;
}

namespace sa::sim {

// Adds every regression flag (--vectors, --layers, --jobs, --trace, ...) to `app`. --vectors is
// not marked required here: the front end has commands that need no set.
void AddRegressOptions(CLI::App& app, RegressOptions& opt);

// The core executable's main after elaboration: parses argv, runs the regression and returns
// the exit status (0 pass, 1 design failed, 2 could not run). `--as PREFIX` (set by the front
// end) is the command that reruns this core: it starts the rerun lines and reports.
int CoreMain(int argc, char* argv[], SimulatorInfo sim);

}  // namespace sa::sim
