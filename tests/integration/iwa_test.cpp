// Windows authentication (NTLM) through gisgate to sims that bind it to the connection (`gisgate sim --auth
// ntlm`, as IIS with a Web Adaptor): the handshake completes across a round-robin pool, each client connection
// keeps its own private server connection, and no answer for one user ever reaches another client.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "integration/proxy_fixture.hpp"
#include "sim/iwa.hpp"
#include "support/process_quiet.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kIwaTarget = "/arcgis/rest/info?f=json";

// One worker: every client shares the same per-worker server connection pool, the most chances for a mix-up.
Proxy iwa_proxy(const std::vector<Sim*>& sims) {
    return start_proxy(fmt::format(R"(workers: 1
access_log: off
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{{ prefix: /arcgis, pool: gis }}]
pools:
  - name: gis
    balance: round_robin
    health: {{ interval: 1s }}
    servers:
{})",
                                   servers_yaml(sims)));
}

std::string challenge_token(const HttpResponse& r) {
    const std::string value = r.header("WWW-Authenticate");
    return value.rfind("NTLM ", 0) == 0 ? value.substr(5) : std::string{};
}

// The three steps on one client connection; the user the site then says the connection belongs to.
std::string sign_in(HttpClient& c, const std::string& user) {
    const auto negotiate = "NTLM " + sim::base64_encode(sim::ntlm_negotiate_message());
    const HttpResponse challenge = c.request("GET", kIwaTarget, {{"Authorization", negotiate}});
    EXPECT_EQ(challenge.status, 401);
    const auto type2 = sim::base64_decode(challenge_token(challenge));
    if (!type2 || !sim::ntlm_challenge_of(*type2)) {
        ADD_FAILURE() << "no NTLM challenge: '" << challenge.header("WWW-Authenticate") << "'";
        return {};
    }
    const auto authenticate = "NTLM " + sim::base64_encode(sim::ntlm_authenticate_message(user, "CORP"));
    const HttpResponse done = c.request("GET", kIwaTarget, {{"Authorization", authenticate}});
    EXPECT_EQ(done.status, 200) << done.body;
    return done.header("X-Gisgate-Sim-User");
}

TEST(Iwa, TheHandshakeCompletesAcrossARoundRobinPool) {
    Sim a = start_sim("a", {"--auth", "ntlm"});
    Sim b = start_sim("b", {"--auth", "ntlm"});
    Proxy proxy = iwa_proxy({&a, &b});
    ASSERT_NE(proxy.port, 0);
    // Round robin alternates servers per request; each handshake step must still reach the same connection.
    for (int i = 0; i < 10; ++i) {
        HttpClient c(proxy.port);
        EXPECT_EQ(sign_in(c, fmt::format("user{}", i)), fmt::format("CORP\\user{}", i)) << "client " << i;
        const HttpResponse again = c.request("GET", kIwaTarget);
        EXPECT_EQ(again.status, 200);
        EXPECT_EQ(again.header("X-Gisgate-Sim-User"), fmt::format("CORP\\user{}", i));
    }
}

// Alice and Bob signed in on their own client connections, and Carol, never signed in, on new connections,
// interleave 1,000 requests: each answer must be its own client's.
TEST(Iwa, ThousandInterleavedRequestsNeverMixUsers) {
    Sim a = start_sim("a", {"--auth", "ntlm"});
    Sim b = start_sim("b", {"--auth", "ntlm"});
    Proxy proxy = iwa_proxy({&a, &b});
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    std::size_t mixups = 0;
    std::string example;
    {
        HttpClient alice(proxy.port), bob(proxy.port);
        ASSERT_EQ(sign_in(alice, "alice"), "CORP\\alice");
        ASSERT_EQ(sign_in(bob, "bob"), "CORP\\bob");
        for (int i = 0; i < 1000; ++i) {
            const int who = i % 3;
            HttpResponse r;
            std::string expected_user;
            int expected_status = 200;
            if (who == 0) {
                r = alice.request("GET", kIwaTarget);
                expected_user = "CORP\\alice";
            } else if (who == 1) {
                r = bob.request("GET", kIwaTarget);
                expected_user = "CORP\\bob";
            } else {
                // Carol: a new connection, no credentials; on odd rounds she also replays someone's last step.
                HttpClient carol(proxy.port);
                r = i % 2 ? carol.request("GET", kIwaTarget,
                                          {{"Authorization",
                                            "NTLM " + sim::base64_encode(sim::ntlm_authenticate_message("carol", "CORP"))}})
                          : carol.request("GET", kIwaTarget);
                expected_status = 401;
            }
            if (r.status != expected_status || r.header("X-Gisgate-Sim-User") != expected_user) {
                ++mixups;
                if (example.empty())
                    example = fmt::format("request {} (client {}): {} as '{}'", i, who, r.status,
                                          r.header("X-Gisgate-Sim-User"));
            }
        }
    }
    EXPECT_EQ(mixups, 0u) << example;
    // Alice's and Bob's private server connections closed with their client connections: only what the pool
    // keeps for everyone (at most one per server here) remains.
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline + 2), "");
}

}  // namespace
}  // namespace gisgate::test
