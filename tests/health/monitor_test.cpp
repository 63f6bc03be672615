// HealthMonitor against real loopback sockets: check loops, fall/rise with real answers, timeouts, refused
// ports, live-traffic refusals, watch() changes and stop(). The control context runs in a background thread;
// HealthInfo is control-thread-only, so every observation is made on that thread (on_control).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include "health/monitor.hpp"
#include "test_responder.hpp"

namespace gisgate::health {
namespace {

using namespace std::chrono_literals;
using testing::closed_port;
using testing::TestResponder;

constexpr auto kDeadline = 10s;  // generous: a loaded 2-core machine

std::uint32_t next_server_id() {
    static std::atomic<std::uint32_t> id{1000};
    return id++;
}

std::shared_ptr<balance::ServerRuntime> make_server(const std::string& name, std::uint16_t port) {
    auto s = std::make_shared<balance::ServerRuntime>();
    s->id = next_server_id();
    s->name = name;
    s->address = config::Endpoint{"127.0.0.1", port};
    s->endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), port);
    return s;
}

config::HealthConfig quick_health() {
    config::HealthConfig h;
    h.interval = 50ms;
    h.timeout = 2s;  // loopback answers in microseconds; long enough for a starved test machine
    h.fall = 3;
    h.rise = 2;
    return h;
}

std::shared_ptr<balance::PoolRuntime> make_pool(const std::string& name, const config::HealthConfig& health,
                                                std::vector<std::shared_ptr<balance::ServerRuntime>> servers) {
    config::PoolConfig pc;
    pc.name = name;
    pc.health = health;
    for (auto& s : servers) {
        s->pool_name = name;
        pc.servers.push_back(config::ServerConfig{s->name, s->address, 1, false, {}});
    }
    return std::make_shared<balance::PoolRuntime>(pc, std::move(servers), /*workers=*/1);
}

struct Snapshot {
    bool healthy = true;
    balance::HealthInfo info;
};

std::string describe(const Snapshot& s) {
    return fmt::format("healthy={} checks={} failures={} successes={} transitions={} last_error='{}'", s.healthy,
                       s.info.checks, s.info.consecutive_failures, s.info.consecutive_successes, s.info.transitions,
                       s.info.last_error);
}

class MonitorTest : public ::testing::Test {
protected:
    void SetUp() override {
        monitor_.emplace(control_);
        thread_ = std::thread([this] { control_.run(); });
    }

    void TearDown() override {
        if (!thread_.joinable()) return;
        // stop() must end every loop: with the work guard gone, run() returns only when nothing is pending.
        on_control([this] {
            monitor_->stop();
            return 0;
        });
        work_.reset();
        auto done = std::async(std::launch::async, [this] { thread_.join(); });
        if (done.wait_for(kDeadline) != std::future_status::ready) {
            ADD_FAILURE() << "check loops still running after stop()";
            control_.stop();
            done.wait();
        }
        monitor_.reset();
    }

    // Runs `f` on the control thread and returns its result.
    template <class F>
    auto on_control(F f) -> decltype(f()) {
        std::promise<decltype(f())> result;
        asio::post(control_, [&] { result.set_value(f()); });
        return result.get_future().get();
    }

    void watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools) {
        on_control([&] {
            monitor_->watch(pools);
            return 0;
        });
    }

    Snapshot snapshot(const balance::ServerRuntime& s) {
        return on_control([&] { return Snapshot{s.healthy.load(), s.health}; });
    }

    // Polls `condition` on the control thread until it holds or the deadline passes.
    template <class F>
    bool eventually(F condition, std::chrono::milliseconds timeout = kDeadline) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (on_control(condition)) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
    }

    asio::io_context control_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{control_.get_executor()};
    std::optional<HealthMonitor> monitor_;
    std::thread thread_;
};

TEST_F(MonitorTest, HealthyServerStaysUpAndDetailsAreFilled) {
    TestResponder responder;
    auto server = make_server("a", responder.port());
    watch({make_pool("gis", quick_health(), {server})});

    ASSERT_TRUE(eventually([&] { return server->health.checks >= 3; })) << describe(snapshot(*server));
    const Snapshot s = snapshot(*server);
    EXPECT_TRUE(s.healthy);
    EXPECT_GE(s.info.consecutive_successes, 3u);
    EXPECT_EQ(s.info.consecutive_failures, 0u);
    EXPECT_EQ(s.info.last_error, "");
    EXPECT_NE(s.info.last_check, std::chrono::system_clock::time_point{});
    EXPECT_LT(s.info.last_latency, 2s);
    EXPECT_EQ(s.info.transitions, 0u);
    EXPECT_GE(responder.connections(), 3);
}

TEST_F(MonitorTest, FailingServerGoesDownAfterFallChecksNotBefore) {
    TestResponder responder;
    responder.respond(500, "oops");
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.fall = 4;
    watch({make_pool("gis", h, {server})});

    // Every observation: up exactly while fewer than `fall` checks have failed in a row.
    bool consistent = true;
    std::uint32_t max_failures_while_up = 0;
    ASSERT_TRUE(eventually([&] {
        const bool healthy = server->healthy.load();
        const auto& info = server->health;
        if (healthy != (info.consecutive_failures < 4) || info.checks != info.consecutive_failures)
            consistent = false;
        if (healthy) max_failures_while_up = std::max(max_failures_while_up, info.consecutive_failures);
        return !healthy;
    })) << describe(snapshot(*server));
    EXPECT_TRUE(consistent);
    EXPECT_LE(max_failures_while_up, 3u);
    const Snapshot s = snapshot(*server);
    EXPECT_FALSE(s.healthy);
    EXPECT_GE(s.info.consecutive_failures, 4u);
    EXPECT_EQ(s.info.transitions, 1u);
    EXPECT_EQ(s.info.last_error, "status 500, expected 200");
}

TEST_F(MonitorTest, RefusedPortGoesDownAtTheFirstCheck) {
    auto server = make_server("a", closed_port());
    config::HealthConfig h = quick_health();
    h.interval = 30s;  // the first check comes within 1s; the second would be 30s later
    h.fall = 5;
    watch({make_pool("gis", h, {server})});

    ASSERT_TRUE(eventually([&] { return server->health.checks >= 1; })) << describe(snapshot(*server));
    const Snapshot s = snapshot(*server);
    EXPECT_EQ(s.info.checks, 1u);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(s.info.consecutive_failures, 1u);
    EXPECT_EQ(s.info.transitions, 1u);
    EXPECT_NE(s.info.last_error.find("connect: "), std::string::npos) << s.info.last_error;
    EXPECT_NE(s.info.last_error.find("refused"), std::string::npos) << s.info.last_error;
}

TEST_F(MonitorTest, DownServerRejoinsAfterRiseChecks) {
    TestResponder responder;
    responder.respond(503, "busy");
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.fall = 2;
    h.rise = 3;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return !server->healthy.load(); })) << describe(snapshot(*server));

    responder.respond(200, "{\"success\":true}");
    bool consistent = true;
    ASSERT_TRUE(eventually([&] {
        const bool healthy = server->healthy.load();
        if (!healthy && server->health.consecutive_successes >= 3) consistent = false;
        if (healthy && server->health.consecutive_successes < 3) consistent = false;
        return healthy;
    }));
    EXPECT_TRUE(consistent);
    const Snapshot s = snapshot(*server);
    EXPECT_EQ(s.info.transitions, 2u);
    EXPECT_EQ(s.info.consecutive_failures, 0u);
    EXPECT_EQ(s.info.last_error, "");
}

TEST_F(MonitorTest, ExpectBodyMismatchIsAFailure) {
    TestResponder good, bad;
    good.respond(200, "{\"status\":\"success\"}");
    bad.respond(200, "{\"status\":\"error\"}");
    auto a = make_server("a", good.port());
    auto b = make_server("b", bad.port());
    config::HealthConfig h = quick_health();
    h.fall = 1;
    h.expect_body = "\"success\"";
    watch({make_pool("gis", h, {a, b})});

    ASSERT_TRUE(eventually([&] { return !b->healthy.load() && a->health.checks >= 2; })) << describe(snapshot(*b));
    EXPECT_EQ(snapshot(*b).info.last_error, "body does not contain '\"success\"'");
    const Snapshot sa = snapshot(*a);
    EXPECT_TRUE(sa.healthy);
    EXPECT_EQ(sa.info.last_error, "");
}

TEST_F(MonitorTest, HangingServerTimesOut) {
    TestResponder responder;
    responder.delay(std::chrono::hours(1));
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.timeout = 200ms;
    h.interval = 100ms;
    h.fall = 2;
    watch({make_pool("gis", h, {server})});

    ASSERT_TRUE(eventually([&] { return server->health.checks >= 1; })) << describe(snapshot(*server));
    const Snapshot first = snapshot(*server);
    EXPECT_EQ(first.info.last_error, "timeout after 200 ms");
    EXPECT_GE(first.info.last_latency, 150ms);

    ASSERT_TRUE(eventually([&] { return !server->healthy.load(); })) << describe(snapshot(*server));
    const Snapshot s = snapshot(*server);
    EXPECT_GE(s.info.consecutive_failures, 2u);
    EXPECT_EQ(s.info.last_error, "timeout after 200 ms");
}

TEST_F(MonitorTest, ServerRefusedFromAWorkerMarksDownAtOnce) {
    TestResponder responder;
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.interval = 30s;  // one check soon, then none during the test
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return server->health.checks >= 1; })) << describe(snapshot(*server));
    ASSERT_TRUE(server->healthy.load());

    std::thread worker([&] { monitor_->server_refused(*server, "connect: Connection refused"); });
    worker.join();
    EXPECT_FALSE(server->healthy.load());  // before any control-thread work

    // The bookkeeping was posted before this observation, and the control thread runs handlers in order.
    const Snapshot s = snapshot(*server);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(s.info.last_error, "live traffic: connect: Connection refused");
    EXPECT_EQ(s.info.consecutive_failures, 1u);
    EXPECT_EQ(s.info.consecutive_successes, 0u);
    EXPECT_EQ(s.info.transitions, 1u);

    // A second refusal while down counts but is no new transition.
    monitor_->server_refused(*server, "reset");
    const Snapshot again = snapshot(*server);
    EXPECT_EQ(again.info.consecutive_failures, 2u);
    EXPECT_EQ(again.info.transitions, 1u);
}

TEST_F(MonitorTest, ServerRefusedComesBackAfterRiseChecks) {
    TestResponder responder;
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.rise = 2;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return server->health.checks >= 1; })) << describe(snapshot(*server));

    monitor_->server_refused(*server, "connection refused");
    EXPECT_FALSE(server->healthy.load());
    ASSERT_TRUE(eventually([&] { return server->healthy.load(); })) << describe(snapshot(*server));
    const Snapshot s = snapshot(*server);
    EXPECT_EQ(s.info.transitions, 2u);
    EXPECT_GE(s.info.consecutive_successes, 2u);
}

// Live traffic ejects a server whose checks pass (balance/outlier.hpp): it stays out until `rise` checks that
// started after the ejection pass (not the run of successes it had, nor a check already under way), then
// rejoins with the ejection cleared and its slow start begun.
TEST_F(MonitorTest, EjectedServerNeedsRiseChecksStartedAfterTheEjection) {
    TestResponder responder;
    auto a = make_server("a", responder.port());
    auto b = make_server("b", responder.port());
    config::HealthConfig h = quick_health();
    h.rise = 2;
    config::PoolConfig pc;
    pc.name = "gis";
    pc.health = h;
    pc.slow_start = 10s;
    a->pool_name = b->pool_name = "gis";
    auto pool = std::make_shared<balance::PoolRuntime>(pc, std::vector{a, b}, 1);
    watch({pool});
    ASSERT_TRUE(eventually([&] { return a->health.consecutive_successes >= 3; })) << describe(snapshot(*a));

    std::uint64_t checks_at_ejection = 0;
    const bool ejected = on_control([&] {
        checks_at_ejection = a->health.checks;
        return balance::eject(pool->servers(), *a, balance::OutlierReason::consecutive_5xx);
    });
    ASSERT_TRUE(ejected);
    std::thread worker([&] { monitor_->server_ejected(*a, balance::OutlierReason::consecutive_5xx); });
    worker.join();
    EXPECT_FALSE(a->healthy.load());
    EXPECT_FALSE(a->slow_start.ramping());
    ASSERT_TRUE(eventually([&] { return a->healthy.load(); })) << describe(snapshot(*a));
    const Snapshot s = snapshot(*a);
    EXPECT_GE(s.info.checks, checks_at_ejection + 2) << describe(s);
    EXPECT_EQ(s.info.transitions, 2u) << "down at the ejection, up again";
    EXPECT_EQ(a->outlier.ejected.load(), balance::OutlierReason::none);
    EXPECT_TRUE(a->slow_start.ramping());
    EXPECT_TRUE(b->healthy.load());
}

TEST_F(MonitorTest, ServerRefusedIsIgnoredWhenChecksAreDisabledOrUnknown) {
    config::HealthConfig off = quick_health();
    off.enabled = false;
    auto server = make_server("a", closed_port());
    watch({make_pool("gis", off, {server})});
    monitor_->server_refused(*server, "connection refused");
    EXPECT_TRUE(server->healthy.load());  // nothing would ever bring it back

    auto stranger = make_server("b", closed_port());
    monitor_->server_refused(*stranger, "connection refused");
    EXPECT_TRUE(stranger->healthy.load());
}

TEST_F(MonitorTest, RemovedServerStopsBeingChecked) {
    TestResponder ra, rb;
    auto a = make_server("a", ra.port());
    auto b = make_server("b", rb.port());
    const config::HealthConfig h = quick_health();
    watch({make_pool("gis", h, {a, b})});
    ASSERT_TRUE(eventually([&] { return a->health.checks >= 2 && b->health.checks >= 2; })) << describe(snapshot(*a));

    // Same servers (ids) in a new pool object, without b: a keeps its loop and counters.
    const std::uint64_t b_checks = on_control([&] {
        monitor_->watch({make_pool("gis", h, {a})});
        return b->health.checks;
    });
    const std::uint64_t a_checks = snapshot(*a).info.checks;
    ASSERT_TRUE(eventually([&] { return a->health.checks >= a_checks + 4; })) << describe(snapshot(*a));
    EXPECT_EQ(snapshot(*b).info.checks, b_checks);
    EXPECT_EQ(snapshot(*a).info.transitions, 0u);
    const int b_connections = rb.connections();
    ASSERT_TRUE(eventually([&] { return a->health.checks >= a_checks + 8; })) << describe(snapshot(*a));
    EXPECT_EQ(rb.connections(), b_connections);
}

TEST_F(MonitorTest, DisabledPoolIsHealthyAndNeverChecked) {
    TestResponder clock_responder, unchecked;
    auto clock = make_server("clock", clock_responder.port());
    auto server = make_server("a", unchecked.port());
    server->healthy.store(false);  // e.g. down before a reload disabled the checks
    config::HealthConfig off = quick_health();
    off.enabled = false;
    watch({make_pool("gis", off, {server}), make_pool("clock", quick_health(), {clock})});
    EXPECT_TRUE(server->healthy.load());

    // The enabled pool's checks show time passing: several of its intervals without a check of `server`.
    ASSERT_TRUE(eventually([&] { return clock->health.checks >= 5; })) << describe(snapshot(*clock));
    EXPECT_EQ(snapshot(*server).info.checks, 0u);
    EXPECT_EQ(unchecked.connections(), 0);
}

TEST_F(MonitorTest, KeptServerUsesTheLatestHealthConfig) {
    TestResponder responder;
    responder.respond(500, "maintenance page");
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.fall = 1;
    h.rise = 1;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return !server->healthy.load(); })) << describe(snapshot(*server));

    h.expect_status = 500;  // a reload now accepts what the server answers
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return server->healthy.load(); })) << describe(snapshot(*server));

    // Disabling the checks puts a down server back in service at once.
    h.expect_status = 200;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return !server->healthy.load(); })) << describe(snapshot(*server));
    h.enabled = false;
    watch({make_pool("gis", h, {server})});
    EXPECT_TRUE(server->healthy.load());
    const std::uint64_t checks = snapshot(*server).info.checks;

    // And enabling them again restarts the loop.
    h.enabled = true;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return server->health.checks > checks && !server->healthy.load(); }))
        << describe(snapshot(*server));
}

TEST_F(MonitorTest, ServerWithSeveralAddressesTriesThemInOrder) {
    TestResponder responder;
    auto server = make_server("a", closed_port());
    server->endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), responder.port());
    watch({make_pool("gis", quick_health(), {server})});
    ASSERT_TRUE(eventually([&] { return server->health.checks >= 2; })) << describe(snapshot(*server));
    const Snapshot s = snapshot(*server);
    EXPECT_TRUE(s.healthy);
    EXPECT_EQ(s.info.last_error, "");
}

TEST_F(MonitorTest, StopEndsHangingChecks) {
    TestResponder responder;
    responder.delay(std::chrono::hours(1));
    auto server = make_server("a", responder.port());
    config::HealthConfig h = quick_health();
    h.timeout = 1h;  // only stop() can end the check
    h.interval = 10ms;
    watch({make_pool("gis", h, {server})});
    ASSERT_TRUE(eventually([&] { return responder.connections() >= 1; }));
    // TearDown asserts that run() returns (no loop, probe or deadline left) after stop().
}

TEST(HealthMonitorLifetime, DestroyedAfterTheContextStopped) {
    asio::io_context control;
    TestResponder responder;
    auto server = make_server("a", responder.port());
    {
        HealthMonitor monitor(control);
        monitor.watch({make_pool("gis", quick_health(), {server})});
        control.run_for(300ms);
        control.stop();
    }  // the destructor's stop() with the context stopped and loops still pending
    SUCCEED();
}

}  // namespace
}  // namespace gisgate::health
