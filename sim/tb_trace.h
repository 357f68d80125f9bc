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

  // The one rule for the psum signals' width: Verilator reserves ceil(bits / 32) 32-bit slots
  // of its previous-value store per code (declCode), and its full/chg writers store exactly
  // the type they take: IData (one slot) up to 32 bits, QData (two) above. Declaring, laying
  // out and dumping all follow Wide(), so no write can pass the slots declared (a 24-bit psum
  // written as QData overran the store by 4 bytes at the last column).
  bool Wide() const { return psum_width_ > 32; }
  uint32_t PsumSlots() const { return Wide() ? 2 : 1; }
  uint32_t GotCode(int c) const {
    return code_ + kColumns + 2 * PsumSlots() * static_cast<uint32_t>(c);
  }
  uint32_t ExpectedCode(int c) const { return GotCode(c) + PsumSlots(); }
  template <bool kFull>
  void DumpPsum(VerilatedVcd::Buffer* b, uint32_t code, int64_t value) const {
    const QData mask = psum_width_ >= 64 ? ~QData{0} : (QData{1} << psum_width_) - 1;
    const QData v = static_cast<QData>(value) & mask;
    if (Wide()) {
      if (kFull)
        b->fullQData(b->oldp(code), v, psum_width_);
      else
        b->chgQData(b->oldp(code), v, psum_width_);
    } else {
      if (kFull)
        b->fullIData(b->oldp(code), static_cast<IData>(v), psum_width_);
      else
        b->chgIData(b->oldp(code), static_cast<IData>(v), psum_width_);
    }
  }

  static void Init(void* self, VerilatedVcd* t, uint32_t code) {
    auto* me = static_cast<TestbenchTrace*>(self);
    me->code_ = code;
    t->pushNamePrefix("tb ");
    const char* counters[] = {"unit",     "layer",        "test_image", "act_pass",
                              "act_beat", "psum_vectors", "mismatches"};
    for (uint32_t i = 0; i < 7; ++i) t->declBus(code + i, counters[i], false, -1, 31, 0);
    t->declBit(code + kFire, "psum_fire", false, -1);
    t->declBit(code + kBad, "mismatch", false, -1);
    for (int c = 0; c < me->cols_; ++c) {
      const std::string got = "psum_got_" + std::to_string(c);
      const std::string expected = "psum_expected_" + std::to_string(c);
      const int msb = me->psum_width_ - 1;
      if (me->Wide()) {
        t->declQuad(me->GotCode(c), got.c_str(), false, -1, msb, 0);
        t->declQuad(me->ExpectedCode(c), expected.c_str(), false, -1, msb, 0);
      } else {
        t->declBus(me->GotCode(c), got.c_str(), false, -1, msb, 0);
        t->declBus(me->ExpectedCode(c), expected.c_str(), false, -1, msb, 0);
      }
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
    for (int c = 0; c < cols_ && static_cast<size_t>(c) < p.got.size(); ++c) {
      DumpPsum<kFull>(b, GotCode(c), p.got[static_cast<size_t>(c)]);
      DumpPsum<kFull>(b, ExpectedCode(c), p.expected[static_cast<size_t>(c)]);
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
