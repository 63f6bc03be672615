// The slow-request-body defence (`timeouts.body`, `timeouts.body_min_rate`): how long the next read of a
// request body may wait. Two limits in one deadline:
//   - no single wait longer than `body`;
//   - in total, no more waiting than `body` plus one second per `min_rate` bytes received, so a client that
//     trickles a byte now and then (slow POST) is cut off once its average falls below the rate.
// Only time spent waiting on the client counts: while gisgate waits for the server to take the bytes, the
// server timeout applies instead. No allocation, no clock of its own: the caller measures each wait.
#pragma once

#include <chrono>
#include <cstdint>

namespace gisgate::proxy {

class BodyPace {
public:
    using Duration = std::chrono::steady_clock::duration;

    void start(Duration body, std::uint32_t min_rate) {
        body_ = body;
        min_rate_ = min_rate;
        waited_ = Duration::zero();
        bytes_ = 0;
    }

    // The longest the next read may wait (zero: the client is already too slow).
    Duration next_wait() const {
        if (min_rate_ == 0) return body_;
        const auto earned = std::chrono::duration_cast<Duration>(
            std::chrono::duration<double>(static_cast<double>(bytes_) / static_cast<double>(min_rate_)));
        const Duration left = body_ + earned - waited_;
        if (left <= Duration::zero()) return Duration::zero();
        return left < body_ ? left : body_;
    }

    void on_read(Duration waited, std::uint64_t bytes) {
        waited_ += waited;
        bytes_ += bytes;
    }

private:
    Duration body_{};
    Duration waited_{};
    std::uint64_t bytes_ = 0;
    std::uint32_t min_rate_ = 0;
};

}  // namespace gisgate::proxy
