// `gisgate report`: turns the `history:` SQLite file into an xlsx, csv or html report (src/report/).
//
// The subcommand takes its arguments raw and parses them itself, so every usage error — unknown option,
// missing value, bad date — ends the same way: one clear line on stderr and exit code 2.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "report/history_db.hpp"
#include "report/report.hpp"
#include "report/writers.hpp"

namespace gisgate::cli {

namespace {

constexpr int kExitUsage = 2;

constexpr const char* kFooter = R"(
Dates, --days and --hours are local time (the TZ environment variable, else the system zone), or UTC with
--utc. --from and --to are whole days, both included. --hours 09-17 keeps 09:00 up to 17:00 (17:00 itself
excluded); an interval row counts when its start is kept.

Examples:
  gisgate report --db gisgate-data/history.db --from 2026-11-01 --to 2026-11-30 \
      --days mon-fri --hours 09-17 --format xlsx -o november.xlsx
  TZ=Europe/Berlin gisgate report --db history.db --format html -o report.html
  gisgate report --db history.db --from 2026-11-02 --to 2026-11-02 -o day.csv)";

struct ReportArgs {
    std::string db, from, to, days, hours, format, out;
    double slow_ms = 500;
    bool utc = false;
};

std::string program_usage_hint() {
    return "run 'gisgate report --help' for the options";
}

int usage_error(const std::string& message) {
    std::cerr << "gisgate report: " << message << "\n" << program_usage_hint() << "\n";
    return kExitUsage;
}

int run_report(const std::vector<std::string>& raw) {
    ReportArgs a;
    CLI::App app{"Build a report (xlsx, csv or html) from the history database", "gisgate report"};
    app.footer(kFooter);
    app.add_option("--db", a.db, "history SQLite file (history.path in the config)");
    app.add_option("--from", a.from, "first day, YYYY-MM-DD (default: the first record)");
    app.add_option("--to", a.to, "last day, YYYY-MM-DD, included (default: the last record)");
    app.add_option("--days", a.days, "working days: mon-fri, sat,sun, all (default: all)");
    app.add_option("--hours", a.hours, "working hours: 09-17, 08:30-12,13-17:30 (default: all day)");
    app.add_option("--format", a.format, "xlsx | csv | html (default: from the -o file extension)");
    app.add_option("-o,--output", a.out, "output file (csv: the services table; the other tables beside it)");
    app.add_option("--slow-ms", a.slow_ms, "P95 above this many ms is highlighted as slow")->capture_default_str();
    app.add_flag("--utc", a.utc, "read dates, days and hours in UTC instead of local time");

    std::vector<std::string> args(raw.rbegin(), raw.rend());  // CLI11 wants them reversed
    try {
        app.parse(args);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return usage_error(e.what());
    }

    if (a.db.empty()) return usage_error("--db FILE is required");
    if (a.out.empty()) return usage_error("-o OUT is required");
    if (a.format.empty()) {
        auto ext = std::filesystem::path(a.out).extension().string();
        if (!ext.empty()) ext.erase(0, 1);
        if (!report::parse_format(ext))
            return usage_error("--format is required (xlsx, csv or html) unless -o ends in .xlsx, .csv or .html");
        a.format = ext;
    }
    const auto format = report::parse_format(a.format);
    if (!format) return usage_error("--format: '" + a.format + "' is not one of xlsx, csv, html");
    if (!(a.slow_ms > 0)) return usage_error("--slow-ms must be a positive number of milliseconds");

    report::Filter filter;
    filter.set_utc(a.utc);
    std::optional<report::Date> from, to;
    if (!a.from.empty() && !(from = report::parse_date(a.from)))
        return usage_error("--from: '" + a.from + "' is not a date (YYYY-MM-DD)");
    if (!a.to.empty() && !(to = report::parse_date(a.to)))
        return usage_error("--to: '" + a.to + "' is not a date (YYYY-MM-DD)");
    if (from && to && from->to_string() > to->to_string())
        return usage_error("--from " + a.from + " is after --to " + a.to);
    if (from) filter.set_from(*from);
    if (to) filter.set_to(*to);
    std::string error;
    if (!a.days.empty()) {
        const auto days = report::parse_days(a.days, error);
        if (!days) return usage_error(error);
        filter.set_days(*days, a.days);
    }
    if (!a.hours.empty()) {
        const auto hours = report::parse_hours(a.hours, error);
        if (!hours) return usage_error(error);
        filter.set_hours(*hours, a.hours);
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(a.db, ec)) return usage_error("--db: " + a.db + ": no such file");
    const auto out_dir = std::filesystem::path(a.out).parent_path();
    if (!out_dir.empty() && !std::filesystem::is_directory(out_dir, ec))
        return usage_error("-o: directory " + out_dir.string() + " does not exist");

    try {
        report::ReportOptions options;
        options.slow_ms = a.slow_ms;
        const auto rep = report::build_report(a.db, filter, options);
        const auto files = report::write_report(rep, *format, a.out);
        if (rep.empty()) std::cerr << "gisgate report: warning: no history in the selected period\n";
        if (rep.damaged_histograms)
            std::cerr << "gisgate report: warning: " << rep.damaged_histograms
                      << " damaged histogram(s) skipped (their request counts are included)\n";
        std::cout << "gisgate report: " << rep.services.size() << " services, " << rep.servers.size() << " servers, "
                  << rep.total.requests << " requests in " << rep.intervals << " intervals\n";
        for (const auto& f : files) std::cout << "wrote " << f << "\n";
    } catch (const report::HistoryError& e) {
        std::cerr << "gisgate report: " << e.what() << "\n";
        return 1;
    } catch (const report::WriteError& e) {
        std::cerr << "gisgate report: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

std::function<int()> add_report_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("report", "Build an xlsx, csv or html report from the history database "
                                             "(gisgate report --help)");
    // Everything after `report` is passed through unparsed (help included) and parsed by run_report, which
    // owns the options and the exit codes.
    cmd->prefix_command();
    cmd->set_help_flag();
    cmd->allow_extras();
    return [cmd] { return run_report(cmd->remaining()); };
}

}  // namespace gisgate::cli
