// Fault injection, the instance limit, stats, and stopping a site with requests in every state.
#include <future>
#include <thread>

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::eventually;
using Clock = std::chrono::steady_clock;

void set_fault(int port, const json& fault) {
    HttpResponse r = post_json(port, "/sim/fault", fault);
    ASSERT_EQ(r.status, 200) << r.body;
}

TEST_F(SimTest, FaultModeIsReported) {
    EXPECT_EQ(get_json("/sim/fault"), json({{"mode", "ok"}, {"delay_ms", 1000}}));
    set_fault(port(), {{"mode", "slow"}, {"delay_ms", 50}});
    EXPECT_EQ(get_json("/sim/fault"), json({{"mode", "slow"}, {"delay_ms", 50}}));
    // Query-parameter form, for curl.
    HttpClient c(port());
    EXPECT_EQ(c.request("POST", "/sim/fault?mode=ok").status, 200);
    EXPECT_EQ(get_json("/sim/fault")["mode"], "ok");
    EXPECT_EQ(post_json(port(), "/sim/fault", {{"mode", "bogus"}}).status, 400);
    EXPECT_EQ(post_json(port(), "/sim/fault", {{"mode", "slow"}, {"delay_ms", -1}}).status, 400);
}

TEST_F(SimTest, SlowFaultDelaysAnswers) {
    set_fault(port(), {{"mode", "slow"}, {"delay_ms", 300}});
    auto t0 = Clock::now();
    HttpResponse r = http_get(port(), "/arcgis/rest/info/healthcheck");
    EXPECT_EQ(r.status, 200);
    EXPECT_GE(Clock::now() - t0, 300ms);
    // /sim/* is never delayed.
    t0 = Clock::now();
    EXPECT_EQ(http_get(port(), "/sim/stats").status, 200);
    EXPECT_LT(Clock::now() - t0, 250ms);
    set_fault(port(), {{"mode", "ok"}});
    t0 = Clock::now();
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info/healthcheck").status, 200);
    EXPECT_LT(Clock::now() - t0, 250ms);
}

TEST_F(SimTest, ErrorFaultAnswers500WithArcgisError) {
    set_fault(port(), {{"mode", "error"}});
    for (const char* target : {"/arcgis/rest/info/healthcheck?f=json", "/arcgis/rest/services?f=json"}) {
        HttpResponse r = http_get(port(), target);
        EXPECT_EQ(r.status, 500) << target;
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "site-a");
        EXPECT_EQ(parse_json(r)["error"]["code"], 500);
    }
    EXPECT_EQ(http_get(port(), "/sim/stats").status, 200);
    set_fault(port(), {{"mode", "ok"}});
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, HangFaultNeverAnswersButKeepsTheConnection) {
    set_fault(port(), {{"mode", "hang"}});
    HttpClient c(port());
    c.send_raw("GET /arcgis/rest/info/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response(false, 300ms).status, 0);
    EXPECT_FALSE(c.closed_by_peer(200ms));
    // Switching back does not rescue a hung request, but new connections are fine.
    set_fault(port(), {{"mode", "ok"}});
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info/healthcheck").status, 200);
    EXPECT_EQ(c.read_response(false, 100ms).status, 0);
}

TEST_F(SimTest, CloseFaultDropsTheConnection) {
    set_fault(port(), {{"mode", "close"}});
    HttpClient c(port());
    HttpResponse r = c.request("GET", "/arcgis/rest/info/healthcheck");
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(c.closed_by_peer(1s));
    set_fault(port(), {{"mode", "ok"}});
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, StatsCountRequestsExceptSimControl) {
    json before = stats(port());
    http_get(port(), "/arcgis/rest/info?f=json");
    http_get(port(), "/arcgis/rest/services?f=json");
    http_get(port(), "/sim/fault");
    json after = stats(port());
    EXPECT_EQ(after["requests"].get<int>() - before["requests"].get<int>(), 2);
    // The site counts a request finished once its answer is written, which a client may read first: wait.
    EXPECT_TRUE(eventually([&] { return stats(port())["active"] == 0; })) << stats(port());
    EXPECT_EQ(after["queued"], 0);
    EXPECT_EQ(after["site"], "site-a");
}

TEST(SimInstances, RequestsBeyondTheLimitWaitTheirTurn) {
    SimOptions o = local_options();
    o.instances = 1;
    SimServer server(o);
    int port = server.port();
    set_fault(port, {{"mode", "slow"}, {"delay_ms", 400}});
    auto t0 = Clock::now();
    auto first = std::async(std::launch::async, [&] { return http_get(port, "/arcgis/rest/services?f=json"); });
    ASSERT_TRUE(eventually([&] { return stats(port)["active"] == 1; }, 5s));
    auto second = std::async(std::launch::async, [&] { return http_get(port, "/arcgis/rest/info?f=json"); });
    ASSERT_TRUE(eventually([&] { return stats(port)["queued"] == 1; }, 5s));
    EXPECT_EQ(stats(port)["active"], 1);
    // Health checks bypass the limit (they are still slow: faults apply to them).
    auto h0 = Clock::now();
    EXPECT_EQ(http_get(port, "/arcgis/rest/info/healthcheck").status, 200);
    EXPECT_LT(Clock::now() - h0, 750ms);
    EXPECT_EQ(first.get().status, 200);
    EXPECT_EQ(second.get().status, 200);
    // Served one after the other.
    EXPECT_GE(Clock::now() - t0, 800ms);
    // The site frees the instance just after it wrote the answer, so the client may read it first: wait for it.
    json s;
    EXPECT_TRUE(eventually([&] {
        s = stats(port);
        return s["active"] == 0 && s["queued"] == 0;
    }, 5s)) << s.dump();
    EXPECT_EQ(s["instances"], 1);
}

TEST(SimStop, StopsWithHangingQueuedAndSlowRequests) {
    SimOptions o = local_options();
    o.instances = 1;
    auto server = std::make_unique<SimServer>(o);
    int port = server->port();
    HttpClient idle(port);
    ASSERT_EQ(idle.request("GET", "/arcgis/rest/info/healthcheck").status, 200);  // an idle keep-alive connection
    set_fault(port, {{"mode", "slow"}, {"delay_ms", 60000}});
    HttpClient slow(port), queued(port);
    slow.send_raw("GET /arcgis/rest/info HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return stats(port)["active"] == 1; }, 5s));
    queued.send_raw("GET /arcgis/rest/services HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return stats(port)["queued"] == 1; }, 5s));
    set_fault(port, {{"mode", "hang"}});
    HttpClient hung(port);
    hung.send_raw("GET /arcgis/rest/info HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return stats(port)["requests"] == 4; }, 5s));

    auto t0 = Clock::now();
    server->stop();
    EXPECT_LT(Clock::now() - t0, 2s);
    for (HttpClient* c : {&idle, &slow, &queued, &hung}) EXPECT_TRUE(c->closed_by_peer(2s));
    server->stop();  // idempotent
    server.reset();
    EXPECT_FALSE(HttpClient(port).connected());
}

}  // namespace
}  // namespace gisgate::sim::testing
