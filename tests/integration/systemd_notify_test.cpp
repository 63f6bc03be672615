// Type=notify end to end: `gisgate run` started with NOTIFY_SOCKET (as systemd starts it) reports READY=1 only
// once its listener serves, RELOADING=1 then READY=1 around a SIGHUP reload (a refused one too), and
// STOPPING=1 on SIGTERM. Each message is awaited on the socket, never slept for.
#include <gtest/gtest.h>

#include <csignal>

#include "integration/proxy_fixture.hpp"
#include "support/notify_socket.hpp"

namespace gisgate::test {
namespace {

// SIGHUP, then the two messages of a reload: RELOADING=1 with the monotonic clock, then READY=1.
void sdn_expect_reload(ChildProcess& proxy, NotifySocket& manager) {
    proxy.signal(SIGHUP);
    const auto reloading = manager.receive();
    ASSERT_TRUE(reloading.has_value()) << proxy.output();
    EXPECT_EQ(reloading->rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << *reloading;
    EXPECT_EQ(manager.receive(), "READY=1") << proxy.output();
}

TEST(SdNotifyRun, ReadyOnceServingReloadingAroundSighupStoppingOnSigterm) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    const std::string base = basic_config({&a});
    const std::string config_path = write_temp_file("sdn-gisgate.yaml", base);
    NotifySocket manager(NotifySocket::Kind::path);  // NOTIFY_SOCKET is set for the child started now
    auto proxy = ChildProcess::start({"run", "-c", config_path});

    const auto ready = manager.receive();
    ASSERT_TRUE(ready.has_value()) << proxy->output();
    EXPECT_EQ(ready->rfind("READY=1\nSTATUS=serving: ", 0), 0u) << *ready;
    EXPECT_NE(ready->find("\nMAINPID=" + std::to_string(proxy->pid())), std::string::npos) << *ready;
    // By READY=1 the listener is bound and served: no waiting from here on.
    ASSERT_NE(proxy->output().find("listening: public "), std::string::npos) << proxy->output();
    const int port = proxy->wait_for_port("public", std::chrono::milliseconds(0));
    ASSERT_NE(port, 0) << proxy->output();
    EXPECT_EQ(http_get(port, "/arcgis/rest/info?f=json").status, 200);

    // A reload that adds a listener: bound and served as soon as READY=1 follows RELOADING=1.
    std::string with_second = base;
    with_second.insert(with_second.find("pools:\n"),
                       "  - name: second\n    bind: 127.0.0.1:0\n    routes:\n      - { prefix: /arcgis, pool: gis }\n");
    write_temp_file("sdn-gisgate.yaml", with_second);
    sdn_expect_reload(*proxy, manager);
    const int second = proxy->wait_for_port("second", std::chrono::milliseconds(0));
    ASSERT_NE(second, 0) << proxy->output();
    EXPECT_EQ(http_get(second, "/arcgis/rest/info?f=json").status, 200);

    // A refused reload: the running config stays, and systemd is told it is ready again all the same.
    write_temp_file("sdn-gisgate.yaml", with_second + "bogus_key: 1\n");
    sdn_expect_reload(*proxy, manager);
    EXPECT_NE(proxy->output().find("reload refused"), std::string::npos) << proxy->output();
    EXPECT_EQ(http_get(second, "/arcgis/rest/info?f=json").status, 200);

    proxy->signal(SIGTERM);
    EXPECT_EQ(manager.receive(), "STOPPING=1") << proxy->output();
    EXPECT_EQ(proxy->wait_exit(), 0);
    EXPECT_EQ(manager.receive(std::chrono::milliseconds(0)), std::nullopt) << "nothing after STOPPING=1";
}

}  // namespace
}  // namespace gisgate::test
