// The heads gisgate writes (proxy/head_writer.hpp): X-Forwarded-* rewriting, the request id and traceparent.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "proxy/head_writer.hpp"

namespace gisgate::proxy {
namespace {

std::string forwarded_head(const std::string& raw, bool trusted = false) {
    http::RequestHead head;
    const auto r = http::parse_request_head(raw, http::Limits{}, head);
    EXPECT_EQ(r.status, http::ParseStatus::complete) << raw;
    std::string out;
    RequestRewrite rewrite{"/arcgis/rest/info", "", "192.0.2.7", "https"};
    rewrite.trusted_forwarded = trusted;
    write_request_head(head, rewrite, out);
    return out;
}

TEST(HeadWriter, FromATrustedProxyTheWholeForwardedForChainIsKeptThenTheClient) {
    for (const int fields : {0, 1, 8, 9, 20}) {
        std::string raw = "GET /arcgis/rest/info HTTP/1.1\r\nHost: gis\r\n";
        std::string chain;
        for (int i = 0; i < fields; ++i) {
            raw += fmt::format("X-Forwarded-For: 10.0.0.{}\r\n", i);
            chain += fmt::format("10.0.0.{}, ", i);
        }
        raw += "\r\n";
        const std::string out = forwarded_head(raw, true);
        EXPECT_NE(out.find("\r\nX-Forwarded-For: " + chain + "192.0.2.7\r\n"), std::string::npos) << fields << "\n"
                                                                                                  << out;
        EXPECT_EQ(out.find("X-Forwarded-For"), out.rfind("X-Forwarded-For")) << "one field";
    }
}

TEST(HeadWriter, ClientForwardedHostAndProtoAreReplaced) {
    const std::string out = forwarded_head(
        "GET /x HTTP/1.1\r\nHost: gis.example.com\r\nX-Forwarded-Proto: ftp\r\nX-Forwarded-Host: evil\r\n\r\n");
    EXPECT_NE(out.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("X-Forwarded-Host: gis.example.com\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("ftp"), std::string::npos) << out;
    EXPECT_EQ(out.find("evil"), std::string::npos) << out;
}

TEST(HeadWriter, AnUntrustedClientsForwardedForChainIsReplaced) {
    const std::string out = forwarded_head("GET /x HTTP/1.1\r\nHost: g\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
    EXPECT_NE(out.find("\r\nX-Forwarded-For: 192.0.2.7\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("6.6.6.6"), std::string::npos) << out;
}

TEST(HeadWriter, ATrustedProxysForwardedHostAndProtoAreKept) {
    const std::string out = forwarded_head(
        "GET /x HTTP/1.1\r\nHost: internal\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: gis.example.com\r\n"
        "X-Forwarded-Host: second\r\n\r\n",
        true);
    EXPECT_NE(out.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("X-Forwarded-Host: gis.example.com\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("X-Forwarded-Proto"), out.rfind("X-Forwarded-Proto")) << "one of each: " << out;
    EXPECT_EQ(out.find("X-Forwarded-Host"), out.rfind("X-Forwarded-Host")) << out;
    EXPECT_EQ(out.find("second"), std::string::npos) << out;
}

std::string traced_head(const std::string& raw, std::string_view traceparent, bool drop_tracestate) {
    http::RequestHead head;
    EXPECT_EQ(http::parse_request_head(raw, http::Limits{}, head).status, http::ParseStatus::complete) << raw;
    std::string out;
    RequestRewrite rewrite{"/x", "", "192.0.2.7", "http"};
    rewrite.request_id = {"X-Request-Id", "abc123"};
    rewrite.traceparent = traceparent;
    rewrite.drop_tracestate = drop_tracestate;
    write_request_head(head, rewrite, out);
    return out;
}

TEST(HeadWriter, TheRequestIdAndTraceparentReplaceTheClientsOwn) {
    const std::string out = traced_head(
        "GET /x HTTP/1.1\r\nHost: g\r\nx-request-id: forged\r\nTraceparent: 00-aa-bb-01\r\ntracestate: k=v\r\n\r\n",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true);
    EXPECT_NE(out.find("\r\nX-Request-Id: abc123\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\r\n"),
              std::string::npos) << out;
    EXPECT_EQ(out.find("forged"), std::string::npos) << out;
    EXPECT_EQ(out.find("00-aa-bb-01"), std::string::npos) << out;
    EXPECT_EQ(out.find("k=v"), std::string::npos) << "a tracestate without a valid traceparent goes: " << out;
}

TEST(HeadWriter, AValidTracesTracestateTravelsOnAndPropagateModeKeepsTheClientsTraceparent) {
    std::string out = traced_head("GET /x HTTP/1.1\r\nHost: g\r\ntraceparent: theirs\r\ntracestate: k=v\r\n\r\n",
                                  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false);
    EXPECT_NE(out.find("\r\ntracestate: k=v\r\n"), std::string::npos) << out;
    out = traced_head("GET /x HTTP/1.1\r\nHost: g\r\ntraceparent: theirs\r\ntracestate: k=v\r\n\r\n", "", false);
    EXPECT_NE(out.find("\r\ntraceparent: theirs\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\ntracestate: k=v\r\n"), std::string::npos) << out;
}

http::ResponseHead parsed_response(const std::string& raw) {
    http::ResponseHead head;
    EXPECT_EQ(http::parse_response_head(raw, http::Method::get, 65536, 100, head).status,
              http::ParseStatus::complete) << raw;
    return head;
}

TEST(HeadWriter, TheResponseCarriesTheRequestIdInsteadOfTheServers) {
    const std::string raw = "HTTP/1.1 200 OK\r\nX-Request-ID: server-made\r\nContent-Length: 2\r\n\r\n";
    const http::ResponseHead head = parsed_response(raw);
    std::string out;
    write_response_head(head, true, 1, out, {.request_id = {"X-Request-Id", "abc123"}});
    EXPECT_NE(out.find("\r\nX-Request-Id: abc123\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("server-made"), std::string::npos) << out;
    // Without a request id (tracing.request_id: off) the server's field passes.
    write_response_head(head, true, 1, out);
    EXPECT_NE(out.find("X-Request-ID: server-made\r\n"), std::string::npos) << out;
}

TEST(HeadWriter, AFieldIsAddedToAHeadThatABodyFollows) {
    std::string out = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbody";
    add_field_to_head(out, {"X-Request-Id", "abc"});
    EXPECT_EQ(out, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nX-Request-Id: abc\r\n\r\nbody");
    add_field_to_head(out, {"X-Request-Id", ""});
    EXPECT_EQ(out.find("X-Request-Id"), out.rfind("X-Request-Id")) << "an empty value adds nothing";
}

}  // namespace
}  // namespace gisgate::proxy
