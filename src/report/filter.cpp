#include "report/filter.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace gisgate::report {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto pos = text.find(sep);
        out.push_back(trim(text.substr(0, pos)));
        if (pos == std::string_view::npos) break;
        text.remove_prefix(pos + 1);
    }
    return out;
}

// All digits, 1..4 of them.
std::optional<int> small_number(std::string_view text) {
    if (text.empty() || text.size() > 4) return std::nullopt;
    int value = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

bool leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

std::optional<int> day_index(std::string_view name) {
    static constexpr const char* kNames[] = {"sunday", "monday", "tuesday", "wednesday",
                                             "thursday", "friday", "saturday"};
    const auto n = lower(name);
    for (int i = 0; i < 7; ++i) {
        const std::string_view full = kNames[i];
        if (n == full || n == full.substr(0, 3)) return i;
    }
    return std::nullopt;
}

// "9", "09", "09:30", "24" → minutes of the day (0..1440).
std::optional<int> minute_of_day(std::string_view text) {
    const auto colon = text.find(':');
    const auto hour = small_number(text.substr(0, colon));
    if (!hour || text.substr(0, colon).size() > 2) return std::nullopt;
    int minute = 0;
    if (colon != std::string_view::npos) {
        const auto m = small_number(text.substr(colon + 1));
        if (!m || text.size() - colon - 1 != 2 || *m > 59) return std::nullopt;
        minute = *m;
    }
    const int value = *hour * 60 + minute;
    if (*hour > 24 || value > 24 * 60) return std::nullopt;
    return value;
}

std::tm to_tm(std::int64_t unix_seconds, bool utc) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    return tm;
}

}  // namespace

std::string Date::to_string() const {
    return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::optional<Date> parse_date(std::string_view text) {
    text = trim(text);
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const auto y = small_number(text.substr(0, 4)), m = small_number(text.substr(5, 2)),
               d = small_number(text.substr(8, 2));
    if (!y || !m || !d || *y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return std::nullopt;
    return Date{*y, *m, *d};
}

std::optional<std::array<bool, 7>> parse_days(std::string_view text, std::string& error) {
    std::array<bool, 7> days{};
    const auto spec = lower(trim(text));
    if (spec == "all" || spec == "mon-sun" || spec == "sun-sat") return std::array<bool, 7>{true, true, true, true, true, true, true};
    for (const auto part : split(spec, ',')) {
        const auto dash = part.find('-');
        const auto first = day_index(trim(part.substr(0, dash)));
        const auto last = dash == std::string_view::npos ? first : day_index(trim(part.substr(dash + 1)));
        if (!first || !last) {
            error = fmt::format("--days: '{}' is not a day or a range of days (use e.g. mon-fri, sat,sun, all)",
                                std::string(part));
            return std::nullopt;
        }
        for (int d = *first;; d = (d + 1) % 7) {  // a range may wrap: fri-mon
            days[d] = true;
            if (d == *last) break;
        }
    }
    return days;
}

std::optional<std::vector<MinuteRange>> parse_hours(std::string_view text, std::string& error) {
    std::vector<MinuteRange> out;
    for (const auto part : split(trim(text), ',')) {
        const auto dash = part.find('-');
        const auto begin = dash == std::string_view::npos ? std::nullopt : minute_of_day(trim(part.substr(0, dash)));
        const auto end = dash == std::string_view::npos ? std::nullopt : minute_of_day(trim(part.substr(dash + 1)));
        if (!begin || !end || *begin == *end || *begin == 24 * 60) {
            error = fmt::format("--hours: '{}' is not a range of hours (use e.g. 09-17 for 09:00 to 17:00, "
                                "09:30-17:00, 08-12,13-17)",
                                std::string(part));
            return std::nullopt;
        }
        if (*begin < *end) {
            out.push_back({*begin, *end});
        } else {  // past midnight: 22-06
            out.push_back({*begin, 24 * 60});
            if (*end > 0) out.push_back({0, *end});
        }
    }
    return out;
}

std::int64_t Filter::midnight(const Date& date) const {
    std::tm tm{};
    tm.tm_year = date.year - 1900;
    tm.tm_mon = date.month - 1;
    tm.tm_mday = date.day;
    tm.tm_isdst = -1;  // let the zone's rules decide (a DST change on that day)
    return utc_ ? static_cast<std::int64_t>(timegm(&tm)) : static_cast<std::int64_t>(std::mktime(&tm));
}

void Filter::set_from(const Date& date) {
    begin_ = midnight(date);
    from_text_ = date.to_string();
}

void Filter::set_to(const Date& date) {
    // The day after, at midnight: mktime normalises day 32 into the next month.
    Date next = date;
    next.day += 1;
    end_ = midnight(next);
    to_text_ = date.to_string();
}

void Filter::set_days(const std::array<bool, 7>& days, std::string text) {
    days_ = days;
    days_text_ = std::move(text);
}

void Filter::set_hours(std::vector<MinuteRange> hours, std::string text) {
    hours_ = std::move(hours);
    hours_text_ = std::move(text);
}

bool Filter::includes(std::int64_t unix_seconds) const {
    if (unix_seconds < begin_ || unix_seconds >= end_) return false;
    const std::tm tm = to_tm(unix_seconds, utc_);
    if (!days_[static_cast<std::size_t>(tm.tm_wday)]) return false;
    if (hours_.empty()) return true;
    const int minute = tm.tm_hour * 60 + tm.tm_min;
    for (const auto& range : hours_)
        if (minute >= range.begin && minute < range.end) return true;
    return false;
}

std::string Filter::zone_text() const {
    if (utc_) return "UTC";
    if (const char* tz = std::getenv("TZ"); tz && *tz) return *tz == ':' ? tz + 1 : tz;
    std::error_code ec;
    const auto target = std::filesystem::read_symlink("/etc/localtime", ec).string();
    if (!ec) {
        const auto pos = target.find("zoneinfo/");
        if (pos != std::string::npos) return target.substr(pos + 9);
    }
    const std::tm tm = to_tm(std::time(nullptr), false);
    return tm.tm_zone ? tm.tm_zone : "local time";
}

std::string Filter::format_minute(std::int64_t unix_seconds) const {
    const std::tm tm = to_tm(unix_seconds, utc_);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min);
}

std::string Filter::format_second(std::int64_t unix_seconds) const {
    const std::tm tm = to_tm(unix_seconds, utc_);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string Filter::format_day(std::int64_t unix_seconds) const {
    const std::tm tm = to_tm(unix_seconds, utc_);
    return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

long Filter::day_number(std::int64_t unix_seconds) const {
    const std::tm tm = to_tm(unix_seconds, utc_);
    return (tm.tm_year + 1900L) * 400 + tm.tm_yday;
}

}  // namespace gisgate::report
