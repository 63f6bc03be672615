#include "balance/adaptive_limit.hpp"

#include <algorithm>
#include <cmath>

namespace gisgate::balance {

namespace {

// A gradient below this is not this server's own queue (at cores + 1 requests the gradient is C / (C + 1) ≥ 0.5):
// the server itself got slower, and the limit halves at once.
constexpr double kSlowedDown = 0.5;
// An interval this much faster than the baseline: the server got faster (the slow spell is over, the requests got
// lighter). The baseline is measured again rather than lowered to that mean, which was taken with a queue.
constexpr double kSpedUp = 0.8;
// Decreases within [kSlowedDown, 1) move half the way per interval.
constexpr double kSmoothing = 0.5;
// A measurement that cannot start because requests above the pinned limit never finish (a hung server, a
// long geoprocessing job) starts anyway after this many intervals.
constexpr int kDrainIntervals = 10;

}  // namespace

AdaptiveLimit::AdaptiveLimit(const AdaptiveLimitSettings& settings, LimitClock::time_point now, std::uint32_t seed)
    : settings_(settings), seed_(seed), limit_(settings.min) {
    // The first baseline is measured at the minimum, the one concurrency that cannot be queueing on the server.
    begin_measurement(now);
}

void AdaptiveLimit::reconfigure(const AdaptiveLimitSettings& settings) {
    settings_ = settings;
    limit_ = clamp(limit_);
    pinned_ = static_cast<std::uint32_t>(clamp(pinned_));
}

double AdaptiveLimit::clamp(double limit) const {
    return std::clamp(limit, static_cast<double>(settings_.min), static_cast<double>(settings_.max));
}

std::uint32_t AdaptiveLimit::limit() const {
    if (phase_ != Phase::tracking) return pinned_;
    return static_cast<std::uint32_t>(std::lround(clamp(limit_)));
}

void AdaptiveLimit::begin_measurement(LimitClock::time_point now) {
    // Half the learnt limit: at the usual cores + 1 that is at most the cores, so the interval sees no queue.
    pinned_ = static_cast<std::uint32_t>(clamp(std::floor(limit_ / 2)));
    phase_ = Phase::draining;
    interval_start_ = now;
    count_ = 0;
    total_ns_ = 0;
    saturated_ = false;
}

void AdaptiveLimit::schedule_probe(LimitClock::time_point now) {
    // Up to 10 % later, fixed per server: the servers of a pool measure at different moments.
    const std::uint32_t spread = (seed_ * 2654435761u) % 1000;
    next_probe_ = now + settings_.probe_every + settings_.probe_every * spread / 10000;
    intervals_at_min_ = 0;
}

std::uint32_t AdaptiveLimit::update(LimitClock::time_point now, const LatencySample& sample) {
    if (phase_ == Phase::draining) {
        // Answers to requests sent above the pinned limit would show the queue the measurement wants to avoid.
        if (sample.in_flight > pinned_ && now - interval_start_ < settings_.interval * kDrainIntervals)
            return limit();
        phase_ = Phase::measuring;
        interval_start_ = now;
        return limit();
    }
    count_ += sample.count;
    total_ns_ += static_cast<double>(sample.total_ns);
    saturated_ = saturated_ || sample.saturated;
    if (now - interval_start_ < settings_.interval || count_ < std::max<std::uint32_t>(1, settings_.min_samples))
        return limit();

    const double mean = std::max(1.0, total_ns_ / static_cast<double>(count_));
    const bool saturated = saturated_;
    interval_start_ = now;
    count_ = 0;
    total_ns_ = 0;
    saturated_ = false;

    if (phase_ == Phase::measuring) {
        baseline_ns_ = mean;
        phase_ = Phase::tracking;
        schedule_probe(now);
        return limit();
    }

    if (mean < baseline_ns_ * kSpedUp) {
        begin_measurement(now);
        return limit();
    }
    baseline_ns_ = std::min(baseline_ns_, mean);
    const double gradient = baseline_ns_ / mean;
    if (gradient < kSlowedDown) {
        limit_ = clamp(limit_ / 2);
    } else {
        const double target = clamp(limit_ * gradient + 1);
        if (target > limit_) {
            if (saturated) limit_ = target;
        } else {
            limit_ += (target - limit_) * kSmoothing;
        }
    }

    intervals_at_min_ = limit() <= settings_.min ? intervals_at_min_ + 1 : 0;
    if (now >= next_probe_ || (settings_.min < settings_.max &&
                               intervals_at_min_ >= settings_.intervals_at_min_before_probe))
        begin_measurement(now);
    return limit();
}

}  // namespace gisgate::balance
