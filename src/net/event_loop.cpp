#include "net/event_loop.hpp"

#include <spdlog/spdlog.h>

namespace gisgate::net {

EventLoop::EventLoop(unsigned index) : index_(index) {
    work_.emplace(asio::make_work_guard(*context_));
    sweep_timer_.emplace(*context_);
}

EventLoop::~EventLoop() {
    stop();
    join();
    destroy();
}

void EventLoop::destroy() {
    sweep_timer_.reset();
    work_.reset();
    context_.reset();
}

void EventLoop::schedule_sweep() {
    sweep_timer_->expires_after(DeadlineList::kTick);
    sweep_timer_->async_wait([this](const error_code& ec) {
        if (ec) return;
        deadlines_.sweep();
        if (++sweeps_ % kTrimEvery == 0) buffers_.trim();
        for (auto& hook : tick_hooks_) hook();
        schedule_sweep();
    });
}

void EventLoop::start() {
    schedule_sweep();
    thread_ = std::thread([this] {
        try {
            context_->run();
        } catch (const std::exception& e) {
            spdlog::critical("worker {} stopped by an exception: {}", index_, e.what());
        }
    });
}

void EventLoop::stop() {
    if (!context_) return;
    work_.reset();
    context_->stop();
}

void EventLoop::join() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace gisgate::net
