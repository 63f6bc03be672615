// Alert rule evaluation on plain snapshots: which targets each rule type measures, when each is breached, the
// messages, the pool filters, min_requests, and which rules survive a reload.
#include "metrics/alert_rules.hpp"

#include <gtest/gtest.h>

#include "metrics/stats_table.hpp"
#include "util/glob.hpp"

namespace gisgate::metrics {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

// A stand-in for gis::service_glob_match: "folder/name" or "name" against the glob.
bool glob_service(std::string_view pattern, std::string_view folder, std::string_view service) {
    const std::string joined = folder.empty() ? std::string(service) : std::string(folder) + "/" + std::string(service);
    return util::iglob_match(pattern, joined);
}

PreparedRule prepared(config::AlertRule rule, std::int64_t window_seconds = 60) {
    return {std::move(rule), window_seconds, std::to_string(window_seconds) + "s"};
}

config::AlertRule rule_of(std::string name, config::AlertType type) {
    config::AlertRule rule;
    rule.name = std::move(name);
    rule.type = type;
    return rule;
}

// Requests recorded by one worker, merged and pushed as the window's slice ending at kNow.
class RulesFixture {
public:
    RulesFixture() : worker_(registry_) {}

    void request(Kind kind, std::string_view folder, std::string_view service, std::string_view type,
                 std::string_view pool, std::string_view server, int status, std::uint64_t micros) {
        RequestRecord r;
        r.kind = kind;
        r.folder = folder;
        r.service = service;
        r.type = type;
        r.pool = pool;
        r.server = server;
        r.status = status;
        r.micros = micros;
        worker_.record(r);
    }
    void service_request(std::string_view folder, std::string_view service, std::string_view type, int status,
                         std::uint64_t micros, std::string_view pool = "gis") {
        request(Kind::service, folder, service, type, pool, "a", status, micros);
    }

    // Closes the slice (with `rejections` per pool) and takes the snapshot the rules see.
    AlertSnapshot snapshot(std::vector<PoolSnapshot> pools,
                           std::vector<std::pair<std::string, std::uint64_t>> rejections = {}) {
        const std::vector<const WorkerStats*> workers{&worker_};
        collector_.refresh(workers);
        SlidingWindow::Slice slice;
        slice.second = kNow;
        collector_.advance(slice.services, slice.servers);
        slice.rejections = std::move(rejections);
        window_.push(std::move(slice));
        return {kNow, std::move(pools), &collector_, &window_, &glob_service};
    }

private:
    ServiceRegistry registry_{100};
    WorkerStats worker_;
    Collector collector_;
    SlidingWindow window_{3600};
};

PoolSnapshot pool_of(std::string name, std::vector<ServerSnapshot> servers) {
    return {std::move(name), std::move(servers)};
}

TEST(AlertRules, ServerDownMeasuresEveryServerOfTheFilteredPools) {
    RulesFixture f;
    const auto snap =
        f.snapshot({pool_of("gis", {{"a", "up", ""}, {"b", "down", "connection refused"}, {"c", "drain", ""}}),
                    pool_of("portal", {{"p", "down", ""}})});
    auto all = rule_of("down", config::AlertType::server_down);
    const AlertRound round = evaluate_alert_rules({prepared(all)}, snap);
    EXPECT_EQ(round.rules, std::vector<std::string>{"down"});
    ASSERT_EQ(round.conditions.size(), 4u);
    EXPECT_FALSE(round.conditions[0].breached);
    EXPECT_EQ(round.conditions[0].target, "gis/a");
    EXPECT_EQ(round.conditions[0].message, "server gis/a is up");
    EXPECT_TRUE(round.conditions[1].breached);
    EXPECT_EQ(round.conditions[1].value, 1.0);
    EXPECT_EQ(round.conditions[1].message, "server gis/b is down: connection refused");
    EXPECT_EQ(round.conditions[2].message, "server gis/c is drain");
    EXPECT_EQ(round.conditions[3].message, "server portal/p is down: failed health checks");

    auto gis_only = all;
    gis_only.pool = "gis";
    EXPECT_EQ(evaluate_alert_rules({prepared(gis_only)}, snap).conditions.size(), 3u);
}

TEST(AlertRules, PoolUpBelowCountsServersUpAndSkipsAnUnknownPool) {
    RulesFixture f;
    const auto snap = f.snapshot({pool_of("gis", {{"a", "up", ""}, {"b", "down", ""}, {"c", "maint", ""}})});
    auto rule = rule_of("few", config::AlertType::pool_up_below);
    rule.pool = "gis";
    rule.min_up = 2;
    AlertRound round = evaluate_alert_rules({prepared(rule)}, snap);
    ASSERT_EQ(round.conditions.size(), 1u);
    EXPECT_TRUE(round.conditions[0].breached);
    EXPECT_EQ(round.conditions[0].target, "gis");
    EXPECT_EQ(round.conditions[0].value, 1.0);
    EXPECT_EQ(round.conditions[0].message, "pool gis has 1 of 3 server(s) up, fewer than 2");
    rule.min_up = 1;
    round = evaluate_alert_rules({prepared(rule)}, snap);
    EXPECT_FALSE(round.conditions[0].breached);
    EXPECT_EQ(round.conditions[0].message, "pool gis has 1 of 3 server(s) up");

    rule.pool = "gone";  // removed by a reload: not measured, so its alert resolves
    round = evaluate_alert_rules({prepared(rule)}, snap);
    EXPECT_TRUE(round.conditions.empty());
    EXPECT_EQ(round.rules, std::vector<std::string>{"few"});
}

TEST(AlertRules, ServiceP95TakesAllTypesOfAServiceTogetherAndNeedsMinRequests) {
    RulesFixture f;
    for (int i = 0; i < 10; ++i) f.service_request("Maps", "Parcels", "MapServer", 200, 900'000);
    for (int i = 0; i < 10; ++i) f.service_request("Maps", "Parcels", "FeatureServer", 200, 900'000);
    f.service_request("Maps", "Streets", "MapServer", 200, 900'000);
    f.service_request("Other", "Slow", "MapServer", 200, 900'000);            // not matched by the glob
    f.request(Kind::portal, "", "portal", "", "gis", "a", 200, 900'000);     // not a service
    const auto snap = f.snapshot({});
    auto rule = rule_of("slow", config::AlertType::service_p95_above);
    rule.service = "Maps/*";
    rule.limit = 500;
    rule.min_requests = 5;
    const AlertRound round = evaluate_alert_rules({prepared(rule, 300)}, snap);
    ASSERT_EQ(round.conditions.size(), 2u);
    EXPECT_EQ(round.conditions[0].target, "Maps/Parcels");
    EXPECT_TRUE(round.conditions[0].breached);
    EXPECT_NEAR(round.conditions[0].value, 900.0, 9.0);  // bucket precision
    EXPECT_NE(round.conditions[0].message.find("over the last 300s (20 requests), limit 500 ms"), std::string::npos);
    EXPECT_EQ(round.conditions[1].target, "Maps/Streets");
    EXPECT_FALSE(round.conditions[1].breached);  // 1 request, below min_requests
}

TEST(AlertRules, ErrorRateIsOverAllServicesOrOverOnePoolsServers) {
    RulesFixture f;
    for (int i = 0; i < 3; ++i) f.service_request("", "A", "MapServer", 502, 1000, "gis");
    f.service_request("", "A", "MapServer", 200, 1000, "gis");
    for (int i = 0; i < 4; ++i) f.service_request("", "A", "MapServer", 200, 1000, "other");
    const auto snap = f.snapshot({});
    auto rule = rule_of("errors", config::AlertType::error_rate_above);
    rule.limit = 40;
    AlertRound round = evaluate_alert_rules({prepared(rule)}, snap);
    ASSERT_EQ(round.conditions.size(), 1u);
    EXPECT_EQ(round.conditions[0].target, "all");
    EXPECT_FALSE(round.conditions[0].breached);  // 3 of 8: 37.5 %
    EXPECT_EQ(round.conditions[0].message, "all: 37.5% errors (5xx) over the last 60s (3 of 8 requests), limit 40%");
    rule.pool = "gis";
    round = evaluate_alert_rules({prepared(rule)}, snap);
    EXPECT_EQ(round.conditions[0].target, "gis");
    EXPECT_TRUE(round.conditions[0].breached);  // 3 of 4
    EXPECT_EQ(round.conditions[0].value, 75.0);
    rule.min_requests = 5;
    EXPECT_FALSE(evaluate_alert_rules({prepared(rule)}, snap).conditions[0].breached);
}

TEST(AlertRules, QueueRejectionsFireAtTheLimit) {
    RulesFixture f;
    const auto snap = f.snapshot({}, {{"gis", 3}, {"other", 1}});
    auto rule = rule_of("queue", config::AlertType::queue_rejections);
    rule.limit = 4;
    AlertRound round = evaluate_alert_rules({prepared(rule)}, snap);
    ASSERT_EQ(round.conditions.size(), 1u);
    EXPECT_EQ(round.conditions[0].target, "all");
    EXPECT_TRUE(round.conditions[0].breached);
    EXPECT_EQ(round.conditions[0].message,
              "all: 4 request(s) refused by a full or timed-out queue in the last 60s (limit 4)");
    rule.pool = "gis";
    round = evaluate_alert_rules({prepared(rule)}, snap);
    EXPECT_FALSE(round.conditions[0].breached);
    EXPECT_EQ(round.conditions[0].value, 3.0);
}

TEST(AlertRules, OnlyRulesLeftExactlyAsTheyWereSurviveAReload) {
    auto a = rule_of("a", config::AlertType::server_down);
    auto b = rule_of("b", config::AlertType::queue_rejections);
    auto b_changed = b;
    b_changed.limit = 10;
    auto c = rule_of("c", config::AlertType::server_down);
    EXPECT_EQ(unchanged_rules({a, b}, {a, b_changed, c}), std::vector<std::string>{"a"});
    EXPECT_EQ(unchanged_rules({a, b}, {b, a}), (std::vector<std::string>{"b", "a"}));
}

}  // namespace
}  // namespace gisgate::metrics
