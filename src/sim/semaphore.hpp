// A FIFO async semaphore for coroutines: models a site's fixed pool of service instances (a request beyond
// the limit waits its turn, as ArcGIS queues requests for busy instances).
//
// Thread model: callers run on different strands of a multi-threaded io_context. All state is guarded by one
// mutex. A waiter parks on its own timer (expiry = never); release() hands the permit over directly (so a
// newcomer cannot overtake the queue) and wakes the waiter by posting the timer cancel to the waiter's own
// executor, because asio objects are not safe to touch from another strand.
#pragma once

#include <algorithm>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>
#include <mutex>

namespace gisgate::sim {

class AsyncSemaphore {
public:
    explicit AsyncSemaphore(unsigned limit) : limit_(limit == 0 ? 1 : limit) {}

    // Held while a request executes; releases on destruction. Empty when the semaphore was shut down.
    class Permit {
    public:
        Permit() = default;
        explicit Permit(AsyncSemaphore* s) : sem_(s) {}
        Permit(Permit&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
        Permit& operator=(Permit&& o) noexcept {
            if (this != &o) {
                reset();
                sem_ = std::exchange(o.sem_, nullptr);
            }
            return *this;
        }
        ~Permit() { reset(); }
        explicit operator bool() const { return sem_ != nullptr; }
        void reset() {
            if (sem_)
                std::exchange(sem_, nullptr)->release();
        }

    private:
        AsyncSemaphore* sem_ = nullptr;
    };

    boost::asio::awaitable<Permit> acquire() {
        auto ex = co_await boost::asio::this_coro::executor;
        std::shared_ptr<Waiter> waiter;
        {
            std::lock_guard lock(mutex_);
            if (shut_down_)
                co_return Permit{};
            if (active_ < limit_ && waiters_.empty()) {
                ++active_;
                co_return Permit{this};
            }
            waiter = std::make_shared<Waiter>(ex);
            waiters_.push_back(waiter);
        }
        boost::system::error_code ec;
        co_await waiter->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        std::lock_guard lock(mutex_);
        if (waiter->granted)
            co_return Permit{this};
        // Woken without a permit (shutdown): make sure we are no longer queued.
        std::erase(waiters_, waiter);
        co_return Permit{};
    }

    // Wakes every waiter empty-handed and refuses new acquisitions: used when the site stops.
    void shutdown() {
        std::lock_guard lock(mutex_);
        shut_down_ = true;
        for (auto& w : waiters_) wake(w);
        waiters_.clear();
    }

    unsigned limit() const { return limit_; }
    unsigned active() const {
        std::lock_guard lock(mutex_);
        return active_;
    }
    unsigned queued() const {
        std::lock_guard lock(mutex_);
        return static_cast<unsigned>(waiters_.size());
    }

private:
    struct Waiter {
        explicit Waiter(const boost::asio::any_io_executor& ex)
            : timer(ex, boost::asio::steady_timer::time_point::max()) {}
        boost::asio::steady_timer timer;
        bool granted = false;  // guarded by the semaphore mutex
    };

    static void wake(const std::shared_ptr<Waiter>& w) {
        boost::asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
    }

    void release() {
        std::lock_guard lock(mutex_);
        if (!waiters_.empty()) {
            auto next = waiters_.front();
            waiters_.pop_front();
            next->granted = true;  // the permit moves over; active_ is unchanged
            wake(next);
            return;
        }
        --active_;
    }

    unsigned limit_;
    mutable std::mutex mutex_;
    unsigned active_ = 0;
    bool shut_down_ = false;
    std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace gisgate::sim
