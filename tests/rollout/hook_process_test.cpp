// The rollout hook as a real child process (/bin/sh): exit status, captured output, environment, the timeout,
// and killing a run that is destroyed, all awaited on an io_context without blocking it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <string>
#include <optional>

#include "rollout/hook_process.hpp"
#include "support/process.hpp"

namespace gisgate::rollout {
namespace {

using namespace std::chrono_literals;

// Dead: no such process, or a zombie nobody reaped yet (an orphan's reaper is PID 1, which in a container
// may never reap).
bool gone(pid_t pid) {
    if (::kill(pid, 0) != 0) return errno == ESRCH;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

// Starts `command` and runs the io_context until it reports (bounded).
HookResult run_hook(asio::io_context& io, const std::string& command, std::chrono::milliseconds timeout = 10s,
                    std::vector<std::pair<std::string, std::string>> env = {}) {
    std::optional<HookResult> result;
    auto run = start_hook_process(io, HookRequest{command, std::move(env), timeout},
                                  [&](HookResult r) { result = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!result && std::chrono::steady_clock::now() < deadline) {
        io.restart();
        io.run_one_for(10ms);
    }
    EXPECT_TRUE(result) << command << ": no result";
    return result.value_or(HookResult{});
}

TEST(HookProcess, ReportsExitStatusOutputAndEnvironment) {
    asio::io_context io;
    const HookResult r = run_hook(io, "echo \"server=$GISGATE_SERVER pool=$GISGATE_POOL\"; echo oops >&2; exit 3", 10s,
                                  {{"GISGATE_SERVER", "a"}, {"GISGATE_POOL", "gis"}});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.error.empty());
    EXPECT_EQ(r.output, "server=a pool=gis\noops\n");
    EXPECT_EQ(run_hook(io, "true").exit_code, 0);
}

TEST(HookProcess, KeepsTheEndOfLongOutput) {
    asio::io_context io;
    const HookResult r = run_hook(io, "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done; echo last");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_LE(r.output.size(), kMaxHookOutput + 8);
    EXPECT_EQ(r.output.rfind("...\n", 0), 0u);
    EXPECT_NE(r.output.find("line1999\nlast\n"), std::string::npos);
}

TEST(HookProcess, InheritsNoDescriptorOfTheParent) {
    asio::io_context io;
    // Without O_CLOEXEC, as Asio's sockets are; high enough not to be the one ls opens for the listing.
    const int opened = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(opened, 0);
    const int fd = ::dup2(opened, 100);
    ::close(opened);
    ASSERT_EQ(fd, 100);
    const HookResult r = run_hook(io, "ls /proc/self/fd");
    ::close(fd);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("0\n1\n2\n"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("100\n"), std::string::npos) << r.output;
}

TEST(HookProcess, TimeoutKillsTheWholeProcessGroup) {
    asio::io_context io;
    const std::string pid_file = test::temp_dir() + "/hook_child.pid";
    const auto started = std::chrono::steady_clock::now();
    const HookResult r = run_hook(io, "sleep 30 & echo $! > " + pid_file + "; wait", 300ms);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    pid_t child = 0;
    std::ifstream(pid_file) >> child;
    ASSERT_GT(child, 0);
    // The background sleep was in the group: killed too (reaped by init, so wait until it is gone).
    EXPECT_TRUE(test::eventually([&] { return gone(child); }, 5s));
}

TEST(HookProcess, DestroyingTheRunKillsItWithoutReporting) {
    asio::io_context io;
    const std::string pid_file = test::temp_dir() + "/hook_shell.pid";
    bool reported = false;
    auto run = start_hook_process(io, HookRequest{"echo $$ > " + pid_file + "; exec sleep 30", {}, 60s},
                                  [&](HookResult) { reported = true; });
    pid_t shell = 0;
    ASSERT_TRUE(test::eventually([&] {
        io.restart();
        io.poll();
        std::ifstream in(pid_file);
        return static_cast<bool>(in >> shell) && shell > 0;
    }));
    run.reset();
    // Reaped by the pending pidfd wait once the io_context runs: the pid is gone, not a zombie.
    EXPECT_TRUE(test::eventually([&] {
        io.restart();
        io.poll();
        return ::kill(shell, 0) != 0 && errno == ESRCH;  // our child: must be reaped, not a zombie
    }, 5s));
    EXPECT_FALSE(reported);
}

TEST(HookProcess, MissingCommandIsANonZeroExitNotAnError) {
    asio::io_context io;
    const HookResult r = run_hook(io, "/nonexistent/hook.sh");
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_TRUE(r.error.empty());
    EXPECT_NE(r.output.find("nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace gisgate::rollout
