// GIS-aware routing against real sims: async job affinity without stickiness (table and probe paths, gzip,
// context rewrite, owner down), service routes to clusters, discovery of moved services, drift detection
// and draining, optional cookie stickiness.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <zlib.h>

#include <csignal>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

constexpr const char* kGp = "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints";
constexpr const char* kQuickHealth = "    health: { interval: 200ms, timeout: 300ms, fall: 2, rise: 2 }\n";

std::string submit(int port, const std::string& gp = kGp, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpClient c(port);  // a separate connection per job, as independent clients would
    auto h = headers;
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    const auto r = c.request("POST", gp + std::string("/submitJob"), h, "Input=1&Distance=5&f=json");
    if (r.status != 200) return "";
    const auto body = json::parse(r.body, nullptr, false);
    return body.is_object() && body.contains("jobId") ? body["jobId"].get<std::string>() : "";
}

// Polls the job (POST f=json, as the Esri JS client does) until it succeeds; then fetches its result.
bool run_to_completion(int port, const std::string& job, const std::string& gp = kGp) {
    for (int i = 0; i < 400; ++i) {
        HttpClient c(port);
        const auto r = c.request("POST", gp + std::string("/jobs/") + job,
                                 {{"Content-Type", "application/x-www-form-urlencoded"}}, "f=json");
        const auto body = json::parse(r.body, nullptr, false);
        if (r.status != 200 || body.is_discarded() || body.contains("error")) return false;
        const std::string status = body.value("jobStatus", "");
        if (status == "esriJobSucceeded") {
            const auto result = http_get(port, gp + std::string("/jobs/") + job + "/results/Output_File?f=json");
            const auto rb = json::parse(result.body, nullptr, false);
            return result.status == 200 && rb.is_object() && rb.contains("value");
        }
        if (status == "esriJobFailed" || status == "esriJobCancelled") return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a client's poll interval, not a wait
    }
    return false;
}

TEST(JobAffinity, HundredJobsOnThreeActiveActiveSitesAllSucceed) {
    const std::vector<std::string> fast_jobs{"--job-duration", "300ms"};
    Sim a = start_sim("a", fast_jobs), b = start_sim("b", fast_jobs), c = start_sim("c", fast_jobs);
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}));
    ASSERT_NE(proxy.port, 0);
    std::vector<std::string> jobs;
    for (int i = 0; i < 100; ++i) jobs.push_back(submit(proxy.port));
    int succeeded = 0;
    for (const auto& job : jobs) succeeded += !job.empty() && run_to_completion(proxy.port, job);
    EXPECT_EQ(succeeded, 100);
    // Without affinity most polls would hit a site that never heard of the job: make sure all sites served.
    for (const Sim* s : {&a, &b, &c}) {
        const auto stats = json::parse(http_get(s->port, "/sim/stats").body);
        EXPECT_GT(stats["jobs"].get<int>(), 10) << s->name;
    }
}

TEST(JobAffinity, JobsSurviveAGisgateRestartThroughTheProbe) {
    const std::vector<std::string> fast_jobs{"--job-duration", "300ms"};
    Sim a = start_sim("a", fast_jobs), b = start_sim("b", fast_jobs), c = start_sim("c", fast_jobs);
    const std::string yaml = basic_config({&a, &b, &c});
    std::vector<std::string> jobs;
    {
        Proxy first = start_proxy(yaml);
        ASSERT_NE(first.port, 0);
        for (int i = 0; i < 30; ++i) jobs.push_back(submit(first.port));
        first.process->signal(SIGTERM);
        ASSERT_EQ(first.process->wait_exit(), 0);
    }
    Proxy second = start_proxy(yaml);  // an empty job table: every poll goes through the probe
    ASSERT_NE(second.port, 0);
    int succeeded = 0;
    for (const auto& job : jobs) succeeded += !job.empty() && run_to_completion(second.port, job);
    EXPECT_EQ(succeeded, 30);
}

std::string gunzip(const std::string& data) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "";
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_FINISH);
    out.resize(z.total_out);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? out : "";
}

TEST(JobAffinity, GzipSubmitAnswersAreReadAndJobsUnderAContextRewriteWork) {
    const std::vector<std::string> options{"--job-duration", "200ms", "--gzip-min-bytes", "0"};
    Sim a = start_sim("a", options), b = start_sim("b", options), c = start_sim("c", options);
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}, "", "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    // Submitted through the /server context with gzip-compressed answers; polled through /server too.
    const std::string gp = "/server/rest/services/Analysis/Buffer/GPServer/BufferPoints";
    std::vector<std::string> jobs;
    for (int i = 0; i < 9; ++i) {
        HttpClient client(proxy.port);
        const auto r = client.request("GET", gp + "/submitJob?Input=1&f=json", {{"Accept-Encoding", "gzip"}});
        ASSERT_EQ(r.status, 200);
        ASSERT_EQ(r.header("Content-Encoding"), "gzip") << "the sim must really compress for this test";
        const auto body = json::parse(gunzip(r.body), nullptr, false);
        ASSERT_TRUE(body.is_object() && body.contains("jobId")) << body.dump();
        jobs.push_back(body["jobId"]);
    }
    const auto status = json::parse(http_get(admin, "/api/v1/status").body);
    EXPECT_EQ(status["pools"][0]["job_table_size"], 9) << "every compressed submitJob answer was read";
    int succeeded = 0;
    for (const auto& job : jobs) succeeded += run_to_completion(proxy.port, job, gp);
    EXPECT_EQ(succeeded, 9);
}

TEST(JobAffinity, OwnerDownAnswers503NamingTheJob) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, kQuickHealth, "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    std::string job;
    std::string owner;
    for (int i = 0; i < 4 && owner.empty(); ++i) {
        HttpClient c(proxy.port);
        const auto r = c.request("GET", std::string(kGp) + "/submitJob?f=json");
        job = json::parse(r.body)["jobId"];
        owner = r.header("X-Gisgate-Sim-Site");
    }
    Sim& owning = owner == "a" ? a : b;
    owning.process->signal(SIGKILL);
    ASSERT_TRUE(owning.process->wait_exit().has_value());
    ASSERT_TRUE(eventually([&] {
        const auto st = json::parse(http_get(admin, "/api/v1/status").body);
        for (const auto& s : st["pools"][0]["servers"])
            if (s["name"] == owner) return s["state"] == "down";
        return false;
    }));
    HttpClient client(proxy.port);  // keep-alive: the 503 must be the only answer to this request
    const auto r = client.request("GET", std::string(kGp) + "/jobs/" + job + "?f=json");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find(job), std::string::npos) << r.body;
    EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << "never sent to a site that cannot know the job";
    const auto next = client.request("GET", "/arcgis/rest/info?f=json");
    EXPECT_EQ(next.status, 200);
    EXPECT_NE(next.body.find("currentVersion"), std::string::npos) << "a stray second answer: " << next.body;
}

TEST(ServiceRoutes, ServicesGoToTheirClusterAndOthersFallThrough) {
    Sim a = start_sim("a"), b = start_sim("b"), heavy1 = start_sim("heavy1"), heavy2 = start_sim("heavy2");
    const std::string yaml = "workers: 2\nlisteners:\n  - name: public\n    bind: 127.0.0.1:0\n    routes:\n"
                             "      - { services: [\"Geocode/*\", \"Utilities/PrintingTools\"], pool: heavy }\n"
                             "      - { prefix: /arcgis, pool: gis }\n"
                             "pools:\n  - name: gis\n    servers:\n" + servers_yaml({&a, &b}) +
                             "  - name: heavy\n    servers:\n" + servers_yaml({&heavy1, &heavy2});
    Proxy proxy = start_proxy(yaml);
    ASSERT_NE(proxy.port, 0);
    for (const char* target : {"/arcgis/rest/services/Geocode/World/GeocodeServer/findAddressCandidates?SingleLine=x&f=json",
                               "/arcgis/rest/services/Utilities/PrintingTools/GPServer?f=json"}) {
        const auto site = http_get(proxy.port, target).header("X-Gisgate-Sim-Site");
        EXPECT_TRUE(site == "heavy1" || site == "heavy2") << target << " → " << site;
    }
    for (const char* target : {"/arcgis/rest/services/Maps/Streets/MapServer?f=json", "/arcgis/rest/info?f=json"}) {
        const auto site = http_get(proxy.port, target).header("X-Gisgate-Sim-Site");
        EXPECT_TRUE(site == "a" || site == "b") << target << " → " << site;
    }
}

TEST(ServiceRoutes, CheckWarnsAboutASingleServerCluster) {
    Sim a = start_sim("a"), heavy = start_sim("heavy");
    const std::string yaml = "listeners:\n  - name: public\n    bind: 127.0.0.1:0\n    routes:\n"
                             "      - { services: [\"Geocode/*\"], pool: heavy }\n"
                             "      - { prefix: /arcgis, pool: gis }\n"
                             "pools:\n  - name: gis\n    servers:\n" + servers_yaml({&a}) +
                             "  - name: heavy\n    servers:\n" + servers_yaml({&heavy});
    auto check = ChildProcess::start({"check", "-c", write_temp_file("cluster.yaml", yaml)});
    ASSERT_EQ(check->wait_exit(), 0) << check->output();
    EXPECT_NE(check->output().find("single point of failure"), std::string::npos) << check->output();
}

std::string catalog_file(const std::string& name, const std::string& folders_yaml) {
    return write_temp_file(name, "services:\n  - {name: SampleWorldCities, type: MapServer}\nfolders:\n" + folders_yaml);
}

TEST(Discovery, ServicesFollowTheClusterThatHostsThem) {
    const auto maps = catalog_file("maps.yaml", "  Maps:\n    - {name: Streets, type: MapServer}\n");
    const auto geo = catalog_file("geo.yaml", "  Geocode:\n    - {name: World, type: GeocodeServer}\n");
    Sim m = start_sim("maps", {"--catalog", maps}), g = start_sim("geo", {"--catalog", geo});
    // No health checks: one that lands while the sites restart below would take a site out until it rises
    // again (3 checks, 30 s apart), and discovery reads only sites that are up. This test is about discovery.
    const std::string yaml = "workers: 2\nlisteners:\n  - name: public\n    bind: 127.0.0.1:0\n    routes:\n"
                             "      - { prefix: /arcgis, pool: mapping, discover: { every: 200ms } }\n"
                             "pools:\n  - name: mapping\n    health: { enabled: false }\n    servers:\n" +
                             servers_yaml({&m}) + "  - name: geocoding\n    health: { enabled: false }\n    servers:\n" +
                             servers_yaml({&g});
    Proxy proxy = start_proxy(yaml);
    ASSERT_NE(proxy.port, 0);
    const std::string geocode = "/arcgis/rest/services/Geocode/World/GeocodeServer?f=json";
    ASSERT_TRUE(eventually([&] { return http_get(proxy.port, geocode).header("X-Gisgate-Sim-Site") == "geo"; }));
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/services/Maps/Streets/MapServer?f=json").header("X-Gisgate-Sim-Site"),
              "maps");
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").header("X-Gisgate-Sim-Site"), "maps")
        << "anything else goes to the route's pool";

    // The geocoder moves to the mapping cluster: restart both sites with swapped catalogs, same ports.
    const auto both = catalog_file("both.yaml", "  Maps:\n    - {name: Streets, type: MapServer}\n"
                                                "  Geocode:\n    - {name: World, type: GeocodeServer}\n");
    const auto empty = catalog_file("empty.yaml", "  Other:\n    - {name: Thing, type: MapServer}\n");
    const int mp = m.port, gp = g.port;
    m.process.reset();
    g.process.reset();
    Sim m2 = start_sim("maps", {"--catalog", both}, mp), g2 = start_sim("geo", {"--catalog", empty}, gp);
    ASSERT_TRUE(eventually([&] { return http_get(proxy.port, geocode).header("X-Gisgate-Sim-Site") == "maps"; }))
        << "no config change needed when a service moves";
}

TEST(Drift, ADifferingSiteIsReportedAndDrained) {
    const auto same = catalog_file("same.yaml", "  Maps:\n    - {name: Streets, type: MapServer}\n");
    const auto odd = catalog_file("odd.yaml", "  Maps:\n    - {name: Streets, type: MapServer}\n"
                                              "    - {name: Extra, type: FeatureServer}\n");
    Sim a = start_sim("a", {"--catalog", same}), b = start_sim("b", {"--catalog", same}),
        c = start_sim("c", {"--catalog", odd});
    Proxy proxy = start_proxy(basic_config({&a, &b, &c},
                                           "    expect_identical: true\n    on_drift: drain\n"
                                           "    drift_check_every: 200ms\n",
                                           "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    json status;
    ASSERT_TRUE(eventually([&] {
        status = json::parse(http_get(admin, "/api/v1/status").body);
        return status["pools"][0]["drift"].contains("c");
    })) << status.dump();
    const std::string what = status["pools"][0]["drift"]["c"].dump();
    EXPECT_NE(what.find("Extra"), std::string::npos) << what;
    EXPECT_FALSE(status["pools"][0]["drift"].contains("a"));
    ASSERT_TRUE(eventually([&] {
        const auto st = json::parse(http_get(admin, "/api/v1/status").body);
        for (const auto& s : st["pools"][0]["servers"])
            if (s["name"] == "c") return s["state"] == "drain";
        return false;
    }));
    const auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts.count("c"), 0u) << "the drifted site is drained";
    EXPECT_NE(proxy.process->output().find("drift"), std::string::npos) << "and it is logged";
    const auto metrics = http_get(admin, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_server_drift{pool=\"gis\",server=\"c\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("gisgate_server_drift{pool=\"gis\",server=\"a\"} 0"), std::string::npos) << metrics;
}

// "All sites share the same token key" (vendor guide): with drift_token, a site signing tokens with another
// key is reported, and the others are not; once it gets the shared key it matches again.
TEST(Drift, ASiteWithAnotherTokenKeyIsReported) {
    Sim a = start_sim("a", {"--token-key", "shared"}), b = start_sim("b", {"--token-key", "shared"}),
        c = start_sim("c", {"--token-key", "other"});
    const int c_port = c.port;
    // Quick health checks: the drift check compares healthy servers only, and a check that lands while c
    // restarts below marks it down until the next one (30 s apart by default: the wait below would fail).
    Proxy proxy = start_proxy(basic_config({&a, &b, &c},
                                           "    expect_identical: true\n    drift_check_every: 200ms\n"
                                           "    drift_token: { username: monitor, password: pw }\n"
                                           "    health: { interval: 200ms, timeout: 300ms, fall: 2, rise: 2 }\n",
                                           "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    json status;
    ASSERT_TRUE(eventually([&] {
        status = json::parse(http_get(admin, "/api/v1/status").body);
        return status["pools"][0]["drift"].contains("c");
    })) << status.dump() << proxy.process->output();
    const std::string what = status["pools"][0]["drift"]["c"].dump();
    EXPECT_NE(what.find("token key differs: its tokens are refused by a, b; it refuses the tokens of a, b"),
              std::string::npos)
        << what;
    EXPECT_FALSE(status["pools"][0]["drift"].contains("a")) << status.dump();
    EXPECT_FALSE(status["pools"][0]["drift"].contains("b")) << status.dump();
    EXPECT_NE(proxy.process->output().find("token key differs"), std::string::npos) << "and it is logged";

    // The same key again: it matches.
    c.process.reset();
    Sim c_again = start_sim("c", {"--token-key", "shared"}, c_port);
    ASSERT_TRUE(eventually([&] {
        status = json::parse(http_get(admin, "/api/v1/status").body);
        return !status["pools"][0]["drift"].contains("c");
    })) << status.dump();
}

TEST(Sticky, CookiePinsAClientAndFallsBackWhenItsServerLeaves) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    sticky: cookie\n", "", kAdmin));
    const int admin = proxy.process->wait_for_port("admin");
    HttpClient c(proxy.port);
    const auto first = c.request("GET", "/arcgis/rest/info?f=json");
    const std::string set_cookie = first.header("Set-Cookie");
    ASSERT_EQ(set_cookie.rfind("GISGATE_SERVER=", 0), 0u) << set_cookie;
    EXPECT_EQ(set_cookie.find(std::to_string(a.port)), std::string::npos) << "opaque, not the address";
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    const std::string site = first.header("X-Gisgate-Sim-Site");
    for (int i = 0; i < 10; ++i) {
        const auto r = c.request("GET", "/arcgis/rest/info?f=json", {{"Cookie", "other=1; " + cookie}});
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), site);
        EXPECT_TRUE(r.header("Set-Cookie").empty());
    }
    HttpClient api(admin);
    ASSERT_EQ(api.request("PUT", "/api/v1/pools/gis/servers/" + site + "/state", {{"Authorization", "Bearer secret"}},
                          R"({"state":"drain"})").status, 200);
    const auto moved = c.request("GET", "/arcgis/rest/info?f=json", {{"Cookie", cookie}});
    EXPECT_EQ(moved.status, 200);
    EXPECT_NE(moved.header("X-Gisgate-Sim-Site"), site);
    EXPECT_FALSE(moved.header("Set-Cookie").empty()) << "a new cookie for the new server";
}

}  // namespace
}  // namespace gisgate::test
