// One event loop per worker thread: an io_context run by exactly one thread (so nothing on it needs a lock),
// its I/O buffer pool and its coarse deadline sweeper.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "net/asio.hpp"
#include "net/buffer_pool.hpp"
#include "net/deadline.hpp"

namespace gisgate::net {

class EventLoop {
public:
    explicit EventLoop(unsigned index);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    unsigned index() const { return index_; }
    asio::io_context& context() { return *context_; }
    BufferPool& buffers() { return buffers_; }
    DeadlineList& deadlines() { return deadlines_; }

    // Called on the loop's thread after each sweep (every DeadlineList::kTick): flushes, idle cleanup.
    void on_tick(std::function<void()> hook) { tick_hooks_.push_back(std::move(hook)); }

    void start();  // runs the loop on a new thread
    void stop();   // stops the loop; join() waits for the thread
    void join();
    // Destroys the io_context and with it every pending handler (suspended sessions). Call after join(),
    // before the objects those handlers refer to go away.
    void destroy();
    bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

private:
    void schedule_sweep();

    // The buffer pool gives back what a burst left once a second (BufferPool::trim).
    static constexpr unsigned kTrimEvery = 10;

    unsigned index_;
    unsigned sweeps_ = 0;
    BufferPool buffers_;  // before the context: pending handlers return blocks to it when destroyed
    // One thread runs this context and every socket on it is only ever used from that thread, so Asio's
    // per-descriptor I/O mutex (taken on every read and write) is switched off. The scheduler and descriptor
    // registration keep their locks: other threads still post to the loop (runtime snapshots, purges) and
    // open sockets on it (acceptors bound by the control plane).
    std::unique_ptr<asio::io_context> context_ =
        std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::optional<asio::steady_timer> sweep_timer_;
    DeadlineList deadlines_;
    std::vector<std::function<void()>> tick_hooks_;
    std::thread thread_;
};

}  // namespace gisgate::net
