// Temporally decoupled harness: one SystemC thread clocks the Verilated (C++) sa_core for a
// whole quantum of cycles per activation and then advances SystemC time by the cycles it ran,
// as TLM-2.0 loosely-timed models do with a quantum keeper. Cycle-for-cycle identical to the
// pin-level harness (tests compare both), several times faster.
#pragma once

#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <verilated.h>
#include <verilated_vcd_c.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <memory>
#include <string>

#include "sim/testbench.h"

namespace sa::sim {

template <typename V>
class FastPsumPort : public PsumPort {
 public:
  FastPsumPort(V& top, const ArrayConfig& cfg) : top_(top), cfg_(cfg) {}
  void Read(int64_t* values) override {
    for (int c = 0; c < cfg_.cols; ++c) {
      uint64_t v = 0;
      for (int i = 0; i < cfg_.psum_width; ++i) {
        const int bit = c * cfg_.psum_width + i;
        v |= static_cast<uint64_t>((WordOf(top_.psum_data_o, bit / 32) >> (bit % 32)) & 1u) << i;
      }
      const uint64_t sign = uint64_t{1} << (cfg_.psum_width - 1);
      values[c] = static_cast<int64_t>((v ^ sign) - sign);
    }
  }

 private:
  template <std::size_t N>
  static uint32_t WordOf(const VlWide<N>& w, int i) { return w.at(static_cast<size_t>(i)); }
  template <typename T>
  static uint32_t WordOf(const T& w, int i) { return static_cast<uint32_t>(static_cast<uint64_t>(w) >> (32 * i)); }
  V& top_;
  ArrayConfig cfg_;
};

// Cycles [from, to) of a layer run are written to the open VCD.
struct TraceWindow {
  uint64_t from = 0, to = ~uint64_t{0};
};

template <typename V>
class FastHarness : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(FastHarness);
  FastHarness(sc_core::sc_module_name name, const ArrayConfig& cfg, uint64_t quantum_cycles = 4096)
      : sc_module(name), cfg_(cfg), ctx_(std::make_unique<VerilatedContext>()),
        top_(std::make_unique<V>(ctx_.get(), "sa_core")), psums_(*top_, cfg) {
    tlm_utils::tlm_quantumkeeper::set_global_quantum(Period() * static_cast<double>(quantum_cycles));
    SC_THREAD(Main);
  }
  ~FastHarness() override {
    CloseTrace();
    top_->final();
  }

  // A VCD that spans all later jobs (time keeps running from job to job). It is written to
  // PATH.tmp and renamed on CloseTrace(), so an interrupted run leaves no truncated waveform.
  void OpenTrace(const std::string& path) {
    ctx_->traceEverOn(true);
    trace_path_ = path;
    vcd_ = std::make_unique<VerilatedVcdC>();
    top_->trace(vcd_.get(), 99);
    vcd_->open((path + ".tmp").c_str());
    if (!vcd_->isOpen()) throw std::runtime_error(path + ": cannot create the trace file");
  }
  void CloseTrace() {
    if (!vcd_) return;
    vcd_->close();
    vcd_.reset();
    if (std::rename((trace_path_ + ".tmp").c_str(), trace_path_.c_str()) != 0)
      throw std::runtime_error(trace_path_ + ": cannot move the trace into place");
  }

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
  void Apply(const PinsIn& in) {
    V& t = *top_;
    t.rst_ni = in.rst_n;
    t.wgt_valid_i = in.wgt_valid;
    t.wgt_data_i = static_cast<std::remove_reference_t<decltype(t.wgt_data_i)>>(in.wgt_data);
    t.act_valid_i = in.act_valid;
    t.act_data_i = static_cast<std::remove_reference_t<decltype(t.act_data_i)>>(in.act_data);
    t.act_last_i = in.act_last;
    t.act_acc_first_i = in.acc_first;
    t.act_acc_last_i = in.acc_last;
    t.act_relu_i = in.relu;
    t.psum_ready_i = in.psum_ready;
  }

  void Main() {
    tlm_utils::tlm_quantumkeeper qk;
    for (;;) {
      sc_core::wait(job_);
      qk.reset();
      const sc_core::sc_time period = Period();
      V& t = *top_;
      VerilatedVcdC* vcd = trace_ ? vcd_.get() : nullptr;
      Apply(run_->inputs());
      t.clk_i = 0;
      t.eval();
      while (!run_->Done()) {
        const PinsOut out{static_cast<bool>(t.wgt_ready_o), static_cast<bool>(t.act_ready_o),
                          static_cast<bool>(t.psum_valid_o), static_cast<bool>(t.overflow_o),
                          static_cast<bool>(t.busy_o)};
        run_->OnEdge(out, psums_);
        t.clk_i = 1;
        t.eval();
        const bool dump = vcd && run_->cycle() >= trace_->from && run_->cycle() < trace_->to;
        if (dump) vcd->dump(time_);
        Apply(run_->inputs());
        t.clk_i = 0;
        t.eval();
        if (dump) vcd->dump(time_ + 5);
        time_ += 10;  // VCD time in ns: a 100 MHz clock
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
  FastPsumPort<V> psums_;
  LayerRun* run_ = nullptr;
  const TraceWindow* trace_ = nullptr;
  std::unique_ptr<VerilatedVcdC> vcd_;
  std::string trace_path_;
  uint64_t time_ = 0;
  sc_core::sc_event job_;
};

}  // namespace sa::sim
