// What clients get when things go wrong: 502 (no server reachable), 504 (server too slow), 408 (slow
// request head), 431/414 (too large), 400 (malformed) — always with a JSON body, never a hang.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

void expect_json_error(const HttpResponse& r, int status) {
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << r.body;
    EXPECT_EQ(body["error"]["code"], status);
    EXPECT_TRUE(body["error"]["message"].is_string());
}

TEST(Errors, NoServerReachableIs502) {
    Sim dead;
    dead.name = "dead";
    dead.port = unused_port();
    Proxy proxy = start_proxy(basic_config({&dead}));
    ASSERT_NE(proxy.port, 0);
    const auto r = http_get(proxy.port, "/arcgis/rest/info?f=json");
    expect_json_error(r, 502);
}

TEST(Errors, ConnectFailureIsRetriedOnAnotherServer) {
    Sim dead;
    dead.name = "dead";
    dead.port = unused_port();
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&dead, &a}));
    ASSERT_NE(proxy.port, 0);
    for (int i = 0; i < 10; ++i) {
        const auto r = http_get(proxy.port, "/arcgis/rest/info?f=json");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "a");
    }
}

TEST(Errors, SlowServerIs504AfterServerTimeout) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "    timeouts: { server: 500ms }\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "hang");
    const auto started = std::chrono::steady_clock::now();
    const auto r = http_get(proxy.port, "/arcgis/rest/info?f=json");
    const auto took = std::chrono::steady_clock::now() - started;
    expect_json_error(r, 504);
    EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(Errors, ServerClosingWithoutAnswerIs502ForPost) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "close");
    HttpClient c(proxy.port);
    const auto r = c.request("POST", "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query",
                             {{"Content-Type", "application/x-www-form-urlencoded"}}, "f=json");
    expect_json_error(r, 502);
}

TEST(Errors, SlowRequestHeadGets408AndClose) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "", "timeouts: { header: 500ms }\n"));
    ASSERT_NE(proxy.port, 0);
    HttpClient c(proxy.port);
    c.send_raw("GET /arcgis/rest/info HTTP/1.1\r\nHost: x\r\n");  // never finished
    const auto r = c.read_response(false, std::chrono::seconds(10));
    expect_json_error(r, 408);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(Errors, OversizedHeadersGet431) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "", "limits: { max_header_size: 4KB }\n"));
    ASSERT_NE(proxy.port, 0);
    HttpClient c(proxy.port);
    const auto r = c.request("GET", "/arcgis/rest/info", {{"X-Big", std::string(6000, 'x')}});
    expect_json_error(r, 431);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(Errors, MalformedRequestGets400AndClose) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}));
    ASSERT_NE(proxy.port, 0);
    HttpClient c(proxy.port);
    c.send_raw("GET /arcgis/rest/info HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
    const auto r = c.read_response();
    expect_json_error(r, 400);
    EXPECT_TRUE(c.closed_by_peer());
}

}  // namespace
}  // namespace gisgate::test
