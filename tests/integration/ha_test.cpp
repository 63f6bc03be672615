// High availability acceptance: a killed site loses no request and comes back after `rise` checks; a hung
// site fails requests for at most the server timeout and gets no new ones after `fall` checks; a standby
// site takes over only while no primary is up.
#include <gtest/gtest.h>

#include <csignal>

#include "integration/load.hpp"
#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kFastHealth = "    health: { interval: 200ms, timeout: 300ms, fall: 3, rise: 2 }\n";

TEST(HighAvailability, KilledSiteLosesNoRequestAndRejoinsAfterRise) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}, kFastHealth, "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    Load load(proxy.port, "/arcgis/rest/info?f=json", 4, std::chrono::seconds(30));
    ASSERT_TRUE(eventually([&] { return load.sites().size() == 3; }));

    const int a_port = a.port;
    a.process->signal(SIGKILL);
    ASSERT_TRUE(a.process->wait_exit().has_value());
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", "a") == "down"; }));
    const auto down_at = Clock::now();

    Sim a_again = start_sim("a", {}, a_port);
    ASSERT_NE(a_again.port, 0);
    const auto restarted = Clock::now();
    ASSERT_TRUE(eventually([&] { return load.site_count_since("a", restarted) > 0; }))
        << "the restarted site never got traffic back";
    EXPECT_EQ(server_state(admin, "gis", "a"), "up");
    load.stop();

    EXPECT_TRUE(load.failures().empty()) << load.failures().size() << " failed requests:\n" << describe(load.failures());
    EXPECT_GT(load.ok(), 100u);
    EXPECT_EQ(load.site_count_since("a", down_at + std::chrono::milliseconds(50)) -
                  load.site_count_since("a", restarted), 0u)
        << "nothing may be answered by a while it is dead";
}

TEST(HighAvailability, HungSiteFailsWithinServerTimeoutAndIsTakenOutAfterFall) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b},
                                           "    timeouts: { server: 1s }\n"
                                           "    health: { interval: 200ms, timeout: 300ms, fall: 2, rise: 2 }\n",
                                           "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    Load load(proxy.port, "/arcgis/rest/info?f=json", 4, std::chrono::seconds(30));
    ASSERT_TRUE(eventually([&] { return load.sites().size() == 2; }));
    set_fault(a, "hang");
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", "a") == "down"; }));
    const auto detected = Clock::now();
    // Let requests already sent to the hung site run into the server timeout.
    ASSERT_TRUE(eventually([&] { return load.ok() > 0 && Clock::now() > detected + std::chrono::milliseconds(1500); }));
    load.stop();

    for (const auto& f : load.failures()) {
        EXPECT_EQ(f.status, 504) << f.detail;
        EXPECT_LE(f.took.count(), 1000 + 500) << "a request failed later than the server timeout";
        EXPECT_LT(f.at, detected) << "a request started after the site was taken out still went to it";
    }
    EXPECT_GT(load.ok(), 50u);
}

TEST(HighAvailability, StandbyServesOnlyWhileNoPrimaryIsUp) {
    Sim primary = start_sim("primary"), standby = start_sim("standby");
    Sim* sims[] = {&primary, &standby};
    Proxy proxy = start_proxy(basic_config({sims[0], sims[1]}, kFastHealth, "", kAdmin, {{"standby", "backup: true"}}));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");

    auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["primary"], 20);
    EXPECT_EQ(counts.count("standby"), 0u);

    const int primary_port = primary.port;
    primary.process->signal(SIGKILL);
    ASSERT_TRUE(primary.process->wait_exit().has_value());
    // Even before the checks notice, a failed connect is retried on the standby: no request fails.
    counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["standby"], 20);
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", "primary") == "down"; }));

    Sim primary_again = start_sim("primary", {}, primary_port);
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", "primary") == "up"; }));
    counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["primary"], 20) << "new requests go back to the primary";
}

TEST(HighAvailability, CheckShowsDetectionBoundsAndWarnsAboutRiskySettings) {
    Sim a = start_sim("a");
    const auto path = write_temp_file("risky.yaml", basic_config({&a}, "    health: { timeout: 2s, fall: 1 }\n"));
    auto check = ChildProcess::start({"check", "-c", path});
    ASSERT_EQ(check->wait_exit(), 0);
    const auto out = check->output();
    EXPECT_NE(out.find("# health:"), std::string::npos) << out;
    EXPECT_NE(out.find("warning:"), std::string::npos) << out;
    EXPECT_NE(out.find("2s"), std::string::npos) << out;
}

}  // namespace
}  // namespace gisgate::test
