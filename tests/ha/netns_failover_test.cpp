// Two gisgate nodes behind a keepalived virtual IP, in network namespaces (issue #19, parts 2 and 3): the
// keepalived configs and notify hook of examples/keepalived/ as shipped (addresses and paths substituted), each
// node's vrrp_script running `gisgate ctl health`.
//
//   client 10.213.0.10 ─┐
//   lb1    10.213.0.21 ──┤ bridge (namespace "lan")    VIP 10.213.0.100 on the MASTER
//   lb2    10.213.0.22 ──┤
//   sims   10.213.0.31-33┘ (one namespace, three sites)
//
// Needs root (ip netns add); skipped with the reason otherwise. keepalived missing is a failure: scripts/install-deps
// installs it. Every namespace is named after this test's pid and removed, with every process in it, even when
// an assertion fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/process.hpp"

namespace gisgate::test {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kNet = "10.213.0.";
constexpr const char* kVip = "10.213.0.100";
constexpr int kPublicPort = 8080;
constexpr const char* kToken = "ha-secret";
constexpr const char* kGpService = "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints";

std::string find_tool(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/bin:/bin";
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (dir.empty()) continue;
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// --- HTTP from inside a namespace ----------------------------------------------------------------------------

struct Reply {
    int status = 0;  // 0: connect failed, reset, closed or timed out before a status line
    std::string head;
    std::string body;
    std::string error;
};

struct Call {
    std::string method = "GET";
    std::string target;
    std::string body;  // sent with Content-Type `content_type` when not empty or the method is POST/PUT
    std::string content_type = "application/x-www-form-urlencoded";
    std::string extra_headers;  // "Name: value\r\n" lines
    std::chrono::milliseconds timeout = std::chrono::seconds(8);
};

Call get(std::string target, std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
    Call c;
    c.target = std::move(target);
    c.timeout = timeout;
    return c;
}

Call post_form(std::string target, std::string body) {
    Call c;
    c.method = "POST";
    c.target = std::move(target);
    c.body = std::move(body);
    return c;
}

// One request on a fresh connection from the calling thread's network namespace, bounded by `timeout` for the
// connect (SYN retries included) and again for the answer.
Reply http_call(const std::string& host, int port, const Call& call) {
    const auto timeout = call.timeout;
    Reply r;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.error = "socket";
        return r;
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect() too
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        r.error = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return r;
    }
    std::string request = call.method + " " + call.target + " HTTP/1.1\r\nHost: " + host +
                          "\r\nConnection: close\r\n" + call.extra_headers;
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT")
        request += "Content-Type: " + call.content_type + "\r\nContent-Length: " + std::to_string(call.body.size()) +
                   "\r\n";
    request += "\r\n" + call.body;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        r.error = std::string("send: ") + std::strerror(errno);
        ::close(fd);
        return r;
    }
    std::string in;
    char buf[16384];
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            in.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0) r.error = std::string("recv: ") + std::strerror(errno);
        break;
    }
    ::close(fd);
    const auto end_of_head = in.find("\r\n\r\n");
    if (end_of_head == std::string::npos || in.compare(0, 9, "HTTP/1.1 ") != 0) {
        if (r.error.empty()) r.error = "no complete response (" + std::to_string(in.size()) + " bytes)";
        return r;
    }
    r.head = in.substr(0, end_of_head);
    r.body = in.substr(end_of_head + 4);
    // Connection: close answers are read to the end; a Content-Length that did not arrive in full is a failure.
    const auto cl = r.head.find("Content-Length: ");
    if (cl != std::string::npos && std::stoul(r.head.substr(cl + 16)) != r.body.size()) {
        r.error = "short body";
        return r;
    }
    r.status = std::atoi(in.c_str() + 9);
    return r;
}

// Runs `f` on a thread that has joined the network namespace `ns` (setns is per thread).
template <class F>
void in_namespace(const std::string& ns, F&& f) {
    std::string error;
    std::thread t([&] {
        const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            error = "cannot enter namespace " + ns + ": " + std::strerror(errno);
            if (fd >= 0) ::close(fd);
            return;
        }
        ::close(fd);
        f();
    });
    t.join();
    ASSERT_TRUE(error.empty()) << error;
}

// --- the lab: namespaces, links, processes --------------------------------------------------------------------

class Lab {
public:
    Lab() : prefix_("gg" + std::to_string(::getpid()) + "-") {}
    ~Lab() { teardown(); }

    std::string ns(const std::string& role) const { return prefix_ + role; }

    // Runs `ip ARGS...`; true on exit 0 (the output is kept for the failure message).
    bool ip(const std::vector<std::string>& args) {
        const auto r = run_program(ip_, args, std::chrono::seconds(20));
        if (r.exit != 0) last_error_ = "ip " + join(args) + ": exit " + std::to_string(r.exit) + ": " + r.output;
        return r.exit == 0;
    }
    bool in(const std::string& role, const std::vector<std::string>& command) {
        std::vector<std::string> args{"netns", "exec", ns(role)};
        args.insert(args.end(), command.begin(), command.end());
        return ip(args);
    }
    const std::string& last_error() const { return last_error_; }
    const std::string& ip_path() const { return ip_; }

    // Can this process make network namespaces at all? The reason when not.
    std::optional<std::string> unsupported() {
        if (ip_.empty()) return "the ip command (iproute2) is not installed";
        sweep_stale();
        const std::string probe = prefix_ + "probe";
        const auto r = run_program(ip_, {"netns", "add", probe}, std::chrono::seconds(20));
        if (r.exit != 0) return "`ip netns add` is not permitted here: " + r.output;
        run_program(ip_, {"netns", "del", probe}, std::chrono::seconds(20));
        return std::nullopt;
    }

    // lan (bridge) + one namespace per role, each with eth0 on the bridge and its addresses.
    bool build(const std::vector<std::pair<std::string, std::vector<std::string>>>& roles) {
        if (!add_ns("lan") || !ip({"-n", ns("lan"), "link", "add", "br0", "type", "bridge"}) ||
            !ip({"-n", ns("lan"), "link", "set", "br0", "up"}))
            return false;
        for (const auto& [role, addresses] : roles) {
            if (!add_ns(role)) return false;
            if (!ip({"-n", ns("lan"), "link", "add", role, "type", "veth", "peer", "name", "eth0", "netns",
                     ns(role)}) ||
                !ip({"-n", ns("lan"), "link", "set", role, "master", "br0", "up"}) ||
                !ip({"-n", ns(role), "link", "set", "lo", "up"}) || !ip({"-n", ns(role), "link", "set", "eth0", "up"}))
                return false;
            for (const auto& a : addresses)
                if (!ip({"-n", ns(role), "addr", "add", a + "/24", "dev", "eth0"})) return false;
        }
        return true;
    }

    // Starts `program args...` inside the role's namespace (ip netns exec replaces itself with the program, so
    // the child's pid is the program's).
    std::unique_ptr<ChildProcess> start(const std::string& role, const std::string& program,
                                        const std::vector<std::string>& args) {
        std::vector<std::string> argv{"netns", "exec", ns(role), program};
        argv.insert(argv.end(), args.begin(), args.end());
        return ChildProcess::start_program(ip_, argv);
    }

    bool has_address(const std::string& role, const std::string& address) {
        const auto r = run_program(ip_, {"-n", ns(role), "-o", "-4", "addr", "show", "dev", "eth0"},
                                   std::chrono::seconds(10));
        return r.exit == 0 && r.output.find(" " + address + "/") != std::string::npos;
    }

    // Kills every process still in our namespaces, then deletes them. Idempotent.
    void teardown() {
        for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) remove_namespace(*it);
        namespaces_.clear();
    }

    // Namespaces that an earlier run of this test left behind when it was killed itself (SIGKILL, a ctest
    // timeout: no destructor ran): named gg<pid>-* after a process that no longer exists.
    void sweep_stale() {
        const auto r = run_program(ip_, {"netns", "list"}, std::chrono::seconds(10));
        std::stringstream lines(r.output);
        for (std::string line; std::getline(lines, line);) {
            const std::string name = line.substr(0, line.find(' '));
            const auto dash = name.find('-');
            if (name.rfind("gg", 0) != 0 || dash == std::string::npos || dash < 3) continue;
            const std::string digits = name.substr(2, dash - 2);
            if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
            const long owner = std::stol(digits);
            if (owner != ::getpid() && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH)
                remove_namespace(name);
        }
    }

private:
    static std::string join(const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
        return s;
    }
    void remove_namespace(const std::string& name) {
        for (int round = 0; round < 3; ++round) {
            const auto r = run_program(ip_, {"netns", "pids", name}, std::chrono::seconds(10));
            std::stringstream pids(r.output);
            bool any = false;
            for (long pid; pids >> pid;) {
                if (pid > 1 && pid != ::getpid()) {
                    ::kill(static_cast<pid_t>(pid), SIGKILL);
                    any = true;
                }
            }
            if (!any) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the kernel reap them
        }
        run_program(ip_, {"netns", "del", name}, std::chrono::seconds(10));
    }

    bool add_ns(const std::string& role) {
        if (!ip({"netns", "add", ns(role)})) return false;
        namespaces_.push_back(ns(role));
        return true;
    }

    std::string prefix_;
    std::string ip_ = find_tool("ip");
    std::vector<std::string> namespaces_;
    std::string last_error_;
};

// --- the two-node site ---------------------------------------------------------------------------------------

struct Node {
    std::string name;     // lb1, lb2
    std::string role;     // namespace role
    std::string address;  // 10.213.0.21
    std::string config_path, access_log, transitions_log;
    std::unique_ptr<ChildProcess> gisgate;
    std::unique_ptr<ChildProcess> keepalived;
};

class HaNetns : public ::testing::Test {
protected:
    void SetUp() override {
        if (const auto why = lab.unsupported()) GTEST_SKIP() << *why;
        keepalived_ = find_tool("keepalived");
        ASSERT_FALSE(keepalived_.empty())
            << "keepalived is not installed: scripts/install-deps installs it (`make test` runs it first)";
        nodes[0].name = "lb1";
        nodes[1].name = "lb2";
        for (int i = 0; i < 2; ++i) {
            Node& n = nodes[i];
            n.role = n.name;
            n.address = std::string(kNet) + std::to_string(21 + i);
            n.access_log = temp_dir() + "/" + n.name + "-access.log";
            n.transitions_log = temp_dir() + "/" + n.name + "-vrrp-transitions.log";
        }
    }

    // The namespaces and three sims.
    void build_site() {
        const std::string net(kNet);
        ASSERT_TRUE(lab.build({{"client", {net + "10"}},
                               {"lb1", {nodes[0].address}},
                               {"lb2", {nodes[1].address}},
                               {"sims", {net + "31", net + "32", net + "33"}}}))
            << lab.last_error();
        const char* names[] = {"site-a", "site-b", "site-c"};
        for (int i = 0; i < 3; ++i) {
            sims[i] = lab.start("sims", GISGATE_BINARY,
                                {"sim", "--listen", std::string(kNet) + std::to_string(31 + i) + ":8000", "--name",
                                 names[i], "--job-duration", "4s"});
            ASSERT_NE(sims[i]->wait_for_port(names[i]), 0) << sims[i]->output();
        }
    }

    std::string node_config(const Node& n, const std::string& extra_top) const {
        return fmt::format(R"(workers: 1
access_log: {access_log}
shutdown_grace: 2s
admin: {{ bind: "{address}:9900", token: {token}, allow: [{net}0/24, 127.0.0.1/32] }}
{extra}listeners:
  - name: public
    bind: 0.0.0.0:{port}
    routes:
      - {{ prefix: /arcgis, pool: gis }}
pools:
  - name: gis
    health: {{ interval: 300ms, timeout: 500ms, fall: 2, rise: 2 }}
    servers:
      - {{ name: site-a, address: "{net}31:8000" }}
      - {{ name: site-b, address: "{net}32:8000" }}
      - {{ name: site-c, address: "{net}33:8000" }}
)",
                           fmt::arg("access_log", n.access_log), fmt::arg("address", n.address),
                           fmt::arg("token", kToken), fmt::arg("net", kNet), fmt::arg("extra", extra_top),
                           fmt::arg("port", kPublicPort));
    }

    void write_configs() {
        for (Node& n : nodes) n.config_path = write_temp_file(n.name + ".yaml", node_config(n, ""));
    }

    // Writes both nodes' configs with `cluster:` peers (issue #19 part 1, a separate change): the reason to skip
    // while this build's config loader refuses the key (`gisgate check -c` fails), else nothing.
    std::optional<std::string> cluster_unsupported() {
        for (int i = 0; i < 2; ++i) {
            const Node& peer = nodes[1 - i];
            const std::string cluster =
                fmt::format("cluster: {{ node: {}, peers: [ {{ name: {}, admin: \"{}:9900\" }} ] }}\n", nodes[i].name,
                            peer.name, peer.address);
            nodes[i].config_path = write_temp_file(nodes[i].name + ".yaml", node_config(nodes[i], cluster));
        }
        const auto r = run_program(GISGATE_BINARY, {"check", "-c", nodes[0].config_path}, std::chrono::seconds(30));
        if (r.exit == 0) return std::nullopt;
        return "this build's config loader refuses `cluster:` (peers are a separate change); `gisgate check` said: " +
               r.output;
    }

    void start_gisgate(Node& n) {
        n.gisgate = lab.start(n.role, GISGATE_BINARY, {"run", "-c", n.config_path});
        ASSERT_NE(n.gisgate->wait_for_port("public"), 0) << n.gisgate->output();
        ASSERT_TRUE(n.gisgate->wait_for_output("gisgate ready")) << n.gisgate->output();
    }

    // examples/keepalived/lbN.conf with this lab's addresses, binary, node config and log paths.
    void start_keepalived(Node& n) {
        std::string conf = read_text(std::string(GISGATE_SOURCE_DIR) + "/examples/keepalived/" + n.name + ".conf");
        ASSERT_FALSE(conf.empty()) << "examples/keepalived/" << n.name << ".conf is missing";
        replace_all(conf, "/usr/bin/gisgate", GISGATE_BINARY);
        replace_all(conf, "/etc/gisgate/gisgate.yaml", n.config_path);
        replace_all(conf, "/etc/keepalived/gisgate-notify",
                    std::string(GISGATE_SOURCE_DIR) + "/examples/keepalived/gisgate-notify");
        replace_all(conf, "/var/log/gisgate/vrrp-transitions.log", n.transitions_log);
        replace_all(conf, "10.0.0.", kNet);
        const std::string dir = temp_dir() + "/keepalived-" + n.name;
        std::filesystem::create_directories(dir);
        const std::string path = write_temp_file("keepalived-" + n.name + "/keepalived.conf", conf);
        n.keepalived = lab.start(n.role, keepalived_,
                                 {"--dont-fork", "--log-console", "--log-detail", "--vrrp", "--no-syslog", "-f", path,
                                  "-p", dir + "/keepalived.pid", "-r", dir + "/vrrp.pid", "-c", dir + "/checkers.pid",
                                  "-b", dir + "/bfd.pid"});
    }

    // lb1 MASTER holding the VIP, lb2 BACKUP (lb2's keepalived starts once lb1 holds it, since both start as
    // BACKUP with nopreempt and the first to time out would keep the VIP).
    void start_pair() {
        for (Node& n : nodes) ASSERT_NO_FATAL_FAILURE(start_gisgate(n));
        ASSERT_NO_FATAL_FAILURE(start_keepalived(nodes[0]));
        ASSERT_TRUE(eventually([&] { return lab.has_address("lb1", kVip); }, std::chrono::seconds(20)))
            << "lb1 never took the VIP:\n"
            << nodes[0].keepalived->output();
        // enable_script_security refuses a script under a directory others may write to, and then tracks nothing.
        ASSERT_EQ(nodes[0].keepalived->output().find("Disabling track script"), std::string::npos)
            << "keepalived will not run `gisgate ctl health` (the binary or a directory above it is writable by "
               "non-root users?):\n"
            << nodes[0].keepalived->output();
        ASSERT_NO_FATAL_FAILURE(start_keepalived(nodes[1]));
        ASSERT_TRUE(nodes[1].keepalived->wait_for_output("Entering BACKUP STATE", std::chrono::seconds(20)))
            << nodes[1].keepalived->output();
        ASSERT_FALSE(lab.has_address("lb2", kVip));
    }

    // A refused connection's RST from the VIP (sequence number 0: the answer to a SYN no socket listens for)
    // is dropped on both nodes, so a client's SYN that reaches a node whose gisgate just died is retried by its
    // TCP stack instead of failing — and the retry reaches the new MASTER. docs/operations.md has this rule.
    void hold_refusals(Node& n) {
        const std::string dev = "eth0";
        ASSERT_TRUE(lab.in(n.role, {"tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1"}))
            << lab.last_error();
        ASSERT_TRUE(lab.in(n.role, {"tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate",
                                    "10gbit"}))
            << lab.last_error();
        ASSERT_TRUE(lab.in(n.role, {"tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:2", "htb", "rate",
                                    "10gbit"}))
            << lab.last_error();
        ASSERT_TRUE(
            lab.in(n.role, {"tc", "qdisc", "add", "dev", dev, "parent", "1:2", "handle", "20:", "pfifo", "limit", "0"}))
            << lab.last_error();
        ASSERT_TRUE(lab.in(n.role, {"tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1",
                                    "u32", "match", "ip", "src", std::string(kVip) + "/32", "match", "ip", "protocol",
                                    "6", "0xff", "match", "u8", "0x05", "0x0f", "at", "0", "match", "u16",
                                    std::to_string(kPublicPort), "0xffff", "at", "20", "match", "u32", "0",
                                    "0xffffffff", "at", "24", "match", "u8", "0x04", "0x04", "at", "33", "flowid",
                                    "1:2"}))
            << lab.last_error();
    }

    Lab lab;
    Node nodes[2];
    std::unique_ptr<ChildProcess> sims[3];
    std::string keepalived_;
};

// --- the request loop ---------------------------------------------------------------------------------------

struct Sent {
    int seq = 0;
    Clock::time_point start, end;
    int status = 0;
    std::string error;
};

// Sequential GETs through the VIP from the client namespace, one connection each, until stopped or bounded.
class RequestLoop {
public:
    RequestLoop(std::string client_ns, int max_requests, std::chrono::seconds max_time)
        : thread_([this, ns = std::move(client_ns), max_requests, max_time] {
              in_namespace(ns, [&] {
                  const auto until = Clock::now() + max_time;
                  for (int seq = 1; seq <= max_requests && !stop_ && Clock::now() < until; ++seq) {
                      Sent s;
                      s.seq = seq;
                      s.start = Clock::now();
                      const Reply r =
                          http_call(kVip, kPublicPort, get("/arcgis/rest/info?f=json&seq=" + std::to_string(seq)));
                      s.end = Clock::now();
                      s.status = r.status;
                      s.error = r.error;
                      std::lock_guard lock(mutex_);
                      sent_.push_back(s);
                  }
              });
              done_ = true;
          }) {}
    ~RequestLoop() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    bool done() const { return done_; }
    std::vector<Sent> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    std::size_t ok_since(Clock::time_point t) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(
            std::count_if(sent_.begin(), sent_.end(), [&](const Sent& s) { return s.start >= t && s.status == 200; }));
    }

private:
    mutable std::mutex mutex_;
    std::vector<Sent> sent_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::thread thread_;
};

std::string submit_job() {
    const Reply r =
        http_call(kVip, kPublicPort, post_form(std::string(kGpService) + "/submitJob", "Input=1&Distance=5&f=json"));
    const auto body = json::parse(r.body, nullptr, false);
    return r.status == 200 && body.is_object() && body.contains("jobId") ? body["jobId"].get<std::string>() : "";
}

// Polls the job through the VIP until it succeeded, then fetches its result: "" when done, else what went wrong.
std::string finish_job(const std::string& job, Clock::time_point deadline) {
    std::string last;
    while (Clock::now() < deadline) {
        const Reply r =
            http_call(kVip, kPublicPort, post_form(std::string(kGpService) + "/jobs/" + job, "f=json"));
        const auto body = json::parse(r.body, nullptr, false);
        const std::string status = body.is_object() ? body.value("jobStatus", "") : "";
        last = "HTTP " + std::to_string(r.status) + " " + r.error + " " + r.body.substr(0, 200);
        if (status == "esriJobSucceeded") {
            const Reply result = http_call(
                kVip, kPublicPort, get(std::string(kGpService) + "/jobs/" + job + "/results/Output_File?f=json"));
            const auto rb = json::parse(result.body, nullptr, false);
            if (result.status == 200 && rb.is_object() && rb.contains("value")) return "";
            return "result: HTTP " + std::to_string(result.status) + " " + result.body.substr(0, 200);
        }
        if (status == "esriJobFailed" || status == "esriJobCancelled") return "job " + status;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a client's poll interval
    }
    return "not succeeded before the deadline; last answer: " + last;
}

long long ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

TEST_F(HaNetns, KilledMasterLosesOnlyItsInFlightRequestAndJobsFinishOnTheNewMaster) {
    ASSERT_NO_FATAL_FAILURE(build_site());
    write_configs();
    ASSERT_NO_FATAL_FAILURE(start_pair());
    for (Node& n : nodes) ASSERT_NO_FATAL_FAILURE(hold_refusals(n));

    // Jobs through the VIP (lb1), still running when lb1 dies (the sims take 4 s per job).
    std::vector<std::string> jobs;
    in_namespace(lab.ns("client"), [&] {
        for (int i = 0; i < 6; ++i) jobs.push_back(submit_job());
    });
    for (const auto& job : jobs) ASSERT_FALSE(job.empty()) << "a submitJob through the VIP failed";

    // A BACKUP serves what reaches it: lb2's own address answers, and its check passes.
    in_namespace(lab.ns("client"), [&] {
        const Reply direct = http_call(nodes[1].address, kPublicPort, get("/arcgis/rest/info?f=json&to=lb2"));
        EXPECT_EQ(direct.status, 200) << direct.error;
    });
    const auto backup_check = run_program(
        lab.ip_path(), {"netns", "exec", lab.ns("lb2"), GISGATE_BINARY, "ctl", "health", "-c", nodes[1].config_path});
    EXPECT_EQ(backup_check.exit, 0) << backup_check.output;

    RequestLoop loop(lab.ns("client"), 3000, std::chrono::seconds(40));
    const auto loop_started = Clock::now();
    ASSERT_TRUE(eventually([&] { return loop.ok_since(loop_started) >= 30 || loop.done(); }, std::chrono::seconds(15)));
    ASSERT_GE(loop.ok_since(loop_started), 30u) << "the loop did not get going through lb1";

    const auto before_kill = Clock::now();
    nodes[0].gisgate->signal(SIGKILL);
    const auto killed = Clock::now();
    // The kernel closes the killed process's sockets as it exits, a moment after kill() returned: a connection
    // made in between still reached lb1. Once the process is reaped, its listener is gone.
    ASSERT_TRUE(nodes[0].gisgate->wait_exit(std::chrono::seconds(5)).has_value());
    const auto gone = Clock::now();

    const bool moved = eventually([&] { return lab.has_address("lb2", kVip); }, std::chrono::seconds(10));
    const auto vip_on_lb2 = Clock::now();
    ASSERT_TRUE(moved) << "the VIP never reached lb2:\n" << nodes[1].keepalived->output();
    const long long takeover_ms = ms(vip_on_lb2 - killed);

    // 50 answers after the kill, then stop (bounded: the loop ends by itself at 3000 requests or 40 s).
    EXPECT_TRUE(eventually([&] { return loop.ok_since(killed) >= 50 || loop.done(); }, std::chrono::seconds(30)));
    loop.stop();
    const auto sent = loop.sent();

    std::size_t in_flight = 0, failed = 0, failed_in_flight = 0;
    const Sent* first_after = nullptr;
    std::string failures;
    for (const Sent& s : sent) {
        const bool was_in_flight = s.start <= gone && s.end >= before_kill;
        in_flight += was_in_flight;
        if (s.status != 200) {
            ++failed;
            failed_in_flight += was_in_flight;
            failures += fmt::format("  seq {} started {} ms after the kill, took {} ms: {} {}\n", s.seq,
                                    ms(s.start - killed), ms(s.end - s.start), s.status, s.error);
        } else if (!first_after && s.start > killed) {  // lb1 runs no more code: lb2 answered
            first_after = &s;
        }
    }
    std::printf("[ HaNetns ] takeover (SIGKILL of lb1's gisgate -> VIP on lb2): %lld ms; requests %zu, in flight on "
                "lb1 while it was killed (%lld ms until reaped) %zu, failed %zu\n",
                takeover_ms, sent.size(), ms(gone - before_kill), in_flight, failed);
    ASSERT_NE(first_after, nullptr) << "no request succeeded after the kill; failures:\n" << failures;
    std::printf("[ HaNetns ] first answer after the kill: %lld ms after it (seq %d, %lld ms on the wire)\n",
                ms(first_after->end - killed), first_after->seq, ms(first_after->end - first_after->start));
    EXPECT_LE(takeover_ms, 3000) << nodes[1].keepalived->output();
    EXPECT_LE(failed, in_flight) << failures;
    EXPECT_EQ(failed, failed_in_flight) << "only requests in flight on the killed node may fail:\n" << failures;

    // The answers after the kill came from lb2: its access log has their sequence numbers.
    const std::string first_seq = "seq=" + std::to_string(first_after->seq) + " ";
    ASSERT_TRUE(eventually([&] { return read_text(nodes[1].access_log).find(first_seq) != std::string::npos; },
                           std::chrono::seconds(5)))
        << "lb2's access log does not show seq " << first_after->seq;
    EXPECT_EQ(read_text(nodes[1].access_log).find("seq=1 "), std::string::npos) << "lb2 served before the takeover";

    // The jobs submitted through lb1 finish and give their results through lb2 (job owner found by probing).
    in_namespace(lab.ns("client"), [&] {
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        for (const auto& job : jobs) EXPECT_EQ(finish_job(job, deadline), "") << "job " << job;
    });

    // The notify hook logged both nodes' transitions.
    EXPECT_TRUE(eventually([&] { return read_text(nodes[1].transitions_log).find(": MASTER") != std::string::npos; },
                           std::chrono::seconds(5)))
        << read_text(nodes[1].transitions_log);
    const auto fault_at = read_text(nodes[0].transitions_log).find(": FAULT");
    ASSERT_NE(fault_at, std::string::npos) << read_text(nodes[0].transitions_log);

    // lb1's gisgate comes back: lb1 leaves FAULT for BACKUP after `rise` good checks, and the VIP stays on lb2
    // (nopreempt): no second takeover.
    ASSERT_NO_FATAL_FAILURE(start_gisgate(nodes[0]));
    EXPECT_TRUE(eventually(
        [&] { return read_text(nodes[0].transitions_log).find(": BACKUP", fault_at) != std::string::npos; },
        std::chrono::seconds(15)))
        << read_text(nodes[0].transitions_log);
    EXPECT_TRUE(lab.has_address("lb2", kVip));
    EXPECT_FALSE(lab.has_address("lb1", kVip));
}

// --- with `cluster:` peers (issue #19 part 1, another branch) ------------------------------------------------

std::string server_state_of(const std::string& admin_address, const std::string& server) {
    const Reply r = http_call(admin_address, 9900, get("/api/v1/status", std::chrono::seconds(2)));
    const auto status = json::parse(r.body, nullptr, false);
    if (!status.is_object() || !status.contains("pools")) return "?";
    for (const auto& pool : status["pools"])
        for (const auto& s : pool["servers"])
            if (s.value("name", "") == server) return s.value("state", "?");
    return "missing";
}

int put_state(const std::string& admin_address, const std::string& server, const std::string& state) {
    Call c = get("/api/v1/pools/gis/servers/" + server + "/state", std::chrono::seconds(2));
    c.method = "PUT";
    c.body = json{{"state", state}}.dump();
    c.content_type = "application/json";
    c.extra_headers = std::string("Authorization: Bearer ") + kToken + "\r\n";
    return http_call(admin_address, 9900, c).status;
}

TEST_F(HaNetns, DrainReachesPeerWithinOneSecond) {
    if (const auto why = cluster_unsupported()) GTEST_SKIP() << *why;
    ASSERT_NO_FATAL_FAILURE(build_site());
    for (Node& n : nodes) ASSERT_NO_FATAL_FAILURE(start_gisgate(n));
    in_namespace(lab.ns("client"), [&] {
        ASSERT_EQ(server_state_of(nodes[1].address, "site-b"), "up");
        ASSERT_EQ(put_state(nodes[0].address, "site-b", "drain"), 200);
        const auto drained = Clock::now();
        const bool reached = eventually([&] { return server_state_of(nodes[1].address, "site-b") == "drain"; },
                                        std::chrono::seconds(5));
        const long long took = ms(Clock::now() - drained);
        std::printf("[ HaNetns ] drain on lb1 seen on lb2 after %lld ms\n", took);
        ASSERT_TRUE(reached) << "lb2 never showed site-b drained";
        EXPECT_LE(took, 1000);
    });
}

TEST_F(HaNetns, RestartedNodeConverges) {
    if (const auto why = cluster_unsupported()) GTEST_SKIP() << *why;
    ASSERT_NO_FATAL_FAILURE(build_site());
    for (Node& n : nodes) ASSERT_NO_FATAL_FAILURE(start_gisgate(n));
    // lb2 goes away, site-b is drained on lb1 meanwhile; lb2 comes back with its file's (stale) state: ready.
    nodes[1].gisgate->signal(SIGKILL);
    ASSERT_TRUE(nodes[1].gisgate->wait_exit().has_value());
    in_namespace(lab.ns("client"), [&] { ASSERT_EQ(put_state(nodes[0].address, "site-b", "drain"), 200); });
    ASSERT_NO_FATAL_FAILURE(start_gisgate(nodes[1]));
    in_namespace(lab.ns("client"), [&] {
        const auto restarted = Clock::now();
        const bool converged = eventually([&] { return server_state_of(nodes[1].address, "site-b") == "drain"; },
                                          std::chrono::seconds(10));
        std::printf("[ HaNetns ] restarted lb2 converged after %lld ms\n", ms(Clock::now() - restarted));
        EXPECT_TRUE(converged) << "lb2 kept its stale state for site-b";
        EXPECT_EQ(server_state_of(nodes[0].address, "site-b"), "drain");
        EXPECT_EQ(server_state_of(nodes[1].address, "site-a"), "up");
    });
}

}  // namespace
}  // namespace gisgate::test
