// The `gisgate sim` subcommand as a child process: the startup line, serving, and a clean exit on signals.
#include <signal.h>

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::start_sim;

TEST(SimProcess, ServesAndExitsCleanlyOnSigterm) {
    auto sim = start_sim("proc-a", {"--job-duration", "100ms"});
    ASSERT_GT(sim.port, 0);
    EXPECT_NE(sim.process->output().find("listening: proc-a 127.0.0.1:" + std::to_string(sim.port)), std::string::npos);
    HttpResponse r = http_get(sim.port, "/arcgis/rest/info/healthcheck?f=json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "proc-a");
    EXPECT_GT(sim.process->rss_kib(), 0);
    HttpClient hanging(sim.port);  // an open connection must not keep it from exiting
    hanging.send_raw("GET /arcgis/rest/info HTTP/1.1\r\nHost: x\r\n");
    sim.process->signal(SIGTERM);
    EXPECT_EQ(sim.process->wait_exit(10s), std::optional<int>(0)) << sim.process->output();
}

TEST(SimProcess, SigintAlsoStopsIt) {
    auto sim = start_sim("proc-b", {"--instances", "2", "--threads", "1"});
    ASSERT_GT(sim.port, 0);
    EXPECT_EQ(http_get(sim.port, "/sim/stats").status, 200);
    sim.process->signal(SIGINT);
    EXPECT_EQ(sim.process->wait_exit(10s), std::optional<int>(0)) << sim.process->output();
}

}  // namespace
}  // namespace gisgate::sim::testing
