// net::sd_notify: the datagram systemd reads (to a socket file and to an abstract name), nothing and no error
// outside systemd (NOTIFY_SOCKET unset), and a refused address that is only reported, never thrown.
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include "net/sd_notify.hpp"
#include "support/notify_socket.hpp"

namespace gisgate::net {
namespace {

using test::NotifySocket;

TEST(SdNotify, SendsTheStateToASocketFile) {
    NotifySocket manager(NotifySocket::Kind::path);
    ASSERT_EQ(manager.name().front(), '/');
    EXPECT_TRUE(sd_notify("READY=1\nSTATUS=serving"));
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");
    EXPECT_TRUE(sd_notify("STOPPING=1"));
    EXPECT_EQ(manager.receive(), "STOPPING=1") << "one datagram per call";
}

TEST(SdNotify, SendsTheStateToAnAbstractName) {
    NotifySocket manager(NotifySocket::Kind::abstract);
    ASSERT_EQ(manager.name().front(), '@');
    EXPECT_TRUE(sd_notify("READY=1"));
    EXPECT_EQ(manager.receive(), "READY=1");
}

TEST(SdNotify, IsANoOpOutsideSystemd) {
    std::optional<std::string> received;
    {
        NotifySocket manager(NotifySocket::Kind::path);
        ::unsetenv("NOTIFY_SOCKET");
        EXPECT_FALSE(sd_notify("READY=1"));
        ::setenv("NOTIFY_SOCKET", "", 1);
        EXPECT_FALSE(sd_notify("READY=1"));
        received = manager.receive(std::chrono::milliseconds(0));
    }
    EXPECT_FALSE(received.has_value()) << received.value_or("");
}

TEST(SdNotify, ErrorsAreReportedNotThrown) {
    NotifySocket manager(NotifySocket::Kind::path);
    ::setenv("NOTIFY_SOCKET", (manager.name() + ".missing").c_str(), 1);
    EXPECT_FALSE(sd_notify("READY=1"));
    ::setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);  // neither a path nor @name
    EXPECT_FALSE(sd_notify("READY=1"));
    ::setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);  // longer than sun_path
    EXPECT_FALSE(sd_notify("READY=1"));
}

TEST(SdNotify, ReloadingCarriesTheMonotonicClock) {
    timespec before{};
    ::clock_gettime(CLOCK_MONOTONIC, &before);
    const std::string state = sd_reloading_state();
    timespec after{};
    ::clock_gettime(CLOCK_MONOTONIC, &after);
    const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
    ASSERT_EQ(state.rfind(prefix, 0), 0u) << state;
    const unsigned long long usec = std::stoull(state.substr(prefix.size()));
    EXPECT_GE(usec, static_cast<unsigned long long>(before.tv_sec) * 1000000ull + before.tv_nsec / 1000);
    EXPECT_LE(usec, static_cast<unsigned long long>(after.tv_sec) * 1000000ull + after.tv_nsec / 1000);
}

}  // namespace
}  // namespace gisgate::net
