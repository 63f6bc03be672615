#include "sim/cpu.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <limits>

namespace gisgate::sim {

namespace asio = boost::asio;

namespace {
// A job with at most this much work left (ns) counts as finished: absorbs floating-point rounding.
constexpr double kDoneEpsilon = 1.0;
}  // namespace

double ProcessorSharing::rate() const {
    if (jobs_.empty())
        return 1.0;
    return std::min(1.0, static_cast<double>(cores_) / static_cast<double>(jobs_.size()));
}

void ProcessorSharing::progress(time_point now) {
    if (last_ && now > *last_ && !jobs_.empty()) {
        const double done = static_cast<double>((now - *last_).count()) * rate();
        for (auto& [id, remaining] : jobs_) remaining -= done;
    }
    if (!last_ || now > *last_)
        last_ = now;
}

std::uint64_t ProcessorSharing::add(duration cost, time_point now) {
    progress(now);
    const std::uint64_t id = next_id_++;
    jobs_.emplace(id, static_cast<double>(std::max<std::int64_t>(cost.count(), 0)));
    return id;
}

bool ProcessorSharing::remove(std::uint64_t id, time_point now) {
    progress(now);
    return jobs_.erase(id) > 0;
}

std::vector<std::uint64_t> ProcessorSharing::advance(time_point now) {
    progress(now);
    std::vector<std::uint64_t> finished;
    for (auto it = jobs_.begin(); it != jobs_.end();) {
        if (it->second <= kDoneEpsilon) {
            finished.push_back(it->first);
            it = jobs_.erase(it);
        } else {
            ++it;
        }
    }
    return finished;
}

std::optional<ProcessorSharing::time_point> ProcessorSharing::next_completion() const {
    if (jobs_.empty() || !last_)
        return std::nullopt;
    double least = std::numeric_limits<double>::max();
    for (const auto& [id, remaining] : jobs_) least = std::min(least, remaining);
    const double wall = std::max(0.0, least) / rate();
    return *last_ + duration(static_cast<std::int64_t>(std::ceil(wall)));
}

std::optional<ProcessorSharing::duration> ProcessorSharing::remaining(std::uint64_t id) const {
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return std::nullopt;
    return duration(static_cast<std::int64_t>(std::ceil(std::max(0.0, it->second))));
}

// --- CpuModel ---

void CpuModel::attach(const asio::any_io_executor& strand) {
    std::lock_guard lock(mutex_);
    strand_ = strand;
    timer_ = std::make_unique<asio::steady_timer>(strand);
}

void CpuModel::detach() {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    for (auto& [id, w] : waiters_) wake(w);
    waiters_.clear();
    timer_.reset();
    strand_.reset();
}

void CpuModel::wake(const std::shared_ptr<Waiter>& w) {
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

asio::awaitable<bool> CpuModel::run(std::chrono::nanoseconds cost) {
    if (!enabled_ || cost.count() <= 0)
        co_return true;
    auto ex = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<Waiter>(ex);
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_ || !strand_)
            co_return false;
        id = sharing_.add(cost, std::chrono::steady_clock::now());
        waiters_.emplace(id, waiter);
        // The new job slows the others down: the scheduler recomputes the next completion on its strand.
        asio::post(*strand_, [this] { on_change(); });
    }
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::lock_guard lock(mutex_);
    if (waiter->done)
        co_return true;
    // Woken without finishing (shutdown): make sure the job no longer takes a share.
    if (waiters_.erase(id) > 0)
        sharing_.remove(id, std::chrono::steady_clock::now());
    co_return false;
}

void CpuModel::on_change() {
    std::lock_guard lock(mutex_);
    if (!timer_)
        return;
    for (auto id : sharing_.advance(std::chrono::steady_clock::now())) {
        auto it = waiters_.find(id);
        if (it == waiters_.end())
            continue;
        it->second->done = true;
        wake(it->second);
        waiters_.erase(it);
    }
    reschedule_locked();
}

void CpuModel::reschedule_locked() {
    auto next = sharing_.next_completion();
    if (!next) {
        timer_->cancel();
        return;
    }
    // Setting the expiry cancels the pending wait (its handler sees operation_aborted and does nothing); a wait
    // that had already fired runs on_change once more, which is harmless.
    timer_->expires_at(*next);
    timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted)
            return;
        on_change();
    });
}

void CpuModel::shutdown() {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, w] : waiters_) {
        sharing_.remove(id, now);
        wake(w);
    }
    waiters_.clear();
}

unsigned CpuModel::active() const {
    std::lock_guard lock(mutex_);
    return sharing_.active();
}

}  // namespace gisgate::sim
