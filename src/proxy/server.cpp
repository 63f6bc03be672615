#include "proxy/server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <stdexcept>
#include <thread>

#include "net/listener.hpp"

namespace gisgate::proxy {

namespace {
int open_access_log(const std::string& target, bool& owned) {
    owned = false;
    if (target == "off") return -1;
    if (target == "stdout") return STDOUT_FILENO;
    if (target == "stderr") return STDERR_FILENO;
    const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open access log " + target + ": " + std::strerror(errno));
    owned = true;
    return fd;
}
}  // namespace

ProxyServer::ProxyServer(config::Config config) {
    runtime_ = build_runtime(std::move(config));
    const auto& cfg = runtime_->config;
    access_log_fd_ = open_access_log(cfg.access_log, owns_access_log_fd_);

    const unsigned n = std::max(1u, cfg.workers);
    for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, access_log_fd_, runtime_));

    std::vector<asio::io_context*> contexts;
    for (auto& w : workers_) contexts.push_back(&w->context());
    for (unsigned li = 0; li < cfg.listeners.size(); ++li) {
        const auto& listener = cfg.listeners[li];
        std::vector<tcp::acceptor> acceptors;
        try {
            acceptors = net::open_reuseport_acceptors(listener.bind, contexts);
        } catch (const std::exception& e) {
            throw std::runtime_error("listener " + listener.name + ": cannot listen on " + listener.bind.to_string() +
                                     ": " + e.what());
        }
        const auto bound = acceptors.front().local_endpoint();
        for (unsigned w = 0; w < n; ++w) workers_[w]->add_acceptor(std::move(acceptors[w]), li);
        const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                         : bound.address().to_string();
        spdlog::info("listening: {} {}:{}", listener.name, host, bound.port());
    }
}

ProxyServer::~ProxyServer() {
    workers_.clear();
    if (owns_access_log_fd_) ::close(access_log_fd_);
}

void ProxyServer::stop() {
    asio::post(control_, [this] { drain_and_stop(); });
}

int ProxyServer::run() {
    for (auto& w : workers_) w->loop().start();
    spdlog::info("gisgate ready: {} worker(s), {} listener(s), {} pool(s)", workers_.size(),
                 runtime_->config.listeners.size(), runtime_->config.pools.size());

    asio::signal_set signals(control_, SIGTERM, SIGINT);
    signals.async_wait([this](const error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: stopping gracefully (grace {} ms)", sig,
                     runtime_->config.shutdown_grace.count());
        drain_and_stop();
    });
    control_.run();
    return 0;
}

void ProxyServer::drain_and_stop() {
    if (draining_) return;
    draining_ = true;
    for (auto& w : workers_) asio::post(w->context(), [worker = w.get()] { worker->begin_drain(); });
    drain_deadline_ = std::chrono::steady_clock::now() + runtime_->config.shutdown_grace;
    poll_drain();
}

// Polls until every client connection is closed or the grace period is over; requests in flight finish.
void ProxyServer::poll_drain() {
    std::size_t open = 0;
    for (auto& w : workers_) open += w->open_sessions();
    if (open == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
        if (open) spdlog::warn("grace period over: closing {} connection(s)", open);
        for (auto& w : workers_) w->loop().stop();
        for (auto& w : workers_) w->loop().join();
        for (auto& w : workers_) w->access_log().flush();
        spdlog::info("stopped");
        control_.stop();
        return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const error_code& ec) {
        if (!ec) poll_drain();
    });
}

}  // namespace gisgate::proxy
