// Deterministic mutation fuzzing of the parsers. Every input is copied into an exactly-sized heap buffer so
// that a sanitizer build catches any read past the end; the checks are invariants that must hold for any input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "exact_buffer.hpp"
#include "http/chunked.hpp"
#include "http/path.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::http {
namespace {

using test::ExactBuffer;

std::string mutate(std::string s, std::mt19937& rng) {
    static constexpr char kInteresting[] = {'\r', '\n', ' ', '\t', ':', ';', '\0', '%', '/', '.', ',', '0', 'f',
                                            'x', '\x7f', '\x80', '\xff', '?', '#', '\\'};
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
        const std::size_t pos = rng() % s.size();
        const char c = kInteresting[rng() % sizeof(kInteresting)];
        switch (rng() % 4) {
            case 0: s[pos] = c; break;
            case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
            case 2: s.erase(pos, 1 + rng() % 3); break;
            case 3: s.insert(pos, s.substr(rng() % s.size(), rng() % 8)); break;
        }
    }
    return s;
}

const std::vector<std::string> kRequests = {
    "GET /arcgis/rest/services/Maps/MapServer/export?bbox=1,2,3,4&f=image HTTP/1.1\r\nHost: gis\r\n"
    "Accept: */*\r\nConnection: keep-alive\r\n\r\n",
    "POST /arcgis/rest/services/x/FeatureServer/0/applyEdits HTTP/1.1\r\nHost: gis\r\nContent-Length: 10\r\n"
    "Expect: 100-continue\r\n\r\n0123456789",
    "POST /upload HTTP/1.1\r\nHost: gis\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "\r\nOPTIONS * HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
};

const std::vector<std::string> kResponses = {
    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nPNG",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n",
    "HTTP/1.0 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204\r\n\r\n",
};

const std::vector<std::string> kChunkedSeeds = {
    "5;a=b\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT",
    "0\r\n\r\n",
    "10\r\n0123456789abcdef\r\n0;x\r\n\r\n",
};

const std::vector<std::string> kPaths = {
    "/arcgis/rest/services/Maps/MapServer/export",
    "/arcgis/%61dmin/../rest/%2e%2e//x/./y/",
    "/ARCGIS%2Fadmin;jsessionid=1/..;/x\\y",
};

constexpr int kIterations = 4000;

TEST(Fuzz, RequestHeadInvariants) {
    std::mt19937 rng(12345);
    RequestHead head;
    const Limits limits;
    for (int i = 0; i < kIterations; ++i) {
        const std::string input = mutate(kRequests[i % kRequests.size()], rng);
        const ExactBuffer buf(input);
        const ParseResult r = parse_request_head(buf.view(), limits, head);
        if (r.status == ParseStatus::error) {
            ASSERT_NE(r.error, nullptr);
            ASSERT_TRUE(r.error_status == 400 || r.error_status == 414 || r.error_status == 431 ||
                        r.error_status == 501 || r.error_status == 505);
            continue;
        }
        // Every strict prefix of a complete head is incomplete; prefixes of an incomplete one too.
        const std::size_t limit = r.status == ParseStatus::complete ? head.head_size : input.size();
        if (r.status == ParseStatus::complete) {
            ASSERT_LE(head.head_size, input.size());
            ASSERT_NE(head.framing == BodyFraming::chunked && head.content_length != 0, true);
            const ExactBuffer exact(std::string_view(input).substr(0, head.head_size));
            RequestHead again;
            ASSERT_EQ(parse_request_head(exact.view(), limits, again).status, ParseStatus::complete) << input;
            ASSERT_EQ(again.head_size, head.head_size);
        }
        for (std::size_t n = 0; n < limit; n += 7) {
            const ExactBuffer prefix(std::string_view(input).substr(0, n));
            RequestHead p;
            ASSERT_NE(parse_request_head(prefix.view(), limits, p).status, ParseStatus::complete) << input;
        }
    }
}

TEST(Fuzz, ResponseHeadInvariants) {
    std::mt19937 rng(777);
    ResponseHead head;
    for (int i = 0; i < kIterations; ++i) {
        const std::string input = mutate(kResponses[i % kResponses.size()], rng);
        const ExactBuffer buf(input);
        const Method method = (i & 1) ? Method::head : Method::get;
        const ParseResult r = parse_response_head(buf.view(), method, 64 * 1024, 100, head);
        if (r.status == ParseStatus::error) {
            ASSERT_EQ(r.error_status, 502);
            continue;
        }
        if (r.status != ParseStatus::complete) continue;
        ASSERT_LE(head.head_size, input.size());
        ASSERT_GE(head.status, 100);
        ASSERT_LE(head.status, 999);
        if (head.until_close) {
            ASSERT_FALSE(head.keep_alive);
            ASSERT_EQ(head.framing, BodyFraming::none);
        }
        if (method == Method::head) {
            ASSERT_EQ(head.framing, BodyFraming::none);
        }
        const ExactBuffer exact(std::string_view(input).substr(0, head.head_size));
        ResponseHead again;
        ASSERT_EQ(parse_response_head(exact.view(), method, 64 * 1024, 100, again).status, ParseStatus::complete);
        for (std::size_t n = 0; n < head.head_size; n += 5) {
            const ExactBuffer prefix(std::string_view(input).substr(0, n));
            ASSERT_NE(parse_response_head(prefix.view(), method, 64 * 1024, 100, again).status, ParseStatus::complete);
        }
    }
}

TEST(Fuzz, ChunkedWholeEqualsByteByByte) {
    std::mt19937 rng(4242);
    for (int i = 0; i < kIterations; ++i) {
        const std::string input = mutate(kChunkedSeeds[i % kChunkedSeeds.size()], rng);
        const ExactBuffer buf(input);
        ChunkedScanner whole;
        const auto w = whole.feed(buf.view());

        ChunkedScanner bytes;
        ChunkedScanner::Status status = ChunkedScanner::Status::need_more;
        std::size_t consumed = 0;
        for (std::size_t k = 0; k < input.size() && status == ChunkedScanner::Status::need_more; ++k) {
            const ExactBuffer one(std::string_view(input).substr(k, 1));
            const auto r = bytes.feed(one.view());
            status = r.status;
            consumed += r.consumed;
        }
        ASSERT_EQ(status, w.status) << input;
        if (w.status == ChunkedScanner::Status::done) {
            ASSERT_EQ(consumed, w.consumed) << input;
            ASSERT_EQ(bytes.payload_bytes(), whole.payload_bytes());
        }
        if (w.status == ChunkedScanner::Status::need_more) {
            ASSERT_EQ(w.consumed, input.size());
        }
    }
}

TEST(Fuzz, PathInvariants) {
    std::mt19937 rng(99);
    NormalizedPath out, again;
    for (int i = 0; i < kIterations; ++i) {
        const std::string input = mutate(kPaths[i % kPaths.size()], rng);
        const ExactBuffer buf(input);
        if (normalize_path(buf.view(), out) != PathError::none) continue;
        ASSERT_FALSE(out.forward.empty());
        ASSERT_EQ(out.forward[0], '/');
        ASSERT_EQ(out.match[0], '/');
        for (const std::string& s : {out.forward, out.match}) {
            ASSERT_EQ(s.find("//"), std::string::npos) << input << " -> " << s;
            ASSERT_EQ(s.find("/./"), std::string::npos) << input << " -> " << s;
            ASSERT_EQ(s.find("/../"), std::string::npos) << input << " -> " << s;
        }
        ASSERT_EQ(normalize_path(out.forward, again), PathError::none) << input;
        ASSERT_EQ(again.forward, out.forward) << input;
        ASSERT_EQ(again.match, out.match) << input;
    }
}

}  // namespace
}  // namespace gisgate::http
