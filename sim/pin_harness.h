// Pin-level harness: the sa_core Verilated with --sc as a SystemC module, bound to sc_signals
// and an sc_clock; a method process at each rising edge runs the testbench (driver, monitor,
// scoreboard) on the signal values, so every pin changes through the SystemC kernel.
#pragma once

#include <systemc>

#include "sim/testbench.h"

namespace sa::sim {

template <typename Vsc>
class PinHarness : public sc_core::sc_module, public PsumPort {
  template <typename Port>
  using SignalOf = sc_core::sc_signal<typename Port::data_type>;
  static constexpr int kMaxWords = 64;  // sc_bv words of psum_data_o: up to 2048 bits

 public:
  SC_HAS_PROCESS(PinHarness);
  PinHarness(sc_core::sc_module_name name, const ArrayConfig& cfg)
      : sc_module(name),
        clk_("clk", sc_core::sc_time(10, sc_core::SC_NS)),
        cfg_(cfg),
        dut_("sa_core") {
    dut_.clk_i(clk_);
    dut_.rst_ni(rst_n_);
    dut_.wgt_valid_i(wgt_valid_);
    dut_.wgt_ready_o(wgt_ready_);
    dut_.wgt_data_i(wgt_data_);
    dut_.act_valid_i(act_valid_);
    dut_.act_ready_o(act_ready_);
    dut_.act_data_i(act_data_);
    dut_.act_last_i(act_last_);
    dut_.act_acc_first_i(acc_first_);
    dut_.act_acc_last_i(acc_last_);
    dut_.act_relu_i(relu_);
    dut_.psum_valid_o(psum_valid_);
    dut_.psum_ready_i(psum_ready_);
    dut_.psum_data_o(psum_data_);
    dut_.overflow_o(overflow_);
    dut_.busy_o(busy_);
    SC_METHOD(OnRisingEdge);
    sensitive << clk_.posedge_event();
    dont_initialize();
  }

  void Submit(LayerRun* run) {
    run_ = run;
    Drive(run->inputs());
  }
  bool Busy() const { return run_ != nullptr; }
  Vsc& dut() { return dut_; }

  void Read(int64_t* values) override {
    const auto bv = psum_data_.read();
    uint32_t words[kMaxWords];
    for (int w = 0; w < bv.size(); ++w) words[w] = bv.get_word(w);
    DecodePsums(words, cfg_, values);
  }

 private:
  void Drive(const PinsIn& in) {
    rst_n_.write(in.rst_n);
    wgt_valid_.write(in.wgt_valid);
    wgt_data_.write(static_cast<typename decltype(wgt_data_)::value_type>(in.wgt_data));
    act_valid_.write(in.act_valid);
    act_data_.write(static_cast<typename decltype(act_data_)::value_type>(in.act_data));
    act_last_.write(in.act_last);
    acc_first_.write(in.acc_first);
    acc_last_.write(in.acc_last);
    relu_.write(in.relu);
    psum_ready_.write(in.psum_ready);
  }

  // Signals read here still hold their values from before this edge; writes take effect after
  // it, so the DUT samples the previous inputs at this edge, as real flops would.
  void OnRisingEdge() {
    if (!run_) return;
    const PinsOut out{wgt_ready_.read(), act_ready_.read(), psum_valid_.read(), overflow_.read(),
                      busy_.read()};
    run_->OnEdge(out, *this);
    Drive(run_->inputs());
    if (run_->Done()) run_ = nullptr;
  }

  sc_core::sc_clock clk_;
  ArrayConfig cfg_;
  Vsc dut_;
  LayerRun* run_ = nullptr;
  sc_core::sc_signal<bool> rst_n_{"rst_n"}, wgt_valid_{"wgt_valid"}, wgt_ready_{"wgt_ready"},
      act_valid_{"act_valid"}, act_ready_{"act_ready"}, act_last_{"act_last"},
      acc_first_{"acc_first"}, acc_last_{"acc_last"}, relu_{"relu"}, psum_valid_{"psum_valid"},
      psum_ready_{"psum_ready"}, overflow_{"overflow"}, busy_{"busy"};
  SignalOf<std::remove_reference_t<decltype(std::declval<Vsc>().wgt_data_i)>> wgt_data_{"wgt_data"};
  SignalOf<std::remove_reference_t<decltype(std::declval<Vsc>().act_data_i)>> act_data_{"act_data"};
  SignalOf<std::remove_reference_t<decltype(std::declval<Vsc>().psum_data_o)>> psum_data_{
      "psum_data"};
};

}  // namespace sa::sim
