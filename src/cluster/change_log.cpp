#include "cluster/change_log.hpp"

#include <algorithm>
#include <tuple>

namespace gisgate::cluster {

using nlohmann::json;

namespace {

constexpr std::pair<ChangeKind, std::string_view> kKindNames[] = {
    {ChangeKind::state, "state"}, {ChangeKind::add, "add"},       {ChangeKind::remove, "remove"},
    {ChangeKind::purge, "purge"}, {ChangeKind::reload, "reload"},
};

// A count as JSON: parsed text gives an unsigned number, a json built in code a signed one.
bool is_count(const json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0); }

bool is_membership(ChangeKind kind) { return kind == ChangeKind::add || kind == ChangeKind::remove; }

std::uint64_t seen_of(const Seen& seen, std::string_view origin) {
    const auto it = seen.find(origin);
    return it == seen.end() ? 0 : it->second;
}

}  // namespace

std::string_view to_string(ChangeKind kind) {
    for (const auto& [k, name] : kKindNames)
        if (k == kind) return name;
    return "?";
}

std::optional<ChangeKind> change_kind(std::string_view text) {
    for (const auto& [k, name] : kKindNames)
        if (name == text) return k;
    return std::nullopt;
}

json to_json(const Change& c) {
    return {{"origin", c.origin}, {"seq", c.seq},       {"stamp", c.stamp},    {"kind", to_string(c.kind)},
            {"pool", c.pool},     {"server", c.server}, {"payload", c.payload}};
}

std::optional<Change> change_from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    auto str = [&j](const char* key) -> const json* {
        const auto it = j.find(key);
        return it != j.end() && it->is_string() ? &*it : nullptr;
    };
    auto num = [&j](const char* key) -> const json* {
        const auto it = j.find(key);
        return it != j.end() && is_count(*it) ? &*it : nullptr;
    };
    const json *origin = str("origin"), *kind = str("kind"), *pool = str("pool"), *server = str("server");
    const json *seq = num("seq"), *stamp = num("stamp");
    if (!origin || !kind || !pool || !server || !seq || !stamp || origin->get_ref<const std::string&>().empty())
        return std::nullopt;
    const auto k = change_kind(kind->get_ref<const std::string&>());
    if (!k) return std::nullopt;
    Change c;
    c.origin = origin->get<std::string>();
    c.seq = seq->get<std::uint64_t>();
    c.stamp = stamp->get<std::uint64_t>();
    c.kind = *k;
    c.pool = pool->get<std::string>();
    c.server = server->get<std::string>();
    if (const auto it = j.find("payload"); it != j.end()) {
        if (!it->is_object()) return std::nullopt;
        c.payload = *it;
    }
    if (c.seq == 0) return std::nullopt;
    return c;
}

json to_json(const Seen& seen) {
    json out = json::object();
    for (const auto& [origin, seq] : seen) out[origin] = seq;
    return out;
}

std::optional<Seen> seen_from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    Seen seen;
    for (const auto& [origin, seq] : j.items()) {
        if (!is_count(seq)) return std::nullopt;
        seen[origin] = seq.get<std::uint64_t>();
    }
    return seen;
}

ChangeLog::ChangeLog(std::string node, std::uint64_t start_ms, std::size_t capacity)
    : node_(std::move(node)), start_ms_(start_ms), capacity_(std::max<std::size_t>(capacity, 1)), clock_(start_ms) {}

std::string ChangeLog::register_key(ChangeKind kind, std::string_view pool, std::string_view server) {
    std::string key(kind == ChangeKind::state ? "state" : "member");
    key.append(1, '\0').append(pool).append(1, '\0').append(server);
    return key;
}

const Change* ChangeLog::holder_of(const std::string& key) const {
    const auto it = registers_.find(key);
    if (it == registers_.end()) return nullptr;
    // Newest first: the holder is usually among the latest entries.
    for (auto e = entries_.rbegin(); e != entries_.rend(); ++e)
        if (e->seq == it->second.seq && e->origin == it->second.origin) return &*e;
    return nullptr;
}

bool ChangeLog::holds_register(const Change& c) const {
    if (c.kind != ChangeKind::state && !is_membership(c.kind)) return false;
    const auto it = registers_.find(register_key(c.kind, c.pool, c.server));
    return it != registers_.end() && it->second.seq == c.seq && it->second.origin == c.origin;
}

void ChangeLog::append(const Change& change) {
    entries_.push_back(change);
    // Bounded: the oldest entries that hold no register go first (a register holder is the latest state of a
    // server, which a node that comes back must still receive); only when every entry holds one, the oldest.
    while (entries_.size() > capacity_) {
        auto victim = std::find_if(entries_.begin(), entries_.end(), [this](const Change& c) { return !holds_register(c); });
        if (victim == entries_.end()) victim = entries_.begin();
        entries_.erase(victim);
    }
}

void ChangeLog::raise_reload_floor(std::uint64_t stamp) {
    if (stamp <= reload_floor_) return;
    reload_floor_ = stamp;
    // The file's servers replace every membership change made before the reload.
    std::erase_if(registers_, [this](const auto& r) {
        return r.first.starts_with(std::string_view("member\0", 7)) && r.second.stamp < reload_floor_;
    });
}

const Change& ChangeLog::record_local(ChangeKind kind, std::string pool, std::string server, json payload,
                                      std::uint64_t now_ms) {
    Change c;
    c.origin = node_;
    c.stamp = clock_ = std::max(now_ms, clock_ + 1);
    c.seq = std::max(seen_of(seen_, node_) + 1, c.stamp);
    c.kind = kind;
    c.pool = std::move(pool);
    c.server = std::move(server);
    c.payload = std::move(payload);
    seen_[node_] = c.seq;
    if (kind == ChangeKind::state || is_membership(kind))
        registers_[register_key(kind, c.pool, c.server)] = {c.stamp, c.origin, c.seq};
    if (kind == ChangeKind::reload) raise_reload_floor(c.stamp);
    append(c);
    return entries_.back();
}

Verdict ChangeLog::receive(const Change& c) {
    if (c.seq <= seen_of(seen_, c.origin)) return Verdict::duplicate;
    seen_[c.origin] = c.seq;
    clock_ = std::max(clock_, c.stamp);
    Verdict verdict = Verdict::apply;
    if (c.kind == ChangeKind::state || is_membership(c.kind)) {
        if (is_membership(c.kind) && c.stamp < reload_floor_) {
            verdict = Verdict::before_reload;
        } else {
            auto& holder = registers_[register_key(c.kind, c.pool, c.server)];
            if (std::tie(holder.stamp, holder.origin) >= std::tie(c.stamp, c.origin)) verdict = Verdict::superseded;
            else holder = {c.stamp, c.origin, c.seq};
        }
    } else {
        if (c.kind == ChangeKind::reload) raise_reload_floor(c.stamp);
        if (c.stamp < start_ms_) verdict = Verdict::before_start;
    }
    append(c);
    return verdict;
}

std::vector<Change> ChangeLog::missing_for(const Seen& peer_seen, std::size_t max) const {
    std::vector<Change> out;
    for (const auto& e : entries_) {
        if (out.size() >= max) break;
        if (e.seq > seen_of(peer_seen, e.origin)) out.push_back(e);
    }
    return out;
}

const Change* ChangeLog::state_of(std::string_view pool, std::string_view server) const {
    return holder_of(register_key(ChangeKind::state, pool, server));
}

const Change* ChangeLog::membership_of(std::string_view pool, std::string_view server) const {
    return holder_of(register_key(ChangeKind::add, pool, server));
}

}  // namespace gisgate::cluster
