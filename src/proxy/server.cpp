#include "proxy/server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <cstring>
#include <stdexcept>

#include "config/loader.hpp"
#include "net/listener.hpp"
#include "net/sd_notify.hpp"

namespace gisgate::proxy {

namespace {

// O_APPEND: every write lands at the file's end, also after logrotate's copytruncate cut it.
int open_log_file(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int open_access_log(const std::string& target, bool& owned) {
    owned = false;
    if (target == "off") return -1;
    if (target == "stdout") return STDOUT_FILENO;
    if (target == "stderr") return STDERR_FILENO;
    const int fd = open_log_file(target);
    if (fd < 0) throw std::runtime_error("cannot open access log " + target + ": " + std::strerror(errno));
    owned = true;
    return fd;
}

std::string endpoint_text(const tcp::endpoint& e) {
    const auto a = e.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

}  // namespace

ProxyServer::ProxyServer(config::Config config, std::string config_path) : config_path_(std::move(config_path)) {
    access_log_fd_ = open_access_log(config.access_log, owns_access_log_fd_);
    if (owns_access_log_fd_) access_log_path_ = config.access_log;
    const unsigned n = std::max(1u, config.workers);
    auto runtime = build_runtime(std::move(config), nullptr, &health_, &discovery_);
    for (unsigned i = 0; i < n; ++i)
        workers_.push_back(std::make_unique<Worker>(i, access_log_fd_, runtime, service_registry_));
    runtime_ = runtime;
    std::vector<const metrics::WorkerStats*> stats;
    for (const auto& w : workers_) stats.push_back(&w->stats());
    observer_ = std::make_unique<Observer>(control_, std::move(stats), service_registry_, runtime_);

    std::vector<asio::io_context*> contexts;
    for (auto& w : workers_) contexts.push_back(&w->context());
    for (const auto& listener : runtime_->config.listeners) {
        std::vector<tcp::acceptor> acceptors;
        try {
            acceptors = net::open_reuseport_acceptors(listener.bind, contexts);
        } catch (const std::exception& e) {
            throw std::runtime_error("listener " + listener.name + ": cannot listen on " + listener.bind.to_string() +
                                     ": " + e.what());
        }
        spdlog::info("listening: {} {}", listener.name, endpoint_text(acceptors.front().local_endpoint()));
        for (unsigned w = 0; w < n; ++w) workers_[w]->add_acceptor(std::move(acceptors[w]), listener.name);
        bound_listeners_[listener.name] = listener.bind.to_string();
    }
    rollouts_ = std::make_unique<rollout::Rollouts>(control_, rollout_dependencies());
    if (runtime_->config.admin) {
        admin_ = std::make_unique<admin::AdminServer>(control_, *runtime_->config.admin, *this);
    }
    if (runtime_->config.cluster) {
        cluster_ = std::make_unique<cluster::Node>(control_, *this, runtime_->config);
        // Sent to the peers with every sync: a rollout on any node waits until a drained server is idle here too.
        cluster_->set_in_flight_source([this] {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& pool : runtime_->pools)
                for (const auto& s : pool->servers())
                    if (const auto n = s->active.load(); n != 0) out[pool->name() + "/" + s->name] = n;
            return out;
        });
    }
}

ProxyServer::~ProxyServer() {
    limit_tuner_.stop();
    health_.stop();
    discovery_.stop();
    drift_.stop();
    rollouts_->stop();
    if (admin_) admin_->stop();
    if (cluster_) cluster_->stop();
    workers_.clear();
    if (owns_access_log_fd_) ::close(access_log_fd_);
}

void ProxyServer::stop() {
    asio::post(control_, [this] { drain_and_stop(); });
}

int ProxyServer::run() {
    for (auto& w : workers_) w->loop().start();
    publish(runtime_);
    observer_->start();
    if (admin_) admin_->start();
    if (cluster_) cluster_->start();
    const std::string summary = fmt::format("{} worker(s), {} listener(s), {} pool(s)", workers_.size(),
                                            runtime_->config.listeners.size(), runtime_->config.pools.size());
    spdlog::info("gisgate ready: {}", summary);
    // The listeners were bound in the constructor and the workers now accept: systemd may count us started.
    net::sd_notify(fmt::format("READY=1\nSTATUS=serving: {}\nMAINPID={}", summary, ::getpid()));

    stop_signals_.async_wait([this](const error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: stopping gracefully (grace {} ms)", sig, runtime_->config.shutdown_grace.count());
        drain_and_stop();
    });
    wait_for_reload_signal();
    wait_for_reopen_signal();
    control_.run();
    return 0;
}

void ProxyServer::wait_for_reload_signal() {
    reload_signal_.async_wait([this](const error_code& ec, int) {
        if (ec) return;
        net::sd_notify(net::sd_reloading_state());
        const auto result = reload();
        net::sd_notify("READY=1");  // also when refused: the running config still serves
        if (result.status != 200)
            spdlog::error("SIGHUP: reload refused, running config kept: {}",
                          result.body["error"]["message"].get<std::string>());
        wait_for_reload_signal();
    });
}

void ProxyServer::wait_for_reopen_signal() {
    reopen_signal_.async_wait([this](const error_code& ec, int) {
        if (ec) return;
        if (access_log_path_.empty()) {
            spdlog::info("SIGUSR1: the access log is not a file, nothing to reopen");
        } else {
            // dup2 swaps the file behind the descriptor atomically: a worker's write(2) goes wholly to the old
            // file or wholly to the new one. Lines still buffered in a worker (≤100 ms) land in the new file.
            const int fd = open_log_file(access_log_path_);
            if (fd < 0) {
                spdlog::error("SIGUSR1: cannot reopen access log {}: {}; still writing to the old file",
                              access_log_path_, std::strerror(errno));
            } else {
                if (::dup2(fd, access_log_fd_) < 0)
                    spdlog::error("SIGUSR1: cannot reopen access log {}: {}", access_log_path_, std::strerror(errno));
                else
                    spdlog::info("SIGUSR1: access log {} reopened", access_log_path_);
                ::close(fd);
            }
        }
        wait_for_reopen_signal();
    });
}

void ProxyServer::publish(std::shared_ptr<const Runtime> runtime) {
    runtime_ = runtime;
    observer_->update(runtime_);
    for (auto& w : workers_)
        asio::post(w->context(), [worker = w.get(), runtime] { worker->set_runtime(runtime); });
    health_.watch(runtime_->pools);
    drift_.watch(runtime_->pools);
    limit_tuner_.watch(runtime_->pools);
    if (cluster_) cluster_->configure(runtime_->config);
    // Discovery runs at the shortest period any route or pool asks for (every pool is read: a service may
    // live in any cluster).
    std::chrono::milliseconds every{0};
    auto consider = [&every](std::chrono::milliseconds d) {
        if (d.count() > 0 && (every.count() == 0 || d < every)) every = d;
    };
    for (const auto& pool : runtime_->config.pools) consider(pool.discover_every);
    for (const auto& listener : runtime_->config.listeners)
        for (const auto& route : listener.routes)
            if (route.discover_every) consider(*route.discover_every);
    discovery_.watch(every.count() > 0 ? runtime_->pools : decltype(runtime_->pools){}, every);
}

void ProxyServer::apply(config::Config config) {
    // The worker count is fixed for the process lifetime (threads and per-worker state are sized by it).
    if (config.workers != runtime_->config.workers) {
        spdlog::warn("workers: {} → {} needs a restart; keeping {}", runtime_->config.workers, config.workers,
                     runtime_->config.workers);
        config.workers = runtime_->config.workers;
    }
    auto runtime = build_runtime(std::move(config), runtime_.get(), &health_, &discovery_);

    // Bind new and re-bound listeners first: a failure here rejects the whole change. Each worker adopts its
    // socket on its own thread (net::ListeningSocket): its loop is running.
    struct Rebind {
        std::string name;
        std::shared_ptr<std::vector<net::ListeningSocket>> sockets;
    };
    std::vector<Rebind> rebinds;
    for (const auto& listener : runtime->config.listeners) {
        const std::string bind = listener.bind.to_string();
        auto it = bound_listeners_.find(listener.name);
        if (it != bound_listeners_.end() && it->second == bind) continue;
        try {
            auto sockets = std::make_shared<std::vector<net::ListeningSocket>>(
                net::open_reuseport_sockets(listener.bind, workers_.size()));
            spdlog::info("listening: {} {}", listener.name, endpoint_text(sockets->front().local_endpoint()));
            rebinds.push_back({listener.name, std::move(sockets)});
        } catch (const std::exception& e) {
            throw std::runtime_error("listener " + listener.name + ": cannot listen on " + bind + ": " + e.what());
        }
    }
    std::vector<std::string> removed;
    for (const auto& [name, bind] : bound_listeners_)
        if (!runtime->find_listener(name)) removed.push_back(name);

    publish(runtime);

    for (unsigned w = 0; w < workers_.size(); ++w) {
        std::vector<std::pair<std::string, std::shared_ptr<std::vector<net::ListeningSocket>>>> adds;
        for (const auto& r : rebinds) adds.emplace_back(r.name, r.sockets);
        asio::post(workers_[w]->context(), [worker = workers_[w].get(), w, adds, removed] {
            for (const auto& name : removed) worker->remove_acceptor(name);
            for (const auto& [name, sockets] : adds) {
                worker->remove_acceptor(name);  // a re-bound listener: the old address stops
                worker->add_acceptor((*sockets)[w].adopt(worker->context()), name);
            }
        });
    }
    for (const auto& r : rebinds)
        bound_listeners_[r.name] = runtime->find_listener(r.name)->config->bind.to_string();
    for (const auto& name : removed) {
        bound_listeners_.erase(name);
        spdlog::info("listener {} removed", name);
    }
}

void ProxyServer::drain_and_stop() {
    if (draining_) return;
    draining_ = true;
    net::sd_notify("STOPPING=1");
    error_code ignored;
    reload_signal_.cancel(ignored);
    reopen_signal_.cancel(ignored);
    limit_tuner_.stop();
    health_.stop();
    discovery_.stop();
    drift_.stop();
    rollouts_->stop();
    if (admin_) admin_->stop();
    if (cluster_) cluster_->stop();
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
        observer_->finish();  // the partial history interval: every request counted, the workers have stopped
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
