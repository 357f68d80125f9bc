// Testbench signals in the waveform, beside the core's own: a "tb" scope with the unit, layer and
// test image being run, the pass and beat the driver presents, the psum handshake, a mismatch
// flag and count, and per column the psum taken and the psum expected. They are added through
// Verilator's trace callbacks (the ones its generated trace code registers), so they land in
// the same VCD with the same timestamps as the RTL's signals.
#pragma once

#include <verilated_vcd_c.h>

#include <string>
#include <vector>

#include "sim/testbench.h"

namespace sa::sim {

class TestbenchTrace {
 public:
  TestbenchTrace(int cols, int psum_width) : cols_(cols), psum_width_(psum_width) {}

  // Call after the model's trace() and before the VCD is opened.
  void Register(VerilatedVcdC* vcd) {
    vcd->spTrace()->addInitCb(&Init, this);
    vcd->spTrace()->addFullCb(&Full, this);
    vcd->spTrace()->addChgCb(&Change, this);
  }
  // The probe whose values the next dumps show (held when null: between units).
  void Follow(const TestbenchProbe* probe) {
    if (probe) last_ = *probe;
    probe_ = probe;
  }

 private:
  // Signal codes, from the first free one the trace hands out: 7 counters, 2 flags, 2 x Cols.
  enum : uint32_t { kUnit, kLayer, kImage, kPass, kBeat, kVectors, kMismatches, kFire, kBad };
  static constexpr uint32_t kColumns = kBad + 1;

  static void Init(void* self, VerilatedVcd* t, uint32_t code) {
    auto* me = static_cast<TestbenchTrace*>(self);
    me->code_ = code;
    t->pushNamePrefix("tb ");
    const char* counters[] = {"unit",     "layer",        "test_image", "act_pass",
                              "act_beat", "psum_vectors", "mismatches"};
    for (uint32_t i = 0; i < 7; ++i) t->declBus(code + i, counters[i], false, -1, 31, 0);
    t->declBit(code + kFire, "psum_fire", false, -1);
    t->declBit(code + kBad, "mismatch", false, -1);
    // 64-bit codes take two 32-bit slots in the previous-value store.
    for (int c = 0; c < me->cols_; ++c) {
      const uint32_t got = code + kColumns + 4 * static_cast<uint32_t>(c);
      t->declQuad(got, ("psum_got_" + std::to_string(c)).c_str(), false, -1, me->psum_width_ - 1,
                  0);
      t->declQuad(got + 2, ("psum_expected_" + std::to_string(c)).c_str(), false, -1,
                  me->psum_width_ - 1, 0);
    }
    t->popNamePrefix();
  }

  template <bool kFull>
  void Dump(VerilatedVcd::Buffer* b) {
    const TestbenchProbe& p = probe_ ? *probe_ : last_;
    const int64_t counters[] = {p.unit,     p.layer,        p.test_image, p.act_pass,
                                p.act_beat, p.psum_vectors, p.mismatches};
    for (uint32_t i = 0; i < 7; ++i) {
      const auto v = static_cast<IData>(counters[i]);
      if (kFull)
        b->fullIData(b->oldp(code_ + i), v, 32);
      else
        b->chgIData(b->oldp(code_ + i), v, 32);
    }
    const CData fire = p.psum_fire, bad = p.mismatch;
    if (kFull) {
      b->fullBit(b->oldp(code_ + kFire), fire);
      b->fullBit(b->oldp(code_ + kBad), bad);
    } else {
      b->chgBit(b->oldp(code_ + kFire), fire);
      b->chgBit(b->oldp(code_ + kBad), bad);
    }
    const QData mask = psum_width_ >= 64 ? ~QData{0} : (QData{1} << psum_width_) - 1;
    for (int c = 0; c < cols_ && static_cast<size_t>(c) < p.got.size(); ++c) {
      const uint32_t got = code_ + kColumns + 4 * static_cast<uint32_t>(c);
      const QData g = static_cast<QData>(p.got[static_cast<size_t>(c)]) & mask;
      const QData e = static_cast<QData>(p.expected[static_cast<size_t>(c)]) & mask;
      if (kFull) {
        b->fullQData(b->oldp(got), g, psum_width_);
        b->fullQData(b->oldp(got + 2), e, psum_width_);
      } else {
        b->chgQData(b->oldp(got), g, psum_width_);
        b->chgQData(b->oldp(got + 2), e, psum_width_);
      }
    }
  }
  static void Full(void* self, VerilatedVcd::Buffer* b) {
    static_cast<TestbenchTrace*>(self)->Dump<true>(b);
  }
  static void Change(void* self, VerilatedVcd::Buffer* b) {
    static_cast<TestbenchTrace*>(self)->Dump<false>(b);
  }

  int cols_, psum_width_;
  uint32_t code_ = 0;
  const TestbenchProbe* probe_ = nullptr;
  TestbenchProbe last_;
};

}  // namespace sa::sim
