// The admin listener over real loopback sockets: access control, token checks, routing to ControlApi,
// error shapes, keep-alive, limits, hot update and stop.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>

#include "admin/admin_fixture.hpp"
#include "support/http_client.hpp"

namespace gisgate::admin::testing {
namespace {

using test::HttpClient;
using test::HttpResponse;

nlohmann::json json_of(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
}

// The body is the API's one error shape with the response's own status as code.
void expect_error(const HttpResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    const auto body = json_of(r);
    ASSERT_TRUE(body.is_object()) << r.body;
    ASSERT_TRUE(body.contains("error")) << r.body;
    EXPECT_EQ(body["error"].value("code", 0), status) << r.body;
    EXPECT_FALSE(body["error"].value("message", "").empty()) << r.body;
}

const std::string kStatePath = "/api/v1/pools/gis/servers/a/state";
const std::string kDrain = R"({"state":"drain"})";

TEST_F(AdminServerTest, StatusNeedsNoToken) {
    start();
    HttpClient c(port);
    const auto r = c.request("GET", "/api/v1/status");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_of(r), api.status_body);
    ASSERT_EQ(api.calls().size(), 1u);
    EXPECT_EQ(api.calls()[0].method, "status");
}

TEST_F(AdminServerTest, WriteWithoutTokenIs401AndDoesNotReachTheApi) {
    start();
    HttpClient c(port);
    const auto r = c.request("PUT", kStatePath, {}, kDrain);
    expect_error(r, 401);
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    expect_error(c.request("POST", "/api/v1/reload"), 401);
    expect_error(c.request("DELETE", "/api/v1/pools/gis/servers/a"), 401);
    expect_error(c.request("POST", "/api/v1/pools/gis/servers", {}, R"({"name":"c","address":"h:1"})"), 401);
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, WrongTokenIs401) {
    start();
    HttpClient c(port);
    const std::vector<std::string> wrong{"Bearer wrong", "Bearer " + kToken.substr(1), "Bearer " + kToken + "x",
                                         "Bearer " + kToken.substr(0, kToken.size() - 1), "Basic " + kToken,
                                         "Bearer" + kToken, "Bearer ", kToken};
    for (const auto& header : wrong) {
        const auto r = c.request("PUT", kStatePath, {{"Authorization", header}}, kDrain);
        expect_error(r, 401);
        EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer") << header;
    }
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, RightTokenCallsTheApiWithDecodedNames) {
    start();
    HttpClient c(port);
    const auto r = c.request("PUT", "/api/v1/pools/g%69s/servers/web%2D1.a_b/state", auth(), R"({"state":"maint"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r), api.state_result.body);
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].method, "set_server_state");
    EXPECT_EQ(calls[0].pool, "gis");
    EXPECT_EQ(calls[0].server, "web-1.a_b");
    EXPECT_EQ(calls[0].state, "maint");
}

TEST_F(AdminServerTest, BearerSchemeIsCaseInsensitive) {
    start();
    HttpClient c(port);
    EXPECT_EQ(c.request("PUT", kStatePath, {{"Authorization", "bearer  " + kToken}}, kDrain).status, 200);
}

TEST_F(AdminServerTest, ApiStatusAndErrorBodiesPassThrough) {
    start();
    api.set_state_result({404, {{"error", {{"code", 404}, {"message", "no server 'zz' in pool 'gis'"}}}}});
    HttpClient c(port);
    const auto r = c.request("PUT", "/api/v1/pools/gis/servers/zz/state", auth(), kDrain);
    expect_error(r, 404);
    EXPECT_EQ(json_of(r)["error"]["message"], "no server 'zz' in pool 'gis'");
}

TEST_F(AdminServerTest, AddRemoveAndReloadReachTheApi) {
    start();
    HttpClient c(port);
    const nlohmann::json add = {{"name", "c"}, {"address", "10.1.0.13:6443"}, {"weight", 2}, {"backup", true}};
    const auto added = c.request("POST", "/api/v1/pools/gis/servers", auth(), add.dump());
    EXPECT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(json_of(added), api.add_result.body);
    const auto removed = c.request("DELETE", "/api/v1/pools/gis/servers/b", auth());
    EXPECT_EQ(removed.status, 202) << removed.body;
    const auto reloaded = c.request("POST", "/api/v1/reload", auth());
    EXPECT_EQ(reloaded.status, 200) << reloaded.body;
    EXPECT_EQ(json_of(reloaded), api.reload_result.body);

    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].method, "add_server");
    EXPECT_EQ(calls[0].pool, "gis");
    EXPECT_EQ(calls[0].body, add);
    EXPECT_EQ(calls[1].method, "remove_server");
    EXPECT_EQ(calls[1].pool, "gis");
    EXPECT_EQ(calls[1].server, "b");
    EXPECT_EQ(calls[2].method, "reload");
}

TEST_F(AdminServerTest, ReloadFailureKeepsTheApisMessage) {
    api.reload_result = {400, {{"error", {{"code", 400}, {"message", "/etc/gisgate.yaml:3:5: unknown key"}}}}};
    start();
    HttpClient c(port);
    const auto r = c.request("POST", "/api/v1/reload", auth());
    expect_error(r, 400);
    EXPECT_EQ(json_of(r)["error"]["message"], "/etc/gisgate.yaml:3:5: unknown key");
}

TEST_F(AdminServerTest, ClientOutsideAllowIs403ForReadsAndWrites) {
    auto config = local_admin_config();
    config.allow = {*config::Cidr::parse("10.0.0.0/8")};
    start(config);
    HttpClient c(port);
    auto r = c.request("GET", "/api/v1/status");
    expect_error(r, 403);
    EXPECT_EQ(json_of(r)["error"]["message"], "client not allowed");
    r = c.request("PUT", kStatePath, auth(), kDrain);
    expect_error(r, 403);
    EXPECT_EQ(json_of(r)["error"]["message"], "client not allowed");
    expect_error(c.request("GET", "/no/such/path"), 403);  // nothing is revealed before the allow check
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, BadBodiesAre400WithoutCallingTheApi) {
    start();
    HttpClient c(port);
    for (const std::string body : {"{not json", "", "[\"drain\"]", "\"drain\"", "{}", R"({"state": 5})",
                                   R"({"State": "drain"})"}) {
        expect_error(c.request("PUT", kStatePath, auth(), body), 400);
    }
    for (const std::string body : {"{\"name\": ", "", "[1, 2]", "null"}) {
        expect_error(c.request("POST", "/api/v1/pools/gis/servers", auth(), body), 400);
    }
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, UnknownPathsAre404) {
    start();
    HttpClient c(port);
    // ("/" is the dashboard: dashboard_test.cpp.)
    for (const std::string path : {"/index.html", "/api", "/api/v1", "/api/v1/status/", "/api/v2/status", "/API/V1/STATUS",
                                   "/api/v1/pools/gis/servers/a/health", "/api/v1/pools//servers/a"}) {
        expect_error(c.request("GET", path), 404);
    }
    expect_error(c.request("PUT", "/api/v1/pools/gis/servers/a/weight", auth(), "{}"), 404);
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, QueryStringsAreIgnored) {
    start();
    HttpClient c(port);
    EXPECT_EQ(c.request("GET", "/api/v1/status?pretty=1").status, 200);
}

TEST_F(AdminServerTest, MalformedEscapesAre400) {
    start();
    HttpClient c(port);
    expect_error(c.request("PUT", "/api/v1/pools/g%zzs/servers/a/state", auth(), kDrain), 400);
    expect_error(c.request("DELETE", "/api/v1/pools/gis/servers/a%2", auth()), 400);
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, WrongMethodIs405WithAllow) {
    start();
    HttpClient c(port);
    auto r = c.request("GET", "/api/v1/reload");
    expect_error(r, 405);
    EXPECT_EQ(r.header("Allow"), "POST");
    r = c.request("GET", "/api/v1/pools/gis/servers/a");
    expect_error(r, 405);
    EXPECT_EQ(r.header("Allow"), "DELETE");
    r = c.request("GET", kStatePath);
    expect_error(r, 405);
    EXPECT_EQ(r.header("Allow"), "PUT");
    r = c.request("POST", "/api/v1/status", auth(), "{}");
    expect_error(r, 405);
    EXPECT_EQ(r.header("Allow"), "GET");
    // Writes are authenticated before routing: without the token the answer is 401, whatever the path.
    expect_error(c.request("POST", "/api/v1/status", {}, "{}"), 401);
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(AdminServerTest, UpdateSwapsTokenAndAllowList) {
    start();
    HttpClient c(port);
    ASSERT_EQ(c.request("PUT", kStatePath, auth(), kDrain).status, 200);

    auto config = local_admin_config();
    config.token = "rotated";
    server->update(config);
    expect_error(c.request("PUT", kStatePath, auth(), kDrain), 401);  // same connection, old token
    EXPECT_EQ(c.request("PUT", kStatePath, auth("rotated"), kDrain).status, 200);

    config.allow = {*config::Cidr::parse("10.0.0.0/8")};
    server->update(config);
    expect_error(c.request("GET", "/api/v1/status"), 403);
    EXPECT_EQ(api.calls().size(), 2u);
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    HttpClient c(port);
    const int local_port = c.local_port();
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(c.request("GET", "/api/v1/status").status, 200);
        // Error answers keep the connection too.
        EXPECT_EQ(c.request("GET", "/nope").status, 404);
        EXPECT_EQ(c.request("PUT", kStatePath, {}, kDrain).status, 401);
        EXPECT_EQ(c.request("PUT", kStatePath, auth(), kDrain).status, 200);
    }
    EXPECT_EQ(c.local_port(), local_port);
    EXPECT_FALSE(c.closed_by_peer(std::chrono::milliseconds(50)));
    EXPECT_EQ(api.calls().size(), 10u);
}

TEST_F(AdminServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    HttpClient c(port);
    c.send_raw("GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /api/v1/reload HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(c.read_response().status, 404);
    EXPECT_EQ(c.read_response().status, 405);
}

TEST_F(AdminServerTest, HeadGetsTheHeadOfGetWithoutABody) {
    start();
    HttpClient c(port);
    c.send_raw("HEAD /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto head = c.read_response(/*head_request=*/true);
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("Content-Length"), std::to_string(api.status_body.dump().size() + 1));
    c.send_raw("HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response(true).status, 404);
    // The connection is still in step: the next response parses.
    EXPECT_EQ(c.request("GET", "/api/v1/status").status, 200);
}

TEST_F(AdminServerTest, ConnectionCloseIsHonoured) {
    start();
    HttpClient c(port);
    const auto r = c.request("GET", "/api/v1/status", {{"Connection", "close"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(AdminServerTest, ExpectContinueGetsAnInterimResponse) {
    start();
    HttpClient c(port);
    c.send_raw("PUT " + kStatePath + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
               "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(kDrain.size()) + "\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 100);
    c.send_raw(kDrain);
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(api.calls().size(), 1u);
}

TEST_F(AdminServerTest, BodyOverOneMebibyteIs413) {
    start();
    HttpClient c(port);
    const std::string big = "{\"state\":\"" + std::string(1024 * 1024, 'x') + "\"}";
    expect_error(c.request("PUT", kStatePath, auth(), big), 413);
    EXPECT_TRUE(api.calls().empty());
    // Just under the limit is read and handled.
    HttpClient d(port);
    const std::string fits = "{\"state\":\"" + std::string(1000 * 1000, 'x') + "\"}";
    EXPECT_EQ(d.request("PUT", kStatePath, auth(), fits).status, 200);
}

TEST_F(AdminServerTest, MalformedRequestIs400AndCloses) {
    start();
    HttpClient c(port);
    c.send_raw("this is not http\r\n\r\n");
    expect_error(c.read_response(), 400);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(AdminServerTest, ApiExceptionIs500AndTheServerKeepsServing) {
    api.throw_on_status = true;
    start();
    HttpClient c(port);
    expect_error(c.request("GET", "/api/v1/status"), 500);
    EXPECT_EQ(c.request("PUT", kStatePath, auth(), kDrain).status, 200);
}

TEST_F(AdminServerTest, StopClosesIdleConnectionsAndTheListener) {
    start();
    HttpClient c(port);
    ASSERT_EQ(c.request("GET", "/api/v1/status").status, 200);
    const int old_port = port;
    EXPECT_TRUE(stop());  // the fixture checks the io_context ran out of work: the idle connection ended
    EXPECT_TRUE(c.closed_by_peer());
    HttpClient d(old_port);
    EXPECT_FALSE(d.connected() && d.request("GET", "/api/v1/status").status == 200);
}

TEST_F(AdminServerTest, StopFromTheControlThreadClosesAtOnce) {
    start();
    HttpClient c(port);
    ASSERT_EQ(c.request("GET", "/api/v1/status").status, 200);
    std::promise<void> stopped;
    asio::post(io, [&] {
        server->stop();
        stopped.set_value();
    });
    stopped.get_future().wait();
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(AdminServerTest, LogsTheListeningLine) {
    std::ostringstream captured;
    auto previous = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    spdlog::set_default_logger(logger);
    start();
    spdlog::set_default_logger(previous);
    const std::regex line("listening: admin 127\\.0\\.0\\.1:" + std::to_string(port) + "\n");
    EXPECT_TRUE(std::regex_search(captured.str(), line)) << captured.str();
    EXPECT_NE(port, 0);
}

TEST_F(AdminServerTest, IPv6LoopbackWorks) {
    auto config = local_admin_config();
    config.bind = {"::1", 0};
    try {
        start(config);
    } catch (const std::exception& e) {
        GTEST_SKIP() << "no IPv6 loopback: " << e.what();
    }
    HttpClient c(port, "::1");
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.request("GET", "/api/v1/status").status, 200);
    EXPECT_EQ(c.request("PUT", kStatePath, auth(), kDrain).status, 200);

    config.allow = {*config::Cidr::parse("127.0.0.1/32")};  // v4 loopback only: ::1 is outside
    server->update(config);
    expect_error(c.request("GET", "/api/v1/status"), 403);
}

TEST(AdminServer, BindFailureThrowsWithTheAddress) {
    asio::io_context io;
    FakeControlApi api;
    auto config = local_admin_config();
    AdminServer first(io, config, api);
    config.bind.port = first.port();
    try {
        AdminServer second(io, config, api);
        FAIL() << "bound the same port twice";
    } catch (const std::runtime_error& e) {
        const std::string expected = "admin: cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": ";
        EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
    }
}

TEST(AdminServer, DestroyedWithoutRunningTheContext) {
    // Constructed and started but the loop never ran (e.g. start-up failed later): no leak, no crash.
    asio::io_context io;
    FakeControlApi api;
    auto server = std::make_unique<AdminServer>(io, local_admin_config(), api);
    server->start();
    server.reset();
}

}  // namespace
}  // namespace gisgate::admin::testing

namespace gisgate::admin::testing {
namespace {

TEST_F(AdminServerTest, MetricsAreServedAsPrometheusText) {
    start();
    test::HttpClient c(port);
    const auto r = c.request("GET", "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    EXPECT_EQ(r.body, "# TYPE gisgate_up gauge\ngisgate_up 1\n");
}

}  // namespace
}  // namespace gisgate::admin::testing
