#include "proxy/observer.hpp"

#include <spdlog/spdlog.h>

#include "proxy/observer_json.hpp"
#include "proxy/observer_prometheus.hpp"

namespace gisgate::proxy {

namespace {

std::unique_ptr<HistoryRecorder> open_history(const config::Config& config) {
    return config.history ? std::make_unique<HistoryRecorder>(*config.history) : nullptr;
}

// The database is opened once, at start; a reload only changes its retention and interval.
void warn_if_history_moved(const config::Config& before, const config::Config& after, const HistoryRecorder* history) {
    if (after.history.has_value() != before.history.has_value() ||
        (after.history && before.history && after.history->path != before.history->path))
        spdlog::warn("history: turning it on or off or moving the database needs a restart; keeping {}",
                     history ? history->path() : std::string("it off"));
}

}  // namespace

Observer::Observer(asio::io_context& control, std::vector<const metrics::WorkerStats*> workers,
                   metrics::ServiceRegistry& registry, std::shared_ptr<const Runtime> runtime)
    : registry_(registry),
      runtime_(std::move(runtime)),
      timer_(control),
      stats_(std::move(workers)),
      window_(runtime_->config),
      history_(open_history(runtime_->config)),
      alerts_(control, runtime_->config.alerts) {
    registry_.set_max_services(runtime_->config.metrics.max_services);
}

Observer::~Observer() { timer_.cancel(); }

void Observer::start() {
    const auto now = WallClock::now();
    last_tick_ = now;
    window_.start(unix_seconds(now));
    stats_.baseline(*runtime_);
    if (history_) history_->start(now, *runtime_);
    schedule_tick();
}

void Observer::schedule_tick() {
    using namespace std::chrono;
    // On the next whole second of the wall clock (plus a little), so per-second slices line up with
    // UTC seconds and history intervals with minutes.
    const auto now = WallClock::now();
    const auto next = WallClock::time_point(ceil<seconds>(now.time_since_epoch() + milliseconds(1)));
    timer_.expires_after(duration_cast<steady_clock::duration>(next - now) + milliseconds(2));
    timer_.async_wait([this](const error_code& ec) {
        if (ec || finished_) return;
        tick();
        schedule_tick();
    });
}

void Observer::tick() {
    const auto now = WallClock::now();
    const std::int64_t now_s = unix_seconds(now);
    const double elapsed = std::chrono::duration<double>(now - last_tick_).count();
    last_tick_ = now;

    window_.push(stats_.slice(now_s, *runtime_));
    if (history_) history_->tick(now, elapsed, stats_.collector(), *runtime_);
    publish(alerts_.evaluate(now_s, unix_ms(now), *runtime_, stats_.collector(), window_.slices()));
}

void Observer::update(std::shared_ptr<const Runtime> runtime) {
    if (finished_) return;
    const config::Config& before = runtime_->config;
    const config::Config& after = runtime->config;
    const auto now = WallClock::now();

    registry_.set_max_services(after.metrics.max_services);
    window_.resize(after);
    std::vector<metrics::AlertEvent> events;
    alerts_.reconfigure(before.alerts, after.alerts, unix_ms(now), events);
    warn_if_history_moved(before, after, history_.get());
    if (history_ && after.history) {
        stats_.refresh();  // a changed interval is closed with the totals as they are now
        history_->reconfigure(*after.history, unix_seconds(now), stats_.collector(), *runtime_);
    }
    runtime_ = std::move(runtime);
    publish(events);
}

void Observer::finish() {
    if (finished_) return;
    const auto now = WallClock::now();
    stats_.refresh();
    if (history_)
        history_->finish(now, std::chrono::duration<double>(now - last_tick_).count(), stats_.collector(), *runtime_);
    finished_ = true;
    timer_.cancel();
    alerts_.stop();
}

void Observer::publish(const std::vector<metrics::AlertEvent>& events) {
    alerts_.announce(events);
    if (history_ && !finished_) history_->write_alerts(events);
}

nlohmann::json Observer::services_json() {
    stats_.refresh();
    return proxy::services_json(stats_.collector(), window_, runtime_->config.metrics, unix_seconds(WallClock::now()));
}

nlohmann::json Observer::alerts_json() const { return proxy::alerts_json(alerts_.engine()); }

void Observer::append_metrics(std::string& out) {
    stats_.refresh();
    append_request_metrics(out, {stats_.collector(), *runtime_, registry_.admitted(), alerts_, history_.get()});
}

}  // namespace gisgate::proxy
