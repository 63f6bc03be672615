#include "health/tracker.hpp"

namespace gisgate::health {

Change HealthTracker::record(Outcome outcome, bool& healthy, balance::HealthInfo& info) const {
    if (outcome == Outcome::success) {
        ++info.consecutive_successes;
        info.consecutive_failures = 0;
        // rise 0 would be meaningless (the loader allows 1..100); treat it as 1.
        if (!healthy && info.consecutive_successes >= (rise_ == 0 ? 1 : rise_)) {
            healthy = true;
            ++info.transitions;
            return Change::went_up;
        }
        return Change::none;
    }
    ++info.consecutive_failures;
    info.consecutive_successes = 0;
    const bool goes_down = outcome == Outcome::dead || info.consecutive_failures >= (fall_ == 0 ? 1 : fall_);
    if (healthy && goes_down) {
        healthy = false;
        ++info.transitions;
        return Change::went_down;
    }
    return Change::none;
}

}  // namespace gisgate::health
