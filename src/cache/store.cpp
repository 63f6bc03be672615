#include "cache/store.hpp"

#include "util/ascii.hpp"

namespace gisgate::cache {

std::shared_ptr<const Entry> Store::find(std::string_view key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // O(1), no allocation
    return *it->second;
}

bool Store::insert(std::shared_ptr<Entry> entry) {
    const std::size_t charge = entry->charge();
    const std::uint64_t capacity = capacity_.load(std::memory_order_relaxed);
    if (charge > max_object() || charge > capacity) {
        erase(entry->key);  // an older, smaller version must not outlive the new answer
        return false;
    }
    erase(entry->key);
    evict_to(capacity - charge);
    lru_.push_front(std::move(entry));
    index_.emplace(lru_.front()->key, lru_.begin());
    used_ += charge;
    stats_->stored.fetch_add(1, std::memory_order_relaxed);
    stats_->entries.store(index_.size(), std::memory_order_relaxed);
    stats_->bytes.store(used_, std::memory_order_relaxed);
    return true;
}

bool Store::refresh(std::string_view key, std::int64_t stored_at, std::int64_t fresh_until) {
    const auto it = index_.find(key);
    if (it == index_.end()) return false;
    (*it->second)->stored_at = stored_at;
    (*it->second)->fresh_until = fresh_until;
    return true;
}

void Store::erase(std::string_view key) {
    const auto it = index_.find(key);
    if (it != index_.end()) remove(it->second);
}

std::size_t Store::purge_prefix(std::string_view prefix) {
    std::size_t n = 0;
    for (auto it = lru_.begin(); it != lru_.end();) {
        const auto next = std::next(it);
        const std::string& key = (*it)->key;
        if (key.size() >= prefix.size() && util::iequals(std::string_view(key).substr(0, prefix.size()), prefix)) {
            remove(it);
            ++n;
        }
        it = next;
    }
    stats_->purged.fetch_add(n, std::memory_order_relaxed);
    return n;
}

void Store::evict_to(std::uint64_t limit) {
    while (used_ > limit && !lru_.empty()) {
        remove(std::prev(lru_.end()));
        stats_->evictions.fetch_add(1, std::memory_order_relaxed);
    }
}

void Store::remove(Lru::iterator it) {
    used_ -= (*it)->charge();
    index_.erase((*it)->key);
    lru_.erase(it);  // a request still sending the entry holds its own reference
    stats_->entries.store(index_.size(), std::memory_order_relaxed);
    stats_->bytes.store(used_, std::memory_order_relaxed);
}

bool Store::begin_fetch(std::string_view key) {
    if (fetching_.find(key) != fetching_.end()) return false;
    fetching_.emplace(std::string(key), std::vector<asio::steady_timer*>{});
    return true;
}

void Store::end_fetch(std::string_view key) {
    const auto it = fetching_.find(key);
    if (it == fetching_.end()) return;
    for (auto* timer : it->second) timer->cancel();
    fetching_.erase(it);
}

awaitable<void> Store::wait_for_fetch(std::string_view key, std::chrono::milliseconds timeout) {
    const auto it = fetching_.find(key);
    if (it == fetching_.end()) co_return;
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    timer.expires_after(timeout);
    it->second.push_back(&timer);
    const std::string owned_key(key);  // the caller's view may not outlive the wait
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    // On a timeout the fetch is still running: stop being a waiter. After end_fetch the entry is gone.
    const auto still = fetching_.find(owned_key);
    if (still != fetching_.end()) std::erase(still->second, &timer);
}

}  // namespace gisgate::cache
