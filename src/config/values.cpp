// Duration and size scalars ("30s", "64KB"), shared by the YAML loader and the CLI.
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "config/loader.hpp"
#include "util/ascii.hpp"

namespace gisgate::config {

namespace {

// Splits "123unit" into its leading decimal digits and the rest. Signs, spaces and fractions are refused
// by the callers simply because the number part must be all digits and non-empty.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, number);
    if (ec != std::errc{} || end == first) return false;
    unit = std::string_view(end, static_cast<std::size_t>(last - end));
    return true;
}

using util::iequals;

bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
    out = a * b;
    return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    std::uint64_t number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    // Units are case-sensitive on purpose: "M" could be read as minutes or months, "ms" vs "MS" likewise.
    std::uint64_t ms_per_unit = 0;
    if (unit.empty() || unit == "s") ms_per_unit = 1000;  // a bare number is seconds, like most proxies
    else if (unit == "ms") ms_per_unit = 1;
    else if (unit == "m") ms_per_unit = 60 * 1000;
    else if (unit == "h") ms_per_unit = 60 * 60 * 1000;
    else if (unit == "d") ms_per_unit = 24 * 60 * 60 * 1000;
    else return std::nullopt;
    std::uint64_t ms = 0;
    if (!multiply(number, ms_per_unit, ms)) return std::nullopt;
    if (ms > static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max())) return std::nullopt;
    return Duration(static_cast<Duration::rep>(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t number = 0;
    std::string_view unit;
    if (!split_number(text, number, unit)) return std::nullopt;
    // KB/MB/GB are binary here (1 KB = 1024 bytes), as in nginx and HAProxy buffer sizes: nobody sizing a
    // header buffer means 1000. KiB/MiB/GiB are accepted as explicit spellings of the same thing.
    std::uint64_t scale = 0;
    if (unit.empty() || iequals(unit, "b")) scale = 1;
    else if (iequals(unit, "k") || iequals(unit, "kb") || iequals(unit, "kib")) scale = 1ull << 10;
    else if (iequals(unit, "m") || iequals(unit, "mb") || iequals(unit, "mib")) scale = 1ull << 20;
    else if (iequals(unit, "g") || iequals(unit, "gb") || iequals(unit, "gib")) scale = 1ull << 30;
    else return std::nullopt;
    std::uint64_t bytes = 0;
    if (!multiply(number, scale, bytes)) return std::nullopt;
    return bytes;
}

std::string format_duration(Duration duration) {
    // The largest unit that divides exactly, so what was written as "2m" prints back as "2m".
    const auto ms = duration.count();
    if (ms == 0) return "0s";
    if (ms < 0) return fmt::format("-{}", format_duration(Duration(-ms)));
    struct Unit { Duration::rep ms; const char* suffix; };
    static constexpr Unit units[] = {
        {24LL * 60 * 60 * 1000, "d"}, {60LL * 60 * 1000, "h"}, {60LL * 1000, "m"}, {1000, "s"}};
    for (const auto& unit : units) {
        if (ms % unit.ms == 0) return fmt::format("{}{}", ms / unit.ms, unit.suffix);
    }
    return fmt::format("{}ms", ms);
}

}  // namespace gisgate::config
