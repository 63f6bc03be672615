// The endpoint table without a socket: every method and pattern reaches its own ControlApi call with the
// decoded parameters, and the cache purge's query is checked before the proxy sees it.
#include <gtest/gtest.h>

#include "admin/admin_fixture.hpp"
#include "admin/router.hpp"

namespace gisgate::admin {
namespace {

using testing::FakeControlApi;

struct RoutedCall {
    std::string method;
    std::string target;
    std::string body;
    std::string api_call;  // the ControlApi method the request must reach
};

TEST(ApiRoutes, EveryEndpointReachesItsOwnControlApiCall) {
    const RoutedCall table[] = {
        {"GET", "/api/v1/status", "", "status"},
        {"GET", "/api/v1/ready", "", "ready"},
        {"GET", "/api/v1/services", "", "services"},
        {"GET", "/api/v1/alerts", "", "alerts"},
        {"GET", "/metrics", "", "metrics"},
        {"PUT", "/api/v1/pools/gis/servers/a/state", R"({"state":"drain"})", "set_server_state"},
        {"POST", "/api/v1/pools/gis/servers", R"({"name":"c","address":"127.0.0.1:1"})", "add_server"},
        {"DELETE", "/api/v1/pools/gis/servers/a", "", "remove_server"},
        {"POST", "/api/v1/reload", "", "reload"},
        {"DELETE", "/api/v1/cache?prefix=/arcgis", "", "purge_cache"},
        {"POST", "/api/v1/rollouts", R"({"pool":"gis"})", "start_rollout"},
        {"GET", "/api/v1/rollout", "", "rollout"},
        {"POST", "/api/v1/rollout/continue", "", "continue_rollout"},
        {"POST", "/api/v1/rollout/abort", "", "abort_rollout"},
    };
    for (const auto& call : table) {
        FakeControlApi api;
        const Router router(api_v1_routes(api));
        const Reply reply = router.dispatch(call.method, call.target, call.body);
        EXPECT_LT(reply.status, 300) << call.method << " " << call.target << ": " << reply.body;
        const auto calls = api.calls();
        ASSERT_EQ(calls.size(), 1u) << call.method << " " << call.target;
        EXPECT_EQ(calls[0].method, call.api_call) << call.method << " " << call.target;
    }
}

TEST(ApiRoutes, ReadsAreJsonAndMetricsArePrometheusText) {
    FakeControlApi api;
    const Router router(api_v1_routes(api));
    EXPECT_EQ(router.dispatch("GET", "/api/v1/status", "").content_type, "application/json");
    EXPECT_EQ(router.dispatch("GET", "/metrics", "").content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(ApiRoutes, NotReadyIsA503WithItsReasons) {
    FakeControlApi api;
    api.ready_result = {503, {{"ready", false}, {"reasons", {"pool gis: no server up"}}}};
    const Router router(api_v1_routes(api));
    const Reply reply = router.dispatch("GET", "/api/v1/ready", "");
    EXPECT_EQ(reply.status, 503);
    EXPECT_EQ(nlohmann::json::parse(reply.body)["reasons"][0], "pool gis: no server up");
}

TEST(ApiRoutes, PathParametersArriveDecoded) {
    FakeControlApi api;
    const Router router(api_v1_routes(api));
    router.dispatch("PUT", "/api/v1/pools/g%20is/servers/a%2Fb/state", R"({"state":"maint"})");
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 1u);
    const std::vector<std::string> got{calls[0].pool, calls[0].server, calls[0].state};
    EXPECT_EQ(got, (std::vector<std::string>{"g is", "a/b", "maint"}));
}

TEST(ApiRoutes, RolloutBodiesAreJsonObjects) {
    FakeControlApi api;
    const Router router(api_v1_routes(api));
    EXPECT_EQ(router.dispatch("POST", "/api/v1/rollouts", "pool=gis").status, 400);
    EXPECT_EQ(router.dispatch("POST", "/api/v1/rollouts", "").status, 400);
    EXPECT_EQ(router.dispatch("POST", "/api/v1/rollout/continue", "[true]").status, 400);
    EXPECT_TRUE(api.calls().empty());
    EXPECT_EQ(router.dispatch("POST", "/api/v1/rollout/continue", R"({"skip_hook": true})").status, 200);
    EXPECT_EQ(router.dispatch("POST", "/api/v1/rollout/continue", " \n").status, 200);  // no body: {}
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].body, nlohmann::json({{"skip_hook", true}}));
    EXPECT_EQ(calls[1].body, nlohmann::json::object());
    // A ControlApi without rollouts answers 404.
    struct Bare : FakeControlApi {
        ApiResult start_rollout(const nlohmann::json& body) override { return ControlApi::start_rollout(body); }
    } bare;
    const Router bare_router(api_v1_routes(bare));
    EXPECT_EQ(bare_router.dispatch("POST", "/api/v1/rollouts", R"({"pool":"gis"})").status, 404);
}

TEST(ApiRoutes, CachePurgeQueryIsCheckedBeforeTheProxySeesIt) {
    FakeControlApi api;
    const Router router(api_v1_routes(api));
    EXPECT_EQ(router.dispatch("DELETE", "/api/v1/cache?prefx=/a", "").status, 400);  // names neither parameter
    EXPECT_EQ(router.dispatch("DELETE", "/api/v1/cache?prefix=arcgis", "").status, 400);  // not a path
    EXPECT_TRUE(api.calls().empty());
    EXPECT_EQ(router.dispatch("DELETE", "/api/v1/cache", "").status, 200);  // everything
    EXPECT_EQ(router.dispatch("DELETE", "/api/v1/cache?pool=gis", "").status, 200);
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].pool, "gis");
    EXPECT_EQ(calls[1].server, "");  // the fake records the prefix here
}

}  // namespace
}  // namespace gisgate::admin
