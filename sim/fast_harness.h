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

#include "sim/assertions.h"
#include "sim/model_pins.h"
#include "sim/run_program.h"
#include "sim/tb_trace.h"
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
        psums_(*top_, cfg),
        tb_trace_(cfg.cols, cfg.psum_width) {
    tlm_utils::tlm_quantumkeeper::set_global_quantum(Period() *
                                                     static_cast<double>(quantum_cycles));
    SC_THREAD(Main);
    // Verilator's eval of a large array keeps big temporaries on the stack: SystemC's default
    // thread stack (64 KiB) overflows from 32 x 32 up.
    set_stack_size(kThreadStackBytes);
  }
  ~FastHarness() override {
    if (vcd_) {  // an unfinished trace (the run threw): drop the temporary files, never throw
      vcd_->close();
      std::remove(trace_tmp_.c_str());
      if (!fst_tmp_.empty()) std::remove(fst_tmp_.c_str());
    }
    top_->final();
  }

  // A waveform that spans all later jobs (time keeps running from job to job), with the
  // testbench's signals beside the core's (sim/tb_trace.h). Verilator writes VCD; a PATH ending
  // in .fst is converted with gtkwave's vcd2fst on CloseTrace(). Everything goes to fresh
  // temporary files beside PATH, renamed at the end, so an interrupted run leaves no truncated
  // waveform and touches no other file.
  void OpenTrace(const std::string& path) {
    ctx_->traceEverOn(true);
    trace_path_ = vectors::WriteTarget(path);  // through a link, not over it
    trace_tmp_ = vectors::MakeTempFileBeside(trace_path_);
    fst_tmp_ = IsFst(path) ? vectors::MakeTempFileBeside(trace_path_) : "";
    time_ = 0;  // the waveform starts at 0 ns whatever ran before
    vcd_ = std::make_unique<VerilatedVcdC>();
    top_->trace(vcd_.get(), 99);
    tb_trace_.Register(vcd_.get());
    vcd_->open(trace_tmp_.c_str());
    if (!vcd_->isOpen()) throw vectors::FormatError(path + ": cannot create the trace file");
  }
  void CloseTrace() {
    if (!vcd_) return;
    vcd_->close();
    vcd_.reset();
    std::string done = trace_tmp_;
    if (!fst_tmp_.empty()) {
      const int rc = RunProgram({"vcd2fst", "--vcdname", trace_tmp_, "--fstname", fst_tmp_});
      std::remove(trace_tmp_.c_str());
      if (rc != 0) {
        std::remove(fst_tmp_.c_str());
        throw vectors::FormatError(trace_path_ +
                                   ": vcd2fst (gtkwave) could not write the FST; is it installed?");
      }
      done = fst_tmp_;
    }
    fst_tmp_.clear();
    vectors::RenameIntoPlace(done, trace_path_);
  }
  static bool IsFst(const std::string& path) {
    return path.size() > 4 && path.compare(path.size() - 4, 4, ".fst") == 0;
  }

  // Writes the model's code coverage (a build with -DSA_COVERAGE=ON) to a fresh temporary file
  // beside `path`, then renames it into place.
  void WriteCoverage(const std::string& path) {
#if VM_COVERAGE
    const std::string target = vectors::WriteTarget(path);
    const std::string tmp = vectors::MakeTempFileBeside(target);
    ctx_->coveragep()->write(tmp.c_str());
    vectors::RenameIntoPlace(tmp, target);
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
      if (vcd) tb_trace_.Follow(&run_->probe());
      AssertionHit hit;
      TakeAssertion(&hit);  // one left from the unit before (reported there) or from reset
      ApplyPins(t, run_->inputs());
      t.SA_DUT_CLOCK = 0;
      t.eval();
      while (!run_->Done()) {
        const uint64_t cycle = run_->cycle() + 1;  // the cycle this edge completes
        const bool dump = vcd && cycle >= trace_->from && cycle < trace_->to;
        ClockCycle(t, *run_, psums_, dump ? vcd : nullptr, time_);
        if (TakeAssertion(&hit)) run_->FailAssertion(hit.name, hit.file, hit.line);
        time_ += 10;
        qk.inc(period);
        if (qk.need_sync()) qk.sync();  // hand control back to the SystemC kernel once a quantum
      }
      qk.sync();
      tb_trace_.Follow(nullptr);  // the waveform holds the last values until the next unit
      run_ = nullptr;
    }
  }

  ArrayConfig cfg_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  ModelPsumPort<V> psums_;
  TestbenchTrace tb_trace_;
  LayerRun* run_ = nullptr;
  const TraceWindow* trace_ = nullptr;
  std::unique_ptr<VerilatedVcdC> vcd_;
  std::string trace_path_, trace_tmp_, fst_tmp_;
  uint64_t time_ = 0;
  sc_core::sc_event job_;
};

}  // namespace sa::sim
