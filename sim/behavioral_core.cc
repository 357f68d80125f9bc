// The behavioural contract model (sim/behavioral_core.h).
#include "sim/behavioral_core.h"

#include <algorithm>

namespace sa::sim {

BehavioralCore::BehavioralCore(const ArrayConfig& cfg, const BehavioralKnobs& knobs)
    : cfg_(cfg),
      knobs_(knobs),
      rng_(knobs.seed),
      stall_(knobs.ready_stall),
      cur_(static_cast<size_t>(cfg.rows), std::vector<int64_t>(static_cast<size_t>(cfg.cols))),
      next_(cur_),
      acc_(static_cast<size_t>(cfg.acc_depth),
           std::vector<int64_t>(static_cast<size_t>(cfg.cols))) {}

namespace {

// The low `width` bits of `v` as two's complement.
int64_t Signed(int64_t v, int width) {
  return v >= (int64_t{1} << (width - 1)) ? v - (int64_t{1} << width) : v;
}

}  // namespace

int64_t BehavioralCore::Field(const Bits& b, int lsb, int width, bool is_signed) const {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    const int bit = lsb + i;
    v |= static_cast<uint64_t>((b.words[static_cast<size_t>(bit / 32)] >> (bit % 32)) & 1u) << i;
  }
  return is_signed ? Signed(static_cast<int64_t>(v), width) : static_cast<int64_t>(v);
}

bool BehavioralCore::GroupRelu(bool relu) {
  if (first_relu_ < 0) first_relu_ = relu;
  return knobs_.relu_of_first_group ? first_relu_ == 1 : relu;
}

void BehavioralCore::Release(std::vector<int64_t> v, bool relu) {
  if (relu)
    for (int64_t& x : v) x = std::max<int64_t>(x, 0);
  if (released_ == knobs_.flip_bit_of_vector) v[0] ^= 1;
  ++released_;
  line_.push_back({std::move(v), knobs_.latency});
}

void BehavioralCore::AdvanceLine(bool idle) {
  for (Vector& v : line_) --v.delay;
  while (!line_.empty() && line_.front().delay <= 0) {
    fifo_.push_back(line_.front().v);
    line_.pop_front();
  }
  if (knobs_.extra_vector && !extra_done_ && released_ > 0 && line_.empty() && fifo_.empty() &&
      idle) {
    fifo_.push_back(std::vector<int64_t>(static_cast<size_t>(cfg_.cols), 0));
    extra_done_ = true;
  }
}

PinsOut BehavioralCore::Outputs() const {
  PinsOut out;
  out.wgt_ready = wgt_ready_;
  out.act_ready = act_ready_;
  out.psum_valid = !fifo_.empty();
  out.overflow = overflow_;
  out.busy = knobs_.busy_stuck_high || !line_.empty() || !fifo_.empty() || !os_wgt_.empty() ||
             !os_act_.empty();
  return out;
}

void BehavioralCore::Read(int64_t* values) {
  const std::vector<int64_t>& head = fifo_.front();
  const int w = cfg_.psum_width;
  for (int c = 0; c < cfg_.cols; ++c) {  // as the port carries it: PsumWidth bits, sign-extended
    const int64_t v = head[static_cast<size_t>(c)];
    const uint64_t mask = w >= 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
    const uint64_t sign = uint64_t{1} << (w - 1);
    values[c] = static_cast<int64_t>(((static_cast<uint64_t>(v) & mask) ^ sign) - sign);
  }
}

void BehavioralCore::Edge(const PinsIn& in) {
  if (!in.rst_n) {
    *this = BehavioralCore(cfg_, knobs_);
    return;
  }
  const PinsOut out = Outputs();
  if (cfg_.dataflow == Dataflow::kOutputStationary) {
    EdgeOutputStationary(in, out);
    return;
  }
  // Output handshake first: the FIFO frees its head at this edge.
  if (out.psum_valid && in.psum_ready) fifo_.pop_front();
  // Weights: a row into the next tile.
  if (in.wgt_valid && out.wgt_ready) {
    for (int c = 0; c < cfg_.cols; ++c)
      next_[static_cast<size_t>(next_rows_)][static_cast<size_t>(c)] =
          Field(in.wgt_data, c * cfg_.wgt_width, cfg_.wgt_width, /*is_signed=*/false);
    ++next_rows_;
  }
  // Activations: one beat under the current tile.
  if (in.act_valid && out.act_ready) {
    std::vector<int64_t>& a = acc_[static_cast<size_t>(beat_)];
    const bool first = in.acc_first && !knobs_.ignore_acc_first;
    if (first_wgt2_ < 0) first_wgt2_ = in.wgt2;
    // The 2-bit mode: lane c of row r holds the weights of input channels 2r (bits [1:0]) and
    // 2r + 1 (bits [3:2]), which meet activation lanes 2r and 2r + 1. A 4-bit pass on a core
    // with the mode reads row r's activation from lane 2r.
    const bool two = cfg_.wgt2_mode && (knobs_.wgt2_of_first_pass ? first_wgt2_ == 1 : in.wgt2);
    const int aw = cfg_.act_width, ww = cfg_.wgt_width;
    auto act = [&](int lane) { return Field(in.act_data, lane * aw, aw, false); };
    for (int c = 0; c < cfg_.cols; ++c) {
      int64_t dot = 0;
      for (int r = 0; r < cfg_.rows; ++r) {
        const int64_t raw = cur_[static_cast<size_t>(r)][static_cast<size_t>(c)];
        if (two)
          dot += act(2 * r) * Signed(raw & 3, 2) + act(2 * r + 1) * Signed(raw >> 2 & 3, 2);
        else
          dot += act(cfg_.wgt2_mode ? 2 * r : r) *
                 (knobs_.zero_extend_weights ? raw : Signed(raw, ww));
      }
      int64_t& s = a[static_cast<size_t>(c)];
      s = (first ? 0 : s) + dot;
      const int64_t lim = int64_t{1} << (cfg_.psum_width - 1);
      overflow_ |= s >= lim || s < -lim;
    }
    if (in.acc_last) Release(a, GroupRelu(in.relu));
    ++beat_;
    ++beats_taken_;
    if (in.act_last) {
      beat_ = 0;
      cur_loaded_ = false;
    }
  }
  AdvanceLine(/*idle=*/!cur_loaded_ && next_rows_ == 0);
  // A full next tile becomes the current one once the current pass has ended.
  if (!cur_loaded_ && next_rows_ == cfg_.rows) {
    std::swap(cur_, next_);
    next_rows_ = 0;
    cur_loaded_ = true;
  }
  // Registered readiness for the next edge: weights while the next tile has room; beats while
  // a tile is loaded and the FIFO has room for every vector in flight (credit).
  const bool credit = static_cast<int>(fifo_.size() + line_.size()) + 1 < knobs_.fifo_depth;
  wgt_ready_ = next_rows_ < cfg_.rows && !stall_(rng_);
  const bool stuck = knobs_.hang_after_beats >= 0 && beats_taken_ >= knobs_.hang_after_beats;
  act_ready_ = cur_loaded_ && credit && !stall_(rng_) && !stuck;
}

void BehavioralCore::EdgeOutputStationary(const PinsIn& in, const PinsOut& out) {
  if (out.psum_valid && in.psum_ready) fifo_.pop_front();
  const int aw = cfg_.act_width, ww = cfg_.wgt_width;
  if (in.wgt_valid && out.wgt_ready) {
    std::vector<int64_t> w(static_cast<size_t>(cfg_.cols));
    for (int c = 0; c < cfg_.cols; ++c)
      w[static_cast<size_t>(c)] = Field(in.wgt_data, c * ww, ww, !knobs_.zero_extend_weights);
    os_wgt_.push_back(std::move(w));
  }
  if (in.act_valid && out.act_ready) {
    ActBeat b{std::vector<int64_t>(static_cast<size_t>(cfg_.rows)), in.act_last, in.acc_first,
              in.acc_last, in.relu};
    for (int r = 0; r < cfg_.rows; ++r)
      b.act[static_cast<size_t>(r)] = Field(in.act_data, r * aw, aw, false);
    os_act_.push_back(std::move(b));
  }
  if (os_sum_.empty())
    os_sum_.assign(static_cast<size_t>(cfg_.rows),
                   std::vector<int64_t>(static_cast<size_t>(cfg_.cols)));
  // One step per edge when both halves are there; a tile's last step waits for FIFO room for its
  // Rows vectors and every vector still in flight (credit).
  if (!os_wgt_.empty() && !os_act_.empty()) {
    const ActBeat& a = os_act_.front();
    const bool release = a.last && a.acc_last;
    const bool room =
        static_cast<int>(fifo_.size() + line_.size()) + cfg_.rows <= knobs_.fifo_depth;
    if (!release || room) {
      const bool first = os_pass_start_ && a.acc_first && !knobs_.ignore_acc_first;
      const int64_t lim = int64_t{1} << (cfg_.psum_width - 1);
      for (int r = 0; r < cfg_.rows; ++r)
        for (int c = 0; c < cfg_.cols; ++c) {
          int64_t& s = os_sum_[static_cast<size_t>(r)][static_cast<size_t>(c)];
          s = (first ? 0 : s) +
              a.act[static_cast<size_t>(r)] * os_wgt_.front()[static_cast<size_t>(c)];
          overflow_ |= s >= lim || s < -lim;
        }
      if (release) {
        const bool relu = GroupRelu(a.relu);
        for (int r = cfg_.rows - 1; r >= 0; --r) Release(os_sum_[static_cast<size_t>(r)], relu);
      }
      os_pass_start_ = a.last;
      ++beats_taken_;
      os_wgt_.pop_front();
      os_act_.pop_front();
    }
  }
  AdvanceLine(/*idle=*/os_act_.empty());
  const bool stuck = knobs_.hang_after_beats >= 0 && beats_taken_ >= knobs_.hang_after_beats;
  wgt_ready_ = os_wgt_.size() < 2 && !stall_(rng_);
  act_ready_ = os_act_.size() < 2 && !stall_(rng_) && !stuck;
}

}  // namespace sa::sim
