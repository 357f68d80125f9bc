// Temporally decoupled harness: one SystemC thread clocks the Verilated (C++) sa_core for a
// whole quantum of cycles per activation and then advances SystemC time by the cycles it ran,
// as TLM-2.0 loosely-timed models do with a quantum keeper. Cycle-for-cycle identical to the
// pin-level harness (tests compare both), several times faster.
#pragma once

#include <tlm_utils/tlm_quantumkeeper.h>
#include <verilated.h>
#include <verilated_vcd_c.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>

#include "sim/model_pins.h"
#include "sim/testbench.h"
#include "vectors/output.h"

namespace sa::sim {

constexpr size_t kThreadStackBytes = 64u << 20;

template <typename V>
class FastHarness : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(FastHarness);
  FastHarness(sc_core::sc_module_name name, const ArrayConfig& cfg, uint64_t quantum_cycles = 4096)
      : sc_module(name),
        cfg_(cfg),
        ctx_(std::make_unique<VerilatedContext>()),
        top_(std::make_unique<V>(ctx_.get(), "sa_core")),
        psums_(*top_, cfg) {
    tlm_utils::tlm_quantumkeeper::set_global_quantum(Period() *
                                                     static_cast<double>(quantum_cycles));
    SC_THREAD(Main);
    // Verilator's eval of a large array keeps big temporaries on the stack: SystemC's default
    // thread stack (64 KiB) overflows from 32 x 32 up.
    set_stack_size(kThreadStackBytes);
  }
  ~FastHarness() override {
    if (vcd_) {  // an unfinished trace (the run threw): drop the temporary file, never throw
      vcd_->close();
      std::remove(trace_tmp_.c_str());
    }
    top_->final();
  }

  // A VCD that spans all later jobs (time keeps running from job to job). It is written to a
  // fresh temporary file beside PATH and renamed on CloseTrace(), so an interrupted run leaves
  // no truncated waveform and touches no other file.
  void OpenTrace(const std::string& path) {
    ctx_->traceEverOn(true);
    trace_path_ = vectors::WriteTarget(path);  // through a link, not over it
    trace_tmp_ = vectors::MakeTempFileBeside(trace_path_);
    time_ = 0;  // the waveform starts at 0 ns whatever ran before
    vcd_ = std::make_unique<VerilatedVcdC>();
    top_->trace(vcd_.get(), 99);
    vcd_->open(trace_tmp_.c_str());
    if (!vcd_->isOpen()) throw vectors::FormatError(path + ": cannot create the trace file");
  }
  void CloseTrace() {
    if (!vcd_) return;
    vcd_->close();
    vcd_.reset();
    if (std::rename(trace_tmp_.c_str(), trace_path_.c_str()) != 0) {
      std::remove(trace_tmp_.c_str());
      throw vectors::FormatError(trace_path_ + ": cannot move the trace into place");
    }
  }

  // Writes the model's code coverage (a build with -DSA_COVERAGE=ON) to a fresh temporary file
  // beside `path`, then renames it into place.
  void WriteCoverage(const std::string& path) {
#if VM_COVERAGE
    const std::string target = vectors::WriteTarget(path);
    const std::string tmp = vectors::MakeTempFileBeside(target);
    ctx_->coveragep()->write(tmp.c_str());
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw vectors::FormatError(path + ": cannot move the coverage data into place");
    }
#else
    throw std::invalid_argument("--coverage " + path +
                                ": this sa-cosim is built without coverage (-DSA_COVERAGE=ON)");
#endif
  }
  static constexpr bool kHasCoverage = VM_COVERAGE;

  // Hands one layer to the harness thread; sc_start() then runs it to completion. With `trace`,
  // the cycles in its window go to the open VCD.
  void Submit(LayerRun* run, const TraceWindow* trace) {
    run_ = run;
    trace_ = trace;
    job_.notify(sc_core::SC_ZERO_TIME);
  }
  bool Busy() const { return run_ != nullptr; }
  static sc_core::sc_time Period() { return sc_core::sc_time(10, sc_core::SC_NS); }  // 100 MHz

 private:
  void Main() {
    tlm_utils::tlm_quantumkeeper qk;
    for (;;) {
      sc_core::wait(job_);
      qk.reset();
      const sc_core::sc_time period = Period();
      V& t = *top_;
      VerilatedVcdC* vcd = trace_ ? vcd_.get() : nullptr;
      ApplyPins(t, run_->inputs());
      t.SA_DUT_CLOCK = 0;
      t.eval();
      while (!run_->Done()) {
        const uint64_t cycle = run_->cycle() + 1;  // the cycle this edge completes
        const bool dump = vcd && cycle >= trace_->from && cycle < trace_->to;
        ClockCycle(t, *run_, psums_, dump ? vcd : nullptr, time_);
        time_ += 10;
        qk.inc(period);
        if (qk.need_sync()) qk.sync();  // hand control back to the SystemC kernel once a quantum
      }
      qk.sync();
      run_ = nullptr;
    }
  }

  ArrayConfig cfg_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  ModelPsumPort<V> psums_;
  LayerRun* run_ = nullptr;
  const TraceWindow* trace_ = nullptr;
  std::unique_ptr<VerilatedVcdC> vcd_;
  std::string trace_path_, trace_tmp_;
  uint64_t time_ = 0;
  sc_core::sc_event job_;
};

}  // namespace sa::sim
