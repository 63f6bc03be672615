// `gisgate sim --auth ntlm`: a connection-bound three-step handshake, as IIS does Windows authentication.
#include "sim/iwa.hpp"
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

constexpr const char* kInfo = "/arcgis/rest/info?f=json";

class IwaTest : public ::testing::Test {
protected:
    void SetUp() override {
        SimOptions o = local_options("iis");
        o.auth_ntlm = true;
        server = std::make_unique<SimServer>(o);
    }
    int port() const { return server->port(); }
    std::unique_ptr<SimServer> server;
};

std::string header_token(const HttpResponse& r) {
    const std::string value = r.header("WWW-Authenticate");
    return value.size() > 5 ? value.substr(5) : std::string{};
}

// NEGOTIATE and AUTHENTICATE on `c`; returns the final answer.
HttpResponse handshake(HttpClient& c, const std::string& user) {
    const HttpResponse challenge =
        c.request("GET", kInfo, {{"Authorization", "NTLM " + base64_encode(ntlm_negotiate_message())}});
    EXPECT_EQ(challenge.status, 401);
    const auto type2 = base64_decode(header_token(challenge));
    EXPECT_TRUE(type2 && ntlm_challenge_of(*type2)) << challenge.header("WWW-Authenticate");
    return c.request("GET", kInfo,
                     {{"Authorization", "NTLM " + base64_encode(ntlm_authenticate_message(user, "CORP"))}});
}

TEST(IwaMessages, Base64RoundTripsAndRejectsJunk) {
    for (const std::string& bytes : {std::string("a"), std::string("ab"), std::string("abc"), std::string("\0\xff\x01", 3)})
        EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    EXPECT_FALSE(base64_decode("abc"));
    EXPECT_FALSE(base64_decode(""));
    EXPECT_FALSE(base64_decode("@@@@"));
}

TEST_F(IwaTest, WithoutCredentialsEveryRequestIs401WithAnNtlmChallenge) {
    HttpClient c(port());
    const HttpResponse r = c.request("GET", kInfo);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("WWW-Authenticate"), "NTLM");
    EXPECT_EQ(r.header("X-Gisgate-Sim-User"), "");
    // The health check and /sim/* are not behind the gate (a balancer checks the server's port directly).
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
    EXPECT_EQ(c.request("GET", "/sim/stats").status, 200);
}

TEST_F(IwaTest, TheHandshakeAuthenticatesTheConnectionNotTheRequest) {
    HttpClient c(port());
    const HttpResponse done = handshake(c, "alice");
    EXPECT_EQ(done.status, 200);
    EXPECT_EQ(done.header("X-Gisgate-Sim-User"), "CORP\\alice");
    // Later requests on the connection carry no credentials and are still alice's.
    for (int i = 0; i < 3; ++i) {
        const HttpResponse r = c.request("GET", kInfo);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("X-Gisgate-Sim-User"), "CORP\\alice");
    }
    // Another connection is nobody's.
    HttpClient other(port());
    EXPECT_EQ(other.request("GET", kInfo).status, 401);
}

TEST_F(IwaTest, AnAuthenticateOnAnotherConnectionThanItsChallengeIsRefused) {
    HttpClient first(port()), second(port());
    const HttpResponse challenge =
        first.request("GET", kInfo, {{"Authorization", "NTLM " + base64_encode(ntlm_negotiate_message())}});
    ASSERT_EQ(challenge.status, 401);
    const HttpResponse moved = second.request(
        "GET", kInfo, {{"Authorization", "NTLM " + base64_encode(ntlm_authenticate_message("alice", "CORP"))}});
    EXPECT_EQ(moved.status, 401);
    EXPECT_EQ(moved.header("X-Gisgate-Sim-User"), "");
    EXPECT_EQ(second.request("GET", kInfo).status, 401);
    EXPECT_EQ(first.request("GET", kInfo, {{"Authorization", "NTLM !!!!"}}).status, 400);
}
}  // namespace
}  // namespace gisgate::sim::testing
