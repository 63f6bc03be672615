// Which requests and responses make a server connection private (NTLM/Negotiate, connection-bound).
#include <gtest/gtest.h>

#include <string>

#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "proxy/private_connection.hpp"

namespace gisgate::proxy {
namespace {

bool request_binds(const std::string& authorization) {
    const std::string raw = "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization + "\r\n\r\n";
    http::RequestHead head;
    EXPECT_EQ(http::parse_request_head(raw, http::Limits{}, head).status, http::ParseStatus::complete) << raw;
    return request_binds_connection(head);
}

bool response_binds(int status, const std::string& headers) {
    const std::string raw = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n" + headers + "\r\n";
    http::ResponseHead head;
    EXPECT_EQ(http::parse_response_head(raw, http::Method::get, 65536, 100, head).status,
              http::ParseStatus::complete)
        << raw;
    return response_binds_connection(head);
}

TEST(PrivateConnection, ConnectionBoundAuthorizationSchemes) {
    EXPECT_TRUE(request_binds("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="));
    EXPECT_TRUE(request_binds("ntlm abc"));
    EXPECT_TRUE(request_binds("Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu"));
    EXPECT_TRUE(request_binds("NEGOTIATE x"));
    EXPECT_FALSE(request_binds("Basic YWxpY2U6cHc="));
    EXPECT_FALSE(request_binds("Bearer eyJhbGciOi"));
    EXPECT_FALSE(request_binds("NTLMx abc"));
    EXPECT_FALSE(request_binds("Negotiated x"));
    http::RequestHead none;
    ASSERT_EQ(http::parse_request_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n", http::Limits{}, none).status,
              http::ParseStatus::complete);
    EXPECT_FALSE(request_binds_connection(none));
}

TEST(PrivateConnection, A401OfferingNtlmOrNegotiate) {
    EXPECT_TRUE(response_binds(401, "WWW-Authenticate: NTLM\r\n"));
    EXPECT_TRUE(response_binds(401, "WWW-Authenticate: NTLM TlRMTVNTUAACAAAAAAAAADAAAAA=\r\n"));
    EXPECT_TRUE(response_binds(401, "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n"));
    EXPECT_TRUE(response_binds(401, "WWW-Authenticate: Basic realm=\"gis\"\r\nWWW-Authenticate: Negotiate\r\n"));
    EXPECT_TRUE(response_binds(401, "WWW-Authenticate: Basic realm=\"gis\", NTLM\r\n"));
    EXPECT_FALSE(response_binds(401, "WWW-Authenticate: Basic realm=\"gis\"\r\n"));
    EXPECT_FALSE(response_binds(401, "WWW-Authenticate: Bearer realm=\"portal\"\r\n"));
    EXPECT_FALSE(response_binds(200, "WWW-Authenticate: NTLM\r\n"));   // only a challenge counts
    EXPECT_FALSE(response_binds(407, "Proxy-Authenticate: NTLM\r\n"));  // gisgate is no forward proxy
}

}  // namespace
}  // namespace gisgate::proxy
