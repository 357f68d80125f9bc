// Pin-level harness: the sa_core Verilated with --sc as a SystemC module, bound to sc_signals
// and an sc_clock; a method process at each rising edge runs the testbench (driver, monitor,
// scoreboard) on the signal values, so every pin changes through the SystemC kernel.
#pragma once

#include <systemc>

#include <type_traits>

#include "sim/assertions.h"
#include "sim/dut_ports.h"
#include "sim/testbench.h"

namespace sa::sim {

// SystemC port values from and to the harness's words: bool and integers up to 64 bits,
// sc_bv<N> above (Verilator's --sc port types).
template <typename T>
void WordsToSc(T& v, const Bits& b) {
  if constexpr (std::is_integral_v<T>) {
    v = static_cast<T>(b.Low64());
  } else {
    for (int w = 0; w < v.size(); ++w) v.set_word(w, b.words[static_cast<size_t>(w)]);
  }
}
template <typename T>
void ScToWords(const T& v, uint32_t* words) {
  if constexpr (std::is_integral_v<T>) {
    words[0] = static_cast<uint32_t>(static_cast<uint64_t>(v));
    words[1] = static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32);
  } else {
    for (int w = 0; w < v.size(); ++w) words[w] = v.get_word(w);
  }
}

template <typename Vsc>
class PinHarness : public sc_core::sc_module, public PsumPort {
  template <typename Port>
  using SignalOf = sc_core::sc_signal<typename Port::data_type>;
#define SA_SIGNAL_TYPE(port) SignalOf<std::remove_reference_t<decltype(std::declval<Vsc>().port)>>

 public:
  SC_HAS_PROCESS(PinHarness);
  PinHarness(sc_core::sc_module_name name, const ArrayConfig& cfg)
      : sc_module(name), clk_("clk", sc_core::sc_time(10, sc_core::SC_NS)), cfg_(cfg), dut_("dut") {
    // Every port of the contract is bound to a signal of the same name (sim/dut_ports.h).
    dut_.SA_DUT_CLOCK(clk_);
#define SA_BIND(port, member) dut_.port(port##_);
    SA_DUT_BIT_INPUTS(SA_BIND)
    SA_DUT_WORD_INPUTS(SA_BIND)
    SA_DUT_BIT_OUTPUTS(SA_BIND)
    SA_DUT_WORD_OUTPUTS(SA_BIND)
#undef SA_BIND
    SC_METHOD(OnRisingEdge);
    sensitive << clk_.posedge_event();
    dont_initialize();
  }

  void Submit(LayerRun* run) {
    AssertionHit stale;
    TakeAssertion(&stale);  // one left from the unit before (reported there)
    run_ = run;
    Drive(run->inputs());
  }
  bool Busy() const { return run_ != nullptr; }
  Vsc& dut() { return dut_; }

  void Read(int64_t* values) override {
    uint32_t words[kMaxOutputWords + 2] = {};
#define SA_READ(port, member) ScToWords(port##_.read(), words);
    SA_DUT_WORD_OUTPUTS(SA_READ)
#undef SA_READ
    DecodePsums(words, cfg_, values);
  }

 private:
  void Drive(const PinsIn& in) {
#define SA_DRIVE(port, member) port##_.write(in.member);
    SA_DUT_BIT_INPUTS(SA_DRIVE)
#undef SA_DRIVE
#define SA_DRIVE(port, member)                                 \
  {                                                            \
    typename decltype(port##_)::value_type v = port##_.read(); \
    WordsToSc(v, in.member);                                   \
    port##_.write(v);                                          \
  }
    SA_DUT_WORD_INPUTS(SA_DRIVE)
#undef SA_DRIVE
  }

  // Signals read here still hold their values from before this edge; writes take effect after
  // it, so the DUT samples the previous inputs at this edge, as real flops would.
  void OnRisingEdge() {
    if (!run_) return;
    AssertionHit hit;  // one the model raised since the last edge ends the unit
    if (TakeAssertion(&hit)) {
      run_->FailAssertion(hit.name, hit.file, hit.line);
      run_ = nullptr;
      return;
    }
    PinsOut out;
#define SA_SAMPLE(port, member) out.member = port##_.read();
    SA_DUT_BIT_OUTPUTS(SA_SAMPLE)
#undef SA_SAMPLE
    run_->OnEdge(out, *this);
    Drive(run_->inputs());
    if (run_->Done()) run_ = nullptr;
  }

  sc_core::sc_clock clk_;
  ArrayConfig cfg_;
  Vsc dut_;
  LayerRun* run_ = nullptr;
#define SA_DECLARE(port, member) SA_SIGNAL_TYPE(port) port##_{#port};
  SA_DUT_BIT_INPUTS(SA_DECLARE)
  SA_DUT_WORD_INPUTS(SA_DECLARE)
  SA_DUT_BIT_OUTPUTS(SA_DECLARE)
  SA_DUT_WORD_OUTPUTS(SA_DECLARE)
#undef SA_DECLARE
#undef SA_SIGNAL_TYPE
};

}  // namespace sa::sim
