// The optional CPU model of a simulated site (`--cpu-cores N`): a real ArcGIS site is CPU-bound and its OS
// time-slices, so running three requests on two cores makes each of them slower; it does not make a 10 ms tile
// wait for a 3 s export. Each request has a CPU cost (sim.hpp: execute_time, export_cost_per_mpx, request_cost)
// and the active requests share the cores by processor sharing: while k requests are active, each progresses at
// min(1, N/k) seconds of work per second.
//
// ProcessorSharing is the arithmetic alone, with time passed in (unit-tested deterministically). CpuModel runs it
// event-driven on the sim's io_context: one timer, on its own strand, is set to the next completion and
// recomputed whenever a request arrives or finishes. Nothing spins: waiting requests park on their own timers.
//
// Thread model (as semaphore.hpp): requests run on different strands of a multi-threaded io_context. All state
// is guarded by one mutex; the scheduler timer is only touched on its strand, and a finished request is woken by
// posting the cancel of its own timer to its own executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace gisgate::sim {

class ProcessorSharing {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using duration = std::chrono::nanoseconds;

    explicit ProcessorSharing(unsigned cores) : cores_(cores == 0 ? 1 : cores) {}

    // Starts a job of `cost` CPU time at `now`; returns its id. Jobs already running are progressed to `now` first.
    std::uint64_t add(duration cost, time_point now);
    // Drops a job before it finished (its requester went away); false if unknown.
    bool remove(std::uint64_t id, time_point now);
    // Progresses every job to `now` and removes and returns those finished, in id order.
    std::vector<std::uint64_t> advance(time_point now);
    // When the first of the active jobs will finish if nothing changes (nullopt when idle). Rounded up, so
    // advance() at that moment finds it finished.
    std::optional<time_point> next_completion() const;

    unsigned cores() const { return cores_; }
    unsigned active() const { return static_cast<unsigned>(jobs_.size()); }
    // The speed of each active job, in CPU seconds per second: min(1, cores / active).
    double rate() const;
    // A job's CPU time still to do as of the last add/remove/advance (nullopt if unknown or finished).
    std::optional<duration> remaining(std::uint64_t id) const;

private:
    void progress(time_point now);

    unsigned cores_;
    std::optional<time_point> last_;       // the moment the remaining work is accounted to
    std::map<std::uint64_t, double> jobs_;  // id -> remaining CPU time, in nanoseconds
    std::uint64_t next_id_ = 1;
};

class CpuModel {
public:
    // cores = 0: the model is off (requests cost nothing here; the old instance model applies alone).
    explicit CpuModel(unsigned cores) : sharing_(cores), enabled_(cores > 0) {}
    CpuModel(const CpuModel&) = delete;
    CpuModel& operator=(const CpuModel&) = delete;

    bool enabled() const { return enabled_; }
    unsigned cores() const { return enabled_ ? sharing_.cores() : 0; }

    // Gives the model the executor its scheduler timer runs on (a strand of the site's io_context). Must be called
    // before the first run(); detach() must be called before that io_context is destroyed.
    void attach(const boost::asio::any_io_executor& strand);
    void detach();

    // Completes once `cost` of CPU time was done, sharing the cores with the other running requests. Returns
    // false when the site stops first. A zero cost (or a disabled model) returns at once.
    boost::asio::awaitable<bool> run(std::chrono::nanoseconds cost);

    // Wakes every running request empty-handed and refuses new ones: used when the site stops.
    void shutdown();

    unsigned active() const;

private:
    struct Waiter {
        explicit Waiter(const boost::asio::any_io_executor& ex)
            : timer(ex, boost::asio::steady_timer::time_point::max()) {}
        boost::asio::steady_timer timer;
        bool done = false;  // guarded by the model's mutex
    };

    static void wake(const std::shared_ptr<Waiter>& w);
    void on_change();  // on the strand: finish what is done, set the timer to the next completion
    void reschedule_locked();

    mutable std::mutex mutex_;
    ProcessorSharing sharing_;
    const bool enabled_;
    bool shut_down_ = false;
    std::map<std::uint64_t, std::shared_ptr<Waiter>> waiters_;
    std::optional<boost::asio::any_io_executor> strand_;
    std::unique_ptr<boost::asio::steady_timer> timer_;  // on strand_; destroyed by detach()
};

}  // namespace gisgate::sim
