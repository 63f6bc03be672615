// Helpers for the gis tests: in-process sim sites with custom catalogs, pools whose servers point at them,
// and a control io_context on a background thread (monitors are control-thread objects, so every
// observation is made there through on_control()).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "balance/pool.hpp"
#include "net/asio.hpp"
#include "sim/sim.hpp"
#include "support/process.hpp"

namespace gisgate::gis::testing {

using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;  // generous: a loaded 2-core machine

// Catalogs (the sim's YAML format, see src/sim/catalog.hpp).
inline const char* const kBaseCatalog = R"(
services:
  - {name: SampleWorldCities, type: MapServer, layers: [Cities, World]}
folders:
  Maps:
    - {name: Streets, type: MapServer, layers: [Roads, Labels]}
    - {name: Parcels, type: FeatureServer}
  Geocode:
    - {name: World, type: GeocodeServer}
  Empty: []
)";

// A sim site that can be restarted on the same port with another catalog.
class SimSite {
public:
    SimSite(std::string name, const std::string& catalog) : name_(std::move(name)) { start(catalog, 0); }

    int port() const { return port_; }
    const std::string& name() const { return name_; }

    // Stops the site and starts it again on the same port with `catalog`.
    void restart(const std::string& catalog) {
        stop();
        start(catalog, port_);
    }
    void stop() { server_.reset(); }

private:
    void start(const std::string& catalog, int port) {
        const std::string path = test::write_temp_file(
            "gis/" + name_ + "-" + std::to_string(++generation_) + ".yaml", catalog);
        sim::SimOptions options;
        options.listen = "127.0.0.1:" + std::to_string(port);
        options.name = name_;
        options.catalog_file = path;
        options.instances = 8;
        options.threads = 1;
        server_ = std::make_unique<sim::SimServer>(options);
        port_ = server_->port();
    }

    std::string name_;
    int port_ = 0;
    int generation_ = 0;
    std::unique_ptr<sim::SimServer> server_;
};

inline std::uint32_t next_server_id() {
    static std::atomic<std::uint32_t> id{5000};
    return id++;
}

inline std::shared_ptr<balance::ServerRuntime> make_server(const std::string& name, int port) {
    auto s = std::make_shared<balance::ServerRuntime>();
    s->id = next_server_id();
    s->name = name;
    s->address = config::Endpoint{"127.0.0.1", static_cast<std::uint16_t>(port)};
    s->endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    return s;
}

// A pool over `servers`; `config.name` and `config.servers` are filled in.
inline std::shared_ptr<balance::PoolRuntime> make_pool(const std::string& name,
                                                       std::vector<std::shared_ptr<balance::ServerRuntime>> servers,
                                                       config::PoolConfig config = {}) {
    config.name = name;
    config.health.timeout = 2s;
    config.servers.clear();
    for (auto& s : servers) {
        s->pool_name = name;
        config.servers.push_back(config::ServerConfig{s->name, s->address, s->weight, false, {}});
    }
    return std::make_shared<balance::PoolRuntime>(config, std::move(servers), /*workers=*/1);
}

// The control thread of a test: an io_context kept running by a work guard.
class ControlThread {
public:
    ControlThread() : thread_([this] { control_.run(); }) {}
    ~ControlThread() { join(); }

    asio::io_context& context() { return control_; }

    // Runs `f` on the control thread and returns its result (on this thread once the control thread has
    // ended: nothing else runs control-thread code then).
    template <class F>
    auto on_control(F f) -> decltype(f()) {
        if (!thread_.joinable()) return f();
        std::promise<decltype(f())> result;
        asio::post(control_, [&] { result.set_value(f()); });
        return result.get_future().get();
    }

    // Polls `condition` on the control thread until it holds or the deadline passes.
    template <class F>
    bool eventually(F condition, std::chrono::milliseconds timeout = kDeadline) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (on_control(condition)) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
    }

    // Lets run() return once nothing is pending (monitors stopped), waiting at most kDeadline.
    void join() {
        if (!thread_.joinable()) return;
        work_.reset();
        auto done = std::async(std::launch::async, [this] { thread_.join(); });
        if (done.wait_for(kDeadline) != std::future_status::ready) {
            ADD_FAILURE() << "control loops still running after stop()";
            control_.stop();
            done.wait();
        }
    }

private:
    asio::io_context control_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{control_.get_executor()};
    std::thread thread_;
};

}  // namespace gisgate::gis::testing
