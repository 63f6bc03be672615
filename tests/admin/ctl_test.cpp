// `gisgate ctl`: the real binary against the in-process admin server with the fake API.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "admin/admin_fixture.hpp"
#include "support/process.hpp"

namespace gisgate::admin::testing {
namespace {

using test::ChildProcess;

class CtlTest : public AdminServerTest {
protected:
    void SetUp() override { start(); }

    // Runs `gisgate ctl ARGS...` to completion; returns the exit code (-1 on timeout) and fills `output`.
    int ctl(const std::vector<std::string>& args) {
        std::vector<std::string> argv{"ctl"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto child = ChildProcess::start(argv);
        const auto code = child->wait_exit(std::chrono::seconds(30));
        output = child->output();
        return code.value_or(-1);
    }
    std::string admin() const { return "127.0.0.1:" + std::to_string(port); }

    std::string output;
};

TEST_F(CtlTest, DrainCallsTheApi) {
    ASSERT_EQ(ctl({"--admin", admin(), "--token", kToken, "drain", "gis/a"}), 0) << output;
    EXPECT_NE(output.find("gis/a: drain"), std::string::npos) << output;
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].method, "set_server_state");
    EXPECT_EQ(calls[0].pool, "gis");
    EXPECT_EQ(calls[0].server, "a");
    EXPECT_EQ(calls[0].state, "drain");
}

TEST_F(CtlTest, OptionsMayFollowTheCommand) {
    ASSERT_EQ(ctl({"ready", "gis/a", "--admin", admin(), "--token", kToken}), 0) << output;
    ASSERT_EQ(api.calls().size(), 1u);
    EXPECT_EQ(api.calls()[0].state, "ready");
}

TEST_F(CtlTest, WrongTokenPrintsTheApisMessageAndExits1) {
    EXPECT_EQ(ctl({"--admin", admin(), "--token", "nope", "maint", "gis/a"}), 1);
    EXPECT_NE(output.find("missing or wrong bearer token"), std::string::npos) << output;
    EXPECT_TRUE(api.calls().empty());
}

TEST_F(CtlTest, ApiErrorsPrintTheirMessage) {
    api.set_state_result({404, {{"error", {{"code", 404}, {"message", "no server 'zz' in pool 'gis'"}}}}});
    EXPECT_EQ(ctl({"--admin", admin(), "--token", kToken, "drain", "gis/zz"}), 1);
    EXPECT_NE(output.find("no server 'zz' in pool 'gis'"), std::string::npos) << output;
}

TEST_F(CtlTest, StatusPrintsOneLinePerServer) {
    ASSERT_EQ(ctl({"--admin", admin(), "status"}), 0) << output;
    EXPECT_TRUE(std::regex_search(output, std::regex(R"(gis/a +10\.1\.0\.11:6443 +up +2 +1234 +ok 12ms)"))) << output;
    const std::regex b(R"(gis/b +10\.1\.0\.12:6443 \(backup\) +down +0 +17 +)"
                       R"(failing x5 \(connect: connection refused\))");
    EXPECT_TRUE(std::regex_search(output, b)) << output;
}

TEST_F(CtlTest, StatusJsonIsTheRawDocument) {
    ASSERT_EQ(ctl({"--admin", admin(), "status", "--json"}), 0) << output;
    EXPECT_EQ(nlohmann::json::parse(output, nullptr, false), api.status_body) << output;
}

TEST_F(CtlTest, AddSendsWeightAndBackup) {
    ASSERT_EQ(ctl({"--admin", admin(), "--token", kToken, "add", "gis", "c", "10.1.0.13:6443", "--weight", "3",
                   "--backup"}),
              0)
        << output;
    ASSERT_EQ(api.calls().size(), 1u);
    EXPECT_EQ(api.calls()[0].pool, "gis");
    EXPECT_EQ(api.calls()[0].body,
              (nlohmann::json{{"name", "c"}, {"address", "10.1.0.13:6443"}, {"weight", 3}, {"backup", true}}));
    // Without the options, neither key is sent: the proxy applies its defaults.
    ASSERT_EQ(ctl({"--admin", admin(), "--token", kToken, "add", "gis", "d", "10.1.0.14:6443"}), 0) << output;
    EXPECT_EQ(api.calls()[1].body, (nlohmann::json{{"name", "d"}, {"address", "10.1.0.14:6443"}}));
}

TEST_F(CtlTest, RemoveAndReload) {
    ASSERT_EQ(ctl({"--admin", admin(), "--token", kToken, "remove", "gis/b"}), 0) << output;
    ASSERT_EQ(ctl({"--admin", admin(), "--token", kToken, "reload"}), 0) << output;
    EXPECT_NE(output.find("reloaded"), std::string::npos) << output;
    const auto calls = api.calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].method, "remove_server");
    EXPECT_EQ(calls[0].server, "b");
    EXPECT_EQ(calls[1].method, "reload");
}

TEST_F(CtlTest, AddressAndTokenFromTheConfigFile) {
    const auto path = test::write_temp_file("ctl.yaml", "admin: { bind: " + admin() + ", token: " + kToken +
                                                            " }\n"
                                                            "listeners: [{ name: l, bind: 127.0.0.1:0, routes: [{ "
                                                            "prefix: /, pool: p }] }]\n"
                                                            "pools: [{ name: p, servers: [{ name: s, address: "
                                                            "127.0.0.1:1 }] }]\n");
    ASSERT_EQ(ctl({"-c", path, "drain", "p/s"}), 0) << output;
    ASSERT_EQ(api.calls().size(), 1u);
    // The flag overrides the file's token.
    EXPECT_EQ(ctl({"-c", path, "--token", "other", "drain", "p/s"}), 1) << output;
    EXPECT_EQ(api.calls().size(), 1u);
}

TEST_F(CtlTest, TokenFromTheEnvironment) {
    ::setenv("GISGATE_ADMIN_TOKEN", kToken.c_str(), 1);
    const int code = ctl({"--admin", admin(), "drain", "gis/a"});
    ::unsetenv("GISGATE_ADMIN_TOKEN");
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(api.calls().size(), 1u);
}

TEST_F(CtlTest, BadConfigFileExits2WithLocation) {
    const auto path = test::write_temp_file("bad-ctl.yaml", "admin: { bind: 127.0.0.1:1, tokn: x }\n");
    EXPECT_EQ(ctl({"-c", path, "status"}), 2) << output;
    EXPECT_NE(output.find(path + ":1:"), std::string::npos) << output;
}

TEST_F(CtlTest, UnreachableAdminExits1) {
    // Our own port once the server is stopped: nothing listens there any more.
    const auto where = admin();
    ASSERT_TRUE(stop());
    EXPECT_EQ(ctl({"--admin", where, "status"}), 1) << output;
    EXPECT_NE(output.find("gisgate ctl:"), std::string::npos) << output;
}

TEST_F(CtlTest, HealthExits0WhenReady) {
    ASSERT_EQ(ctl({"--admin", admin(), "health"}), 0) << output;
    EXPECT_NE(output.find("ready"), std::string::npos) << output;
    ASSERT_EQ(api.calls().size(), 1u);
    EXPECT_EQ(api.calls()[0].method, "ready");
}

TEST_F(CtlTest, HealthExits1WithOneLinePerReason) {
    api.set_ready_result(
        {503, {{"ready", false}, {"reasons", {"pool gis: no server up (a down)", "pool geo: no server up"}}}});
    EXPECT_EQ(ctl({"--admin", admin(), "health"}), 1) << output;
    EXPECT_NE(output.find("not ready: pool gis: no server up (a down)\n"), std::string::npos) << output;
    EXPECT_NE(output.find("not ready: pool geo: no server up\n"), std::string::npos) << output;
    EXPECT_EQ(ctl({"--admin", admin(), "health", "-q"}), 1) << output;
    EXPECT_EQ(output, "");
}

TEST_F(CtlTest, HealthWithoutAReadinessAnswerExits2) {
    api.set_ready_result({404, {{"error", {{"code", 404}, {"message", "no such endpoint"}}}}});
    EXPECT_EQ(ctl({"--admin", admin(), "health"}), 2) << output;
    EXPECT_NE(output.find("no readiness answer (HTTP 404)"), std::string::npos) << output;
}

TEST_F(CtlTest, HealthOfAnUnreachableAdminExits2) {
    const auto where = admin();
    ASSERT_TRUE(stop());
    EXPECT_EQ(ctl({"--admin", where, "health"}), 2) << output;
    EXPECT_NE(output.find("gisgate ctl:"), std::string::npos) << output;
    EXPECT_EQ(ctl({"--admin", where, "health", "-q"}), 2) << output;
    EXPECT_EQ(output, "");
}

TEST_F(CtlTest, HealthGivesUpOnAStuckAdminAfterItsTimeout) {
    // A listener that accepts (the kernel's backlog) but never answers.
    asio::io_context quiet;
    tcp::acceptor stuck(quiet, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto where = "127.0.0.1:" + std::to_string(stuck.local_endpoint().port());
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(ctl({"--admin", where, "health", "--timeout", "300ms"}), 2) << output;
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_NE(output.find("timed out"), std::string::npos) << output;
    EXPECT_GE(took, std::chrono::milliseconds(300));
    EXPECT_LT(took, std::chrono::seconds(10)) << "the default 10 s request deadline was used instead of --timeout";
    EXPECT_NE(ctl({"--admin", where, "health", "--timeout", "soon"}), 0);
    EXPECT_NE(output.find("not a positive duration"), std::string::npos) << output;
}

TEST_F(CtlTest, BadTargetIsAUsageError) {
    EXPECT_NE(ctl({"--admin", admin(), "drain", "gis"}), 0);
    EXPECT_NE(output.find("POOL/SERVER"), std::string::npos) << output;
    EXPECT_TRUE(api.calls().empty());
}

}  // namespace
}  // namespace gisgate::admin::testing
