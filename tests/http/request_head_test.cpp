#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "exact_buffer.hpp"
#include "http/method.hpp"
#include "http/request_head.hpp"

namespace gisgate::http {
namespace {

using namespace std::string_literals;

ParseResult parse(std::string_view buf, RequestHead& head, const Limits& limits = Limits{}) {
    return parse_request_head(buf, limits, head);
}

std::string_view find_header(const RequestHead& head, std::string_view name) {
    for (const Header& h : head.headers)
        if (h.name == name) return h.value;
    return "<absent>";
}

// Every proper prefix of the head must be `incomplete` (never an error, never complete), and the full head
// must be complete with head_size == head.size().
void expect_incomplete_until_complete(std::string_view head, std::string_view rest = {}) {
    RequestHead out;
    for (std::size_t i = 0; i < head.size(); ++i) {
        const test::ExactBuffer prefix(head.substr(0, i));
        const ParseResult r = parse(prefix.view(), out);
        ASSERT_EQ(r.status, ParseStatus::incomplete) << "prefix length " << i << ": " << (r.error ? r.error : "");
    }
    const test::ExactBuffer full(std::string(head) + std::string(rest));
    const ParseResult r = parse(full.view(), out);
    ASSERT_EQ(r.status, ParseStatus::complete) << (r.error ? r.error : "");
    EXPECT_EQ(out.head_size, head.size());
}

// ----------------------------------------------------------------------------------------------------------
// Valid requests

TEST(RequestHead, GetWithQuery) {
    const std::string_view req =
        "GET /arcgis/rest/services/Maps/MapServer/export?bbox=1,2,3,4&f=image HTTP/1.1\r\n"
        "Host: gis.example.org\r\n"
        "User-Agent:   curl/8.0  \r\n"
        "Accept: */*\r\n"
        "\r\n";
    RequestHead head;
    const ParseResult r = parse(req, head);
    ASSERT_EQ(r.status, ParseStatus::complete);
    EXPECT_EQ(head.method, Method::get);
    EXPECT_EQ(head.method_text, "GET");
    EXPECT_EQ(head.target, "/arcgis/rest/services/Maps/MapServer/export?bbox=1,2,3,4&f=image");
    EXPECT_EQ(head.path, "/arcgis/rest/services/Maps/MapServer/export");
    EXPECT_EQ(head.query, "bbox=1,2,3,4&f=image");
    EXPECT_EQ(head.version_minor, 1);
    ASSERT_EQ(head.headers.size(), 3u);
    EXPECT_EQ(head.headers[0].name, "Host");
    EXPECT_EQ(head.headers[1].value, "curl/8.0");  // OWS trimmed on both sides
    EXPECT_EQ(head.host, "gis.example.org");
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_EQ(head.content_length, 0u);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_FALSE(head.expect_continue);
    EXPECT_EQ(head.head_size, req.size());
}

TEST(RequestHead, EmptyQueryAfterQuestionMark) {
    RequestHead head;
    ASSERT_EQ(parse("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.path, "/a");
    EXPECT_EQ(head.query, "");
    EXPECT_EQ(head.target, "/a?");
}

TEST(RequestHead, PostWithContentLength) {
    const std::string_view head_text =
        "POST /arcgis/rest/services/Geo/GeocodeServer/findAddressCandidates HTTP/1.1\r\n"
        "Host: gis\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 11\r\n"
        "\r\n";
    const std::string req = std::string(head_text) + "f=json&q=x1";
    RequestHead head;
    ASSERT_EQ(parse(req, head).status, ParseStatus::complete);
    EXPECT_EQ(head.method, Method::post);
    EXPECT_EQ(head.framing, BodyFraming::content_length);
    EXPECT_EQ(head.content_length, 11u);
    EXPECT_EQ(head.head_size, head_text.size());
    EXPECT_EQ(req.substr(head.head_size), "f=json&q=x1");
}

TEST(RequestHead, ContentLengthZeroIsNoBody) {
    RequestHead head;
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_EQ(head.content_length, 0u);
}

// 2^63-1 is the largest body length any recipient can count; above it the request is refused, not relayed.
TEST(RequestHead, ContentLengthLargestValue) {
    RequestHead head;
    ASSERT_EQ(parse("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.content_length, 9223372036854775807ull);
    EXPECT_EQ(head.method, Method::put);
    for (const char* length : {"9223372036854775808", "18446744073709551615"}) {
        RequestHead over;
        const auto r = parse(std::string("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: ") + length + "\r\n\r\n", over);
        EXPECT_EQ(r.status, ParseStatus::error) << length;
        EXPECT_EQ(r.error_status, 400) << length;
    }
}

TEST(RequestHead, IdenticalContentLengthsAccepted) {
    RequestHead head;
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.content_length, 5u);
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.content_length, 5u);
    EXPECT_EQ(head.framing, BodyFraming::content_length);
}

TEST(RequestHead, Chunked) {
    RequestHead head;
    const std::string_view req = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    ASSERT_EQ(parse(req, head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::chunked);
    EXPECT_EQ(head.content_length, 0u);
    EXPECT_EQ(req.substr(head.head_size, 3), "5\r\n");
}

TEST(RequestHead, ChunkedSplitOverTwoFieldsWithEmptyElements) {
    // "Transfer-Encoding: , chunked" — empty list elements are ignored (RFC 9110 §5.6.1).
    RequestHead head;
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked ,\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::chunked);
}

TEST(RequestHead, PipelinedRequests) {
    const std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string second = "POST /b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    const std::string buf = first + second;
    RequestHead head;
    ASSERT_EQ(parse(buf, head).status, ParseStatus::complete);
    EXPECT_EQ(head.path, "/a");
    ASSERT_EQ(head.head_size, first.size());
    ASSERT_EQ(parse(std::string_view(buf).substr(head.head_size), head).status, ParseStatus::complete);
    EXPECT_EQ(head.path, "/b");
    EXPECT_EQ(head.query, "x=1");
    EXPECT_EQ(head.content_length, 3u);
    EXPECT_EQ(head.head_size, second.size() - 3);
}

TEST(RequestHead, LeadingEmptyLinesSkippedAndCounted) {
    const std::string_view req = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    RequestHead head;
    ASSERT_EQ(parse(req, head).status, ParseStatus::complete);
    EXPECT_EQ(head.method_text, "GET");
    EXPECT_EQ(head.head_size, req.size());
}

TEST(RequestHead, TooManyLeadingEmptyLines) {
    std::string req;
    for (int i = 0; i < 9; ++i) req += "\r\n";
    req += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    RequestHead head;
    const ParseResult r = parse(req, head);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 400);
}

TEST(RequestHead, Http10DefaultsAndKeepAlive) {
    RequestHead head;
    ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", head).status, ParseStatus::complete);  // Host optional in 1.0
    EXPECT_EQ(head.version_minor, 0);
    EXPECT_FALSE(head.keep_alive);
    EXPECT_EQ(head.host, "");
    ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_EQ(head.connection, "Keep-Alive");
    ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);  // close wins
}

TEST(RequestHead, Http11ConnectionClose) {
    RequestHead head;
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);
    EXPECT_EQ(head.connection, "Upgrade, CLOSE");
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, x-close\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_TRUE(head.keep_alive);  // whole tokens only
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: te\r\nConnection: close\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);  // tokens of every Connection field count
    EXPECT_EQ(head.connection, "te");  // the first field's raw value
}

TEST(RequestHead, ExpectContinue) {
    RequestHead head;
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 9\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_TRUE(head.expect_continue);
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_FALSE(head.expect_continue);
    ASSERT_EQ(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_FALSE(head.expect_continue);  // must be ignored for HTTP/1.0
}

TEST(RequestHead, OptionsAsteriskAndConnect) {
    RequestHead head;
    ASSERT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.method, Method::options);
    EXPECT_EQ(head.target, "*");
    ASSERT_EQ(parse("CONNECT gis.example.org:443 HTTP/1.1\r\nHost: gis.example.org:443\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.method, Method::connect);
    EXPECT_EQ(head.target, "gis.example.org:443");
    EXPECT_EQ(head.path, "");
}

TEST(RequestHead, UnknownTokenMethodIsOther) {
    RequestHead head;
    ASSERT_EQ(parse("PROPFIND /dav HTTP/1.1\r\nHost: h\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.method, Method::other);
    EXPECT_EQ(head.method_text, "PROPFIND");
    ASSERT_EQ(parse("Propfind /dav HTTP/1.1\r\nHost: h\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.method, Method::other);  // methods are case-sensitive; unknown ones are forwarded
}

TEST(RequestHead, CaseVariantsOfStandardMethodsRejected) {
    // A lenient server would take "head" for HEAD and send no body, while gisgate would expect one.
    for (const char* m : {"get", "Get", "head", "HeAd", "post", "put", "delete", "options", "patch", "trace",
                          "connect"}) {
        RequestHead head;
        const ParseResult r = parse(std::string(m) + " / HTTP/1.1\r\nHost: h\r\n\r\n", head);
        ASSERT_EQ(r.status, ParseStatus::error) << m;
        EXPECT_EQ(r.error_status, 400) << m;
    }
    EXPECT_TRUE(is_case_variant_of_standard("gEt"));
    EXPECT_FALSE(is_case_variant_of_standard("GET"));
    EXPECT_FALSE(is_case_variant_of_standard("GETS"));
    EXPECT_FALSE(is_case_variant_of_standard("propfind"));
}

TEST(RequestHead, FieldValueEdgeCases) {
    const std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tab:\ta\tb\t\r\nX-Utf8: caf\xc3\xa9\r\n"
                            "x-lower-name: v\r\n\r\n"s;
    RequestHead head;
    ASSERT_EQ(parse(req, head).status, ParseStatus::complete);
    EXPECT_EQ(find_header(head, "X-Empty"), "");
    EXPECT_EQ(find_header(head, "X-Tab"), "a\tb");
    EXPECT_EQ(find_header(head, "X-Utf8"), "caf\xc3\xa9");
    EXPECT_EQ(find_header(head, "x-lower-name"), "v");  // name case preserved
}

TEST(RequestHead, HostForms) {
    RequestHead head;
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.host, "[::1]:8443");
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nhost:\r\n\r\n", head).status, ParseStatus::complete);  // empty Host is legal
    EXPECT_EQ(head.host, "");
}

TEST(RequestHead, ClearResetsAndKeepsCapacity) {
    RequestHead head;
    ASSERT_EQ(parse("POST / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 4\r\n\r\n", head).status,
              ParseStatus::complete);
    const auto* data = head.headers.data();
    const std::size_t cap = head.headers.capacity();
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.headers.data(), data);  // no reallocation on the second parse
    EXPECT_EQ(head.headers.capacity(), cap);
    EXPECT_EQ(head.headers.size(), 2u);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_EQ(head.content_length, 0u);
    EXPECT_EQ(head.version_minor, 1);
    EXPECT_TRUE(head.keep_alive);
}

TEST(RequestHead, ErrorLeavesNoStaleCompleteState) {
    RequestHead head;
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", head).status, ParseStatus::complete);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", head).status, ParseStatus::error);
    EXPECT_EQ(head.head_size, 0u);
}

// ----------------------------------------------------------------------------------------------------------
// Incomplete detection at every split point

TEST(RequestHeadIncomplete, EmptyAndNullBuffers) {
    RequestHead head;
    EXPECT_EQ(parse(std::string_view{}, head).status, ParseStatus::incomplete);
    EXPECT_EQ(parse("", head).status, ParseStatus::incomplete);
    EXPECT_EQ(parse("\r", head).status, ParseStatus::incomplete);
    EXPECT_EQ(parse("\r\n", head).status, ParseStatus::incomplete);
}

TEST(RequestHeadIncomplete, EverySplitPointOfGet) {
    expect_incomplete_until_complete(
        "GET /arcgis/rest/services?f=json HTTP/1.1\r\nHost: gis.example.org\r\nAccept: */*\r\n"
        "Connection: keep-alive\r\n\r\n");
}

TEST(RequestHeadIncomplete, EverySplitPointOfPostWithBodyAfter) {
    expect_incomplete_until_complete("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n", "abcd");
}

TEST(RequestHeadIncomplete, EverySplitPointWithLeadingCrlfAndHttp10) {
    expect_incomplete_until_complete("\r\nGET / HTTP/1.0\r\nX:\r\n\r\n");
}

TEST(RequestHeadIncomplete, EverySplitPointOfLargeHead) {
    // Above the quick-check threshold (2 KiB) the parser first looks for an empty line; results must not change.
    std::string req = "GET /arcgis/rest/services/Maps/MapServer/export?bbox=1,2,3,4 HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; req.size() < 5000; ++i) req += "X-Filler-" + std::to_string(i) + ": " + std::string(60, 'v') + "\r\n";
    req += "\r\n";
    expect_incomplete_until_complete(req, "GET / HTTP/1.1\r\n");
}

TEST(RequestHeadIncomplete, LargeHeadErrorStillReportedOnceComplete) {
    std::string req = "GET /a HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; req.size() < 4000; ++i) req += "X-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
    req += "Bad Name: v\r\n\r\n";
    RequestHead head;
    const ParseResult r = parse(req, head);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 400);
}

// ----------------------------------------------------------------------------------------------------------
// Rejections

struct Reject {
    const char* name;
    std::string request;
    int status;
};

void PrintTo(const Reject& r, std::ostream* os) { *os << r.name; }

class RequestHeadReject : public ::testing::TestWithParam<Reject> {};

TEST_P(RequestHeadReject, IsRejected) {
    const Reject& c = GetParam();
    RequestHead head;
    const ParseResult r = parse(c.request, head);
    ASSERT_EQ(r.status, ParseStatus::error) << c.name;
    EXPECT_EQ(r.error_status, c.status) << c.name << ": " << (r.error ? r.error : "(no reason)");
    ASSERT_NE(r.error, nullptr);
    EXPECT_GT(std::string_view(r.error).size(), 0u);
}

const std::string kHostLine = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Framing, RequestHeadReject,
    ::testing::Values(
        Reject{"ClAndTe", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Reject{"TeAndCl", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400},
        Reject{"ConflictingCl", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
        Reject{"ConflictingClList", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5, 6\r\n\r\n", 400},
        Reject{"ClEmptyListElement", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5,\r\n\r\n", 400},
        Reject{"ClNonDigit", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5a\r\n\r\n", 400},
        Reject{"ClPlusSign", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: +5\r\n\r\n", 400},
        Reject{"ClNegative", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: -1\r\n\r\n", 400},
        Reject{"ClHex", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 0x10\r\n\r\n", 400},
        Reject{"ClSpaceInside", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 1 0\r\n\r\n", 400},
        Reject{"ClEmpty", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length:\r\n\r\n", 400},
        Reject{"ClOverflow", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 18446744073709551616\r\n\r\n", 400},
        Reject{"ClHugeOverflow", "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 99999999999999999999999\r\n\r\n", 400},
        Reject{"TeGzipOnly", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: gzip\r\n\r\n", 400},
        Reject{"TeChunkedNotLast", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
        Reject{"TeChunkedNotLastTwoFields",
               "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", 400},
        Reject{"TeChunkedTwice", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
        Reject{"TeEmpty", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding:\r\n\r\n", 400},
        Reject{"TeChunkedWithParams", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: chunked;q=1\r\n\r\n", 400},
        Reject{"TeLookalike", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: xchunked\r\n\r\n", 400},
        Reject{"TeUnsupportedCoding", "POST / HTTP/1.1\r\n" + kHostLine + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
        Reject{"ChunkedInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Reject{"ConnectionNamesContentLength",
               "POST / HTTP/1.1\r\n" + kHostLine + "Content-Length: 5\r\nConnection: content-length\r\n\r\n", 400},
        Reject{"ConnectionNamesTransferEncoding",
               "POST / HTTP/1.1\r\n" + kHostLine + "Connection: close, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n",
               400},
        Reject{"ConnectionNamesHost", "GET / HTTP/1.1\r\n" + kHostLine + "Connection: host\r\n\r\n", 400},
        Reject{"UnderscoreContentLength", "POST / HTTP/1.1\r\n" + kHostLine + "Content_Length: 5\r\n\r\n", 400},
        Reject{"UnderscoreTransferEncoding", "POST / HTTP/1.1\r\n" + kHostLine + "transfer_encoding: chunked\r\n\r\n",
               400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    FieldSyntax, RequestHeadReject,
    ::testing::Values(
        Reject{"ObsFoldSpace", "GET / HTTP/1.1\r\n" + kHostLine + "X-A: 1\r\n 2\r\n\r\n", 400},
        Reject{"ObsFoldTab", "GET / HTTP/1.1\r\n" + kHostLine + "X-A: 1\r\n\t2\r\n\r\n", 400},
        Reject{"WhitespaceFirstLine", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
        Reject{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        Reject{"TabBeforeColon", "GET / HTTP/1.1\r\n" + kHostLine + "Content-Length\t: 5\r\n\r\n", 400},
        Reject{"EmptyName", "GET / HTTP/1.1\r\n" + kHostLine + ": v\r\n\r\n", 400},
        Reject{"NoColon", "GET / HTTP/1.1\r\n" + kHostLine + "NoColonHere\r\n\r\n", 400},
        Reject{"BadNameChar", "GET / HTTP/1.1\r\n" + kHostLine + "X(y): v\r\n\r\n", 400},
        Reject{"BareLfAfterField", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
        Reject{"BareLfEndOfHead", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400},
        Reject{"BareLfRequestLine", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
        Reject{"AllBareLf", "GET / HTTP/1.1\nHost: h\n\n", 400},
        Reject{"BareCrInValue", "GET / HTTP/1.1\r\n" + kHostLine + "X: a\rb\r\n\r\n", 400},
        Reject{"BareCrEndOfHead", "GET / HTTP/1.1\r\n" + kHostLine + "\rX\r\n\r\n", 400},
        Reject{"BareCrRequestLine", "GET / HTTP/1.1\rX\r\n" + kHostLine + "\r\n", 400},
        Reject{"NulInValue", "GET / HTTP/1.1\r\n" + kHostLine + "X: a\0b\r\n\r\n"s, 400},
        Reject{"NulInName", "GET / HTTP/1.1\r\n" + kHostLine + "X\0Y: a\r\n\r\n"s, 400},
        Reject{"CtlInValue", "GET / HTTP/1.1\r\n" + kHostLine + "X: a\x01" "b\r\n\r\n", 400},
        Reject{"DelInValue", "GET / HTTP/1.1\r\n" + kHostLine + "X: a\x7f\r\n\r\n", 400},
        Reject{"EscInValue", "GET / HTTP/1.1\r\n" + kHostLine + "X: \x1b[31m\r\n\r\n", 400},
        Reject{"BareLfLeading", "\nGET / HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"BareCrLeading", "\rGET / HTTP/1.1\r\n" + kHostLine + "\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    RequestLine, RequestHeadReject,
    ::testing::Values(
        Reject{"MethodWithSlash", "GE/T / HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"MethodWithColon", "GET: / HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"EmptyMethod", " / HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"NulInMethod", "G\0T / HTTP/1.1\r\n"s + kHostLine + "\r\n", 400},
        Reject{"TwoSpacesAfterMethod", "GET  / HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"TwoSpacesBeforeVersion", "GET /  HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"TabSeparator", "GET\t/ HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"TrailingSpace", "GET / HTTP/1.1 \r\n" + kHostLine + "\r\n", 400},
        Reject{"NoVersion", "GET /\r\n" + kHostLine + "\r\n", 400},
        Reject{"Http09", "GET /index.html\r\n\r\n", 400},
        Reject{"LowercaseVersion", "GET / http/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"GarbageVersion", "GET / HTTQ/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"VersionTooLong", "GET / HTTP/1.10\r\n" + kHostLine + "\r\n", 400},
        Reject{"VersionMultiDigit", "GET / HTTP/11.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"Http20", "GET / HTTP/2.0\r\n" + kHostLine + "\r\n", 505},
        Reject{"Http12", "GET / HTTP/1.2\r\n" + kHostLine + "\r\n", 505},
        Reject{"Http09Version", "GET / HTTP/0.9\r\n" + kHostLine + "\r\n", 505},
        Reject{"AbsoluteForm", "GET http://gis.example.org/arcgis HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"RelativeTarget", "GET arcgis/rest HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"AsteriskForGet", "GET * HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"CtlInTarget", "GET /a\x01" "b HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"DelInTarget", "GET /a\x7f HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"NulInTarget", "GET /a\0 HTTP/1.1\r\n"s + kHostLine + "\r\n", 400},
        Reject{"TabInTarget", "GET /a\tb HTTP/1.1\r\n" + kHostLine + "\r\n", 400},
        Reject{"FragmentInTarget", "GET /a#b HTTP/1.1\r\n" + kHostLine + "\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Host, RequestHeadReject,
    ::testing::Values(
        Reject{"MissingHost11", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        Reject{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
        Reject{"TwoHostsDifferentCase", "GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n", 400},
        Reject{"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        Reject{"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        Reject{"HostWithAt", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

// ----------------------------------------------------------------------------------------------------------
// Limits

TEST(RequestHeadLimits, RequestLineExactlyAtLimitAccepted) {
    Limits limits;
    limits.max_request_line = 64;
    const std::string line = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
    ASSERT_EQ(line.size(), 64u);
    RequestHead head;
    EXPECT_EQ(parse(line + "\r\nHost: h\r\n\r\n", head, limits).status, ParseStatus::complete);
    // The prefix ending in the CR of that line is still only incomplete, not too long.
    EXPECT_EQ(parse(line + "\r", head, limits).status, ParseStatus::incomplete);
}

TEST(RequestHeadLimits, RequestLineTooLong) {
    Limits limits;
    limits.max_request_line = 64;
    const std::string line = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
    ASSERT_EQ(line.size(), 65u);
    RequestHead head;
    ParseResult r = parse(line + "\r\nHost: h\r\n\r\n", head, limits);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 414);
    r = parse(line + "\r\nHost: h\r\n", head, limits);  // head incomplete, line complete
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 414);
}

TEST(RequestHeadLimits, IncompleteRequestLineAlreadyTooLong) {
    Limits limits;
    limits.max_request_line = 100;
    RequestHead head;
    EXPECT_EQ(parse("GET /" + std::string(95, 'a'), head, limits).status, ParseStatus::incomplete);
    const ParseResult r = parse("GET /" + std::string(96, 'a'), head, limits);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 414);
    // Also when the quick check for big buffers answers (default limit 32 KiB, buffer 40 KiB).
    const ParseResult big = parse("GET /" + std::string(40000, 'a'), head);
    ASSERT_EQ(big.status, ParseStatus::error);
    EXPECT_EQ(big.error_status, 414);
}

TEST(RequestHeadLimits, HeadTooLarge) {
    Limits limits;
    limits.max_header_size = 200;
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(200, 'x') + "\r\n\r\n";
    ASSERT_GT(req.size(), 200u);
    RequestHead head;
    ParseResult r = parse(req, head, limits);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 431);
    // Incomplete and already larger than the limit.
    r = parse(req.substr(0, 201), head, limits);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 431);
    // Incomplete and not yet larger: wait.
    EXPECT_EQ(parse(req.substr(0, 200), head, limits).status, ParseStatus::incomplete);
}

TEST(RequestHeadLimits, HeadExactlyAtLimitAccepted) {
    const std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(20, 'x') + "\r\n\r\n";
    Limits limits;
    limits.max_header_size = static_cast<std::uint32_t>(req.size());
    RequestHead head;
    EXPECT_EQ(parse(req + "BODY", head, limits).status, ParseStatus::complete);  // body bytes do not count
    limits.max_header_size -= 1;
    EXPECT_EQ(parse(req, head, limits).error_status, 431);
}

TEST(RequestHeadLimits, LargeIncompleteHeadUsesQuickCheck) {
    // 60 KiB of headers without an empty line: incomplete under the 64 KiB default, 431 above it.
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
    while (req.size() < 60 * 1024) req += "X-Filler: " + std::string(1000, 'f') + "\r\n";
    RequestHead head;
    EXPECT_EQ(parse(req, head).status, ParseStatus::incomplete);
    while (req.size() <= 64 * 1024) req += "X-Filler: " + std::string(1000, 'f') + "\r\n";
    const ParseResult r = parse(req, head);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 431);
}

TEST(RequestHeadLimits, TooManyHeaders) {
    Limits limits;
    limits.max_headers = 5;
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 4; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
    RequestHead head;
    ASSERT_EQ(parse(req + "\r\n", head, limits).status, ParseStatus::complete);  // exactly 5
    EXPECT_EQ(head.headers.size(), 5u);
    const ParseResult r = parse(req + "X-5: v\r\n\r\n", head, limits);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 431);
}

// ----------------------------------------------------------------------------------------------------------
// Method helpers

TEST(Method, FromTextAndIdempotency) {
    EXPECT_EQ(method_from("GET"), Method::get);
    EXPECT_EQ(method_from("HEAD"), Method::head);
    EXPECT_EQ(method_from("POST"), Method::post);
    EXPECT_EQ(method_from("PUT"), Method::put);
    EXPECT_EQ(method_from("DELETE"), Method::del);
    EXPECT_EQ(method_from("OPTIONS"), Method::options);
    EXPECT_EQ(method_from("PATCH"), Method::patch);
    EXPECT_EQ(method_from("CONNECT"), Method::connect);
    EXPECT_EQ(method_from("TRACE"), Method::trace);
    EXPECT_EQ(method_from("GETS"), Method::other);
    EXPECT_EQ(method_from("Get"), Method::other);
    EXPECT_EQ(method_from(""), Method::other);
    EXPECT_TRUE(is_idempotent(Method::get));
    EXPECT_TRUE(is_idempotent(Method::put));
    EXPECT_FALSE(is_idempotent(Method::post));
    EXPECT_FALSE(is_idempotent(Method::patch));
    EXPECT_FALSE(is_idempotent(Method::other));
}

}  // namespace
}  // namespace gisgate::http
