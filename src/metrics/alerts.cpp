#include "metrics/alerts.hpp"

#include <algorithm>
#include <set>

namespace gisgate::metrics {

void AlertEngine::emit(AlertEvent event, std::vector<AlertEvent>& out) {
    recent_.push_front(event);
    if (recent_.size() > kRecentEvents) recent_.pop_back();
    out.push_back(std::move(event));
}

void AlertEngine::update(const std::vector<std::string>& rules, const std::vector<AlertCondition>& conditions,
                         std::int64_t now_ms, std::vector<AlertEvent>& out) {
    std::set<std::pair<std::string, std::string>> measured;
    for (const AlertCondition& c : conditions) {
        auto key = std::make_pair(c.rule, c.target);
        measured.insert(key);
        auto it = active_.find(key);
        if (c.breached) {
            if (it == active_.end()) {
                active_.emplace(key, ActiveAlert{c.rule, c.target, now_ms, c.value, c.message});
                emit({now_ms, c.rule, c.target, true, c.value, c.message}, out);
            } else {
                it->second.value = c.value;
                it->second.message = c.message;
            }
        } else if (it != active_.end()) {
            active_.erase(it);
            emit({now_ms, c.rule, c.target, false, c.value, c.message}, out);
        }
    }
    // Active targets of these rules that were not measured this round.
    for (auto it = active_.begin(); it != active_.end();) {
        const bool evaluated = std::find(rules.begin(), rules.end(), it->first.first) != rules.end();
        if (!evaluated || measured.count(it->first)) {
            ++it;
            continue;
        }
        emit({now_ms, it->second.rule, it->second.target, false, 0, it->second.target + ": no longer measured"}, out);
        it = active_.erase(it);
    }
}

void AlertEngine::retain_rules(const std::vector<std::string>& keep, std::int64_t now_ms,
                               std::vector<AlertEvent>& out) {
    for (auto it = active_.begin(); it != active_.end();) {
        if (std::find(keep.begin(), keep.end(), it->first.first) != keep.end()) {
            ++it;
            continue;
        }
        emit({now_ms, it->second.rule, it->second.target, false, it->second.value,
              "rule '" + it->second.rule + "' removed or changed by a reload"},
             out);
        it = active_.erase(it);
    }
}

std::vector<ActiveAlert> AlertEngine::active() const {
    std::vector<ActiveAlert> out;
    for (const auto& [key, alert] : active_) out.push_back(alert);
    std::stable_sort(out.begin(), out.end(),
                     [](const ActiveAlert& a, const ActiveAlert& b) { return a.since_ms < b.since_ms; });
    return out;
}

}  // namespace gisgate::metrics
