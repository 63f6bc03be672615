// Request ids and W3C Trace Context (http/trace_context.hpp): what is accepted from a client, what is made.
#include <gtest/gtest.h>

#include <set>

#include "http/trace_context.hpp"

namespace gisgate::http {
namespace {

bool is_lower_hex(std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(TraceContext, RequestIdsAre32HexDigitsAndDoNotRepeat) {
    IdSource ids;
    std::set<std::string> seen;
    std::string id;
    for (int i = 0; i < 10000; ++i) {
        make_request_id(ids, id);
        ASSERT_EQ(id.size(), 32u);
        ASSERT_TRUE(is_lower_hex(id)) << id;
        ASSERT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
    // Two sources (two workers, two processes) start from different seeds.
    IdSource other;
    std::string a, b;
    make_request_id(ids, a);
    make_request_id(other, b);
    EXPECT_NE(a, b);
}

TEST(TraceContext, OnlyPrintableIdsWithoutQuotesOrBackslashesAreAccepted) {
    EXPECT_TRUE(acceptable_request_id("0d6f3c1e-5b7a-4c1e-9f00-1234567890ab"));
    EXPECT_TRUE(acceptable_request_id("lb1/42"));
    EXPECT_TRUE(acceptable_request_id(std::string(128, 'a')));
    EXPECT_FALSE(acceptable_request_id(""));
    EXPECT_FALSE(acceptable_request_id(std::string(129, 'a')));
    EXPECT_FALSE(acceptable_request_id("a b"));
    EXPECT_FALSE(acceptable_request_id("a\"b"));
    EXPECT_FALSE(acceptable_request_id("a\\b"));
    EXPECT_FALSE(acceptable_request_id("a\tb"));
    EXPECT_FALSE(acceptable_request_id("caf\xc3\xa9"));
}

TEST(TraceContext, ParsesVersion00AsTheSpecificationWritesIt) {
    const auto tp = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ASSERT_TRUE(tp);
    EXPECT_EQ(std::string(tp->trace_id.data(), 32), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(std::string(tp->parent_id.data(), 16), "00f067aa0ba902b7");
    EXPECT_EQ(tp->flags, 1);
}

TEST(TraceContext, RefusesMalformedTraceparents) {
    for (const char* bad : {
             "",
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",          // no flags
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 has no more
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // upper case
             "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // all-zero trace id
             "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // all-zero parent id
             "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // version ff is invalid
             "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
             "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
             "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01",
         })
        EXPECT_FALSE(parse_traceparent(bad)) << bad;
    // A later version may append fields after a '-' (§3.2.4); it is read as version 00.
    EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"));
    EXPECT_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01future"));
}

TEST(TraceContext, AnIncomingTraceKeepsItsIdAndFlagsWithANewParent) {
    IdSource ids;
    const auto incoming = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    std::string out;
    make_traceparent(ids, incoming, "ignored", out);
    ASSERT_EQ(out.size(), 55u) << out;
    EXPECT_EQ(out.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
    EXPECT_NE(out.substr(36, 16), "00f067aa0ba902b7");
    EXPECT_EQ(out.substr(52), "-01");
    EXPECT_TRUE(parse_traceparent(out)) << out;
}

TEST(TraceContext, ANewTraceTakesTheRequestIdAsTraceIdWhenItCan) {
    IdSource ids;
    std::string request_id, out;
    make_request_id(ids, request_id);
    make_traceparent(ids, std::nullopt, request_id, out);
    EXPECT_EQ(out.substr(3, 32), request_id);
    EXPECT_EQ(out.substr(52), "-00") << "not sampled";
    EXPECT_TRUE(parse_traceparent(out)) << out;
    // An id made here is taken without being checked again, with the same result.
    std::string unchecked;
    make_traceparent(ids, std::nullopt, request_id, unchecked, true);
    EXPECT_EQ(unchecked.substr(0, 36), out.substr(0, 36));
    EXPECT_TRUE(parse_traceparent(unchecked)) << unchecked;
    // A trusted proxy's id that is not 32 hex digits: a random trace id, still valid.
    make_traceparent(ids, std::nullopt, "lb1-42", out);
    ASSERT_TRUE(parse_traceparent(out)) << out;
    EXPECT_TRUE(is_lower_hex(out.substr(3, 32)));
    make_traceparent(ids, std::nullopt, std::string(32, '0'), out);
    EXPECT_TRUE(parse_traceparent(out)) << "an all-zero id is not a trace id: " << out;
}

}  // namespace
}  // namespace gisgate::http
