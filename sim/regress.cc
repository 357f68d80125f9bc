// The regression driver: input checks, plan, shard, local worker processes, progress, results.
#include "sim/regress.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "sim/run_program.h"
#include "vectors/exit_codes.h"
#include "vectors/output.h"
#include "vectors/vector_set.h"

namespace sa::sim {
namespace {
namespace sv = sa::vectors;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string HostName() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? buf : "unknown";
}

std::string HoursMinutesSeconds(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

// done/total with an ETA: redrawn in place on a terminal, a plain line at most every 10 s
// (and none for runs shorter than that) when stderr is a file or pipe.
class Progress {
 public:
  Progress(int64_t total, bool enabled)
      : total_(total), enabled_(enabled), tty_(enabled && ::isatty(STDERR_FILENO)) {}
  void Done(const std::string& layer) {
    ++done_;
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (!tty_ && elapsed - last_line_ < 10) return;
    last_line_ = elapsed;
    const double eta = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
    std::fprintf(stderr, "%sprogress: %lld/%lld units (%.0f%%), last %s, elapsed %s, ETA %s%s",
                 tty_ ? "\r\033[K" : "", static_cast<long long>(done_),
                 static_cast<long long>(total_), 100.0 * done_ / std::max<int64_t>(total_, 1),
                 layer.c_str(), HoursMinutesSeconds(elapsed).c_str(),
                 HoursMinutesSeconds(eta).c_str(), tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void Finish() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  int64_t total_, done_ = 0;
  bool enabled_, tty_;
  Clock::time_point start_ = Clock::now();
  double last_line_ = 0;
};

struct Context {
  const RegressOptions& opt;
  const SimulatorInfo& sim;
  const sv::Manifest& manifest;
  RunOptions run_opt;
};

// Runs `units` in order through `simulator`, reading each chunk's layer once (units are
// chunk-major, then layer-major).
void RunUnits(const Context& ctx, const std::vector<Unit>& units, UnitSimulator& simulator,
              const TraceWindow* trace, const std::function<void(const Unit&)>& on_start,
              const std::function<void(LayerStats&&)>& on_done) {
  std::string loaded;
  size_t loaded_chunk = SIZE_MAX;
  sv::ChunkRef chunk;
  sv::LayerVectors layer;
  int64_t layer_index = -1;  // in the manifest, for the waveform
  for (const Unit& u : units) {
    if (u.chunk != loaded_chunk) {
      chunk = sv::OpenChunk(ctx.opt.vectors, ctx.manifest, u.chunk);
      loaded_chunk = u.chunk;
      loaded.clear();
    }
    if (u.layer != loaded) {
      layer = sv::LayerVectors{};  // before the read: one layer in memory at a time
      layer = sv::ReadLayer(chunk.dir, chunk.manifest, u.layer);
      loaded = u.layer;
      layer_index = std::find(ctx.manifest.layers.begin(), ctx.manifest.layers.end(), u.layer) -
                    ctx.manifest.layers.begin();
    }
    if (on_start) on_start(u);
    const sv::LayerVectors one = ImageSlice(layer, u.image - chunk.first);
    LayerRun run(one, ctx.sim.config, ctx.run_opt, UnitSeed(ctx.opt.seed, u.layer, u.test_image));
    run.probe().unit = u.index;
    run.probe().layer = layer_index;
    run.probe().test_image = u.test_image;
    const auto t0 = Clock::now();
    simulator.Run(&run, trace);
    LayerStats s = run.Finish(std::chrono::duration<double>(Clock::now() - t0).count());
    s.unit = u.index;
    s.image = u.image;
    s.test_image = u.test_image;
    for (Mismatch& m : s.first_mismatches) {
      m.image = u.image;
      m.test_image = u.test_image;
    }
    on_done(std::move(s));
  }
}

// Writes all of `text` to a pipe (a worker's progress channel); errors are ignored: the parent
// notices a dead pipe by its exit status.
void WriteAll(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// The workers' coverage files as one, summed point by point by Verilator's own tool (into a
// temporary file beside `path`, then renamed).
void MergeCoverage(const std::vector<std::string>& files, const std::string& path) {
  const std::string target = sv::WriteTarget(path);
  const std::string tmp = sv::MakeTempFileBeside(target);
  std::vector<std::string> args = {"verilator_coverage", "--write", tmp};
  args.insert(args.end(), files.begin(), files.end());
  if (RunProgram(args) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("--coverage " + path +
                             ": verilator_coverage could not merge the workers' coverage");
  }
  sv::RenameIntoPlace(tmp, target);
}

// Set by SIGINT/SIGTERM while workers run: the parent stops them, cleans up, then dies of the
// same signal.
volatile std::sig_atomic_t g_interrupt = 0;
extern "C" void OnInterrupt(int sig) { g_interrupt = sig; }

// Workers and the temporary folder of one --jobs run. Whatever way the run ends (a throw, a
// failed worker, Ctrl-C), the destructor stops the workers still running, reaps every one, closes
// the pipes and removes the folder: the folder and files this run created, nothing else.
struct WorkerPool {
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    bool reaped = false;
    int status = 0;
    int id = 0;             // its coverage file: worker<id>.dat (a replacement gets a new id)
    std::deque<Unit> todo;  // its units not yet reported, in order
    int64_t current = -1;   // the unit it is running (plan index), -1 between units
    std::string buffer, error;
  };
  std::string dir;
  std::vector<Worker> workers;

  void StopAll() {
    for (Worker& w : workers)
      if (w.pid > 0 && !w.reaped) ::kill(w.pid, SIGTERM);
  }
  // Waits for worker `w`; false if it cannot be waited for (then it counts as failed).
  bool Reap(Worker& w) {
    if (w.reaped || w.pid <= 0) return true;
    pid_t r;
    while ((r = ::waitpid(w.pid, &w.status, 0)) < 0 && errno == EINTR) {
    }
    w.reaped = true;
    if (r != w.pid) {
      w.status = -1;
      return false;
    }
    return true;
  }
  void Cleanup() {  // idempotent
    StopAll();
    for (Worker& w : workers) {
      Reap(w);
      if (w.fd >= 0) ::close(w.fd);
      w.fd = -1;
    }
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
    dir.clear();
  }
  ~WorkerPool() { Cleanup(); }
};

// How a worker ended, e.g. "killed by signal 11 (Segmentation fault)".
std::string HowItEnded(int status) {
  if (status == -1) return "could not be waited for";
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

// Starts worker `w` (its pid, pipe and id set here) on its `todo` units. The worker sends
// "S unit" when it starts a unit, "R json" with each result as soon as it is done, and
// "E message" when the run cannot be done; then it writes its coverage and exits 0.
void StartWorker(const Context& ctx, const RunInfo& info, const std::string& dir, pid_t parent,
                 WorkerPool::Worker& w, int id) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("--jobs: cannot create a pipe (") + std::strerror(errno) +
                             ")");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("--jobs: cannot start a worker (") + std::strerror(errno) +
                             ")");
  }
  if (pid == 0) {  // worker: dies with the parent, however the parent dies
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(2);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::close(fds[0]);
    int code = 0;
    try {
      const std::vector<Unit> mine(w.todo.begin(), w.todo.end());
      std::unique_ptr<UnitSimulator> sim = ctx.sim.make(ctx.opt.mode);
      RunUnits(
          ctx, mine, *sim, nullptr,
          [&](const Unit& u) { WriteAll(fds[1], "S " + std::to_string(u.index) + "\n"); },
          [&](LayerStats&& s) { WriteAll(fds[1], "R " + UnitJsonLine(s, info) + "\n"); });
      if (!ctx.opt.coverage.empty())
        sim->WriteCoverage(dir + "/worker" + std::to_string(id) + ".dat");
    } catch (const std::exception& e) {
      WriteAll(fds[1], std::string("E ") + sv::OneLine(e.what()) + "\n");
      code = 2;
    }
    ::close(fds[1]);
    std::fflush(stdout);
    ::_exit(code);
  }
  ::close(fds[1]);
  w.pid = pid;
  w.fd = fds[0];
  w.reaped = false;
  w.status = 0;
  w.id = id;
  w.current = -1;
  w.buffer.clear();
  w.error.clear();
}

// --jobs N: N forked workers, each with its own elaboration, over every N-th unit, reporting
// on a pipe (StartWorker). A worker that dies while running a unit (a signal, or an exit
// without saying why) fails that unit as a crash, named in every report, and a new worker takes
// the rest of its units: the regression goes on. A worker that cannot run (an E line) or dies
// outside a unit fails the run (exit 2) and stops the others.
std::vector<LayerStats> RunInWorkers(const Context& ctx, const RunInfo& info,
                                     const std::vector<Unit>& units, int jobs, Progress& progress) {
  WorkerPool pool;
  std::string tmpl = (fs::temp_directory_path() / "sa-cosim-workers-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error(tmpl + ": cannot create a temporary folder: " + std::strerror(errno));
  pool.dir = tmpl;
  const std::string dir = tmpl;
  pool.workers.resize(static_cast<size_t>(jobs));
  struct sigaction on_interrupt {
  }, old_int{}, old_term{};
  on_interrupt.sa_handler = OnInterrupt;  // no SA_RESTART: poll() returns EINTR
  ::sigemptyset(&on_interrupt.sa_mask);
  ::sigaction(SIGINT, &on_interrupt, &old_int);
  ::sigaction(SIGTERM, &on_interrupt, &old_term);
  struct RestoreSignals {
    struct sigaction int_, term_;
    ~RestoreSignals() {
      ::sigaction(SIGINT, &int_, nullptr);
      ::sigaction(SIGTERM, &term_, nullptr);
    }
  } restore{old_int, old_term};
  g_interrupt = 0;
  const pid_t parent = ::getpid();
  int next_id = 0;
  for (size_t i = 0; i < units.size(); ++i)
    pool.workers[i % static_cast<size_t>(jobs)].todo.push_back(units[i]);
  for (WorkerPool::Worker& w : pool.workers) StartWorker(ctx, info, dir, parent, w, next_id++);

  // Plan index -> unit, for the progress line (one lookup per finished unit, not a scan).
  std::unordered_map<int64_t, const Unit*> by_index;
  for (const Unit& u : units) by_index[u.index] = &u;
  auto describe = [&](int64_t index) {
    auto it = by_index.find(index);
    return it == by_index.end()
               ? "unit " + std::to_string(index)
               : it->second->layer + " image " + std::to_string(it->second->test_image);
  };
  std::vector<LayerStats> results;
  std::vector<std::string> coverage_files;
  std::string failure;
  // Each line a worker sends (StartWorker).
  auto on_line = [&](WorkerPool::Worker& w, const std::string& line) {
    if (line.rfind("S ", 0) == 0) {
      w.current = std::strtoll(line.c_str() + 2, nullptr, 10);
    } else if (line.rfind("R ", 0) == 0) {
      LayerStats s = UnitFromJsonLine(line.substr(2), info, "a worker's result");
      if (w.todo.empty() || w.todo.front().index != s.unit)
        throw std::runtime_error("a worker reported unit " + std::to_string(s.unit) +
                                 " out of turn");
      w.todo.pop_front();
      w.current = -1;
      progress.Done(describe(s.unit));
      results.push_back(std::move(s));
    } else if (line.rfind("E ", 0) == 0) {
      w.error = line.substr(2);
    }
  };
  // A worker's pipe closed: it is exiting. Reap it, then fail the run, or fail its unit as a
  // crash and start a replacement on the rest of its units.
  auto on_exit = [&](size_t k, WorkerPool::Worker& w) {
    const bool waited = pool.Reap(w);
    if (waited && WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0 && w.todo.empty()) {
      if (!ctx.opt.coverage.empty())
        coverage_files.push_back(dir + "/worker" + std::to_string(w.id) + ".dat");
      return;
    }
    if (!failure.empty()) return;  // stopped by us after the first failure
    const std::string how = HowItEnded(waited ? w.status : -1);
    if (!w.error.empty() || w.current < 0 || w.todo.empty() || w.todo.front().index != w.current) {
      failure = !w.error.empty() ? w.error
                                 : "worker " + std::to_string(k) + " " + how +
                                       (w.current < 0 ? " between units"
                                                      : " while running " + describe(w.current));
      pool.StopAll();
      return;
    }
    const Unit u = w.todo.front();
    w.todo.pop_front();
    LayerStats s;
    s.name = u.layer;
    s.unit = u.index;
    s.image = u.image;
    s.test_image = u.test_image;
    s.crash = "worker " + std::to_string(k) + " " + how;
    std::fprintf(stderr, "sa-cosim: worker %zu %s while running %s%s\n", k, how.c_str(),
                 describe(u.index).c_str(),
                 w.todo.empty() ? "" : "; a new worker runs the rest of its units");
    progress.Done(describe(u.index));
    results.push_back(std::move(s));
    if (!w.todo.empty()) StartWorker(ctx, info, dir, parent, w, next_id++);
  };
  // Progress lines until every pipe is closed; the first failure stops the rest.
  for (;;) {
    if (g_interrupt) {
      const int sig = g_interrupt;
      pool.Cleanup();  // now: the signal's default action ends the process
      ::signal(sig, SIG_DFL);
      ::raise(sig);
      ::_exit(128 + sig);  // not reached
    }
    std::vector<pollfd> fds;
    for (const auto& w : pool.workers)
      if (w.fd >= 0) fds.push_back({w.fd, POLLIN, 0});
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t k = 0; k < pool.workers.size(); ++k) {
      WorkerPool::Worker& w = pool.workers[k];
      if (w.fd < 0) continue;
      auto it = std::find_if(fds.begin(), fds.end(), [&](const pollfd& p) { return p.fd == w.fd; });
      if (it == fds.end() || !(it->revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t n = ::read(w.fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        w.buffer.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = w.buffer.find('\n')) != std::string::npos;) {
          const std::string line = w.buffer.substr(0, nl);
          w.buffer.erase(0, nl + 1);
          on_line(w, line);
        }
        continue;
      }
      ::close(w.fd);
      w.fd = -1;
      on_exit(k, w);
    }
  }
  if (!failure.empty()) throw std::runtime_error(failure);

  if (!ctx.opt.coverage.empty()) MergeCoverage(coverage_files, ctx.opt.coverage);
  std::sort(results.begin(), results.end(),
            [](const LayerStats& a, const LayerStats& b) { return a.unit < b.unit; });
  if (results.size() != units.size())
    throw std::runtime_error("workers reported " + std::to_string(results.size()) + " of " +
                             std::to_string(units.size()) + " units");
  return results;
}

// The cycle a failing unit's waveform centres on: its first mismatch, its failed assertion,
// else its last cycle (where a hang was declared and the end-of-layer checks look).
uint64_t FailureCycle(const LayerStats& s) {
  if (!s.first_mismatches.empty()) return s.first_mismatches.front().cycle;
  if (!s.assertion.empty()) return s.assertion_cycle;
  return s.cycles;
}

const char* FailureWhat(const LayerStats& s) {
  return !s.first_mismatches.empty() ? "first mismatch"
         : !s.assertion.empty()      ? "failed assertion"
         : s.hung                    ? "hang"
                                     : "end of the unit";
}

// Reruns failing unit `s` (deterministic, fast mode) into the waveform `path`: the cycles
// `window` cycles each side of its failure. Returns the line that says what the file holds.
std::string TraceFailure(const Context& ctx, const std::vector<Unit>& plan, const LayerStats& s,
                         UnitSimulator& simulator, const std::string& path) {
  TraceWindow window;
  const uint64_t c = FailureCycle(s), half = ctx.opt.trace_window;
  window.from = c > half ? c - half : 0;
  window.to = c + half;
  simulator.OpenTrace(path);
  RunUnits(ctx, {plan[static_cast<size_t>(s.unit)]}, simulator, &window, nullptr,
           [](LayerStats&&) {});
  simulator.CloseTrace();
  return "trace: " + path + " holds cycles " + std::to_string(window.from) + ".." +
         std::to_string(window.to) + " of " + s.name + " image " + std::to_string(s.test_image) +
         ", around the " + FailureWhat(s);
}

}  // namespace

int RunRegression(const RegressOptions& opt, const SimulatorInfo& sim, const std::string& argv0,
                  const std::string& command_line) {
  const auto run_start = Clock::now();
  // Everything is read and checked before the first cycle is simulated: outputs can be written,
  // every selected layer reads cleanly (checksums, geometry, value ranges) and fits the
  // scheduler. Layers are then read again one at a time, so peak memory is one layer's.
  if (opt.mode == "pin" && !sim.has_pin_model)
    throw std::invalid_argument("--mode pin: this sa-cosim is built without the pin-level model");
  if (opt.probe_handshakes && opt.mode != "fast")
    throw std::invalid_argument(
        "--probe-handshakes: the fast model probes between edges; not in --mode pin");
  if (!opt.report.empty()) sv::CheckOutputFile(opt.report, "--report");
  if (!opt.junit.empty()) sv::CheckOutputFile(opt.junit, "--junit");
  if (!opt.coverage.empty()) {
    if (!sim.has_coverage)
      throw std::invalid_argument("--coverage " + opt.coverage +
                                  ": this sa-cosim is built without coverage (-DSA_COVERAGE=ON)");
    if (opt.mode != "fast")
      throw std::invalid_argument("--coverage: collected by the fast model, not in --mode pin");
    sv::CheckOutputFile(opt.coverage, "--coverage");
  }
  if (!opt.trace.empty()) {
    const std::string ext = opt.trace.size() > 4 ? opt.trace.substr(opt.trace.size() - 4) : "";
    if (ext != ".vcd" && ext != ".fst")
      throw std::invalid_argument("--trace " + opt.trace +
                                  ": name it .vcd or .fst (the extension picks the format)");
    sv::CheckOutputFile(opt.trace, "--trace");
  }
  if (!opt.trace_failures.empty()) sv::CheckOutputFolder(opt.trace_failures, "--trace-failures");
  const sv::Manifest manifest = sv::ReadManifest(opt.vectors);
  const ArrayConfig& cfg = sim.config;
  if (manifest.act_bits > cfg.act_width || manifest.wgt_bits > cfg.wgt_width)
    throw sv::FormatError(opt.vectors + ": the set has " + std::to_string(manifest.act_bits) +
                          "-bit activations and " + std::to_string(manifest.wgt_bits) +
                          "-bit weights; this sa-cosim is built for " + cfg.Name());
  const std::vector<std::string> names = ParseLayerSelection(opt.layers, manifest, opt.vectors);
  std::vector<int64_t> images;
  if (opt.images.empty()) {
    for (size_t i = 0; i < manifest.images.size(); ++i) images.push_back(static_cast<int64_t>(i));
  } else {
    images = ParseImageSelection(opt.images, manifest.images, opt.vectors);
  }
  // Sharding only when asked: an inherited SLURM_ARRAY_* or GTEST_*SHARD* variable must not turn
  // a run into a silent part of one (a failing unit in another share would pass it).
  const Shard shard = opt.shard == "auto" ? ShardFromEnvironment()
                      : opt.shard.empty() ? Shard{}
                                          : ParseShard(opt.shard, "--shard");
  const Wgt2Choice wgt2 = opt.wgt2 == "on"      ? Wgt2Choice::kOn
                          : opt.wgt2 == "off"   ? Wgt2Choice::kOff
                          : opt.wgt2 == "mixed" ? Wgt2Choice::kMixed
                                                : Wgt2Choice::kAuto;
  // Every chunk's files are read and checked here (psums that a set omits are computed later,
  // when their layer runs).
  for (size_t k = 0; k < sv::ChunkCount(manifest); ++k) {
    const sv::ChunkRef chunk = sv::OpenChunk(opt.vectors, manifest, k);
    for (const auto& n : names)
      MakeSchedule(sv::ReadLayer(chunk.dir, chunk.manifest, n, /*need_psums=*/false), cfg, wgt2);
  }

  const std::vector<Unit> plan = PlanUnits(manifest, names, images);
  const std::vector<Unit> units = UnitsOfShard(plan, shard);
  const int jobs = static_cast<int>(std::min<int64_t>(opt.jobs, std::max<size_t>(units.size(), 1)));

  RunInfo info;
  info.vectors_dir = opt.vectors;
  info.mode = opt.mode;
  info.executable = argv0;
  info.command_line = command_line;
  info.start_time = UtcNow();
  info.host = HostName();
  info.config = cfg;
  info.stall_prob = opt.stall_prob;
  info.psum_stall_prob = opt.psum_stall_prob;
  info.relu = opt.relu;
  info.relu_random = opt.relu_random;
  info.split_tiles = opt.split_tiles;
  info.probe_handshakes = opt.probe_handshakes;
  info.wgt2 = opt.wgt2;
  info.seed = opt.seed;
  info.max_mismatches = opt.max_mismatches;
  info.full_detail_units = opt.full_detail_units;
  info.images = manifest.images;
  info.units_planned = static_cast<int64_t>(plan.size());
  info.versions_verilator = sim.verilator_version;
  info.versions_systemc = sim.systemc_version;
  info.shard = shard;
  info.jobs = jobs;
  info.set_sha256 = sv::SetSha256(opt.vectors, manifest);
  info.checkpoint_sha256 = manifest.checkpoint_sha256;

  Context ctx{opt, sim, manifest, {}};
  ctx.run_opt.stall_prob = opt.stall_prob;
  ctx.run_opt.psum_stall_prob = opt.psum_stall_prob;
  ctx.run_opt.relu = opt.relu;
  ctx.run_opt.relu_random = opt.relu_random;
  ctx.run_opt.split_tiles = opt.split_tiles;
  ctx.run_opt.probe_handshakes = opt.probe_handshakes;
  ctx.run_opt.wgt2 = wgt2;
  ctx.run_opt.seed = opt.seed;
  ctx.run_opt.max_mismatches = opt.max_mismatches;

  if (!opt.quiet) {
    std::printf("sa-cosim %s, %s mode: %zu layer(s) x %zu image(s) of %s = %zu units",
                cfg.Name().c_str(), opt.mode.c_str(), names.size(), images.size(),
                opt.vectors.c_str(), plan.size());
    if (shard.count > 1)
      std::printf(", shard %d/%d: %zu units", shard.index, shard.count, units.size());
    std::printf("; seed %llu", static_cast<unsigned long long>(opt.seed));
    if (opt.stall_prob > 0) std::printf(", stall probability %g", opt.stall_prob);
    std::printf(", %d job(s)\n", jobs);
    std::fflush(stdout);
  }

  Progress progress(static_cast<int64_t>(units.size()), !opt.quiet);
  std::unique_ptr<UnitSimulator> simulator;
  std::vector<LayerStats> results;
  if (jobs <= 1) {
    simulator = sim.make(opt.mode);
    RunUnits(ctx, units, *simulator, nullptr, nullptr, [&](LayerStats&& s) {
      progress.Done(s.name + " image " + std::to_string(s.test_image));
      results.push_back(std::move(s));
    });
  } else {
    results = RunInWorkers(ctx, info, units, jobs, progress);
  }
  progress.Finish();
  // Before any trace rerun, which would count its cycles twice.
  if (!opt.coverage.empty() && jobs <= 1) simulator->WriteCoverage(opt.coverage);

  const std::vector<LayerStats> layers = ByLayer(results, info);
  PrintTable(stdout, layers, /*rows=*/!opt.quiet);
  if (!opt.quiet) PrintCoverage(stdout, results, cfg);
  PrintProblems(stdout, info, results);

  // Waveforms come from deterministic reruns in fast mode (cycle-identical to pin mode); with
  // --jobs the main process has not elaborated yet, so it can now. A unit whose worker crashed
  // is not rerun here: it would take this process down with it.
  auto traceable = [](const LayerStats& s) { return !s.Passed() && s.crash.empty(); };
  if (!opt.trace.empty()) {
    // A window around the first failing unit's failure, else every unit in full.
    if (!simulator) simulator = sim.make("fast");
    auto failing = std::find_if(results.begin(), results.end(), traceable);
    if (failing != results.end()) {
      std::printf("%s\n", TraceFailure(ctx, plan, *failing, *simulator, opt.trace).c_str());
    } else {
      const TraceWindow every_cycle;
      simulator->OpenTrace(opt.trace);
      RunUnits(ctx, units, *simulator, &every_cycle, nullptr, [](LayerStats&&) {});
      simulator->CloseTrace();
      std::printf("trace: %s holds all %zu unit run(s)\n", opt.trace.c_str(), units.size());
    }
  }
  if (!opt.trace_failures.empty()) {
    // One waveform per failing unit (the first kMaxFailureTraces), named as its rerun command
    // names its --trace, so a CI keeps them as artifacts beside the JUnit that points at them.
    constexpr int kMaxFailureTraces = 10;
    int traced = 0, more = 0;
    for (LayerStats& s : results) {
      if (!traceable(s)) continue;
      if (traced == kMaxFailureTraces) {
        ++more;
        continue;
      }
      if (!simulator) simulator = sim.make("fast");
      const std::string path = opt.trace_failures + "/" + TraceFileName(s);
      std::printf("%s\n", TraceFailure(ctx, plan, s, *simulator, path).c_str());
      s.waveform = path;
      ++traced;
    }
    if (more)
      std::printf("trace: %d more failing units not traced (at most %d)\n", more,
                  kMaxFailureTraces);
  }

  info.wall_seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  // A shard may hold no unit (more shards than units): it passes, the merge checks the whole.
  bool passed =
      std::all_of(results.begin(), results.end(), [](const LayerStats& s) { return s.Passed(); });
  if (opt.require_coverage) {
    CoverageBins total;
    for (const LayerStats& s : results) total.Add(s.coverage);
    const std::string never = total.RequiredNeverHit(cfg, wgt2 == Wgt2Choice::kMixed);
    if (!never.empty()) {
      std::printf("COVERAGE FAIL: required bins never hit: %s (--require-coverage)\n",
                  never.c_str());
      passed = false;
    }
  }
  if (!opt.report.empty() || !opt.junit.empty()) {
    // The units move into the report (180,000 of them for the test set), with the table's layers.
    const Report report{info, std::move(results), {}, layers};
    if (!opt.report.empty()) WriteJsonReport(opt.report, report);
    if (!opt.junit.empty()) WriteJUnitReport(opt.junit, report);
  }
  if (units.size() < plan.size())  // last, so a part of a run never reads as the whole
    std::printf(
        "PARTIAL: shard %d/%d ran %zu of the %zu planned units; the verdict on the whole "
        "set is sa-report merge's over every shard\n",
        shard.index, shard.count, units.size(), plan.size());
  std::fflush(stdout);
  return passed ? sa::kExitPass : sa::kExitFail;
}

}  // namespace sa::sim
