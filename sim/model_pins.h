// Glue between LayerRun and a Verilated (C++) sa_core: pins in, pins out, psum decoding, and one
// clock cycle. Used by the temporally decoupled SystemC harness and by the plain-loop benchmark,
// so that both drive the model in exactly the same way. No SystemC here.
#pragma once

#include <verilated.h>
#include <verilated_vcd_c.h>

#include <type_traits>

#include "sim/testbench.h"

namespace sa::sim {

template <typename V>
void ApplyPins(V& t, const PinsIn& in) {
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

template <typename V>
PinsOut SamplePins(const V& t) {
  return {static_cast<bool>(t.wgt_ready_o), static_cast<bool>(t.act_ready_o),
          static_cast<bool>(t.psum_valid_o), static_cast<bool>(t.overflow_o),
          static_cast<bool>(t.busy_o)};
}

// psum_data_o is a VlWide (more than 64 bits) for every array this project builds.
template <typename V>
class ModelPsumPort : public PsumPort {
 public:
  ModelPsumPort(V& top, const ArrayConfig& cfg) : top_(top), cfg_(cfg) {}
  void Read(int64_t* values) override { DecodePsums(top_.psum_data_o.data(), cfg_, values); }

 private:
  V& top_;
  ArrayConfig cfg_;
};

// One rising edge and the following falling edge: the testbench sees the outputs from before
// the edge, the model samples the inputs presented before it, then the next inputs go on.
// With `vcd`, both edges are dumped, at time_ns and time_ns + 5 (a 100 MHz clock).
template <typename V>
void ClockCycle(V& t, LayerRun& run, PsumPort& psums, VerilatedVcdC* vcd = nullptr,
                uint64_t time_ns = 0) {
  run.OnEdge(SamplePins(t), psums);
  t.clk_i = 1;
  t.eval();
  if (vcd) vcd->dump(time_ns);
  ApplyPins(t, run.inputs());
  t.clk_i = 0;
  t.eval();
  if (vcd) vcd->dump(time_ns + 5);
}

}  // namespace sa::sim
