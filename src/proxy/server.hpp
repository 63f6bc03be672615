// The running proxy: builds the runtime from a Config, starts one worker per configured thread, binds every
// listener on every worker (SO_REUSEPORT), and handles signals: SIGTERM/SIGINT stop gracefully (no new
// connections, in-flight requests finish within shutdown_grace).
#pragma once

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "proxy/runtime.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

class ProxyServer {
public:
    // Throws std::runtime_error / std::system_error when a server address does not resolve or a listener
    // cannot bind — before anything is served.
    explicit ProxyServer(config::Config config);
    ~ProxyServer();

    // Serves until SIGTERM or SIGINT (or stop()), then drains. Returns the process exit code.
    int run();
    // Asks run() to stop gracefully; callable from any thread.
    void stop();

private:
    void drain_and_stop();
    void poll_drain();

    std::shared_ptr<const Runtime> runtime_;
    int access_log_fd_ = -1;
    bool owns_access_log_fd_ = false;
    std::vector<std::unique_ptr<Worker>> workers_;
    asio::io_context control_{1};
    asio::steady_timer drain_timer_{control_};
    std::chrono::steady_clock::time_point drain_deadline_{};
    bool draining_ = false;
};

}  // namespace gisgate::proxy
