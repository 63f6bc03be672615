#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "exact_buffer.hpp"
#include "http/response_head.hpp"

namespace gisgate::http {
namespace {

using namespace std::string_literals;

constexpr std::uint32_t kMaxHeader = 64 * 1024;
constexpr std::uint32_t kMaxHeaders = 100;

ParseResult parse(std::string_view buf, ResponseHead& head, Method method = Method::get) {
    return parse_response_head(buf, method, kMaxHeader, kMaxHeaders, head);
}

TEST(ResponseHead, OkWithContentLength) {
    const std::string_view head_text =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n";
    const std::string resp = std::string(head_text) + "{\"currentVersion\"}";
    ResponseHead head;
    ASSERT_EQ(parse(resp, head).status, ParseStatus::complete);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.reason, "OK");
    EXPECT_EQ(head.version_minor, 1);
    EXPECT_EQ(head.framing, BodyFraming::content_length);
    EXPECT_EQ(head.content_length, 17u);
    EXPECT_FALSE(head.until_close);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_EQ(head.head_size, head_text.size());
    ASSERT_EQ(head.headers.size(), 2u);
    EXPECT_EQ(head.headers[0].name, "Content-Type");
    EXPECT_EQ(head.headers[0].value, "application/json");
}

TEST(ResponseHead, ReasonWithSpacesAndEmptyReason) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.status, 404);
    EXPECT_EQ(head.reason, "Not Found Here");
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.reason, "");
    ASSERT_EQ(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", head).status, ParseStatus::complete);  // no SP
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.reason, "");
}

TEST(ResponseHead, Chunked) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::chunked);
    EXPECT_FALSE(head.until_close);
    EXPECT_TRUE(head.keep_alive);
    // Other codings before chunked are passed through untouched; the framing is still chunked.
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::chunked);
}

TEST(ResponseHead, ChunkedNotFinalReadsUntilClose) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_TRUE(head.until_close);
    EXPECT_FALSE(head.keep_alive);
}

TEST(ResponseHead, UntilClose) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_TRUE(head.until_close);
    EXPECT_FALSE(head.keep_alive);  // the body ends with the connection
    ASSERT_EQ(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_TRUE(head.until_close);
    EXPECT_FALSE(head.keep_alive);
}

TEST(ResponseHead, HeadResponseHasNoBody) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", head, Method::head).status, ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_EQ(head.content_length, 0u);
    EXPECT_FALSE(head.until_close);
    EXPECT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head, Method::head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n", head, Method::head).status, ParseStatus::complete);
    EXPECT_FALSE(head.until_close);
    EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseHead, NoContentAndNotModifiedHaveNoBody) {
    for (const char* resp : {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
                             "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"}) {
        SCOPED_TRACE(resp);
        ResponseHead head;
        ASSERT_EQ(parse(resp, head).status, ParseStatus::complete);
        EXPECT_EQ(head.framing, BodyFraming::none);
        EXPECT_EQ(head.content_length, 0u);
        EXPECT_FALSE(head.until_close);
        EXPECT_TRUE(head.keep_alive);
    }
}

TEST(ResponseHead, InformationalHasNoBody) {
    const std::string resp = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    ResponseHead head;
    ASSERT_EQ(parse(resp, head).status, ParseStatus::complete);
    EXPECT_EQ(head.status, 100);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_FALSE(head.until_close);
    EXPECT_EQ(head.head_size, 25u);
    ASSERT_EQ(parse(std::string_view(resp).substr(head.head_size), head).status, ParseStatus::complete);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.content_length, 2u);
    ASSERT_EQ(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", head)
                  .status,
              ParseStatus::complete);
    EXPECT_EQ(head.framing, BodyFraming::none);
    EXPECT_FALSE(head.until_close);
    EXPECT_EQ(head.connection, "Upgrade");
}

TEST(ResponseHead, KeepAliveRules) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);
    EXPECT_EQ(head.connection, "close");
    ASSERT_EQ(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", head).status, ParseStatus::complete);
    EXPECT_EQ(head.version_minor, 0);
    EXPECT_FALSE(head.keep_alive);
    ASSERT_EQ(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: Keep-Alive\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseHead, IdenticalDuplicateContentLength) {
    ResponseHead head;
    ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", head).status,
              ParseStatus::complete);
    EXPECT_EQ(head.content_length, 7u);
}

TEST(ResponseHead, EverySplitPointIsIncomplete) {
    const std::string_view resp =
        "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\n";
    ResponseHead head;
    for (std::size_t i = 0; i < resp.size(); ++i) {
        const test::ExactBuffer prefix(resp.substr(0, i));
        const ParseResult r = parse(prefix.view(), head);
        ASSERT_EQ(r.status, ParseStatus::incomplete) << "prefix " << i << ": " << (r.error ? r.error : "");
    }
    ASSERT_EQ(parse(std::string(resp) + "PNG", head).status, ParseStatus::complete);
    EXPECT_EQ(head.head_size, resp.size());
}

TEST(ResponseHead, EverySplitPointOfNoReasonStatusLine) {
    const std::string_view resp = "HTTP/1.1 204\r\n\r\n";
    ResponseHead head;
    for (std::size_t i = 0; i < resp.size(); ++i) {
        const test::ExactBuffer prefix(resp.substr(0, i));
        ASSERT_EQ(parse(prefix.view(), head).status, ParseStatus::incomplete) << i;
    }
    ASSERT_EQ(parse(resp, head).status, ParseStatus::complete);
}

TEST(ResponseHead, EmptyBufferIsIncomplete) {
    ResponseHead head;
    EXPECT_EQ(parse(std::string_view{}, head).status, ParseStatus::incomplete);
    EXPECT_EQ(parse("\r\n", head).status, ParseStatus::incomplete);  // a stray CRLF before the status line
}

TEST(ResponseHead, GarbageDetectedBeforeStatusLineCompletes) {
    ResponseHead head;
    const ParseResult r = parse("<html>", head);  // an HTTP/0.9-style answer: no status line at all
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 502);
    EXPECT_EQ(parse("HTTP/1", head).status, ParseStatus::incomplete);
}

TEST(ResponseHead, TooLarge) {
    std::string resp = "HTTP/1.1 200 OK\r\n";
    while (resp.size() <= 1000) resp += "X-Filler: " + std::string(50, 'f') + "\r\n";
    ResponseHead head;
    ParseResult r = parse_response_head(resp, Method::get, 1000, 100, head);  // incomplete but over the limit
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 502);
    r = parse_response_head(resp + "\r\n", Method::get, 1000, 100, head);
    ASSERT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.error_status, 502);
    r = parse_response_head(resp + "\r\n", Method::get, 1000, 5, head);
    ASSERT_EQ(r.status, ParseStatus::error);  // too many headers
    EXPECT_EQ(r.error_status, 502);
    EXPECT_EQ(parse_response_head(resp + "\r\n", Method::get, 64 * 1024, 100, head).status, ParseStatus::complete);
}

struct BadResponseHead {
    const char* name;
    std::string response;
    Method method = Method::get;
};

void PrintTo(const BadResponseHead& r, std::ostream* os) { *os << r.name; }

class ResponseHeadReject : public ::testing::TestWithParam<BadResponseHead> {};

TEST_P(ResponseHeadReject, Is502) {
    const BadResponseHead& c = GetParam();
    ResponseHead head;
    const ParseResult r = parse(c.response, head, c.method);
    ASSERT_EQ(r.status, ParseStatus::error) << c.name;
    EXPECT_EQ(r.error_status, 502) << c.name;
    ASSERT_NE(r.error, nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    All, ResponseHeadReject,
    ::testing::Values(
        BadResponseHead{"ClAndTe", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
        BadResponseHead{"ClAndTeOnHead", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                    Method::head},
        BadResponseHead{"ConflictingCl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n"},
        BadResponseHead{"BadCl", "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n"},
        BadResponseHead{"ChunkedTwice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"},
        BadResponseHead{"Http10Chunked", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
        BadResponseHead{"Http20", "HTTP/2.0 200 OK\r\n\r\n"},
        BadResponseHead{"Http12", "HTTP/1.2 200 OK\r\n\r\n"},
        BadResponseHead{"LowercaseVersion", "http/1.1 200 OK\r\n\r\n"},
        BadResponseHead{"TwoDigitStatus", "HTTP/1.1 20 OK\r\n\r\n"},
        BadResponseHead{"FourDigitStatus", "HTTP/1.1 2000 OK\r\n\r\n"},
        BadResponseHead{"StatusBelow100", "HTTP/1.1 099 Odd\r\n\r\n"},
        BadResponseHead{"NonDigitStatus", "HTTP/1.1 2x0 OK\r\n\r\n"},
        BadResponseHead{"TwoSpacesBeforeStatus", "HTTP/1.1  200 OK\r\n\r\n"},
        BadResponseHead{"CtlInReason", "HTTP/1.1 200 O\x01K\r\n\r\n"},
        BadResponseHead{"BareLfStatusLine", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"},
        BadResponseHead{"BareLfFields", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\n"},
        BadResponseHead{"BareCrStatusLine", "HTTP/1.1 200 OK\rX\r\n\r\n"},
        BadResponseHead{"ObsFold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n"},
        BadResponseHead{"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
        BadResponseHead{"NulInValue", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n"s},
        BadResponseHead{"ConnectionNamesContentLength",
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Content-Length\r\n\r\nok"},
        BadResponseHead{"UnderscoreContentLength", "HTTP/1.1 200 OK\r\nContent_Length: 2\r\n\r\nok"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gisgate::http
