// The core executable: one Verilated core (its fast C++ model, and with SA_PIN_* its SystemC
// pin-level model) inside the SystemC harness. sa-cosim builds one per core and configuration
// on demand (sim/core_kit, sim/core_cache.h) and runs it; the array's configuration is read from
// the model's own public parameters, so the harness and the RTL cannot disagree.
#include <cstdlib>
#include <memory>
#include <systemc>
#include <type_traits>

#ifndef SA_PIN_HEADER
// Without a pin model, Verilator's headers are set up for plain C++ (VM_SC=0) but see SystemC
// already included, and then name sc_time_stamp unqualified.
using sc_core::sc_time_stamp;
#endif
#include SA_FAST_HEADER
#include SA_PARAMS_HEADER
#ifdef SA_PIN_HEADER
#include SA_PIN_HEADER
#endif
#include "sim/assertions.h"
#include "sim/cosim_cli.h"
#include "sim/fast_harness.h"
#include "sim/pin_harness.h"

namespace {
using namespace sa::sim;

// Wgt2Mode is optional in the contract: a core without it has no 2-bit mode.
template <typename P, typename = void>
struct Wgt2ModeOf : std::integral_constant<int, 0> {};
template <typename P>
struct Wgt2ModeOf<P, std::void_t<decltype(P::Wgt2Mode)>>
    : std::integral_constant<int, static_cast<int>(P::Wgt2Mode)> {};

using P = SA_PARAMS_CLASS;  // the top's parameters as elaborated (sim/core_kit)
constexpr ArrayConfig kConfig{static_cast<int>(P::Rows),      static_cast<int>(P::Cols),
                              static_cast<int>(P::ActWidth),  static_cast<int>(P::WgtWidth),
                              static_cast<int>(P::PsumWidth), static_cast<int>(P::AccDepth),
                              Dataflow::SA_DATAFLOW,          Wgt2ModeOf<P>::value != 0};

#ifdef SA_PIN_CLASS
using PinModel = PinHarness<SA_PIN_CLASS>;
constexpr bool kHasPinModel = true;
#else
struct PinModel {  // no pin-level model built: never constructed (--mode pin is refused)
  PinModel(const char*, const ArrayConfig&) {}
  void Submit(LayerRun*) {}
  bool Busy() const { return false; }
};
constexpr bool kHasPinModel = false;
#endif

// The fast harness always (it also writes traces); the pin-level one only in pin mode (its
// free-running clock would slow the fast mode down). One per process: SystemC elaborates once.
class Simulator : public UnitSimulator {
 public:
  explicit Simulator(const std::string& mode) : fast_("fast", kConfig) {
    if (mode == "pin") pin_ = std::make_unique<PinModel>("pin", kConfig);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }
  void Run(LayerRun* run, const TraceWindow* trace) override {
    if (pin_ && !trace) {
      pin_->Submit(run);
      while (pin_->Busy()) sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));  // 1,000 cycles
    } else if (pin_) {
      // The pin-level clock never stops, so run in slices until the fast job is done.
      fast_.Submit(run, trace);
      while (fast_.Busy()) sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));
    } else {
      fast_.Submit(run, trace);
      sc_core::sc_start();  // returns when the unit is done: nothing else is scheduled
    }
  }
  void OpenTrace(const std::string& path) override { fast_.OpenTrace(path); }
  void CloseTrace() override { fast_.CloseTrace(); }
  void WriteCoverage(const std::string& path) override { fast_.WriteCoverage(path); }

 private:
  FastHarness<SA_FAST_CLASS> fast_;
  std::unique_ptr<PinModel> pin_;
};

}  // namespace

// Verilator calls this for $stop and for every failing assertion (the kit defines
// VL_USER_STOP): the hit is recorded and the harness ends that unit as a failure, instead of the
// default, which aborts the process (sim/assertions.h).
void vl_stop(const char* filename, int linenum, const char* /*hier*/) {
  sa::sim::RecordAssertion(filename, linenum);
}

int sc_main(int argc, char* argv[]) {
  SimulatorInfo sim;
  sim.config = kConfig;
  sim.has_pin_model = kHasPinModel;
  sim.has_coverage = FastHarness<SA_FAST_CLASS>::kHasCoverage;
  sim.verilator_version = Verilated::productVersion();
  sim.systemc_version = sc_core::sc_version();
  sim.make = [](const std::string& mode) { return std::make_unique<Simulator>(mode); };
  return CoreMain(argc, argv, sim);
}

// SystemC prints its banner before sc_main, where it would land in the middle of the table: this
// main (which takes precedence over the one in libsystemc) sets the variable SystemC honours.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", /*overwrite=*/0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
