// Retries that do not multiply work (proxy/retry_policy.hpp): a GP execute, submitJob or feature edit is never
// sent to a second server once it reached one, whatever its method; routes override timeouts and retries.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

long site_requests(const Sim& sim) {
    const auto body = nlohmann::json::parse(http_get(sim.port, "/sim/stats").body, nullptr, false);
    return body.is_object() ? body.value("requests", -1L) : -1L;
}

class RetrySafety : public ::testing::Test {
protected:
    void start(const std::string& extra_routes = "") {
        a = start_sim("a");
        b = start_sim("b");
        // Health checks off: a site in `close` or `hang` mode stays in the pool, so only retries are measured.
        proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
{}      - {{ prefix: /arcgis, pool: gis }}
pools:
  - name: gis
    retries: 2
    timeouts: {{ server: 1s }}
    health: {{ enabled: false }}
    servers:
{})",
                                        extra_routes, servers_yaml({&a, &b})));
        ASSERT_NE(proxy.port, 0);
    }
    long total() const { return site_requests(a) + site_requests(b); }
    Sim a, b;
    Proxy proxy;
};

constexpr const char* kExecute = "/arcgis/rest/services/Utilities/Buffer/GPServer/Buffer/execute?Distance=5&f=json";
constexpr const char* kSubmit = "/arcgis/rest/services/Utilities/Buffer/GPServer/Buffer/submitJob?Distance=5&f=json";
constexpr const char* kExport =
    "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90&size=64,48&f=image";

TEST_F(RetrySafety, AStateChangingGetIsSentOnceWhileAnExportTriesEveryServer) {
    start();
    set_fault(a, "close");
    set_fault(b, "close");
    for (const char* target : {kExecute, kSubmit}) {
        const long before = total();
        const auto r = http_get(proxy.port, target);
        EXPECT_EQ(r.status, 502) << target << ": " << r.body;
        EXPECT_EQ(total() - before, 1) << target << " reached more than one server";
    }
    HttpClient edits(proxy.port);
    const long before_edit = total();
    const auto e = edits.request("GET", "/arcgis/rest/services/Parcels/FeatureServer/0/applyEdits?adds=[]&f=json");
    EXPECT_EQ(e.status, 502);
    EXPECT_EQ(total() - before_edit, 1) << "applyEdits reached more than one server";

    const long before = total();
    EXPECT_EQ(http_get(proxy.port, kExport).status, 502);
    EXPECT_EQ(total() - before, 2) << "a map export is replayed on the other server";
}

TEST_F(RetrySafety, ARouteOverridesRetriesAndRetryOnTimeout) {
    start("      - { prefix: /arcgis/rest/services/SampleWorldCities, pool: gis, retries: 0 }\n"
          "      - { prefix: /arcgis/rest/services/Maps, pool: gis, retry_on_timeout: false,"
          " timeouts: { server: 300ms } }\n");
    set_fault(a, "close");
    set_fault(b, "close");
    long before = total();
    EXPECT_EQ(http_get(proxy.port, kExport).status, 502);
    EXPECT_EQ(total() - before, 1) << "retries: 0 on the route";

    set_fault(a, "hang");
    set_fault(b, "hang");
    before = total();
    const auto started = std::chrono::steady_clock::now();
    const auto r = http_get(proxy.port, "/arcgis/rest/services/Maps/Streets/MapServer/tile/1/0/0");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.status, 504) << r.body;
    EXPECT_EQ(total() - before, 1) << "retry_on_timeout: false on the route";
    EXPECT_LT(took, std::chrono::milliseconds(900)) << "the route's 300 ms server timeout, not the pool's 1 s";

    // Without the override a timed-out GET goes to the other server.
    before = total();
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").status, 504);
    EXPECT_EQ(total() - before, 2);
}

}  // namespace
}  // namespace gisgate::test
