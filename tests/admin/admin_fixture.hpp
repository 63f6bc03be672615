// In-process admin server for tests: a FakeControlApi that records calls and answers with canned results, and
// an AdminServer on 127.0.0.1:0 whose io_context runs on a background thread.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "admin/admin_server.hpp"
#include "admin/control_api.hpp"

namespace gisgate::admin::testing {

// One recorded ControlApi call.
struct Call {
    std::string method;  // "status", "set_server_state", "add_server", "remove_server", "reload"
    std::string pool;
    std::string server;
    std::string state;
    nlohmann::json body;
};

// Called on the admin server's thread, inspected from the test's: everything behind a mutex.
class FakeControlApi : public ControlApi {
public:
    nlohmann::json status() override {
        record({"status", "", "", "", {}});
        std::lock_guard lock(mutex_);
        if (throw_on_status) throw std::runtime_error("status exploded");
        return status_body;
    }
    ApiResult ready() override {
        record({"ready", "", "", "", {}});
        std::lock_guard lock(mutex_);
        return ready_result;
    }
    ApiResult set_server_state(const std::string& pool, const std::string& server, const std::string& state) override {
        record({"set_server_state", pool, server, state, {}});
        std::lock_guard lock(mutex_);
        return state_result;
    }
    ApiResult add_server(const std::string& pool, const nlohmann::json& body) override {
        record({"add_server", pool, "", "", body});
        std::lock_guard lock(mutex_);
        return add_result;
    }
    ApiResult remove_server(const std::string& pool, const std::string& server) override {
        record({"remove_server", pool, server, "", {}});
        std::lock_guard lock(mutex_);
        return remove_result;
    }
    ApiResult reload() override {
        record({"reload", "", "", "", {}});
        std::lock_guard lock(mutex_);
        return reload_result;
    }

    ApiResult purge_cache(const std::string& prefix, const std::string& pool) override {
        record({"purge_cache", pool, prefix, "", {}});
        return {200, {{"purged", 0}}};
    }

    std::string metrics() override {
        record({"metrics", "", "", "", {}});
        return "# TYPE gisgate_up gauge\ngisgate_up 1\n";
    }
    nlohmann::json services() override {
        record({"services", "", "", "", {}});
        return {{"window_seconds", 60}, {"services", nlohmann::json::array()}, {"total", nlohmann::json::object()}};
    }
    nlohmann::json alerts() override {
        record({"alerts", "", "", "", {}});
        return {{"active", nlohmann::json::array()}, {"recent", nlohmann::json::array()}};
    }

    ApiResult start_rollout(const nlohmann::json& body) override {
        record({"start_rollout", "", "", "", body});
        return {201, {{"id", 1}, {"state", "running"}}};
    }
    ApiResult rollout() override {
        record({"rollout", "", "", "", {}});
        return {200, {{"id", 1}, {"state", "running"}}};
    }
    ApiResult continue_rollout(const nlohmann::json& body) override {
        record({"continue_rollout", "", "", "", body});
        return {200, {{"id", 1}, {"state", "running"}}};
    }
    ApiResult abort_rollout() override {
        record({"abort_rollout", "", "", "", {}});
        return {200, {{"id", 1}, {"state", "aborted"}}};
    }

    std::vector<Call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    // Canned answers; set before the requests that use them.
    nlohmann::json status_body = nlohmann::json::parse(R"({
        "pools": [{"name": "gis", "balance": "round_robin", "queued": 0, "queue_rejections": 0, "servers": [
          {"name": "a", "address": "10.1.0.11:6443", "weight": 1, "backup": false, "state": "up", "active": 2,
           "requests_total": 1234, "health": {"enabled": true, "consecutive_successes": 7,
           "consecutive_failures": 0, "last_check": "2024-05-01T12:00:00Z", "last_latency_ms": 12,
           "last_error": null}},
          {"name": "b", "address": "10.1.0.12:6443", "weight": 1, "backup": true, "state": "down", "active": 0,
           "requests_total": 17, "health": {"enabled": true, "consecutive_successes": 0,
           "consecutive_failures": 5, "last_check": "2024-05-01T12:00:00Z", "last_latency_ms": null,
           "last_error": "connect: connection refused"}}]}],
        "workers": 2, "connections": 3, "config_file": "/etc/gisgate.yaml", "reloads": 1})");
    ApiResult state_result{200, {{"name", "a"}, {"state", "drain"}}};
    ApiResult add_result{201, {{"name", "c"}, {"state", "up"}}};
    ApiResult remove_result{202, {{"name", "a"}, {"state", "drain"}}};
    ApiResult reload_result{200, {{"reloaded", true}}};
    ApiResult ready_result{200, {{"ready", true}, {"reasons", nlohmann::json::array()}}};
    bool throw_on_status = false;

    void set_state_result(ApiResult r) {
        std::lock_guard lock(mutex_);
        state_result = std::move(r);
    }
    // The answer changes while the admin thread runs: under the mutex (a ctl child's request is no
    // synchronisation TSan can see).
    void set_ready_result(ApiResult r) {
        std::lock_guard lock(mutex_);
        ready_result = std::move(r);
    }

private:
    void record(Call call) {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(call));
    }
    mutable std::mutex mutex_;
    std::vector<Call> calls_;
};

inline const std::string kToken = "s3cret-token";

inline config::AdminConfig local_admin_config() {
    config::AdminConfig c;
    c.bind = {"127.0.0.1", 0};
    c.token = kToken;
    c.allow = {*config::Cidr::parse("127.0.0.1/32"), *config::Cidr::parse("::1/128")};
    return c;
}

class AdminServerTest : public ::testing::Test {
protected:
    void start(const config::AdminConfig& config = local_admin_config()) {
        server = std::make_unique<AdminServer>(io, config, api);
        port = server->port();
        server->start();
        work.emplace(io.get_executor());
        done = std::async(std::launch::async, [this] { io.run(); });
    }

    // stop() from this (foreign) thread, then the io_context must run out of work by itself: every
    // connection coroutine has ended. Returns false (after forcing the loop to stop) when it did not.
    bool stop() {
        if (!server) return true;
        server->stop();
        work.reset();
        const bool finished = done.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
        if (!finished) {
            io.stop();
            done.wait();
        }
        server.reset();
        return finished;
    }

    void TearDown() override { EXPECT_TRUE(stop()) << "admin connections were still open after stop()"; }

    std::vector<std::pair<std::string, std::string>> auth(const std::string& token = kToken) const {
        return {{"Authorization", "Bearer " + token}};
    }

    asio::io_context io;
    FakeControlApi api;
    std::unique_ptr<AdminServer> server;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::future<void> done;
    int port = 0;
};

}  // namespace gisgate::admin::testing
