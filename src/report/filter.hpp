// Which moments a report covers: a date range (inclusive, local dates), working days and working hours.
//
// Time zone rule: dates, days and hours are read in the local time zone of the machine running
// `gisgate report` — the TZ environment variable, else /etc/localtime — or in UTC with --utc. The history
// itself is stored in UTC, so the same database can be reported in any zone. An interval row belongs to the
// report when its *start* falls inside the filter; an event (health transition, alert) when its time does.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::report {

struct Date {
    int year = 0, month = 0, day = 0;
    std::string to_string() const;  // YYYY-MM-DD
};

// "YYYY-MM-DD", a real calendar date. nullopt otherwise.
std::optional<Date> parse_date(std::string_view text);

// "mon-fri", "mon,wed,fri", "sat-sun", "fri-mon" (wraps), "all"; names are the first three letters or the
// whole English day name, any case. Index 0 = Sunday (as tm_wday). Sets `error` and returns nullopt when bad.
std::optional<std::array<bool, 7>> parse_days(std::string_view text, std::string& error);

// Minutes of the day [begin, end).
struct MinuteRange {
    int begin = 0, end = 24 * 60;
};

// "09-17" = 09:00 up to, not including, 17:00; "9:30-17:15"; several joined by ","; "22-06" wraps past
// midnight; "00-24" is the whole day. Sets `error` and returns nullopt when bad.
std::optional<std::vector<MinuteRange>> parse_hours(std::string_view text, std::string& error);

class Filter {
public:
    // The whole history, every day and hour, local time.
    Filter() = default;

    void set_utc(bool utc) { utc_ = utc; }
    bool utc() const { return utc_; }
    // --from (inclusive, from that day's midnight) and --to (inclusive, up to the next day's midnight).
    void set_from(const Date& date);
    void set_to(const Date& date);
    void set_days(const std::array<bool, 7>& days, std::string text);
    void set_hours(std::vector<MinuteRange> hours, std::string text);

    // Unix seconds bounds for an SQL pre-selection: [begin, end).
    std::int64_t begin() const { return begin_; }
    std::int64_t end() const { return end_; }
    bool includes(std::int64_t unix_seconds) const;

    // For the report's header.
    std::string from_text() const { return from_text_; }  // "" when not set
    std::string to_text() const { return to_text_; }
    std::string days_text() const { return days_text_.empty() ? "all days" : days_text_; }
    std::string hours_text() const { return hours_text_.empty() ? "all hours" : hours_text_; }
    std::string zone_text() const;  // "UTC", or the local zone's name ("Europe/Berlin", "CET", ...)

    // Local (or UTC) "YYYY-MM-DD HH:MM" / "YYYY-MM-DD HH:MM:SS" / "YYYY-MM-DD" of a Unix time.
    std::string format_minute(std::int64_t unix_seconds) const;
    std::string format_second(std::int64_t unix_seconds) const;
    std::string format_day(std::int64_t unix_seconds) const;
    // Day of the Unix time in the filter's zone, as a number that changes at each midnight (for chart ticks).
    long day_number(std::int64_t unix_seconds) const;

private:
    std::int64_t midnight(const Date& date) const;  // Unix seconds of that date's 00:00 in the filter's zone
    bool utc_ = false;
    std::int64_t begin_ = std::numeric_limits<std::int64_t>::min();
    std::int64_t end_ = std::numeric_limits<std::int64_t>::max();
    std::array<bool, 7> days_{true, true, true, true, true, true, true};
    std::vector<MinuteRange> hours_;  // empty = the whole day
    std::string from_text_, to_text_, days_text_, hours_text_;
};

}  // namespace gisgate::report
