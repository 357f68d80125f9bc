// The clock-by-clock testbench shared by both harness modes: driver, monitor and scoreboard
// around the sa_core pins. It knows nothing of SystemC or Verilator: the pin-level SystemC
// module and the temporally decoupled loop both call LayerRun::OnEdge once per rising edge.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sim/dut_ports.h"
#include "sim/schedule.h"
#include "vectors/vector_set.h"

namespace sa::sim {

// Inputs the testbench presents to the core between two rising edges (members named by the
// port lists of sim/dut_ports.h).
struct PinsIn {
#define SA_MEMBER(port, member) bool member = false;
  SA_DUT_BIT_INPUTS(SA_MEMBER)
#undef SA_MEMBER
#define SA_MEMBER(port, member) Bits member;
  SA_DUT_WORD_INPUTS(SA_MEMBER)
#undef SA_MEMBER
};

// Outputs of the core just before a rising edge (all registered in the RTL).
struct PinsOut {
#define SA_MEMBER(port, member) bool member = false;
  SA_DUT_BIT_OUTPUTS(SA_MEMBER)
#undef SA_MEMBER
};

// Decodes the psum_data_o port into `cols` signed values; called only on a psum handshake.
class PsumPort {
 public:
  virtual ~PsumPort() = default;
  virtual void Read(int64_t* values) = 0;
};

// Slices `cfg.cols` signed psum_width-bit (<= 64) values out of a port's 32-bit words (column c
// at bit c * psum_width), as the contract packs psum_data_o.
void DecodePsums(const uint32_t* words, const ArrayConfig& cfg, int64_t* values);

// A psum that differs from the golden one: where it belongs and where it came from.
struct Mismatch {
  std::string layer;
  int64_t image = 0, channel = 0, row = 0, col = 0;  // image: position in the set
  int64_t expected = 0, got = 0;
  int64_t pass = 0;         // index of the pass that released it (the last of its group)
  uint64_t cycle = 0;       // cycle (after reset) at which it left the core
  int64_t test_image = -1;  // the image's test-set index: the one number users see (-1: unknown)
  bool operator==(const Mismatch& o) const;
};
std::ostream& operator<<(std::ostream& os, const Mismatch& m);

struct RunOptions {
  double stall_prob = 0;  // input gaps and psum backpressure, each with this probability
  Wgt2Choice wgt2 = Wgt2Choice::kAuto;  // the 2-bit mode, on a core that has it (or mixed)
  // psum backpressure alone, when >= 0 (0.9 with no input gaps fills the output FIFO, so the
  // core's credit flow control is exercised)
  double psum_stall_prob = -1;
  bool relu = false;  // drive act_relu_i and expect max(0, psum)
  // Constrained-random stimulus beyond the network's own (the contract tests' stress check):
  // act_relu_i drawn per accumulation group, so it changes from one group to the next; and on
  // an output-stationary core each tile's reduction split into 1 to 4 passes at random steps.
  bool relu_random = false, split_tiles = false;
  uint64_t seed = 1;
  // The unit's own seed (UnitSeed: seed, layer, test image), set by LayerRun: ReLU per group,
  // tile splits and the garbage in unused lanes are drawn from it, apart from the stall draws.
  uint64_t unit_seed = 0;
  // Every cycle, drive random inputs between the edges and count the cycles in which a
  // handshake output moved (the contract: registers only). Fast mode; about 3x slower.
  bool probe_handshakes = false;
  int max_mismatches = 10;        // how many to keep in detail
  uint64_t hang_cycles = 100000;  // no handshake for this long: the DUT is declared hung
};

// Whether accumulation group `group` of a unit runs with act_relu_i (both the driver and the
// scoreboard ask).
bool GroupRelu(const RunOptions& opt, int64_t group);

// Functional coverage: what the stimulus and the responses reached, counted by the testbench
// in every unit and summed (or, for kMax bins, maximized) over units. The one list of bins:
// X(name, aggregation, required (BinRequired), what it counts). Required bins must be hit by a run
// with
// --require-coverage (the contract tests' stress check): a verification gate, not a statistic.
// Not required: psums near the limit (ResNet-20's reach 2^20, PsumWidth is 24), back-to-back
// passes (the core decides: the course core loads its weights between passes), PE banks (a
// maximum); the unused lanes only on a core with the 2-bit mode, mode switches only there with
// --wgt2-mode mixed.
#define SA_COVERAGE_BINS(X)                                                                        \
  X(act_zero, kSum, kAlways, "activations at 0")                                                   \
  X(act_max, kSum, kAlways, "activations at their maximum, 2^a - 1")                               \
  X(wgt_min, kSum, kAlways, "weights at their minimum, -(2^(w-1) - 1)")                            \
  X(wgt_max, kSum, kAlways, "weights at their maximum, 2^(w-1) - 1")                               \
  X(wgt_zero, kSum, kAlways, "weights at 0")                                                       \
  X(wgt_all_values, kSum, kAlways, "units whose weights take every value of the contract's range") \
  X(psum_at_layer_min, kSum, kAlways, "psums equal to the layer's smallest")                       \
  X(psum_at_layer_max, kSum, kAlways, "psums equal to the layer's largest")                        \
  X(psum_near_limit, kSum, kNever, "psums with |p| >= 2^(PsumWidth-2), the top half of the range") \
  X(back_to_back_passes, kSum, kNever,                                                             \
    "passes whose first beat directly follows the previous's last")                                \
  X(short_passes, kSum, kAlways,                                                                   \
    "passes of fewer beats than Rows (the next waits for its bank or tile)")                       \
  X(psum_backpressure_input_held, kSum, kAlways,                                                   \
    "cycles with psum_valid high, psum_ready low and act_ready low (psum FIFO full)")              \
  X(group_start_while_draining, kSum, kAlways,                                                     \
    "groups whose first beat was taken before every psum of the groups before had left")           \
  X(multi_pass_groups, kSum, kAlways,                                                              \
    "accumulation groups of several passes (OS: a tile split by --split-tiles)")                   \
  X(relu_group_changes, kSum, kAlways,                                                             \
    "groups whose act_relu_i differs from the previous group's (--relu-random)")                   \
  X(unused_lanes_driven, kSum, kWgt2Cores,                                                         \
    "beats with random values in lanes the pass does not use (4-bit passes, 2-bit core)")          \
  X(wgt2_mode_switches, kSum, kWgt2Mixed,                                                          \
    "passes in the other mode than the pass before (2-bit core, --wgt2-mode mixed)")               \
  X(pe_banks_loaded, kMax, kNever,                                                                 \
    "PE registers reached, of Rows x Cols x 2 (WS: both weight banks; OS: sum and drain)")

enum class BinAggregation { kSum, kMax };
// Which runs must hit a bin under --require-coverage: every run, none, runs on a core with
// the 2-bit mode (only such a core has lanes a 4-bit pass leaves unused), or those of them
// with --wgt2-mode mixed.
enum class BinRequired { kAlways, kNever, kWgt2Cores, kWgt2Mixed };

struct CoverageBins {
#define SA_MEMBER(name, agg, required, what) int64_t name = 0;
  SA_COVERAGE_BINS(SA_MEMBER)
#undef SA_MEMBER
  void Add(const CoverageBins& o);
  // The required bins this run left at 0 on this core, comma-separated ("" when none).
  std::string RequiredNeverHit(const ArrayConfig& cfg, bool wgt2_mixed = false) const;
};

struct LayerStats {
  std::string name;
  // The unit this is the result of (sim/plan.h): its plan index, the image's position in the
  // set and its test-set index; -1 in a per-layer total.
  int64_t unit = -1, image = -1, test_image = -1;
  int64_t psums_compared = 0, mismatches = 0;
  uint64_t cycles = 0;
  int64_t expected_cycles = 0, macs = 0, passes = 0;
  // Where the cycles went, measured from the pins (the model's CycleBreakdown beside it):
  // before the first activation beat was taken, beats taken, the core not ready for a beat the
  // driver offered, the driver's own random gaps, and after the last beat.
  CycleBreakdown measured, model;
  int64_t gap_cycles = 0;
  int64_t wgt_beats = 0;  // weight beats taken (activation beats: measured.stream)
  bool wgt2 = false;      // ran in the 2-bit mode
  double utilization = 0;
  double wall_seconds = 0;
  bool overflow = false, hung = false;
  // An RTL assertion that failed (sim/assertions.h): "NAME (FILE:LINE) at cycle N"; empty if none.
  std::string assertion;
  uint64_t assertion_cycle = 0;
  // The worker process that ran this unit died (a signal or an unexpected exit) while running
  // it: how, e.g. "killed by signal 11 (Segmentation fault)"; empty if it did not.
  std::string crash;
  // The waveform written of this unit's failure (--trace-failures), for the JUnit report; not
  // part of the JSON report.
  std::string waveform;
  // The set this unit was read from where it is not the run's (a part of a merged regression,
  // sa-report merge --parts), for its rerun command; not part of the JSON report.
  std::string vectors_dir;
  // The contract's end of a layer: after the last expected psum, Rows + Cols + 8 cycles with
  // psum_ready high must bring no further psum, and busy_o must then be low.
  int64_t extra_psums = 0;
  bool busy_after_drain = false;
  // busy_o means "beats in flight or psums not yet taken": low while psum_valid_o is high is a
  // contract violation (cycles counted).
  int64_t busy_low_while_valid = 0;
  // With --probe-handshakes: cycles in which inputs changed between the edges moved
  // wgt_ready_o, act_ready_o or psum_valid_o (a combinational path; the contract says registers).
  int64_t combinational_paths = 0;
  std::vector<Mismatch> first_mismatches;
  // Per image of the batch run (of the set, in a per-layer total): psums compared, mismatches.
  std::vector<int64_t> image_psums, image_mismatches;
  CoverageBins coverage;
  bool Passed() const {
    return mismatches == 0 && !hung && !overflow && psums_compared > 0 && extra_psums == 0 &&
           !busy_after_drain && busy_low_while_valid == 0 && combinational_paths == 0 &&
           assertion.empty() && crash.empty();
  }
};

// Driver: presents the schedule's weight rows and activation beats (with their pass control)
// under valid/ready, with random gaps, and advances on each handshake.
class Driver {
 public:
  Driver(const LayerSchedule& schedule, const ArrayConfig& cfg, const RunOptions& opt,
         std::mt19937_64& rng, CoverageBins* coverage);
  void Advance(bool wgt_fire, bool act_fire);  // the handshakes of the edge just taken
  void Present(PinsIn* in);                    // inputs for the next edge
  bool Finished() const;                       // every weight row and beat accepted
  int64_t act_pass() const { return static_cast<int64_t>(act_pass_); }
  int64_t act_beat() const { return act_beat_; }

 private:
  const LayerSchedule& schedule_;
  ArrayConfig cfg_;
  RunOptions opt_;
  std::mt19937_64& rng_;
  std::mt19937_64 garbage_rng_;  // the unused lanes' values, apart from the stall draws
  std::bernoulli_distribution stall_;
  size_t wgt_pass_ = 0, act_pass_ = 0;
  int64_t wgt_beat_ = 0;
  int64_t act_beat_ = 0;
  int64_t act_group_ = 0;  // accumulation group of the current activation pass
  bool last_group_relu_ = false;
  // The unused lanes' values of the beat on offer (drawn once per beat).
  int64_t garbage_beat_ = -1;
  size_t garbage_pass_ = 0;
  std::vector<uint64_t> garbage_;
  CoverageBins* coverage_;
  bool pass_ended_last_cycle_ = false;  // the previous edge took the last beat of a pass
};

// Scoreboard: the expected psum vectors in release order (groups in pass order, pixels within
// a group), compared exactly with what the monitor saw; keeps the first mismatches in detail.
class Scoreboard {
 public:
  Scoreboard(const vectors::LayerVectors& layer, const LayerSchedule& schedule,
             const ArrayConfig& cfg, const RunOptions& opt, LayerStats* stats);
  // Compares one psum vector; `expected` (Cols values, 0 beyond Cout) receives the golden ones.
  // Returns whether any column differed.
  bool Check(const int64_t* values, uint64_t cycle, int64_t* expected);
  bool Complete() const { return group_ == group_last_pass_.size(); }

 private:
  const vectors::LayerVectors& layer_;
  const LayerSchedule& schedule_;
  ArrayConfig cfg_;
  RunOptions opt_;
  LayerStats* stats_;
  std::vector<size_t> group_last_pass_;  // index of the last pass of each group, in order
  size_t group_ = 0;
  int64_t group_vector_ = 0;
  int64_t near_limit_;  // 2^(PsumWidth-2): the psum_near_limit bin
};

// Monitor: the psum stream (random backpressure; always ready during the final drain) and
// the contract's status checks (overflow, busy_o while psums wait, extra psums, busy_o after
// the drain).
class Monitor {
 public:
  Monitor(const ArrayConfig& cfg, const RunOptions& opt, std::mt19937_64& rng, LayerStats* stats);
  // Returns true when a psum vector was taken at this edge (read into `values`); during the
  // drain such a vector is counted as extra instead.
  bool Observe(const PinsOut& out, const PinsIn& in, PsumPort& psums, int64_t* values);
  void Present(PinsIn* in);
  void StartDrain(int cycles) { drain_left_ = cycles; }
  bool Draining() const { return drain_left_ >= 0; }
  bool DrainDone() const { return drain_left_ < 0 && drained_; }

 private:
  ArrayConfig cfg_;
  RunOptions opt_;
  std::mt19937_64& rng_;
  std::bernoulli_distribution stall_;
  LayerStats* stats_;
  int64_t drain_left_ = -1;  // cycles of the final drain still to run; -1: not draining
  bool drained_ = false;
};

// What the testbench knows at each edge, for the waveform (sim/tb_trace.h): where the run is,
// and the last psum vector taken with what was expected of it.
struct TestbenchProbe {
  int64_t unit = -1, layer = -1, test_image = -1;  // set by whoever runs the unit
  int64_t act_pass = 0, act_beat = 0;              // the beat the driver presents next
  int64_t psum_vectors = 0, mismatches = 0;        // psum vectors taken, psums wrong so far
  bool psum_fire = false, mismatch = false;        // at the last edge
  std::vector<int64_t> got, expected;              // per column, of the last vector taken
};

// Cycles [from, to) of a layer run are written to the open waveform.
struct TraceWindow {
  uint64_t from = 0, to = ~uint64_t{0};
};

// One layer through the core: the driver, monitor and scoreboard composed, clocked by
// whichever harness (fast or pin-level) calls OnEdge once per rising edge.
class LayerRun {
 public:
  LayerRun(const vectors::LayerVectors& layer, const ArrayConfig& cfg, const RunOptions& opt,
           uint64_t layer_seed);

  // One rising clock edge: `out` holds the DUT outputs just before it, inputs() the inputs the
  // DUT samples at it. Records handshakes and psums, then prepares the next inputs.
  void OnEdge(const PinsOut& out, PsumPort& psums);
  const PinsIn& inputs() const { return in_; }
  bool Done() const { return done_; }
  uint64_t cycle() const { return cycle_; }
  LayerStats Finish(double wall_seconds);
  // An RTL assertion failed at the edge just taken: the unit ends here, failed.
  void FailAssertion(const std::string& name, const std::string& file, int line);
  const LayerSchedule& schedule() const { return *schedule_; }
  const ArrayConfig& config() const { return cfg_; }
  // The handshake probe (RunOptions::probe_handshakes), run by the harness between edges with
  // its own random stream, so that probing changes no other draw.
  bool probing_handshakes() const { return opt_.probe_handshakes; }
  std::mt19937_64& probe_rng() { return probe_rng_; }
  void CountCombinationalPaths(int cycles) { stats_.combinational_paths += cycles > 0; }
  TestbenchProbe& probe() { return probe_; }
  const TestbenchProbe& probe() const { return probe_; }

 private:
  void NextInputs();
  void CountStimulusCoverage(const vectors::LayerVectors& layer);

  ArrayConfig cfg_;
  RunOptions opt_;
  std::unique_ptr<LayerSchedule> schedule_;
  std::mt19937_64 rng_;  // shared by driver and monitor, in a fixed order per cycle
  std::mt19937_64 probe_rng_;
  LayerStats stats_;
  Driver driver_;
  Scoreboard scoreboard_;
  Monitor monitor_;
  PinsIn in_;
  bool done_ = false;
  int reset_edges_ = 2;
  uint64_t cycle_ = 0, last_progress_ = 0, end_cycle_ = 0;
  // Psum vectors released by the groups whose last beat was taken, and those received: a group
  // that starts while the first exceeds the second overlaps the drain (a coverage bin).
  int64_t released_before_ = 0, psums_received_ = 0;
  bool first_beat_taken_ = false;
  std::vector<int64_t> values_;
  TestbenchProbe probe_;
};

}  // namespace sa::sim
