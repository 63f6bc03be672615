#include "metrics/stats_table.hpp"

#include "util/ascii.hpp"

namespace gisgate::metrics {

namespace {

std::uint64_t key_hash(Kind kind, std::string_view a, std::string_view b, std::string_view c) noexcept {
    std::uint64_t h = 14695981039346656037ull ^ static_cast<std::uint64_t>(kind);
    auto mix = [&h](std::string_view s) {
        for (char ch : s) {
            h ^= static_cast<unsigned char>(util::ascii_lower(ch));
            h *= 1099511628211ull;
        }
        h ^= 0xff;  // separator: ("ab", "c") and ("a", "bc") differ
        h *= 1099511628211ull;
    };
    mix(a);
    mix(b);
    mix(c);
    return h;
}

bool key_equals(const StatsKey& key, Kind kind, std::string_view a, std::string_view b, std::string_view c) noexcept {
    return key.kind == kind && util::iequals(key.a, a) && util::iequals(key.b, b) && util::iequals(key.c, c);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out) ch = util::ascii_lower(ch);
    return out;
}

}  // namespace

const char* to_string(Kind kind) {
    switch (kind) {
        case Kind::service: return "service";
        case Kind::portal: return "portal";
        case Kind::admin: return "admin";
        case Kind::other: break;
    }
    return "other";
}

StatsSlot* StatsTable::find(Kind kind, std::string_view a, std::string_view b, std::string_view c) const noexcept {
    if (index_.empty()) return nullptr;
    const std::uint64_t h = key_hash(kind, a, b, c);
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const IndexEntry& e = index_[i];
        if (!e.slot) return nullptr;
        if (e.hash == h && key_equals(e.key, kind, a, b, c)) return e.slot;
    }
}

void StatsTable::insert(IndexEntry entry) {
    if ((used_ + 1) * 2 > index_.size()) {
        std::vector<IndexEntry> old;
        old.swap(index_);
        index_.resize(old.empty() ? 16 : old.size() * 2);
        used_ = 0;
        for (auto& e : old)
            if (e.slot) insert(std::move(e));
    }
    const std::size_t mask = index_.size() - 1;
    std::size_t i = entry.hash & mask;
    while (index_[i].slot) i = (i + 1) & mask;
    index_[i] = std::move(entry);
    ++used_;
}

StatsSlot* StatsTable::add(Kind kind, std::string_view a, std::string_view b, std::string_view c) {
    auto slot = std::make_unique<StatsSlot>(StatsKey{kind, std::string(a), std::string(b), std::string(c)});
    StatsSlot* s = slot.get();
    owned_.push_back(std::move(slot));
    insert({key_hash(kind, a, b, c), s->key, s});
    // Publish only when the slot is complete: readers walk from head_ with acquire loads.
    if (tail_) tail_->next_.store(s, std::memory_order_release);
    else head_.store(s, std::memory_order_release);
    tail_ = s;
    return s;
}

void StatsTable::alias(Kind kind, std::string_view a, std::string_view b, std::string_view c, StatsSlot* target) {
    insert({key_hash(kind, a, b, c), StatsKey{kind, std::string(a), std::string(b), std::string(c)}, target});
    ++aliases_;
}

void ServiceRegistry::set_max_services(std::uint32_t max_services) {
    std::lock_guard lock(mutex_);
    max_ = max_services;
}

bool ServiceRegistry::admit(std::string_view folder, std::string_view service, std::string_view type) {
    std::string key = lower(folder);
    key += '/';
    key += lower(service);
    key += '/';
    key += lower(type);
    std::lock_guard lock(mutex_);
    if (keys_.count(key)) return true;
    if (keys_.size() >= max_) return false;
    keys_.insert(std::move(key));
    return true;
}

std::size_t ServiceRegistry::admitted() const {
    std::lock_guard lock(mutex_);
    return keys_.size();
}

StatsSlot* WorkerStats::service_slot(const RequestRecord& r) {
    Kind kind = r.kind;
    // Catalog listings and output files that name no service are not a service's traffic.
    if (kind == Kind::service && r.service.empty()) kind = Kind::other;
    if (kind != Kind::service) {
        const std::string_view name = to_string(kind);
        if (StatsSlot* s = services_.find(kind, {}, name, {})) return s;
        return services_.add(kind, {}, name, {});
    }
    if (StatsSlot* s = services_.find(kind, r.folder, r.service, r.type)) return s;
    // Past the refusal memory (a client inventing service names), stop asking: the registry is full anyway.
    const bool remember = services_.aliases() < kMaxRefusedRemembered;
    if (remember && registry_.admit(r.folder, r.service, r.type))
        return services_.add(kind, r.folder, r.service, r.type);
    if (!other_services_) other_services_ = services_.add(Kind::service, {}, kOtherServices, {});
    if (remember) services_.alias(kind, r.folder, r.service, r.type, other_services_);
    return other_services_;
}

StatsSlot* WorkerStats::record(const RequestRecord& r) {
    StatsSlot* service = service_slot(r);
    service->counters.record(r.status, r.micros, r.bytes_in, r.bytes_out, r.retries);
    StatsSlot* server = servers_.find(Kind::other, r.pool, r.server, {});
    if (!server) server = servers_.add(Kind::other, r.pool, r.server, {});
    server->counters.record(r.status, r.micros, r.bytes_in, r.bytes_out, r.retries);
    if (!r.op_class.empty()) {
        StatsSlot* cls = classes_.find(Kind::other, r.pool, r.op_class, {});
        if (!cls) cls = classes_.add(Kind::other, r.pool, r.op_class, {});
        cls->counters.record(r.status, r.micros, r.bytes_in, r.bytes_out, r.retries);
    }
    return service;
}

}  // namespace gisgate::metrics
