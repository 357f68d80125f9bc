// Driver (weights and activations under valid/ready, random gaps), monitor (psum stream, random
// backpressure) and scoreboard (exact comparison with psum.npy) for one layer.
#include "sim/testbench.h"

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace sa::sim {

void DecodePsums(const uint32_t* words, const ArrayConfig& cfg, int64_t* values) {
  const int width = cfg.psum_width;
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  const uint64_t sign = uint64_t{1} << (width - 1);
  for (int c = 0; c < cfg.cols; ++c) {
    const int lo = c * width;
    // A value of up to 64 bits spans up to three 32-bit words.
    uint64_t v = words[lo / 32] >> (lo % 32);
    if (lo % 32 + width > 32) v |= static_cast<uint64_t>(words[lo / 32 + 1]) << (32 - lo % 32);
    if (lo % 32 + width > 64) v |= static_cast<uint64_t>(words[lo / 32 + 2]) << (64 - lo % 32);
    values[c] = static_cast<int64_t>(((v & mask) ^ sign) - sign);
  }
}

bool Mismatch::operator==(const Mismatch& o) const {
  return layer == o.layer && image == o.image && channel == o.channel && row == o.row &&
         col == o.col && expected == o.expected && got == o.got && pass == o.pass &&
         cycle == o.cycle;
}

std::ostream& operator<<(std::ostream& os, const Mismatch& m) {
  auto hex = [](int64_t v) {
    std::ostringstream s;
    s << "0x" << std::hex << static_cast<uint32_t>(v);
    return s.str();
  };
  // The test-set index, as --images, the rerun command, JUnit and the trace name the image.
  return os << m.layer << " image " << (m.test_image >= 0 ? m.test_image : m.image) << " channel "
            << m.channel << " row " << m.row << " col " << m.col << ": expected " << m.expected
            << " (" << hex(m.expected) << "), got " << m.got << " (" << hex(m.got) << "), pass "
            << m.pass << ", cycle " << m.cycle;
}

void CoverageBins::Add(const CoverageBins& o) {
#define SA_ADD(name, agg, required, what) \
  name = BinAggregation::agg == BinAggregation::kSum ? name + o.name : std::max(name, o.name);
  SA_COVERAGE_BINS(SA_ADD)
#undef SA_ADD
}

std::string CoverageBins::RequiredNeverHit(const ArrayConfig& cfg, bool wgt2_mixed) const {
  std::string never;
#define SA_NEVER(name, agg, required, what)                                                \
  if (name == 0 &&                                                                         \
      (BinRequired::required == BinRequired::kAlways ||                                    \
       (BinRequired::required == BinRequired::kWgt2Cores && cfg.wgt2_mode) ||              \
       (BinRequired::required == BinRequired::kWgt2Mixed && cfg.wgt2_mode && wgt2_mixed))) \
    never += std::string(never.empty() ? "" : ", ") + #name;
  SA_COVERAGE_BINS(SA_NEVER)
#undef SA_NEVER
  return never;
}

bool GroupRelu(const RunOptions& opt, int64_t group) {
  if (!opt.relu_random) return opt.relu;
  // splitmix64 of (unit seed, group): a fair coin per group, the same in every run of the unit.
  uint64_t z = opt.unit_seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(group + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return ((z ^ (z >> 31)) & 1) != 0;
}

// ---------------------------------------------------------------------------- Driver

Driver::Driver(const LayerSchedule& schedule, const ArrayConfig& cfg, const RunOptions& opt,
               std::mt19937_64& rng, CoverageBins* coverage)
    : schedule_(schedule),
      cfg_(cfg),
      opt_(opt),
      rng_(rng),
      garbage_rng_(opt.unit_seed ^ 0x6a09e667f3bcc908ULL),
      stall_(opt.stall_prob),
      coverage_(coverage) {}

void Driver::Advance(bool wgt_fire, bool act_fire) {
  if (wgt_fire && ++wgt_beat_ == schedule_.Pass(static_cast<int64_t>(wgt_pass_)).wgt_beats) {
    wgt_beat_ = 0;
    ++wgt_pass_;
  }
  if (!act_fire) {
    pass_ended_last_cycle_ = false;
    return;
  }
  if (act_beat_ == 0 && pass_ended_last_cycle_) ++coverage_->back_to_back_passes;
  const PassDesc p = schedule_.Pass(static_cast<int64_t>(act_pass_));
  pass_ended_last_cycle_ = ++act_beat_ == p.act_beats;
  if (pass_ended_last_cycle_) {
    act_beat_ = 0;
    ++act_pass_;
    if (p.acc_last) {
      const bool relu = GroupRelu(opt_, act_group_);
      if (act_group_ > 0 && relu != last_group_relu_) ++coverage_->relu_group_changes;
      last_group_relu_ = relu;
      ++act_group_;
    }
  }
}

bool Driver::Finished() const { return act_pass_ == static_cast<size_t>(schedule_.num_passes()); }

void Driver::Present(PinsIn* in) {
  const auto num_passes = static_cast<size_t>(schedule_.num_passes());
  const bool gaps = opt_.stall_prob > 0;
  in->wgt_valid = wgt_pass_ < num_passes && !(gaps && stall_(rng_));
  if (in->wgt_valid)
    schedule_.WeightBeat(schedule_.Pass(static_cast<int64_t>(wgt_pass_)), wgt_beat_, &in->wgt_data);
  in->act_valid = act_pass_ < num_passes && !(gaps && stall_(rng_));
  if (in->act_valid) {
    const PassDesc p = schedule_.Pass(static_cast<int64_t>(act_pass_));
    schedule_.ActBeat(p, act_beat_, &in->act_data);
    in->act_last = act_beat_ + 1 == p.act_beats;
    in->acc_first = p.acc_first;
    in->acc_last = p.acc_last;
    in->wgt2 = p.wgt2;
    // psum.npy holds the raw convolution; with relu, max(0, psum)
    in->relu = GroupRelu(opt_, act_group_);
    if (cfg_.wgt2_mode && !p.wgt2) {
      // A 4-bit pass on a 2-bit-capable core reads row r from lane 2r: the odd lanes must be
      // ignored, so they carry random values, not zeros. Drawn once per beat: a beat offered
      // again after a stall is the same beat.
      if (garbage_beat_ != act_beat_ || garbage_pass_ != act_pass_) {
        garbage_beat_ = act_beat_;
        garbage_pass_ = act_pass_;
        garbage_.assign(static_cast<size_t>(cfg_.rows), 0);
        for (auto& v : garbage_) v = garbage_rng_() & ((uint64_t{1} << cfg_.act_width) - 1);
        ++coverage_->unused_lanes_driven;
      }
      for (int r = 0; r < cfg_.rows; ++r)
        in->act_data.Put((2 * r + 1) * cfg_.act_width, cfg_.act_width,
                         garbage_[static_cast<size_t>(r)]);
    }
  }
}

// ---------------------------------------------------------------------------- Scoreboard

Scoreboard::Scoreboard(const vectors::LayerVectors& layer, const LayerSchedule& schedule,
                       const ArrayConfig& cfg, const RunOptions& opt, LayerStats* stats)
    : layer_(layer),
      schedule_(schedule),
      cfg_(cfg),
      opt_(opt),
      stats_(stats),
      near_limit_(int64_t{1} << (cfg.psum_width - 2)) {
  for (int64_t i = 0; i < schedule_.num_passes(); ++i)
    if (schedule_.Pass(i).acc_last) group_last_pass_.push_back(static_cast<size_t>(i));
}

bool Scoreboard::Check(const int64_t* values, uint64_t cycle, int64_t* expected_out) {
  const int64_t mismatches_before = stats_->mismatches;
  const auto& g = layer_.info.geometry;
  const int64_t pass = static_cast<int64_t>(group_last_pass_[group_]);
  const PassDesc p = schedule_.Pass(pass);
  const int64_t pixel = schedule_.ReleasedPixel(p, group_vector_);
  const int64_t oh = g.OutH(), ow = g.OutW();
  const int32_t* golden = layer_.psum.Data<int32_t>();
  for (int c = 0; c < cfg_.cols; ++c) {
    const int64_t co = p.co_tile * cfg_.cols + c;
    // Zero-padded output channels, and the rows of a partial output tile that belong to no
    // pixel: the core must release zeros there, which are checked but not counted as psums.
    const bool padding = co >= g.out_channels || pixel < 0;
    int64_t expected = padding ? 0 : golden[((p.image * g.out_channels + co) * oh) * ow + pixel];
    if (GroupRelu(opt_, static_cast<int64_t>(group_)) && expected < 0) expected = 0;
    expected_out[c] = expected;
    if (!padding) {
      ++stats_->psums_compared;
      ++stats_->image_psums[static_cast<size_t>(p.image)];
      CoverageBins& cov = stats_->coverage;
      cov.psum_at_layer_min += values[c] == layer_.info.psum_min;
      cov.psum_at_layer_max += values[c] == layer_.info.psum_max;
      cov.psum_near_limit += (values[c] < 0 ? -values[c] : values[c]) >= near_limit_;
    }
    if (values[c] != expected) {
      ++stats_->image_mismatches[static_cast<size_t>(p.image)];
      if (static_cast<int>(stats_->first_mismatches.size()) < opt_.max_mismatches)
        stats_->first_mismatches.push_back(
            {layer_.info.name, p.image, co, pixel < 0 ? -1 : pixel / ow,
             pixel < 0 ? -1 : pixel % ow, expected, values[c], pass, cycle});
      ++stats_->mismatches;
    }
  }
  if (++group_vector_ == p.releases) {
    group_vector_ = 0;
    ++group_;
  }
  return stats_->mismatches != mismatches_before;
}

// ---------------------------------------------------------------------------- Monitor

Monitor::Monitor(const ArrayConfig& cfg, const RunOptions& opt, std::mt19937_64& rng,
                 LayerStats* stats)
    : cfg_(cfg),
      opt_(opt),
      rng_(rng),
      stall_(opt.psum_stall_prob < 0 ? opt.stall_prob : opt.psum_stall_prob),
      stats_(stats) {}

bool Monitor::Observe(const PinsOut& out, const PinsIn& in, PsumPort& psums, int64_t* values) {
  stats_->overflow |= out.overflow;
  if (out.psum_valid && !out.busy) ++stats_->busy_low_while_valid;
  if (out.psum_valid && !in.psum_ready && !out.act_ready)
    ++stats_->coverage.psum_backpressure_input_held;
  const bool fire = out.psum_valid && in.psum_ready;
  if (drain_left_ >= 0) {  // every expected psum is in: anything more is an extra
    if (fire) ++stats_->extra_psums;
    if (--drain_left_ < 0) {
      stats_->busy_after_drain = out.busy;
      drained_ = true;
    }
    return false;
  }
  if (fire) psums.Read(values);
  return fire;
}

void Monitor::Present(PinsIn* in) {
  const bool gaps = opt_.psum_stall_prob < 0 ? opt_.stall_prob > 0 : opt_.psum_stall_prob > 0;
  in->psum_ready = drain_left_ >= 0 || !(gaps && stall_(rng_));
}

// ---------------------------------------------------------------------------- LayerRun

namespace {
RunOptions WithUnitSeed(RunOptions opt, uint64_t unit_seed) {
  opt.unit_seed = unit_seed;
  return opt;
}
}  // namespace

LayerRun::LayerRun(const vectors::LayerVectors& layer, const ArrayConfig& cfg,
                   const RunOptions& opt, uint64_t layer_seed)
    : cfg_(cfg),
      opt_(WithUnitSeed(opt, layer_seed)),
      schedule_(
          MakeSchedule(layer, cfg, opt.wgt2, opt.split_tiles ? layer_seed | 1 : 0, layer_seed)),
      rng_(layer_seed),
      probe_rng_(layer_seed ^ 0x70726f6265ULL),  // "probe"
      driver_(*schedule_, cfg, opt_, rng_, &stats_.coverage),
      scoreboard_(layer, *schedule_, cfg, opt_, &stats_),
      monitor_(cfg, opt_, rng_, &stats_),
      values_(static_cast<size_t>(cfg.cols)) {
  probe_.got.assign(static_cast<size_t>(cfg.cols), 0);
  probe_.expected.assign(static_cast<size_t>(cfg.cols), 0);
  stats_.name = layer.info.name;
  stats_.image_psums.assign(static_cast<size_t>(layer.info.geometry.batch), 0);
  stats_.image_mismatches.assign(static_cast<size_t>(layer.info.geometry.batch), 0);
  stats_.passes = schedule_->num_passes();
  stats_.macs = schedule_->macs();
  stats_.model = schedule_->Model();
  stats_.expected_cycles = stats_.model.Total();
  stats_.wgt2 = schedule_->num_passes() > 0 && schedule_->Pass(0).wgt2;
  in_.rst_n = false;
  CountStimulusCoverage(layer);
}

// The stimulus bins, from the vectors and the schedule (what the driver will present).
void LayerRun::CountStimulusCoverage(const vectors::LayerVectors& layer) {
  CoverageBins& cov = stats_.coverage;
  const int act_max = (1 << layer.info.act_bits) - 1;
  const int wgt_max = (1 << (layer.info.wgt_bits - 1)) - 1;
  const uint8_t* a = layer.act.Data<uint8_t>();
  for (int64_t i = 0, n = layer.act.NumElements(); i < n; ++i) {
    cov.act_zero += a[i] == 0;
    cov.act_max += a[i] == act_max;
  }
  const int8_t* w = layer.wgt.Data<int8_t>();
  std::vector<bool> seen(2 * static_cast<size_t>(wgt_max) + 1, false);  // -wgt_max..wgt_max
  for (int64_t i = 0, n = layer.wgt.NumElements(); i < n; ++i) {
    cov.wgt_min += w[i] == -wgt_max;
    cov.wgt_max += w[i] == wgt_max;
    cov.wgt_zero += w[i] == 0;
    seen[static_cast<size_t>(w[i] + wgt_max)] = true;
  }
  cov.wgt_all_values += std::all_of(seen.begin(), seen.end(), [](bool b) { return b; });
  // WS: a pass loads the PEs of its tile's active rows and columns, into the bank of its
  // parity; a PE-bank is loaded if some pass of that parity covers it (tiles start at row and
  // column 0). OS: a tile reaches the sum and the drain register of its pixels' rows.
  const auto& g = layer.info.geometry;
  const bool os = cfg_.dataflow == Dataflow::kOutputStationary;
  std::vector<int64_t> cols_loaded(2 * static_cast<size_t>(cfg_.rows), 0);
  bool prev_wgt2 = false;
  int64_t group_passes = 0;
  for (int64_t i = 0; i < schedule_->num_passes(); ++i) {
    const PassDesc p = schedule_->Pass(i);
    cov.short_passes += p.act_beats < cfg_.rows;
    cov.wgt2_mode_switches += cfg_.wgt2_mode && i > 0 && prev_wgt2 != p.wgt2;
    prev_wgt2 = p.wgt2;
    ++group_passes;
    if (p.acc_last) {
      cov.multi_pass_groups += group_passes > 1;
      group_passes = 0;
    }
    const int64_t per_row = p.wgt2 ? 2 : 1;
    const int64_t rows =
        os ? p.pixels
           : std::min<int64_t>(cfg_.rows, (g.in_channels - p.ci_begin + per_row - 1) / per_row);
    const int64_t cols = std::min<int64_t>(cfg_.cols, g.out_channels - p.co_tile * cfg_.cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t bank = 0; bank < 2; ++bank) {
        if (!os && bank != i % 2) continue;
        int64_t& c = cols_loaded[static_cast<size_t>(bank * cfg_.rows + r)];
        c = std::max(c, cols);
      }
  }
  for (int64_t c : cols_loaded) cov.pe_banks_loaded += c;
}

void LayerRun::OnEdge(const PinsOut& out, PsumPort& psums) {
  if (done_) return;
  if (reset_edges_ > 0) {  // hold reset for two edges, then start counting cycles
    if (--reset_edges_ == 0) {
      in_.rst_n = true;
      NextInputs();
    }
    return;
  }
  ++cycle_;
  const bool wgt_fire = in_.wgt_valid && out.wgt_ready;
  const bool act_fire = in_.act_valid && out.act_ready;
  stats_.wgt_beats += wgt_fire;
  if (act_fire) {
    const PassDesc p = schedule_->Pass(driver_.act_pass());
    const int64_t beat = driver_.act_beat();
    stats_.coverage.group_start_while_draining +=
        beat == 0 && p.acc_first && psums_received_ < released_before_;
    if (beat + 1 == p.act_beats && p.acc_last) released_before_ += p.releases;
  }
  if (!scoreboard_.Complete()) {  // where this cycle went, from the pins
    if (driver_.Finished()) {
      ++stats_.measured.drain;
    } else if (act_fire) {
      ++stats_.measured.stream;
      first_beat_taken_ = true;
    } else if (!first_beat_taken_) {
      ++stats_.measured.fill;
    } else if (in_.act_valid) {
      ++stats_.measured.stall;
    } else {
      ++stats_.gap_cycles;
    }
  }
  driver_.Advance(wgt_fire, act_fire);
  const bool draining = monitor_.Draining();
  const bool psum_fire = monitor_.Observe(out, in_, psums, values_.data());
  if (draining) {
    done_ = monitor_.DrainDone();
  } else {
    probe_.psum_fire = psum_fire;
    probe_.mismatch = false;
    if (psum_fire) {
      ++psums_received_;
      probe_.got = values_;
      probe_.mismatch = scoreboard_.Check(values_.data(), cycle_, probe_.expected.data());
      ++probe_.psum_vectors;
      probe_.mismatches = stats_.mismatches;
    }
    if (wgt_fire || act_fire || psum_fire) last_progress_ = cycle_;
    if (scoreboard_.Complete()) {
      end_cycle_ = cycle_;
      monitor_.StartDrain(cfg_.rows + cfg_.cols + 8);
    } else if (cycle_ - last_progress_ > opt_.hang_cycles) {
      stats_.hung = true;
      done_ = true;
    }
  }
  NextInputs();
}

// The driver draws its stalls before the monitor, every cycle: the pattern depends on the
// layer seed only.
void LayerRun::NextInputs() {
  driver_.Present(&in_);
  monitor_.Present(&in_);
  probe_.act_pass = driver_.act_pass();
  probe_.act_beat = driver_.act_beat();
}

void LayerRun::FailAssertion(const std::string& name, const std::string& file, int line) {
  if (!stats_.assertion.empty()) return;
  stats_.assertion =
      name + " (" + file + ":" + std::to_string(line) + ") at cycle " + std::to_string(cycle_);
  stats_.assertion_cycle = cycle_;
  done_ = true;
}

LayerStats LayerRun::Finish(double wall_seconds) {
  // A layer's cycles end with its last expected psum (the drain check is not part of it).
  stats_.cycles = end_cycle_ ? end_cycle_ : cycle_;
  stats_.wall_seconds = wall_seconds;
  stats_.utilization = cfg_.Utilization(stats_.macs, stats_.cycles, stats_.wgt2);
  return stats_;
}

}  // namespace sa::sim
