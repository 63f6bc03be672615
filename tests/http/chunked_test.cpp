#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "exact_buffer.hpp"
#include "http/chunked.hpp"

namespace gisgate::http {
namespace {

using Status = ChunkedScanner::Status;
using namespace std::string_literals;

// Feeds the whole input in one call.
ChunkedScanner::Result scan_all(std::string_view body, ChunkedScanner& s) { return s.feed(body); }

// Feeds the input in pieces of `step` bytes until done/error; returns the final status and the total consumed.
struct Outcome {
    Status status;
    std::size_t consumed;
};

Outcome scan_in_steps(std::string_view body, std::size_t step) {
    ChunkedScanner s;
    std::size_t pos = 0;
    while (pos < body.size()) {
        const test::ExactBuffer piece(body.substr(pos, step));
        const auto r = s.feed(piece.view());
        pos += r.consumed;
        if (r.status != Status::need_more) return {r.status, pos};
        EXPECT_EQ(r.consumed, std::min(step, body.size() - (pos - r.consumed))) << "need_more must consume all";
    }
    return {Status::need_more, pos};
}

// The chunk data alone, bounded, and what there is of a cut-off body (health checks, submitJob answers).
TEST(Chunked, Dechunk) {
    EXPECT_EQ(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100), "abcde");
    EXPECT_EQ(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 4), "abcd");
    EXPECT_EQ(dechunk("A\r\n0123", 100), "0123");  // truncated input: what is there
}

TEST(Chunked, SimpleBody) {
    const std::string_view body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    ChunkedScanner s;
    const auto r = scan_all(body, s);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, body.size());
    EXPECT_EQ(s.payload_bytes(), 11u);
}

// The chunk data alone, for an HTTP/1.0 recipient: whatever the pieces the body arrives in.
TEST(Chunked, PayloadIsTheChunkDataInEveryPieceSize) {
    const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n1\r\n!\r\n0\r\nX-Checksum: 1\r\n\r\n";
    for (std::size_t step = 1; step <= body.size(); ++step) {
        ChunkedScanner s;
        std::string payload;
        std::size_t pos = 0;
        ChunkedScanner::Result r;
        while (pos < body.size()) {
            const test::ExactBuffer piece(std::string_view(body).substr(pos, step));
            r = s.feed(piece.view(), &payload);
            pos += r.consumed;
            if (r.status != Status::need_more) break;
        }
        EXPECT_EQ(r.status, Status::done) << "step " << step;
        EXPECT_EQ(payload, "hello world!") << "step " << step;
    }
}

TEST(Chunked, StopsExactlyAtMessageEnd) {
    const std::string body = "3\r\nabc\r\n0\r\n\r\n";
    const std::string next = "POST /next HTTP/1.1\r\n";
    ChunkedScanner s;
    const auto r = s.feed(body + next);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, body.size());
}

TEST(Chunked, EmptyBody) {
    ChunkedScanner s;
    const auto r = s.feed("0\r\n\r\n");
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, 5u);
    EXPECT_EQ(s.payload_bytes(), 0u);
}

TEST(Chunked, HexSizesBothCasesAndLeadingZeros) {
    const std::string body = "A\r\n" + std::string(10, 'x') + "\r\n1f\r\n" + std::string(31, 'y') + "\r\n00010\r\n" +
                             std::string(16, 'z') + "\r\n000\r\n\r\n";
    ChunkedScanner s;
    const auto r = s.feed(body);
    ASSERT_EQ(r.status, Status::done) << (r.error ? r.error : "");
    EXPECT_EQ(r.consumed, body.size());
    EXPECT_EQ(s.payload_bytes(), 10u + 31u + 16u);
}

TEST(Chunked, DataMayContainCrlfAndZeroLines) {
    // Chunk data is opaque: a "0\r\n\r\n" inside the data must not end the message.
    const std::string body = "7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n";
    ChunkedScanner s;
    const auto r = s.feed(body);
    ASSERT_EQ(r.status, Status::done);
    EXPECT_EQ(r.consumed, body.size());
    EXPECT_EQ(s.payload_bytes(), 7u);
}

TEST(Chunked, Extensions) {
    const std::string body = "5;name=value\r\nhello\r\n4 ; a=\"quoted; \\\"x\" ;b\r\nabcd\r\n0;last\r\n\r\n";
    ChunkedScanner s;
    const auto r = s.feed(body);
    ASSERT_EQ(r.status, Status::done) << (r.error ? r.error : "");
    EXPECT_EQ(r.consumed, body.size());
    EXPECT_EQ(s.payload_bytes(), 9u);
}

TEST(Chunked, Trailers) {
    const std::string body = "2\r\nok\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Tab:\tv\r\n\r\nNEXT";
    ChunkedScanner s;
    const auto r = s.feed(body);
    ASSERT_EQ(r.status, Status::done) << (r.error ? r.error : "");
    EXPECT_EQ(r.consumed, body.size() - 4);
}

TEST(Chunked, EverySplitPointAndByteAtATime) {
    const std::string body =
        "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer-A: 1\r\nTrailer-B: two\r\n\r\n";
    const std::string tail = "GET / HTTP/1.1\r\n";
    const std::string all = body + tail;
    // One byte at a time.
    {
        const Outcome o = scan_in_steps(all, 1);
        ASSERT_EQ(o.status, Status::done);
        EXPECT_EQ(o.consumed, body.size());
    }
    // Every two-piece split.
    for (std::size_t split = 0; split <= all.size(); ++split) {
        ChunkedScanner s;
        const auto first = s.feed(std::string_view(all).substr(0, split));
        std::size_t consumed = first.consumed;
        Status status = first.status;
        if (status == Status::need_more) {
            ASSERT_EQ(first.consumed, split);
            const auto second = s.feed(std::string_view(all).substr(split));
            consumed += second.consumed;
            status = second.status;
        }
        ASSERT_EQ(status, Status::done) << "split " << split;
        EXPECT_EQ(consumed, body.size()) << "split " << split;
        EXPECT_EQ(s.payload_bytes(), 31u);
    }
    // Every step size.
    for (std::size_t step = 1; step <= all.size(); ++step) {
        const Outcome o = scan_in_steps(all, step);
        ASSERT_EQ(o.status, Status::done) << "step " << step;
        EXPECT_EQ(o.consumed, body.size()) << "step " << step;
    }
}

TEST(Chunked, EmptyFeedNeedsMore) {
    ChunkedScanner s;
    const auto r = s.feed(std::string_view{});
    EXPECT_EQ(r.status, Status::need_more);
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_EQ(s.feed("0\r\n\r\n").status, Status::done);
}

TEST(Chunked, FeedAfterDoneAndReset) {
    ChunkedScanner s;
    ASSERT_EQ(s.feed("0\r\n\r\n").status, Status::done);
    const auto again = s.feed("1\r\nx\r\n");
    EXPECT_EQ(again.status, Status::done);
    EXPECT_EQ(again.consumed, 0u);
    s.reset();
    EXPECT_EQ(s.payload_bytes(), 0u);
    const auto r = s.feed("1\r\nx\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, Status::done);
    EXPECT_EQ(s.payload_bytes(), 1u);
}

TEST(Chunked, LargeChunkSizeIsNeedMoreNotOverflow) {
    ChunkedScanner s;
    const auto r = s.feed("7fffffffffffffff\r\nabc");  // 2^63-1 bytes pending: the largest size accepted
    EXPECT_EQ(r.status, Status::need_more);
    EXPECT_EQ(r.consumed, 21u);
    EXPECT_EQ(s.payload_bytes(), 0x7fffffffffffffffull);
}

// Sizes that overflow 63 bits are refused (relayed today before the fix: 16 hex digits were accepted up to
// 2^64-1), with leading zeros still allowed.
TEST(Chunked, ChunkSizeAbove63BitsIsAnError) {
    for (const char* size : {"8000000000000000", "ffffffffffffffff", "80000000000000000"}) {
        ChunkedScanner s;
        const auto r = s.feed(std::string(size) + "\r\n");
        EXPECT_EQ(r.status, Status::error) << size;
    }
    ChunkedScanner zeros;
    EXPECT_EQ(zeros.feed("000000000000000a\r\n0123456789\r\n0\r\n\r\n").status, Status::done);
}

// limits.max_request_body for a chunked body: the running total of chunk sizes, before their data arrives.
TEST(Chunked, PayloadLimitIsCheckedOnTheRunningTotal) {
    ChunkedScanner s;
    s.reset(10);
    EXPECT_EQ(s.feed("5\r\nhello\r\n5\r\nworld\r\n").status, Status::need_more);  // exactly 10: fine
    const auto r = s.feed("1\r\n");
    ASSERT_EQ(r.status, Status::error);
    EXPECT_TRUE(s.over_limit());
    ChunkedScanner huge;
    huge.reset(1024);
    const auto h = huge.feed("7fffffffffffffff\r\n");
    EXPECT_EQ(h.status, Status::error);
    EXPECT_TRUE(huge.over_limit());
    ChunkedScanner framing;  // a framing error is not a size error
    framing.reset(1024);
    EXPECT_EQ(framing.feed("zz\r\n").status, Status::error);
    EXPECT_FALSE(framing.over_limit());
}

// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ). Malformed
// extensions are refused, not relayed (the unterminated quoted string was relayed before the fix).
TEST(Chunked, MalformedExtensionsAreErrors) {
    for (const std::string& bad : {"5;name=\"\r\nhello\r\n0\r\n\r\n"s,   // unterminated quoted string
                                  "5;name=\"ab\r\n\"\r\nhello\r\n0\r\n\r\n"s,  // CRLF inside the quotes
                                  "5;name=\"a\\\r\nhello\r\n0\r\n\r\n"s,  // quoted-pair of CR
                                  "5;\r\nhello\r\n0\r\n\r\n"s,           // ';' without a name
                                  "5;=v\r\nhello\r\n0\r\n\r\n"s,         // value without a name
                                  "5;a=\r\nhello\r\n0\r\n\r\n"s,         // '=' without a value
                                  "5;a b\r\nhello\r\n0\r\n\r\n"s,        // two tokens
                                  "5;a=b c\r\nhello\r\n0\r\n\r\n"s,      // two values
                                  "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"s,   // text after the quoted string
                                  "5;a(b)\r\nhello\r\n0\r\n\r\n"s,       // separators in a token
                                  "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"s, // CTL in the quoted string
                                  "5;a\nhello\r\n0\r\n\r\n"s}) {          // bare LF
        ChunkedScanner whole;
        EXPECT_EQ(whole.feed(bad).status, Status::error) << bad;
        EXPECT_EQ(scan_in_steps(bad, 1).status, Status::error) << "byte at a time: " << bad;
    }
}

TEST(Chunked, WellFormedExtensionsInEveryForm) {
    for (const std::string& good : {"5;a\r\nhello\r\n0\r\n\r\n"s, "5 ;a\r\nhello\r\n0\r\n\r\n"s,
                                   "5; a = b\r\nhello\r\n0\r\n\r\n"s, "5;a=\"\"\r\nhello\r\n0\r\n\r\n"s,
                                   "5;a=\"x;y=\\\"z\\\\\"\r\nhello\r\n0\r\n\r\n"s,
                                   "5;a=b;c;d=\"e\" \r\nhello\r\n0;x=1\r\n\r\n"s,
                                   "5;a=\"\xc3\xa9\t \"\r\nhello\r\n0\r\n\r\n"s}) {
        ChunkedScanner whole;
        const auto r = whole.feed(good);
        EXPECT_EQ(r.status, Status::done) << good << ": " << (r.error ? r.error : "");
        EXPECT_EQ(scan_in_steps(good, 1).status, Status::done) << "byte at a time: " << good;
    }
}

TEST(Chunked, ErrorsAreSticky) {
    ChunkedScanner s;
    const auto r = s.feed("zz\r\n");
    ASSERT_EQ(r.status, Status::error);
    ASSERT_NE(r.error, nullptr);
    const auto again = s.feed("0\r\n\r\n");
    EXPECT_EQ(again.status, Status::error);
    EXPECT_STREQ(again.error, r.error);
}

TEST(Chunked, ExtensionLengthLimit) {
    const std::size_t max = ChunkedScanner::kMaxLineLength;
    // "1;" + ext: the whole size line (without CRLF) is exactly the maximum.
    const std::string at_limit = "1;" + std::string(max - 2, 'e') + "\r\nx\r\n0\r\n\r\n";
    ChunkedScanner ok;
    EXPECT_EQ(ok.feed(at_limit).status, Status::done);
    const std::string over = "1;" + std::string(max - 1, 'e') + "\r\nx\r\n0\r\n\r\n";
    ChunkedScanner bad;
    EXPECT_EQ(bad.feed(over).status, Status::error);
    // Also detected when fed in small pieces (no CRLF ever arrives).
    ChunkedScanner trickle;
    ChunkedScanner::Result r;
    r = trickle.feed("1;");
    for (std::size_t i = 0; i < max && r.status == Status::need_more; ++i) r = trickle.feed("e");
    EXPECT_EQ(r.status, Status::error);
}

TEST(Chunked, ExtensionBytesBoundedOverTheWholeMessage) {
    // Each line is within kMaxLineLength, but tiny chunks carrying long extensions are bounded in total.
    const std::string ext(1000, 'e');
    std::string body;
    for (int i = 0; i < 16; ++i) body += "1;" + ext + "\r\nx\r\n";
    ChunkedScanner s;
    EXPECT_EQ(s.feed(body).status, Status::need_more);  // 16 * 1001 bytes: still within 16 KiB
    const auto r = s.feed("1;" + ext + "\r\nx\r\n0\r\n\r\n");
    ASSERT_EQ(r.status, Status::error);
    EXPECT_STREQ(r.error, "too many chunk extension bytes");
}

TEST(Chunked, TrailerNamesSimilarToFramingFieldsAreFine) {
    ChunkedScanner s;
    const std::string body = "0\r\nContent-Lengths: 1\r\nX-Host: a\r\nContent-Type: text/plain\r\n\r\n";
    EXPECT_EQ(s.feed(body).status, Status::done);
}

TEST(Chunked, CapturedTrailerLinesAreTheSectionAsReceivedWholeOrByteByByte) {
    const std::string body = "3\r\nabc\r\n0\r\nX-Checksum: 3f2a\r\nServer-Timing:db;dur=53 \r\n\r\nNEXT";
    for (const bool byte_by_byte : {false, true}) {
        ChunkedScanner s;
        std::string trailers;
        s.capture_trailers(&trailers);
        ChunkedScanner::Result r;
        if (byte_by_byte) {
            for (std::size_t i = 0; i < body.size() && r.status != Status::done; ++i) r = s.feed(body.substr(i, 1));
        } else {
            r = s.feed(body);
            EXPECT_EQ(r.consumed, body.size() - 4);
        }
        EXPECT_EQ(r.status, Status::done);
        EXPECT_EQ(trailers, "X-Checksum: 3f2a\r\nServer-Timing:db;dur=53 \r\n") << byte_by_byte;
    }
    ChunkedScanner none;
    std::string empty;
    none.capture_trailers(&empty);
    EXPECT_EQ(none.feed("1\r\nx\r\n0\r\n\r\n").status, Status::done);
    EXPECT_TRUE(empty.empty());
    EXPECT_TRUE(forbidden_in_trailer("content-length"));
    EXPECT_FALSE(forbidden_in_trailer("x-checksum"));
}

TEST(Chunked, TrailerLimits) {
    const std::string long_line = "0\r\nX: " + std::string(ChunkedScanner::kMaxLineLength, 'v') + "\r\n\r\n";
    ChunkedScanner s;
    EXPECT_EQ(s.feed(long_line).status, Status::error);
    // Many short trailer lines: bounded by kMaxTrailerSize overall.
    std::string many = "0\r\n";
    while (many.size() < ChunkedScanner::kMaxTrailerSize + 100) many += "X-T: 0123456789\r\n";
    many += "\r\n";
    ChunkedScanner t;
    EXPECT_EQ(t.feed(many).status, Status::error);
}

struct BadChunked {
    const char* name;
    std::string body;
};

void PrintTo(const BadChunked& b, std::ostream* os) { *os << b.name; }

class ChunkedReject : public ::testing::TestWithParam<BadChunked> {};

TEST_P(ChunkedReject, IsErrorWholeAndByteByByte) {
    const BadChunked& c = GetParam();
    ChunkedScanner s;
    const auto r = s.feed(c.body);
    EXPECT_EQ(r.status, Status::error) << c.name;
    EXPECT_NE(r.error, nullptr);
    EXPECT_EQ(scan_in_steps(c.body, 1).status, Status::error) << c.name << " fed byte by byte";
}

INSTANTIATE_TEST_SUITE_P(
    All, ChunkedReject,
    ::testing::Values(
        BadChunked{"NonHexSize", "g\r\nx\r\n0\r\n\r\n"},
        BadChunked{"EmptySize", "\r\nx\r\n0\r\n\r\n"},
        BadChunked{"NegativeSize", "-1\r\nx\r\n0\r\n\r\n"},
        BadChunked{"HexPrefix", "0x5\r\nhello\r\n0\r\n\r\n"},
        BadChunked{"LeadingSpace", " 5\r\nhello\r\n0\r\n\r\n"},
        BadChunked{"TrailingSpaceNoExt", "5 \r\nhello\r\n0\r\n\r\n"},
        BadChunked{"SeventeenDigits", "00000000000000005\r\nhello\r\n0\r\n\r\n"},
        BadChunked{"Overflow", "10000000000000000\r\n"},
        BadChunked{"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n"},
        BadChunked{"BareCrAfterSize", "5\rhello\r\n0\r\n\r\n"},
        BadChunked{"BareLfInExtension", "5;a=b\nhello\r\n0\r\n\r\n"},
        BadChunked{"CtlInExtension", "5;a=\x01\r\nhello\r\n0\r\n\r\n"},
        BadChunked{"BareLfAfterData", "5\r\nhello\n0\r\n\r\n"},
        BadChunked{"DataLongerThanSize", "3\r\nhello\r\n0\r\n\r\n"},
        BadChunked{"NoCrlfAfterData", "5\r\nhello0\r\n\r\n"},
        BadChunked{"BareLfLastChunk", "0\n\r\n"},
        BadChunked{"BareLfEnd", "0\r\n\n"},
        BadChunked{"BareCrEnd", "0\r\n\rX"},
        BadChunked{"BareLfInTrailer", "0\r\nX: y\n\r\n"},
        BadChunked{"ObsFoldTrailer", "0\r\nX: y\r\n z\r\n\r\n"},
        BadChunked{"TrailerWithoutColon", "0\r\nNoColon\r\n\r\n"},
        BadChunked{"TrailerBadName", "0\r\nX Y: z\r\n\r\n"},
        BadChunked{"NulInTrailer", "0\r\nX: a\0b\r\n\r\n"s},
        BadChunked{"ContentLengthTrailer", "0\r\nContent-Length: 5\r\n\r\n"},
        BadChunked{"TransferEncodingTrailer", "0\r\nX: 1\r\ntransfer-encoding: chunked\r\n\r\n"},
        BadChunked{"HostTrailer", "0\r\nHOST: evil\r\n\r\n"},
        BadChunked{"ConnectionTrailer", "0\r\nConnection: close\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gisgate::http
