// A behavioural model of the DUT contract for the weight-stationary dataflow, in plain C++ (no
// Verilator): weight tiles of Rows beats (double-buffered), one activation beat per output pixel,
// per-beat accumulation over a group of passes, release of the group's last pass through a
// latency line into an output FIFO under credit flow control, ReLU, sticky overflow, busy_o,
// and the 2-bit mode (cfg.wgt2_mode: a pass's act_wgt2_i decides how its tile's weight lanes and
// the activation lanes are read). With cfg.dataflow output-stationary it models that contract
// instead: one weight beat and one activation beat per reduction step, Rows x Cols sums kept
// across the passes of a tile, Rows vectors released (row Rows-1 first) when the tile ends, the
// release waiting for FIFO room (credit).
// It drives the harness logic (schedules, driver, monitor, scoreboard, reports) in-process, in
// milliseconds: knobs vary its timing, and planted faults show that each check can fail.
// Written from docs/dut-contract.md, not from the RTL.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "sim/testbench.h"

namespace sa::sim {

struct BehavioralKnobs {
  int latency = 3;         // edges from an accepted beat to its vector entering the FIFO
  int fifo_depth = 8;      // output FIFO entries (credit: beats in flight count against it)
  double ready_stall = 0;  // probability that wgt_ready_o / act_ready_o drop for a cycle
  uint64_t seed = 1;
  // Planted faults, one at a time: each must be caught by the harness.
  int64_t flip_bit_of_vector = -1;   // flip bit 0 of column 0 of this released vector (mismatch)
  bool zero_extend_weights = false;  // weights read as unsigned (mismatches)
  bool busy_stuck_high = false;      // busy_o never drops (the end-of-layer check)
  bool extra_vector = false;         // one vector more than released (extra psums)
  bool ignore_acc_first = false;     // groups add onto the previous group's sums
  int64_t hang_after_beats = -1;     // act_ready_o low for good after this many beats (a hang)
  bool relu_of_first_group = false;  // every group released with the first group's act_relu_i
  bool wgt2_of_first_pass = false;   // every pass read in the first pass's mode (2-bit mode)
};

class BehavioralCore : public PsumPort {
 public:
  BehavioralCore(const ArrayConfig& cfg, const BehavioralKnobs& knobs);
  // The outputs just before the next edge: from registered state only.
  PinsOut Outputs() const;
  // psum_data_o before the next edge (PsumPort): the FIFO head.
  void Read(int64_t* values) override;
  // One rising edge with `in` sampled: handshakes, accumulation, release, FIFO.
  void Edge(const PinsIn& in);

 private:
  struct Vector {
    std::vector<int64_t> v;
    int delay;
  };
  int64_t Field(const Bits& b, int lsb, int width, bool is_signed) const;
  // Whether a released group gets ReLU (the relu_of_first_group fault latches the first).
  bool GroupRelu(bool relu);
  // A released vector into the latency line, with ReLU and the flip_bit_of_vector fault.
  void Release(std::vector<int64_t> v, bool relu);
  // The latency line moves one step, its end entering the FIFO; with the extra_vector fault,
  // one vector more once everything has left and the core is `idle`.
  void AdvanceLine(bool idle);

  ArrayConfig cfg_;
  BehavioralKnobs knobs_;
  std::mt19937_64 rng_;
  std::bernoulli_distribution stall_;
  // Weight tiles: [row][col], each lane's raw bits (decoded by the pass's mode); `next_` fills
  // while `cur_` streams.
  std::vector<std::vector<int64_t>> cur_, next_;
  int next_rows_ = 0;
  bool cur_loaded_ = false;
  int64_t beat_ = 0;                       // beat index within the current pass
  std::vector<std::vector<int64_t>> acc_;  // [beat][col]
  std::deque<Vector> line_;                // released, not yet in the FIFO
  std::deque<std::vector<int64_t>> fifo_;
  int64_t released_ = 0, beats_taken_ = 0;
  bool overflow_ = false, extra_done_ = false;
  int first_relu_ = -1;  // relu_of_first_group: the first group's act_relu_i (-1: none yet)
  int first_wgt2_ = -1;  // wgt2_of_first_pass: the first beat's act_wgt2_i (-1: none yet)
  // Output-stationary: beats waiting for their partner (two each, as the RTL's input FIFOs),
  // the tile's sums [row][col], and whether the next step opens a pass.
  void EdgeOutputStationary(const PinsIn& in, const PinsOut& out);
  struct ActBeat {
    std::vector<int64_t> act;
    bool last, acc_first, acc_last, relu;
  };
  std::deque<std::vector<int64_t>> os_wgt_;
  std::deque<ActBeat> os_act_;
  std::vector<std::vector<int64_t>> os_sum_;
  bool os_pass_start_ = true;
  bool wgt_ready_ = false, act_ready_ = false;  // registered for the next edge
};

}  // namespace sa::sim
