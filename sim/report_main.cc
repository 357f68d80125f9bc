// sa-report: merges the JSON reports of a sharded regression (sa-cosim --shard I/N, a Slurm job
// array) into one verdict, table, JSON and JUnit, as if one process had run every unit; and
// compares runs of one set on different cores (dataflows, sizes, the 2-bit mode).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "sim/compare.h"
#include "sim/report.h"
#include "vectors/exit_codes.h"
#include "vectors/input.h"
#include "vectors/output.h"

int main(int argc, char** argv) {
  using namespace sa::sim;
  CLI::App app{"sa-report: merge sa-cosim shard reports into one result"};
  app.require_subcommand(1);
  std::vector<std::string> inputs;
  std::string report, junit;
  bool quiet = false;
  auto* merge = app.add_subcommand(
      "merge", "merge the reports of every shard of one regression (exit 0 pass, 1 fail, 2 error)");
  merge->add_option("reports", inputs, "shard reports (sa-cosim --report)")->required();
  merge->add_option("--report", report, "write the merged JSON report");
  merge->add_option("--junit", junit, "write the merged JUnit XML");
  merge->add_flag("--quiet", quiet, "only the total line and problems");
  bool parts = false;
  merge->add_flag("--parts", parts,
                  "the reports are whole runs of parts of the images (each task dumped its own: "
                  "scripts/slurm/testset.sbatch), not shards of one set");
  std::vector<std::string> runs;
  std::string data;
  auto* compare = app.add_subcommand(
      "compare", "per layer, cycles, utilization and where they go, run beside run (exit 0, 2)");
  compare->add_option("reports", runs, "reports of passing runs of one set (sa-cosim --report)")
      ->required();
  compare->add_option("--data", data, "write the rows for gnuplot (scripts/plot_compare.gp)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "sa-report: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
  try {
    if (compare->parsed()) {
      if (!data.empty()) sa::vectors::CheckOutputFile(data, "--data");
      std::vector<Report> reports;
      for (const std::string& path : runs) reports.push_back(ReadJsonReport(path));
      CheckComparable(reports, runs);
      PrintComparison(stdout, reports);
      if (!data.empty()) WriteComparisonData(data, reports);
      return sa::kExitPass;
    }
    if (!report.empty()) sa::vectors::CheckOutputFile(report, "--report");
    if (!junit.empty()) sa::vectors::CheckOutputFile(junit, "--junit");
    std::vector<Report> shards;
    for (const std::string& path : inputs) shards.push_back(ReadJsonReport(path));
    Report merged = parts ? MergeParts(shards, inputs) : MergeReports(shards, inputs);
    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
    merged.info.command_line = command_line;
    if (!quiet)
      std::printf("sa-report: %zu %s report(s), %zu units of %s on %s\n", shards.size(),
                  parts ? "part" : "shard", static_cast<size_t>(merged.UnitCount()),
                  merged.info.vectors_dir.c_str(), merged.info.config.Name().c_str());
    PrintTable(stdout, merged.layers, /*rows=*/!quiet);
    if (!quiet) PrintCoverage(stdout, merged.layers, merged.info.config);
    const int failing = PrintProblems(stdout, merged.info, merged.units);
    if (!report.empty()) WriteJsonReport(report, merged);
    if (!junit.empty()) WriteJUnitReport(junit, merged);
    return failing ? sa::kExitFail : sa::kExitPass;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sa-report: out of memory\n");
    return sa::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sa-report: %s\n", sa::vectors::OneLine(e.what()).c_str());
    return sa::kExitError;
  }
}
