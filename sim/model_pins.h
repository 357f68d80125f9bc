// Glue between LayerRun and a Verilated (C++) sa_core: pins in, pins out, psum decoding, and one
// clock cycle. Used by the temporally decoupled SystemC harness and by the plain-loop benchmark,
// so that both drive the model in exactly the same way. No SystemC here.
#pragma once

#include <verilated.h>
#include <verilated_vcd_c.h>

#include <algorithm>
#include <random>
#include <type_traits>

#include "sim/testbench.h"

namespace sa::sim {

// The port names come from sim/dut_ports.h only.
template <typename V>
void ApplyPins(V& t, const PinsIn& in) {
#define SA_APPLY(port, member) t.port = in.member;
  SA_DUT_BIT_INPUTS(SA_APPLY)
#undef SA_APPLY
#define SA_APPLY(port, member) PutPort(t.port, in.member);
  SA_DUT_WORD_INPUTS(SA_APPLY)
#undef SA_APPLY
}

template <typename V>
PinsOut SamplePins(const V& t) {
  PinsOut out;
#define SA_SAMPLE(port, member) out.member = static_cast<bool>(t.port);
  SA_DUT_BIT_OUTPUTS(SA_SAMPLE)
#undef SA_SAMPLE
  return out;
}

// Reads psum_data_o (an integer up to 64 bits, a VlWide above) and decodes its columns.
template <typename V>
class ModelPsumPort : public PsumPort {
 public:
  ModelPsumPort(V& top, const ArrayConfig& cfg) : top_(top), cfg_(cfg) {}
  void Read(int64_t* values) override {
    uint32_t words[kMaxOutputWords + 2] = {};
#define SA_READ(port, member) GetPort(top_.port, words);
    SA_DUT_WORD_OUTPUTS(SA_READ)
#undef SA_READ
    DecodePsums(words, cfg_, values);
  }

 private:
  V& top_;
  ArrayConfig cfg_;
};

// The contract's register-only handshake outputs, checked where they can break: between two
// edges, drives two random input vectors (every input but rst_ni, which stays inactive) and
// counts those that moved wgt_ready_o, act_ready_o or psum_valid_o away from `before`; then
// drives `in` again. Data inputs are random within their widths only (Verilator expects the
// unused bits of a port to be zero).
template <typename V>
int HandshakesMovedBetweenEdges(V& t, const ArrayConfig& cfg, const PinsIn& in,
                                const PinsOut& before, std::mt19937_64& rng) {
  auto random_bits = [&rng](Bits* b, int width) {
    b->Clear(width);
    for (int lsb = 0; lsb < width; lsb += 32) b->Put(lsb, std::min(32, width - lsb), rng());
  };
  int moved = 0;
  for (int k = 0; k < 2; ++k) {
    PinsIn noise;
#define SA_NOISE(port, member) noise.member = (rng() & 1) != 0;
    SA_DUT_BIT_INPUTS(SA_NOISE)
#undef SA_NOISE
    noise.rst_n = true;
    random_bits(&noise.wgt_data, cfg.cols * cfg.wgt_width);
    random_bits(&noise.act_data, cfg.act_lanes() * cfg.act_width);
    ApplyPins(t, noise);
    t.eval();
    const PinsOut o = SamplePins(t);
    moved += o.wgt_ready != before.wgt_ready || o.act_ready != before.act_ready ||
             o.psum_valid != before.psum_valid;
  }
  ApplyPins(t, in);
  t.eval();
  return moved;
}

// One rising edge and the following falling edge: the testbench sees the outputs from before
// the edge, the model samples the inputs presented before it, then the next inputs go on.
// With `vcd`, both edges are dumped, at time_ns and time_ns + 5 (a 100 MHz clock).
template <typename V>
void ClockCycle(V& t, LayerRun& run, PsumPort& psums, VerilatedVcdC* vcd = nullptr,
                uint64_t time_ns = 0) {
  const PinsOut out = SamplePins(t);
  if (run.probing_handshakes())
    run.CountCombinationalPaths(
        HandshakesMovedBetweenEdges(t, run.config(), run.inputs(), out, run.probe_rng()));
  run.OnEdge(out, psums);
  t.SA_DUT_CLOCK = 1;
  t.eval();
  if (vcd) vcd->dump(time_ns);
  ApplyPins(t, run.inputs());
  t.SA_DUT_CLOCK = 0;
  t.eval();
  if (vcd) vcd->dump(time_ns + 5);
}

}  // namespace sa::sim
