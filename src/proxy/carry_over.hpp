// What a reload (or a runtime change through the admin API) keeps from the runtime it replaces, looked up in one
// place by pool and server name: the server objects (in-flight counts, health, drain/maint), each pool's wait
// queue and job table, the connection and tunnel counts and the generation. build_runtime() asks this and
// nothing else about the previous runtime. Response caches are not carried: each worker owns its stores
// (worker_caches.hpp), which outlive every runtime.
#pragma once

#include <memory>
#include <string_view>

#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class CarryOver {
public:
    explicit CarryOver(const Runtime* previous) : previous_(previous) {}

    std::uint64_t generation() const { return previous_ ? previous_->generation + 1 : 0; }
    std::shared_ptr<ConnectionLimiter> connections() const;
    std::shared_ptr<Tunnels> tunnels() const;

    // The server as `sc` describes it: the previous object itself when nothing that shapes it changed (same
    // address, weight, backup), else a new one (a new id) that keeps the old one's admin state and health.
    std::shared_ptr<balance::ServerRuntime> server(const config::PoolConfig& pool,
                                                   const config::ServerConfig& sc) const;
    // The pool's queue, so a slot released by a request of the old runtime wakes one queued on the new.
    std::shared_ptr<balance::WaitQueue> queue(std::string_view pool) const;
    // The pool's job table (a reload forgets no job), with the new limits.
    std::shared_ptr<gis::JobTable> job_table(const config::PoolConfig& pool) const;
    // The pool's upload table (a reload forgets no uploaded item), with the new limits.
    std::shared_ptr<gis::JobTable> upload_table(const config::PoolConfig& pool) const;

private:
    std::shared_ptr<balance::ServerRuntime> previous_server(std::string_view pool, std::string_view name) const;

    using Tables = std::map<std::string, std::shared_ptr<gis::JobTable>, std::less<>>;
    std::shared_ptr<gis::JobTable> table(const Tables Runtime::*tables, std::string_view pool,
                                         const config::JobAffinityConfig& limits) const;

    const Runtime* previous_;
};

}  // namespace gisgate::proxy
