// The response cache's part of a request (see cache/store.hpp and cache/policy.hpp): lookup, coalescing of
// concurrent misses, revalidation of stale entries, serving hits, and keeping cacheable responses while they
// are relayed. Kept apart from session.cpp so the request path there reads as one story.
#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>

#include "cache/policy.hpp"
#include "http/chunked.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/session.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }


bool has_conditional(const http::RequestHead& head) {
    for (const auto& h : head.headers)
        if (iequals(h.name, "if-none-match") || iequals(h.name, "if-modified-since")) return true;
    return false;
}

void append_number(std::string& out, std::uint64_t n) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, r.ptr);
}

// Header lines a cache keeps from a response: end-to-end ones except framing (the body is kept de-chunked and
// re-framed), Age (recomputed) and the Date of a 304 (the stored one stays).
bool kept_header(std::string_view name, std::string_view connection) {
    if (is_hop_by_hop(name, connection)) return false;
    return !iequals(name, "content-length") && !iequals(name, "age") && !iequals(name, "x-cache");
}

// Header lines a 304 carries over from the stored response (RFC 9110 §15.4.5).
bool not_modified_header(std::string_view line) {
    const std::string_view name = line.substr(0, line.find(':'));
    return iequals(name, "etag") || iequals(name, "last-modified") || iequals(name, "cache-control") ||
           iequals(name, "expires") || iequals(name, "vary") || iequals(name, "date");
}

}  // namespace

awaitable<Session::CacheStep> Session::cache_before_forward() {
    // The cache state starts reset: fresh members, and cache_finish() after every request.
    const config::CacheConfig& config = *pool_->config().cache;
    if (!cache::path_matches_any(config, forward_path_)) co_return CacheStep{};
    cache_tagged_ = true;
    const cache::RequestUse use =
        head_.framing == http::BodyFraming::none ? cache::request_use(head_, config) : cache::RequestUse::bypass;
    if (use == cache::RequestUse::bypass) co_return CacheStep{};
    cache_ = runtime_->cache_store(pool_->name(), worker_.index());
    if (!cache_) co_return CacheStep{};

    // The key is what the server is asked for, plus the encoding class (responses that Vary on it).
    cache_key_.assign(forward_path_);
    if (!head_.query.empty()) cache_key_.append("?").append(head_.query);
    if (cache::accepts_gzip(head_)) cache_key_.append("\n+gzip");

    if (use == cache::RequestUse::lookup) {
        for (int round = 0; round < 2; ++round) {
            std::shared_ptr<const cache::Entry> entry = cache_->find(cache_key_);
            if (entry && unix_now() < entry->fresh_until) {
                cache_->stats().hits.fetch_add(1, std::memory_order_relaxed);
                const bool keep = co_await serve_cached(*entry);
                co_return CacheStep{true, keep};
            }
            cache_stale_ = std::move(entry);
            if (cache_->begin_fetch(cache_key_)) {
                cache_fetcher_ = true;
                break;
            }
            if (round == 1) break;  // waited once already: fetch without coalescing rather than wait again
            // Another request is fetching this key right now: wait for it instead of asking the server too.
            cache_->stats().coalesced.fetch_add(1, std::memory_order_relaxed);
            const std::chrono::milliseconds wait = settings_.server;  // the route's, else the pool's
            co_await cache_->wait_for_fetch(cache_key_, wait);
        }
    } else {
        cache_fetcher_ = cache_->begin_fetch(cache_key_);
    }
    cache_->stats().misses.fetch_add(1, std::memory_order_relaxed);

    // A stale entry with validators: ask the server whether it still holds (a 304 costs it almost nothing).
    // Only when the client sent no validators of its own, whose answer must reach the client unchanged.
    if (cache_stale_ && !has_conditional(head_) &&
        (!cache_stale_->etag.empty() || !cache_stale_->last_modified.empty())) {
        std::string lines;
        if (!cache_stale_->etag.empty()) lines.append("If-None-Match: ").append(cache_stale_->etag).append("\r\n");
        else lines.append("If-Modified-Since: ").append(cache_stale_->last_modified).append("\r\n");
        out_.insert(out_.size() - 2, lines);  // before the blank line that ends the head
        cache_revalidating_ = true;
    }
    co_return CacheStep{};
}

awaitable<bool> Session::serve_cached(const cache::Entry& entry) {
    log_server_ = "cache";
    const bool keep = request_keep_alive_possible() && !client_closed_;
    const bool unchanged = cache::not_modified(head_, entry.etag, entry.last_modified);
    const int status = unchanged ? 304 : entry.status;
    out_.clear();
    if (unchanged) {
        out_.append("HTTP/1.1 304 Not Modified\r\n");
        std::string_view lines = entry.headers;
        while (!lines.empty()) {
            const auto end = lines.find("\r\n");
            const std::string_view line = lines.substr(0, end + 2);
            if (not_modified_header(line)) out_.append(line);
            lines.remove_prefix(line.size());
        }
    } else {
        out_.append("HTTP/1.1 ");
        append_number(out_, static_cast<std::uint64_t>(entry.status));
        out_.append(" ").append(entry.reason).append("\r\n").append(entry.headers);
        out_.append("Content-Length: ");
        append_number(out_, entry.body.size());
        out_.append("\r\n");
    }
    out_.append("Age: ");
    append_number(out_, static_cast<std::uint64_t>(std::max<std::int64_t>(0, unix_now() - entry.stored_at)));
    out_.append("\r\nX-Cache: HIT\r\n");
    if (!keep) out_.append("Connection: close\r\n");
    else if (head_.version_minor == 0) out_.append("Connection: keep-alive\r\n");
    out_.append("\r\n");

    const bool with_body = !unchanged && head_.method != http::Method::head;
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_),
                                                    asio::buffer(entry.body.data(), with_body ? entry.body.size() : 0)};
    error_code ec;
    deadline_.arm(runtime_->config.timeouts.idle, kClientIo);
    bytes_sent_ += co_await asio::async_write(client_, buffers, ec_token(ec));
    deadline_.disarm();
    log_request(status);
    if (ec || !keep) co_return false;
    finish_request_in_buffer();
    co_return true;
}

bool Session::cache_on_response_head() {
    if (!cache_) return false;
    const std::int64_t now = unix_now();
    if (cache_revalidating_ && exchange_.response.status == 304 && cache_stale_) {
        // The server confirmed our stale copy: it is fresh again for the lifetime the 304 states (or the
        // original one when the 304 states none).
        http::ResponseHead as_ok = exchange_.response;
        as_ok.status = 200;
        const cache::ResponsePolicy policy = cache::response_policy(as_ok, now);
        const std::int64_t lifetime =
            policy.storable ? policy.fresh_for : cache_stale_->fresh_until - cache_stale_->stored_at;
        const std::int64_t fresh_until = now + std::max<std::int64_t>(0, lifetime);
        cache_->stats().revalidated.fetch_add(1, std::memory_order_relaxed);
        // While the store still holds the very entry cache_stale_ points to, refreshing it in place is all there
        // is to do; if it was evicted or replaced meanwhile, this request serves a refreshed copy of its own.
        const bool same_entry = cache_->find(cache_key_) == cache_stale_;
        if (!same_entry || !cache_->refresh(cache_key_, now, fresh_until)) {
            auto refreshed = std::make_shared<cache::Entry>(*cache_stale_);
            refreshed->stored_at = now;
            refreshed->fresh_until = fresh_until;
            cache_stale_ = std::move(refreshed);
        }
        return true;
    }
    if (head_.method != http::Method::get) return false;
    const cache::ResponsePolicy policy = cache::response_policy(exchange_.response, now);
    if (!policy.storable) {
        if (exchange_.response.status == 200) cache_->erase(cache_key_);  // the server no longer allows reuse
        return false;
    }
    if (exchange_.response.framing == http::BodyFraming::content_length && exchange_.response.content_length > cache_->max_object())
        return false;
    if (exchange_.response.until_close) return false;  // no reliable end: a cut body would look complete
    auto entry = std::make_shared<cache::Entry>();
    entry->key = cache_key_;
    entry->status = exchange_.response.status;
    entry->reason.assign(exchange_.response.reason);
    for (const auto& h : exchange_.response.headers) {
        if (!kept_header(h.name, exchange_.response.connection)) continue;
        entry->headers.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    entry->etag.assign(policy.etag);
    entry->last_modified.assign(policy.last_modified);
    entry->stored_at = now;
    entry->fresh_until = now + policy.fresh_for;
    if (exchange_.response.framing == http::BodyFraming::content_length)
        entry->body.reserve(static_cast<std::size_t>(exchange_.response.content_length));
    cache_pending_ = std::move(entry);
    cache_body_chunked_ = exchange_.response.framing == http::BodyFraming::chunked;
    cache_capturing_ = true;
    return false;
}

void Session::cache_capture(const char* data, std::size_t n) {
    if (!cache_capturing_) return;
    if (cache_pending_->body.size() + n > cache_->max_object()) {
        cache_capturing_ = false;  // too large to keep: relay only
        cache_pending_.reset();
        return;
    }
    cache_pending_->body.append(data, n);
}

void Session::cache_on_response_end(bool complete) {
    if (!cache_capturing_) return;
    cache_capturing_ = false;
    if (complete) {
        if (cache_body_chunked_) cache_pending_->body = http::dechunk(cache_pending_->body, cache_->max_object());
        cache_->insert(std::move(cache_pending_));
    }
    cache_pending_.reset();
}

void Session::cache_finish() {
    if (cache_ && cache_fetcher_) cache_->end_fetch(cache_key_);
    cache_fetcher_ = false;
    cache_capturing_ = false;
    cache_tagged_ = false;
    cache_revalidating_ = false;
    cache_pending_.reset();
    cache_stale_.reset();
    cache_ = nullptr;
}

}  // namespace gisgate::proxy
