// The request head sent upstream (proxy/head_writer.hpp): X-Forwarded-* rewriting.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "http/request_head.hpp"
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

}  // namespace
}  // namespace gisgate::proxy
