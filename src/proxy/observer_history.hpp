// History recording, the third job of the Observer, present only with `history:`: once a second the servers'
// up time and state changes (health events), and at the end of every interval one row per service, per server
// and per pool and operation class with what the interval added to the cumulative totals. The rows are built
// here on the control thread and written by HistoryWriter on its own thread, so a slow disk holds up neither.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/observability.hpp"
#include "metrics/collector.hpp"
#include "metrics/history_writer.hpp"
#include "proxy/observer_time.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class HistoryRecorder {
public:
    // Opens the database (throws std::runtime_error when it cannot).
    explicit HistoryRecorder(const config::HistoryConfig& config);

    void start(WallClock::time_point now, const Runtime& runtime);
    // Once a second, with `totals` just refreshed: samples the servers, and writes the interval once it ended.
    void tick(WallClock::time_point now, double elapsed_seconds, const metrics::Collector& totals,
              const Runtime& runtime);
    // A reload: the new retention and interval apply now (the database stays where it was opened). A changed
    // interval closes the current one as it is and starts the new rhythm at the next aligned boundary.
    void reconfigure(const config::HistoryConfig& config, std::int64_t now_second, const metrics::Collector& totals,
                     const Runtime& runtime);
    // The workers have stopped: the partial interval is written with everything counted, then the database closed.
    void finish(WallClock::time_point now, double elapsed_seconds, const metrics::Collector& totals,
                const Runtime& runtime);

    void write_alerts(const std::vector<metrics::AlertEvent>& events);
    const std::string& path() const { return writer_.path(); }
    std::uint64_t failures() const { return writer_.failures(); }

private:
    struct ServerSeen {
        bool healthy = true;
        balance::AdminState admin = balance::AdminState::ready;
        std::uint64_t transitions = 0;
    };

    void sample_servers(WallClock::time_point now, double elapsed_seconds, const Runtime& runtime);
    void health_event(std::int64_t time_ms, const std::string& pool, const std::string& server, const char* state,
                      std::string reason);
    void write_interval(std::int64_t end_second, bool final, const metrics::Collector& totals,
                        const Runtime& runtime);
    std::vector<metrics::ServerIntervalRow> server_rows(std::int64_t seconds, const metrics::Collector& totals,
                                                        const Runtime& runtime) const;
    std::vector<metrics::ClassIntervalRow> class_rows(std::int64_t seconds, const metrics::Collector& totals) const;

    metrics::HistoryWriter writer_;
    std::chrono::milliseconds retention_;
    std::int64_t interval_;             // seconds
    std::int64_t interval_start_ = 0;   // aligned start of the current interval
    std::int64_t covered_from_ = 0;     // when this process started covering it
    std::vector<metrics::TrafficTotals> service_base_;  // cumulative totals at the last interval end, by id
    std::vector<metrics::TrafficTotals> server_base_;
    std::vector<metrics::TrafficTotals> class_base_;
    std::map<std::string, ServerSeen> servers_seen_;  // "pool/server" →
    std::map<std::string, double> up_seconds_;        // "pool/server" → up time in the current interval
};

}  // namespace gisgate::proxy
