// Bodies through the proxy: big exports streamed with bounded memory, chunked uploads, HEAD, keep-alive,
// pipelining and Expect: 100-continue.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

class Streaming : public ::testing::Test {
protected:
    void SetUp() override {
        a = start_sim("a");
        proxy = start_proxy(basic_config({&a}));
        ASSERT_NE(proxy.port, 0);
    }
    Sim a;
    Proxy proxy;
};

TEST_F(Streaming, FiftyMegabyteExportPassesWithBoundedProxyMemory) {
    // Warm up (first request allocates the worker's buffers), then measure the peak over the big export.
    ASSERT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").status, 200);
    const long before = proc_status_kib(proxy.process->pid(), "VmRSS");
    ASSERT_GT(before, 0);

    HttpClient c(proxy.port);
    c.set_max_body_in_memory(0);
    const auto r = c.request(
        "GET", "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90&size=4096,4096&f=image");
    ASSERT_EQ(r.status, 200);
    EXPECT_GE(c.last_body_bytes(), 50'000'000u);
    EXPECT_EQ(r.header("Content-Type").rfind("image/", 0), 0u);

    const long peak = proc_status_kib(proxy.process->pid(), "VmHWM");
    EXPECT_LT(peak - before, 20 * 1024) << "proxy RSS grew by " << (peak - before) << " KiB";
    // The connection is still usable afterwards.
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info?f=json").status, 200);
}

TEST_F(Streaming, ChunkedPostUploadReachesTheServer) {
    HttpClient c(proxy.port);
    const std::string form = "where=1%3D1&outFields=*&resultRecordCount=3&f=json";
    std::string raw = "POST /arcgis/rest/services/Maps/Parcels/FeatureServer/0/query HTTP/1.1\r\n"
                      "Host: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n";
    // Send the form in three chunks.
    for (std::size_t i = 0; i < form.size(); i += 20) {
        const std::string part = form.substr(i, 20);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        raw += size + part + "\r\n";
    }
    raw += "0\r\n\r\n";
    c.send_raw(raw);
    const auto r = c.read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["features"].size(), 3u);
}

TEST_F(Streaming, PostWithContentLengthAndKeepAlive) {
    HttpClient c(proxy.port);
    for (int i = 1; i <= 3; ++i) {
        const auto r = c.request("POST", "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query",
                                 {{"Content-Type", "application/x-www-form-urlencoded"}},
                                 "where=1%3D1&resultRecordCount=" + std::to_string(i) + "&f=json");
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(nlohmann::json::parse(r.body)["features"].size(), static_cast<std::size_t>(i));
    }
}

TEST_F(Streaming, ClientKeepAliveConnectionServesManyRequests) {
    HttpClient c(proxy.port);
    const int port_before = c.local_port();
    for (int i = 0; i < 50; ++i) {
        const auto r = c.request("GET", "/arcgis/rest/info?f=json");
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_EQ(r.header("Connection"), "");
    }
    EXPECT_EQ(c.local_port(), port_before);
    EXPECT_FALSE(c.closed_by_peer(std::chrono::milliseconds(50)));
}

TEST_F(Streaming, UpstreamConnectionsAreReused) {
    HttpClient direct(a.port);
    const auto before = nlohmann::json::parse(direct.request("GET", "/sim/stats").body);
    HttpClient c(proxy.port);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(c.request("GET", "/arcgis/rest/info?f=json").status, 200);
    const auto after = nlohmann::json::parse(direct.request("GET", "/sim/stats").body);
    const int opened = after["connections"].get<int>() - before["connections"].get<int>();
    EXPECT_GE(opened, 1);
    EXPECT_LE(opened, 4) << "100 sequential requests should reuse pooled server connections";
}

TEST_F(Streaming, PipelinedRequestsAreAnsweredInOrder) {
    HttpClient c(proxy.port);
    c.send_raw("GET /arcgis/rest/info/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /arcgis/rest/services?f=json HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r1 = c.read_response();
    const auto r2 = c.read_response();
    const auto r3 = c.read_response();
    EXPECT_EQ(r1.status, 200);
    EXPECT_NE(r1.body.find("success"), std::string::npos);
    EXPECT_EQ(r2.status, 200);
    EXPECT_NE(r2.body.find("folders"), std::string::npos);
    EXPECT_EQ(r3.status, 404);
}

TEST_F(Streaming, HeadHasHeadersButNoBody) {
    HttpClient c(proxy.port);
    c.send_raw("HEAD /arcgis/rest/services/SampleWorldCities/MapServer/tile/3/2/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response(/*head_request=*/true);
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body.empty());
    // The connection stays in sync: the next response is the right one.
    const auto next = c.request("GET", "/arcgis/rest/info/healthcheck");
    EXPECT_EQ(next.status, 200);
    EXPECT_NE(next.body.find("success"), std::string::npos);
}

TEST_F(Streaming, ExpectContinueGetsInterimResponse) {
    HttpClient c(proxy.port);
    const std::string form = "where=1%3D1&resultRecordCount=2&f=json";
    c.send_raw("POST /arcgis/rest/services/Maps/Parcels/FeatureServer/0/query HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: " +
               std::to_string(form.size()) + "\r\n\r\n");
    const auto interim = c.read_response(false, std::chrono::seconds(10));  // the client waits for this
    ASSERT_EQ(interim.status, 100);
    c.send_raw(form);
    const auto r = c.read_response();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body)["features"].size(), 2u);
}

}  // namespace
}  // namespace gisgate::test
