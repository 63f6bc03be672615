// Child processes for integration tests: runs the built `gisgate` binary with arguments, captures its
// stdout+stderr into a file, and lets a test wait on conditions (a line appearing, exit) instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gisgate::test {

using namespace std::chrono_literals;

class ChildProcess {
public:
    // Starts GISGATE_BINARY with `args` (e.g. {"sim", "--listen", "127.0.0.1:0", "--name", "a"}).
    // The child is killed when the *thread* that started it exits (PR_SET_PDEATHSIG), so start children
    // from a thread that outlives them, such as the test's main thread.
    static std::unique_ptr<ChildProcess> start(const std::vector<std::string>& args);
    // Another program (a peer such as haproxy), by path, captured and reaped the same way.
    static std::unique_ptr<ChildProcess> start_program(const std::string& program, const std::vector<std::string>& args);
    ~ChildProcess();  // SIGKILL + reap if still running

    pid_t pid() const { return pid_; }
    std::string output() const;  // everything captured so far
    // Polls the captured output until it contains `needle`; false on timeout or if the process exited first.
    bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout = 20s) const;
    // Waits for "listening: <name> <host>:<port>" and returns the port (0 on timeout).
    int wait_for_port(const std::string& name, std::chrono::milliseconds timeout = 20s) const;

    void signal(int sig) const;
    // Waits for exit; returns the exit status (128+signal if killed), nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 20s);
    bool running();
    long rss_kib() const;  // VmRSS from /proc/<pid>/status, -1 if gone

private:
    pid_t pid_ = -1;
    std::string log_path_;
    std::optional<int> exit_status_;
};

// A program run to its end: its exit status (-1: killed at the timeout) and its stdout+stderr.
struct ProgramResult {
    int exit = -1;
    std::string output;
};
ProgramResult run_program(const std::string& program, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = 60s);

// A started sim site: process + port.
struct Sim {
    std::unique_ptr<ChildProcess> process;
    int port = 0;
    std::string name;
};
// Starts `gisgate sim --listen 127.0.0.1:0 --name NAME [extra...]` and waits for its port. Fails the test
// (ADD_FAILURE) and returns port 0 if it does not come up.
// `port` 0 = any free port; a fixed port restarts a killed site where the proxy expects it.
Sim start_sim(const std::string& name, const std::vector<std::string>& extra = {}, int port = 0);

// Writes `text` to a file in this test process's temp directory (/tmp/gisgate-test-XXXXXX, removed at exit
// unless GISGATE_KEEP_TEMP is set) and returns its path. `name` may contain subdirectories; an existing
// file of that name is overwritten.
std::string write_temp_file(const std::string& name, const std::string& text);
// That directory (created on first use); child process logs go there too.
const std::string& temp_dir();

// Polls `condition` every few ms until true or `timeout`; returns its last value.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds timeout = 20s);

}  // namespace gisgate::test

#include "support/eventually.inl"
