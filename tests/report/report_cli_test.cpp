// `gisgate report` as a user runs it: each format written and read back (csv parsed, xlsx unzipped and its
// sheet XML checked, html checked for self-containment and charts), the time zone rule, and the usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "report/sample_history.hpp"
#include "support/process.hpp"

namespace gisgate::test {
namespace {

const std::string& cli_sample_db() {
    static const std::string path = [] {
        const auto p = temp_dir() + "/cli-history.db";
        write_sample_history(p);
        return p;
    }();
    return path;
}

struct Run {
    int exit = -1;
    std::string output;
};

// Runs `gisgate report ARGS` with TZ=tz.
Run report(std::vector<std::string> args, const char* tz = "UTC") {
    args.insert(args.begin(), "report");
    const char* old = std::getenv("TZ");
    const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
    setenv("TZ", tz, 1);
    auto child = ChildProcess::start(args);
    if (saved) setenv("TZ", saved->c_str(), 1);
    else unsetenv("TZ");
    Run run;
    run.exit = child->wait_exit(60s).value_or(-1);
    run.output = child->output();
    return run;
}

std::vector<std::string> working_week(const std::string& format, const std::string& out) {
    return {"--db", cli_sample_db(), "--from", "2026-11-02", "--to", "2026-11-06", "--days", "mon-fri",
            "--hours", "09-17", "--format", format, "-o", out};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// RFC 4180: rows of fields; quoted fields may hold commas, quotes ("") and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, any = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            row.push_back(field), field.clear();
            any = true;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.push_back(field), field.clear();
            rows.push_back(row), row.clear();
            any = false;
        } else {
            field += c;
            any = true;
        }
    }
    if (any) row.push_back(field), rows.push_back(row);
    return rows;
}

// The csv as maps from header name to value, one per data row.
std::vector<std::map<std::string, std::string>> csv_records(const std::string& path) {
    const auto rows = parse_csv(read_file(path));
    std::vector<std::map<std::string, std::string>> out;
    if (rows.empty()) return out;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        EXPECT_EQ(rows[r].size(), rows[0].size()) << path << " row " << r;
        std::map<std::string, std::string> rec;
        for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c) rec[rows[0][c]] = rows[r][c];
        out.push_back(rec);
    }
    return out;
}

std::map<std::string, std::string> find_record(const std::vector<std::map<std::string, std::string>>& records,
                                               const std::string& key, const std::string& value) {
    for (const auto& r : records)
        if (r.count(key) && r.at(key) == value) return r;
    ADD_FAILURE() << "no row with " << key << " = " << value;
    return {};
}

double number(const std::map<std::string, std::string>& r, const std::string& key) {
    if (!r.count(key)) {
        ADD_FAILURE() << "no column " << key;
        return -1;
    }
    return std::stod(r.at(key));
}

TEST(ReportCli, CsvHasEveryTableWithTheNumbers) {
    const auto out = temp_dir() + "/week.csv";
    const auto run = report(working_week("csv", out));
    ASSERT_EQ(run.exit, 0) << run.output;
    EXPECT_NE(run.output.find("wrote " + out), std::string::npos) << run.output;

    const auto services = csv_records(out);
    ASSERT_EQ(services.size(), 3u);
    EXPECT_EQ(services[0].at("Service"), "Hydro/Rivers");  // by P95, slowest first
    const auto streets = find_record(services, "Service", "Maps/Streets");
    EXPECT_EQ(streets.at("Type"), "MapServer");
    EXPECT_EQ(number(streets, "Requests"), 1140);
    EXPECT_NEAR(number(streets, "Req/s avg"), 1.9, 1e-9);
    EXPECT_NEAR(number(streets, "Req/s peak"), 10, 1e-9);
    EXPECT_EQ(streets.at("Peak at"), "2026-11-04 16:00");
    EXPECT_NEAR(number(streets, "P50 ms"), 100, 1);
    EXPECT_NEAR(number(streets, "P95 ms"), 300, 3);
    EXPECT_NEAR(number(streets, "Max ms"), 300, 3);
    EXPECT_EQ(streets.at("Slow (P95 > 500 ms)"), "");
    const auto rivers = find_record(services, "Service", "Hydro/Rivers");
    EXPECT_EQ(number(rivers, "Errors"), 20);
    EXPECT_NEAR(number(rivers, "Error %"), 10, 1e-9);
    EXPECT_NEAR(number(rivers, "P95 ms"), 800, 8);
    EXPECT_EQ(rivers.at("Slow (P95 > 500 ms)"), "yes");

    const auto summary = csv_records(temp_dir() + "/week-summary.csv");
    EXPECT_EQ(number(find_record(summary, "Item", "Requests"), "Value"), 1440);
    EXPECT_NEAR(number(find_record(summary, "Item", "Requests/s average"), "Value"), 2.4, 1e-9);
    EXPECT_NEAR(number(find_record(summary, "Item", "Requests/s peak"), "Value"), 10.5, 1e-9);
    EXPECT_EQ(find_record(summary, "Item", "Peak at").at("Value"), "2026-11-04 16:00");
    EXPECT_EQ(find_record(summary, "Item", "Period from").at("Value"), "2026-11-02");
    EXPECT_EQ(find_record(summary, "Item", "Days").at("Value"), "mon-fri");
    EXPECT_EQ(find_record(summary, "Item", "Time zone").at("Value"), "UTC");
    EXPECT_NEAR(number(find_record(summary, "Item", "Availability % gis/b"), "Value"), 95, 1e-9);
    EXPECT_NEAR(number(find_record(summary, "Item", "Availability % gis/a"), "Value"), 100, 1e-9);

    const auto servers = csv_records(temp_dir() + "/week-servers.csv");
    const auto b = find_record(servers, "Server", "b");
    EXPECT_EQ(number(b, "Time down (s)"), 30);
    EXPECT_EQ(number(b, "Health transitions"), 2);
    EXPECT_EQ(number(b, "Went down"), 1);

    const auto classes = csv_records(temp_dir() + "/week-classes.csv");
    ASSERT_EQ(classes.size(), 2u);  // no "other" on working days
    EXPECT_EQ(classes[0].at("Class"), "interactive");
    EXPECT_EQ(classes[0].at("Pool"), "gis");
    EXPECT_EQ(number(classes[0], "Requests"), 1140);
    EXPECT_NEAR(number(classes[0], "Req/s avg"), 1.9, 1e-9);
    EXPECT_NEAR(number(classes[0], "P50 ms"), 100, 1);
    EXPECT_NEAR(number(classes[0], "P95 ms"), 300, 3);
    EXPECT_NEAR(number(classes[0], "P99 ms"), 300, 3);
    const auto heavy = find_record(classes, "Class", "heavy");
    EXPECT_EQ(number(heavy, "Errors"), 20);
    EXPECT_NEAR(number(heavy, "Error %"), 10, 1e-9);
    EXPECT_NEAR(number(heavy, "P95 ms"), 800, 8);

    const auto alerts = csv_records(temp_dir() + "/week-alerts.csv");
    ASSERT_EQ(alerts.size(), 2u);
    EXPECT_EQ(alerts[0].at("Time"), "2026-11-02 09:00:30");
    EXPECT_EQ(alerts[0].at("Rule"), "slow_service");
    EXPECT_EQ(alerts[0].at("State"), "firing");
    EXPECT_EQ(alerts[1].at("State"), "resolved");
    const auto health = csv_records(temp_dir() + "/week-health.csv");
    ASSERT_EQ(health.size(), 2u);
    EXPECT_EQ(health[0].at("Reason"), "connect: connection refused");
}

TEST(ReportCli, CsvQuotesFieldsAndDefusesFormulas) {
    const auto path = temp_dir() + "/odd-names.db";
    {
        HistoryBuilder db(path);
        metrics::LatencyHistogram h;
        h.record(1000, 5);
        db.service(utc(2, 10), 60, "=HYPERLINK(\"x\"),a", "MapServer", "service", h, 0);
        db.service(utc(2, 10), 60, "Folder, with \"quotes\"/Svc", "MapServer", "service", h, 0);
    }
    const auto out = temp_dir() + "/odd.csv";
    ASSERT_EQ(report({"--db", path, "-o", out}).exit, 0);
    const auto text = read_file(out);
    EXPECT_NE(text.find("\"'=HYPERLINK(\"\"x\"\"),a\""), std::string::npos) << text;
    const auto records = csv_records(out);
    ASSERT_EQ(records.size(), 2u);
    find_record(records, "Service", "'=HYPERLINK(\"x\"),a");
    find_record(records, "Service", "Folder, with \"quotes\"/Svc");
}

TEST(ReportCli, TimeZoneRuleIsLocalTimeOrUtc) {
    // 18:00-19:00 in UTC+9 is 09:00-10:00 UTC: only Tuesday's 09:00 minute of Maps/Streets on local 11-03.
    const auto out = temp_dir() + "/tokyo.csv";
    auto run = report({"--db", cli_sample_db(), "--from", "2026-11-03", "--to", "2026-11-03", "--hours", "18-19", "-o", out},
                      "JST-9");
    ASSERT_EQ(run.exit, 0) << run.output;
    auto streets = find_record(csv_records(out), "Service", "Maps/Streets");
    EXPECT_EQ(number(streets, "Requests"), 60);
    // --utc reads the same options in UTC whatever TZ says.
    run = report({"--db", cli_sample_db(), "--from", "2026-11-03", "--to", "2026-11-03", "--hours", "09-10", "--utc",
                  "-o", out},
                 "JST-9");
    ASSERT_EQ(run.exit, 0) << run.output;
    streets = find_record(csv_records(out), "Service", "Maps/Streets");
    EXPECT_EQ(number(streets, "Requests"), 60);
    EXPECT_EQ(find_record(csv_records(temp_dir() + "/tokyo-summary.csv"), "Item", "Time zone").at("Value"), "UTC");
}

// `unzip -p ARCHIVE MEMBER`.
std::string unzip(const std::string& archive, const std::string& member) {
    const std::string cmd = "unzip -p '" + archive + "' '" + member + "' 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {};
    std::string out;
    char buf[65536];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

std::vector<std::string> all_matches(const std::string& text, const std::regex& re, int group = 1) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[group]);
    return out;
}

TEST(ReportCli, XlsxHasTheSheetsAndHighlightsSlowP95) {
    if (std::system("command -v unzip >/dev/null 2>&1") != 0) GTEST_SKIP() << "unzip not installed (scripts/install-deps)";
    const auto out = temp_dir() + "/week.xlsx";
    const auto run = report(working_week("xlsx", out));
    ASSERT_EQ(run.exit, 0) << run.output;
    const auto head = read_file(out).substr(0, 2);
    EXPECT_EQ(head, "PK");  // a zip archive

    const auto workbook = unzip(out, "xl/workbook.xml");
    const auto sheets = all_matches(workbook, std::regex(R"re(<sheet name="([^"]+)")re"));
    EXPECT_EQ(sheets, (std::vector<std::string>{"Summary", "Services", "Servers", "Classes", "Alerts", "Health events"}))
        << workbook;

    // Shared strings → index of each text.
    const auto strings = all_matches(unzip(out, "xl/sharedStrings.xml"), std::regex(R"(<si><t[^>]*>([^<]*)</t></si>)"));
    auto string_index = [&](const std::string& text) {
        for (std::size_t i = 0; i < strings.size(); ++i)
            if (strings[i] == text) return static_cast<int>(i);
        ADD_FAILURE() << "no shared string " << text;
        return -1;
    };
    const auto services = unzip(out, "xl/worksheets/sheet2.xml");
    ASSERT_FALSE(services.empty());
    // The header: P95 ms is column P (16th).
    EXPECT_NE(services.find("<c r=\"P1\" s=\"1\" t=\"s\"><v>" + std::to_string(string_index("P95 ms")) + "</v></c>"),
              std::string::npos) << services;
    // Row of a service: the row number whose column A holds its name.
    auto row_of = [&](const std::string& name) {
        std::smatch m;
        const std::regex re("<c r=\"A(\\d+)\"[^>]*t=\"s\"><v>" + std::to_string(string_index(name)) + "</v>");
        return std::regex_search(services, m, re) ? m[1].str() : std::string();
    };
    const auto rivers_row = row_of("Hydro/Rivers"), streets_row = row_of("Maps/Streets");
    ASSERT_FALSE(rivers_row.empty());
    ASSERT_FALSE(streets_row.empty());
    // Requests (column D) of Maps/Streets as a number.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(services, m, std::regex("<c r=\"D" + streets_row + "\"[^>]*><v>([^<]+)</v>")));
    EXPECT_EQ(std::stod(m[1]), 1140);

    // The style of a cell → its fill colour (cellXfs[s].fillId → fills[fillId]).
    const auto styles = unzip(out, "xl/styles.xml");
    const auto xfs_block = styles.substr(styles.find("<cellXfs"));
    const auto xfs = all_matches(xfs_block.substr(0, xfs_block.find("</cellXfs>")), std::regex(R"((<xf [^>]*>))"));
    const auto fills_block = styles.substr(styles.find("<fills"));
    const auto fills = all_matches(fills_block.substr(0, fills_block.find("</fills>")), std::regex(R"((<fill>.*?</fill>))"));
    auto fill_of = [&](const std::string& cell) {
        std::smatch cm;
        if (!std::regex_search(services, cm, std::regex("<c r=\"" + cell + "\" s=\"(\\d+)\""))) return std::string("none");
        const auto xf = xfs.at(std::stoul(cm[1]));
        std::smatch fm;
        if (!std::regex_search(xf, fm, std::regex(R"re(fillId="(\d+)")re"))) return std::string("none");
        return fills.at(std::stoul(fm[1]));
    };
    EXPECT_NE(fill_of("P" + rivers_row).find("FFFFC7CE"), std::string::npos) << fill_of("P" + rivers_row);
    EXPECT_EQ(fill_of("P" + streets_row).find("FFFFC7CE"), std::string::npos) << fill_of("P" + streets_row);

    // The Classes sheet: a row per class with requests, Requests (column C) as a number, and the note.
    const auto classes = unzip(out, "xl/worksheets/sheet4.xml");
    ASSERT_FALSE(classes.empty());
    std::smatch cm;
    ASSERT_TRUE(std::regex_search(
        classes, cm, std::regex("<c r=\"B(\\d+)\"[^>]*t=\"s\"><v>" + std::to_string(string_index("heavy")) + "</v>")))
        << classes;
    ASSERT_TRUE(std::regex_search(classes, m, std::regex("<c r=\"C" + cm[1].str() + "\"[^>]*><v>([^<]+)</v>")));
    EXPECT_EQ(std::stod(m[1]), 200);
    EXPECT_GE(string_index("interactive"), 0);
    EXPECT_EQ(std::find(strings.begin(), strings.end(), "other"), strings.end())
        << "no row for a class without requests";
    const auto note = std::find_if(strings.begin(), strings.end(), [](const std::string& text) {
        return text.rfind("Requests per pool and operation class", 0) == 0;
    });
    ASSERT_NE(note, strings.end());
    EXPECT_NE(classes.find("<c r=\"K1\" t=\"s\"><v>" + std::to_string(note - strings.begin()) + "</v>"),
              std::string::npos) << "the note beside the header: " << classes;

    // The Summary sheet carries the availability rows; Alerts the two events.
    EXPECT_GE(string_index("Availability % gis/b"), 0);
    EXPECT_GE(string_index("slow_service"), 0);
}

TEST(ReportCli, HtmlIsOneSelfContainedPageWithSvgCharts) {
    const auto out = temp_dir() + "/week.html";
    const auto run = report(working_week("html", out));
    ASSERT_EQ(run.exit, 0) << run.output;
    const auto html = read_file(out);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    for (const char* external : {"http://", "https://", "src=", "<link", "<script", "@import", "url("})
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    EXPECT_GE(all_matches(html, std::regex("(<svg )")).size(), 2u);
    EXPECT_NE(html.find("Requests per second"), std::string::npos);
    EXPECT_NE(html.find("P95 response time"), std::string::npos);
    // Working-week minutes are single points between gaps here: dots (circles) in both charts.
    EXPECT_GE(all_matches(html, std::regex("(<circle )")).size(), 20u);
    EXPECT_NE(html.find("<td>Hydro/Rivers</td>"), std::string::npos);
    EXPECT_NE(html.find("class=\"num hl\""), std::string::npos);  // the highlighted P95
    EXPECT_NE(html.find("<h2>Alerts</h2>"), std::string::npos);
    // The class table, its explanation, and only the classes with requests.
    const auto classes_at = html.find("<h2>Classes</h2>\n<p class=\"sub\">Requests per pool and operation class");
    ASSERT_NE(classes_at, std::string::npos);
    const auto classes = html.substr(classes_at, html.find("</table>", classes_at) - classes_at);
    EXPECT_NE(classes.find("<td>gis</td><td>interactive</td><td class=\"num\">1140</td>"), std::string::npos) << classes;
    EXPECT_NE(classes.find("<td>gis</td><td>heavy</td><td class=\"num\">200</td><td class=\"num\">20</td>"),
              std::string::npos) << classes;
    EXPECT_EQ(classes.find("<td>other</td>"), std::string::npos);

    // The full history has runs of consecutive... no: minutes are an hour apart; still every chart point
    // belongs to exactly one kept interval. A line appears where intervals are consecutive:
    const auto path = temp_dir() + "/line.db";
    {
        HistoryBuilder db(path);
        for (int m = 0; m < 30; ++m) {
            metrics::LatencyHistogram h;
            h.record(1000 + 100 * m, 10 + m);
            db.service(utc(2, 10) + 60 * m, 60, "A/<b>", "MapServer", "service", h, 0);
        }
    }
    const auto line = temp_dir() + "/line.html";
    ASSERT_EQ(report({"--db", path, "-o", line}).exit, 0);
    const auto page = read_file(line);
    EXPECT_EQ(all_matches(page, std::regex("(<polyline )")).size(), 2u);
    EXPECT_NE(page.find("A/&lt;b&gt;"), std::string::npos);  // names are escaped
    EXPECT_EQ(page.find("A/<b>"), std::string::npos);
}

TEST(ReportCli, BadArgumentsExitTwoWithAClearMessage) {
    const auto out = temp_dir() + "/bad.csv";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"-o", out}, "--db FILE is required"},
        {{"--db", cli_sample_db()}, "-o OUT is required"},
        {{"--db", cli_sample_db(), "-o", temp_dir() + "/x.pdf"}, "--format is required"},
        {{"--db", cli_sample_db(), "-o", out, "--format", "pdf"}, "'pdf' is not one of xlsx, csv, html"},
        {{"--db", cli_sample_db(), "-o", out, "--from", "2026-11-31"}, "--from: '2026-11-31' is not a date"},
        {{"--db", cli_sample_db(), "-o", out, "--to", "yesterday"}, "--to: 'yesterday' is not a date"},
        {{"--db", cli_sample_db(), "-o", out, "--from", "2026-11-05", "--to", "2026-11-01"}, "is after --to"},
        {{"--db", cli_sample_db(), "-o", out, "--days", "funday"}, "--days: 'funday'"},
        {{"--db", cli_sample_db(), "-o", out, "--hours", "25-26"}, "--hours: '25-26'"},
        {{"--db", cli_sample_db(), "-o", out, "--slow-ms", "-1"}, "--slow-ms"},
        {{"--db", cli_sample_db(), "-o", out, "--bogus"}, "--bogus"},
        {{"--db"}, "--db"},
        {{"--db", temp_dir() + "/nope.db", "-o", out}, "no such file"},
        {{"--db", cli_sample_db(), "-o", temp_dir() + "/no/such/dir/r.csv"}, "does not exist"},
    };
    for (const auto& [args, message] : cases) {
        const auto run = report(args);
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        EXPECT_EQ(run.exit, 2) << joined << "\n" << run.output;
        EXPECT_NE(run.output.find(message), std::string::npos) << joined << "\n" << run.output;
        EXPECT_EQ(run.output.find("wrote"), std::string::npos) << joined;
    }
    // Not a history database: a runtime failure (1), not a usage error.
    const auto text = write_temp_file("text.db", "not sqlite\n");
    const auto run = report({"--db", text, "-o", out});
    EXPECT_EQ(run.exit, 1) << run.output;
    EXPECT_NE(run.output.find(text), std::string::npos) << run.output;
    // Help is not an error.
    EXPECT_EQ(report({"--help"}).exit, 0);
}

TEST(ReportCli, EmptyPeriodStillWritesAReportAndWarns) {
    const auto out = temp_dir() + "/empty.xlsx";
    const auto run = report({"--db", cli_sample_db(), "--from", "2027-01-01", "--to", "2027-01-31", "-o", out});
    ASSERT_EQ(run.exit, 0) << run.output;
    EXPECT_NE(run.output.find("no history in the selected period"), std::string::npos) << run.output;
    EXPECT_TRUE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace gisgate::test
