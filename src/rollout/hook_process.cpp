#include "rollout/hook_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace gisgate::rollout {

namespace {

// After the shell ended, how long its output pipe may stay open (a background child still holding it) before
// the output is taken as it is.
constexpr std::chrono::milliseconds kOutputGrace{500};

struct HookChild : std::enable_shared_from_this<HookChild> {
    HookChild(asio::io_context& control, HookDone d)
        : pidfd(control), output(control), timer(control), grace(control), done(std::move(d)) {}

    pid_t pid = -1;
    asio::posix::stream_descriptor pidfd;
    asio::posix::stream_descriptor output;
    asio::steady_timer timer;  // the hook timeout
    asio::steady_timer grace;  // kOutputGrace
    HookDone done;
    std::string captured;
    bool truncated = false;
    bool timed_out = false;
    bool cancelled = false;
    bool exited = false;       // reaped; `status` holds its end
    bool output_done = false;  // EOF (or the pipe closed after the grace)
    bool finished = false;
    int status = 0;
    bool status_lost = false;  // waitpid failed (someone else reaped it)
    std::array<char, 4096> buffer{};

    void keep(const char* data, std::size_t n) {
        captured.append(data, n);
        if (captured.size() > kMaxHookOutput) {  // keep the end: the last lines say why it failed
            captured.erase(0, captured.size() - kMaxHookOutput);
            truncated = true;
        }
    }

    // Reads until EOF. The output is complete only then: a read that completed before the process ended may
    // still be queued when the pidfd reports the end.
    void read_output() {
        output.async_read_some(asio::buffer(buffer), [self = shared_from_this()](const error_code& ec, std::size_t n) {
            if (!ec) {
                self->keep(self->buffer.data(), n);
                self->read_output();
                return;
            }
            self->output_done = true;
            if (self->exited) self->finish();
        });
    }

    void kill_group() {
        if (pid > 0 && !exited) ::kill(-pid, SIGKILL);
    }

    void wait_exit() {
        pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](const error_code& ec) {
            if (ec == asio::error::operation_aborted) return;
            self->reap();
        });
    }

    void reap() {
        pid_t reaped;
        do reaped = ::waitpid(pid, &status, WNOHANG);
        while (reaped < 0 && errno == EINTR);
        if (reaped == 0) return wait_exit();  // spurious wake-up
        exited = true;
        status_lost = reaped < 0;
        timer.cancel();
        error_code ignored;
        pidfd.close(ignored);
        if (output_done) return finish();
        grace.expires_after(kOutputGrace);
        grace.async_wait([weak = weak_from_this()](const error_code& ec) {
            const auto self = weak.lock();
            if (ec || !self) return;
            error_code ignored;
            self->output.close(ignored);  // the pending read ends, and finishes
        });
    }

    void finish() {
        if (finished) return;
        finished = true;
        grace.cancel();
        error_code ignored;
        output.close(ignored);
        if (cancelled || !done) return;
        HookResult result;
        if (status_lost) result.exit_code = -1;
        else if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
        result.timed_out = timed_out;
        result.output = truncated ? "...\n" + captured : captured;
        auto report = std::move(done);
        report(std::move(result));
    }
};

class HookProcessRun final : public HookRun {
public:
    explicit HookProcessRun(std::shared_ptr<HookChild> child) : child_(std::move(child)) {}
    ~HookProcessRun() override {
        // Killed, and still reaped by the pidfd wait (which holds the child); `done` is not called.
        child_->cancelled = true;
        child_->done = nullptr;
        child_->timer.cancel();
        child_->kill_group();
    }

private:
    std::shared_ptr<HookChild> child_;
};

// A run that could not start: reports the error on the control context (never from inside start).
class FailedRun final : public HookRun {};

std::unique_ptr<HookRun> failed(asio::io_context& control, HookDone done, std::string why) {
    asio::post(control, [done = std::move(done), why = std::move(why)] {
        HookResult result;
        result.error = why;
        done(std::move(result));
    });
    return std::make_unique<FailedRun>();
}

}  // namespace

std::unique_ptr<HookRun> start_hook_process(asio::io_context& control, HookRequest request, HookDone done) {
    // The environment: gisgate's, with the hook's variables in place of any of the same name.
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view entry(*e);
        const bool replaced = std::any_of(request.env.begin(), request.env.end(), [&](const auto& kv) {
            return entry.size() > kv.first.size() && entry.substr(0, kv.first.size()) == kv.first &&
                   entry[kv.first.size()] == '=';
        });
        if (!replaced) env.emplace_back(entry);
    }
    for (const auto& [key, value] : request.env) env.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string shell = "/bin/sh", dash_c = "-c";
    char* argv[] = {shell.data(), dash_c.data(), request.command.data(), nullptr};

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return failed(control, std::move(done), std::string("pipe: ") + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // listeners and connections stay gisgate's
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);  // SIGPIPE is ignored in gisgate, not in the hook
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    // The pipe's write end is set non-blocking above; the hook's stdout must block as usual.
    ::fcntl(pipe_fds[1], F_SETFL, ::fcntl(pipe_fds[1], F_GETFL) & ~O_NONBLOCK);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(pipe_fds[1]);
    if (rc != 0) {
        ::close(pipe_fds[0]);
        return failed(control, std::move(done), std::string("posix_spawn /bin/sh: ") + std::strerror(rc));
    }

    auto child = std::make_shared<HookChild>(control, std::move(done));
    child->pid = pid;
    child->output.assign(pipe_fds[0]);
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {  // Linux before 5.3: no pidfd, so no way to await the end without SIGCHLD
        const std::string why = std::string("pidfd_open: ") + std::strerror(errno);
        child->kill_group();
        int status = 0;
        ::waitpid(pid, &status, 0);  // SIGKILLed: ends at once
        return failed(control, std::exchange(child->done, nullptr), why);
    }
    child->pidfd.assign(pidfd);
    child->read_output();
    child->wait_exit();
    child->timer.expires_after(request.timeout);
    child->timer.async_wait([weak = std::weak_ptr<HookChild>(child)](const error_code& ec) {
        const auto c = weak.lock();
        if (ec || !c || c->cancelled || c->exited) return;
        c->timed_out = true;
        c->kill_group();
    });
    return std::make_unique<HookProcessRun>(std::move(child));
}

}  // namespace gisgate::rollout
