// parse_duration / parse_size / parse_endpoint / format_duration: the scalar grammars users type.
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace gisgate::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnits) {
    const std::pair<const char*, long long> cases[] = {
        {"500ms", 500},       {"0ms", 0},          {"5s", 5000},         {"0", 0},
        {"30", 30000},        {"2m", 120000},      {"1h", 3600000},      {"90d", 90LL * 86400000},
        {"1000ms", 1000},     {"007s", 7000},
    };
    for (const auto& [text, ms] : cases) {
        auto d = parse_duration(text);
        ASSERT_TRUE(d) << text;
        EXPECT_EQ(d->count(), ms) << text;
    }
}

TEST(ParseDuration, RejectsMalformed) {
    for (const char* text : {"", "5x", "s", "ms", "-5s", "+5s", "1.5s", " 5s", "5s ", "5 s", "5S", "5MS", "5sec",
                             "5m5s", "0x10", "99999999999999999999", "9999999999999999d"}) {
        EXPECT_FALSE(parse_duration(text)) << text;
    }
}

TEST(FormatDuration, UsesLargestExactUnit) {
    EXPECT_EQ(format_duration(milliseconds(0)), "0s");
    EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
    EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
    EXPECT_EQ(format_duration(milliseconds(5000)), "5s");
    EXPECT_EQ(format_duration(milliseconds(90000)), "90s");
    EXPECT_EQ(format_duration(milliseconds(120000)), "2m");
    EXPECT_EQ(format_duration(milliseconds(3600000)), "1h");
    EXPECT_EQ(format_duration(milliseconds(90LL * 86400000)), "90d");
}

TEST(FormatDuration, RoundTripsThroughParse) {
    for (long long ms : {0LL, 1LL, 999LL, 1000LL, 61000LL, 3600000LL, 86400000LL, 86401000LL}) {
        auto back = parse_duration(format_duration(milliseconds(ms)));
        ASSERT_TRUE(back) << ms;
        EXPECT_EQ(back->count(), ms);
    }
}

TEST(ParseSize, AcceptsUnits) {
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"0", 0},
        {"1024", 1024},
        {"10B", 10},
        {"64KB", 64 * 1024},  // KB is 1024 bytes
        {"64kb", 64 * 1024},
        {"64K", 64 * 1024},
        {"64KiB", 64 * 1024},
        {"256MB", 256ull << 20},
        {"1MiB", 1ull << 20},
        {"1GB", 1ull << 30},
        {"2GiB", 2ull << 30},
        {"32KB", 32768},
    };
    for (const auto& [text, bytes] : cases) {
        auto n = parse_size(text);
        ASSERT_TRUE(n) << text;
        EXPECT_EQ(*n, bytes) << text;
    }
}

TEST(ParseSize, RejectsMalformed) {
    for (const char* text : {"", "KB", "-1", "+1", "1.5MB", "64 KB", "64XB", "64TB", "1e3", "0x10",
                             "99999999999999999999", "17179869184GB"}) {
        EXPECT_FALSE(parse_size(text)) << text;
    }
}

TEST(ParseEndpoint, Accepts) {
    struct Case {
        const char* text;
        const char* host;
        std::uint16_t port;
        const char* printed;
    };
    const Case cases[] = {
        {"127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080"},
        {"0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0"},
        {"[::1]:8080", "::1", 8080, "[::1]:8080"},
        {"[::]:443", "::", 443, "[::]:443"},
        {"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80, "[::ffff:10.0.0.1]:80"},
        {"localhost:80", "localhost", 80, "localhost:80"},
        {"gis-server_01.example.com:6443", "gis-server_01.example.com", 6443, "gis-server_01.example.com:6443"},
        {"host:65535", "host", 65535, "host:65535"},
    };
    for (const auto& c : cases) {
        auto e = parse_endpoint(c.text);
        ASSERT_TRUE(e) << c.text;
        EXPECT_EQ(e->host, c.host);
        EXPECT_EQ(e->port, c.port);
        EXPECT_EQ(e->to_string(), c.printed);
    }
}

TEST(ParseEndpoint, Rejects) {
    for (const char* text : {"", "127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1",
                             "127.0.0.1:80x", "127.0.0.1: 80", "::1:8080", "[::1]", "[::1]8080", "[::1]:",
                             "[nope]:80", "[127.0.0.1]:80", "10.0.0.256:80", "1.2.3:80", "my host:80",
                             "http://host:80", "host/x:80"}) {
        EXPECT_FALSE(parse_endpoint(text)) << text;
    }
}

}  // namespace
}  // namespace gisgate::config
