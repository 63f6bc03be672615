// ChildProcess: fork/exec of the gisgate binary with stdout+stderr in a log file. The child gets
// PR_SET_PDEATHSIG so a crashed or killed test binary does not leave sites running.
#include "support/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace gisgate::test {

namespace {

std::atomic<int> g_log_counter{0};

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::start(const std::vector<std::string>& args) {
    return start_program(GISGATE_BINARY, args);
}

std::unique_ptr<ChildProcess> ChildProcess::start_program(const std::string& program,
                                                          const std::vector<std::string>& args) {
    auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
    child->log_path_ =
        temp_dir() + "/child-" + std::to_string(getpid()) + "-" + std::to_string(g_log_counter.fetch_add(1)) + ".log";
    // Everything the child needs is prepared before fork: after it only async-signal-safe calls are allowed
    // (the test process has threads).
    int log_fd = ::open(child->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0)
        throw std::runtime_error("cannot create " + child->log_path_ + ": " + std::strerror(errno));
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::vector<std::string> argv_storage;
    argv_storage.push_back(program);
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();

    pid_t pid = fork();
    if (pid < 0) {
        ::close(log_fd);
        if (null_fd >= 0)
            ::close(null_fd);
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);  // the parent died before prctl took effect
        if (null_fd >= 0)
            dup2(null_fd, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        // Signals blocked or ignored by the test's threads must not leak into the child.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv.data());
        const char msg[] = "exec of the child's program failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    ::close(log_fd);
    if (null_fd >= 0)
        ::close(null_fd);
    child->pid_ = pid;
    return child;
}

ChildProcess::~ChildProcess() {
    if (pid_ <= 0 || exit_status_)
        return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

std::string ChildProcess::output() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool ChildProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const {
    auto* self = const_cast<ChildProcess*>(this);
    bool found = eventually(
        [&] {
            if (output().find(needle) != std::string::npos)
                return true;
            return !self->running();  // stop polling once it exited; checked once more below
        },
        timeout);
    return found && output().find(needle) != std::string::npos;
}

int ChildProcess::wait_for_port(const std::string& name, std::chrono::milliseconds timeout) const {
    // "listening: <name> 127.0.0.1:6081" or "listening: <name> [::1]:6081"
    std::string prefix = "listening: " + name + " ";
    int port = 0;
    auto* self = const_cast<ChildProcess*>(this);
    eventually(
        [&] {
            std::string out = output();
            std::istringstream lines(out);
            std::string line;
            static const std::regex addr(R"(^(\[[0-9A-Fa-f:.]+\]|[0-9.]+|[A-Za-z0-9.\-]+):([0-9]+)\s*$)");
            while (std::getline(lines, line)) {
                auto at = line.find(prefix);
                if (at == std::string::npos)
                    continue;
                std::smatch m;
                std::string rest = line.substr(at + prefix.size());
                if (std::regex_match(rest, m, addr)) {
                    port = std::stoi(m[2]);
                    return true;
                }
            }
            return !self->running();
        },
        timeout);
    return port;
}

void ChildProcess::signal(int sig) const {
    if (pid_ > 0 && !exit_status_)
        ::kill(pid_, sig);
}

bool ChildProcess::running() {
    if (pid_ <= 0 || exit_status_)
        return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_status_ = decode_status(status);
        return false;
    }
    return r == 0;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    eventually([&] { return !running(); }, timeout);
    return exit_status_;
}

long ChildProcess::rss_kib() const {
    if (pid_ <= 0 || exit_status_)
        return -1;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

Sim start_sim(const std::string& name, const std::vector<std::string>& extra, int port) {
    Sim sim;
    sim.name = name;
    std::vector<std::string> args{"sim", "--listen", "127.0.0.1:" + std::to_string(port), "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    sim.process = ChildProcess::start(args);
    sim.port = sim.process->wait_for_port(name);
    if (sim.port == 0)
        ADD_FAILURE() << "sim " << name << " did not start; output:\n" << sim.process->output();
    return sim;
}

ProgramResult run_program(const std::string& program, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
    auto child = ChildProcess::start_program(program, args);
    ProgramResult result;
    const auto status = child->wait_exit(timeout);
    if (status) result.exit = *status;
    result.output = child->output();
    return result;
}

}  // namespace gisgate::test
