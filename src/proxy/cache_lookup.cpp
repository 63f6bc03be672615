#include "proxy/cache_lookup.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "cache/policy.hpp"
#include "http/chunked.hpp"
#include "proxy/head_writer.hpp"

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
bool kept_header(std::string_view name, std::string_view connection, std::string_view request_id_header) {
    if (is_hop_by_hop(name, connection)) return false;
    // A request id or trace context a server echoed belongs to the request that filled the entry, not to the hits
    // (each hit gets its own id: cached_response_head), whatever header name tracing.request_id configures.
    return !iequals(name, "content-length") && !iequals(name, "age") && !iequals(name, "x-cache") &&
           !iequals(name, "x-request-id") && !iequals(name, request_id_header) && !iequals(name, "traceparent") &&
           !iequals(name, "tracestate");
}

// Header lines a 304 carries over from the stored response (RFC 9110 §15.4.5).
bool not_modified_header(std::string_view line) {
    const std::string_view name = line.substr(0, line.find(':'));
    return iequals(name, "etag") || iequals(name, "last-modified") || iequals(name, "cache-control") ||
           iequals(name, "expires") || iequals(name, "vary") || iequals(name, "date");
}

}  // namespace

bool CacheLookup::begin(const config::CacheConfig& config, std::shared_ptr<cache::Store> store,
                        const http::RequestHead& head, std::string_view forward_path) {
    if (!cache::path_matches_any(config, forward_path)) return false;
    tagged_ = true;
    const cache::RequestUse use =
        head.framing == http::BodyFraming::none ? cache::request_use(head, config) : cache::RequestUse::bypass;
    if (use == cache::RequestUse::bypass || !store) return false;
    store_ = std::move(store);
    lookup_ = use == cache::RequestUse::lookup;
    // The key is what the server is asked for, plus the encoding class (responses that Vary on it).
    key_.assign(forward_path);
    if (!head.query.empty()) key_.append("?").append(head.query);
    if (cache::accepts_gzip(head)) key_.append("\n+gzip");
    return true;
}

awaitable<std::shared_ptr<const cache::Entry>> CacheLookup::lookup(const http::RequestHead& head,
                                                                    std::chrono::milliseconds wait,
                                                                    std::string& request_head) {
    if (lookup_) {
        for (int round = 0; round < 2; ++round) {
            std::shared_ptr<const cache::Entry> entry = store_->find(key_);
            if (entry && unix_now() < entry->fresh_until) {
                store_->stats().hits.fetch_add(1, std::memory_order_relaxed);
                co_return entry;
            }
            stale_ = std::move(entry);
            if (store_->begin_fetch(key_)) {
                fetcher_ = true;
                break;
            }
            if (round == 1) break;  // waited once already: fetch without coalescing rather than wait again
            // Another request is fetching this key right now: wait for it instead of asking the server too.
            store_->stats().coalesced.fetch_add(1, std::memory_order_relaxed);
            co_await store_->wait_for_fetch(key_, wait);
        }
    } else {
        fetcher_ = store_->begin_fetch(key_);
    }
    store_->stats().misses.fetch_add(1, std::memory_order_relaxed);

    // A stale entry with validators: ask the server whether it still holds (a 304 costs it almost nothing).
    // Only when the client sent no validators of its own, whose answer must reach the client unchanged.
    if (stale_ && !has_conditional(head) && (!stale_->etag.empty() || !stale_->last_modified.empty())) {
        std::string lines;
        if (!stale_->etag.empty()) lines.append("If-None-Match: ").append(stale_->etag).append("\r\n");
        else lines.append("If-Modified-Since: ").append(stale_->last_modified).append("\r\n");
        request_head.insert(request_head.size() - 2, lines);  // before the blank line that ends the head
        revalidating_ = true;
    }
    co_return nullptr;
}

bool CacheLookup::on_response_head(const http::ResponseHead& response, http::Method method,
                                   std::string_view request_id_header) {
    if (!store_) return false;
    const std::int64_t now = unix_now();
    if (revalidating_ && response.status == 304 && stale_) {
        // The server confirmed our stale copy: it is fresh again for the lifetime the 304 states (or the
        // original one when the 304 states none).
        http::ResponseHead as_ok = response;
        as_ok.status = 200;
        const cache::ResponsePolicy policy = cache::response_policy(as_ok, now);
        const std::int64_t lifetime = policy.storable ? policy.fresh_for : stale_->fresh_until - stale_->stored_at;
        const std::int64_t fresh_until = now + std::max<std::int64_t>(0, lifetime);
        store_->stats().revalidated.fetch_add(1, std::memory_order_relaxed);
        // While the store still holds the very entry stale_ points to, refreshing it in place is all there is
        // to do; if it was evicted or replaced meanwhile, this request serves a refreshed copy of its own.
        const bool same_entry = store_->find(key_) == stale_;
        if (!same_entry || !store_->refresh(key_, now, fresh_until)) {
            auto refreshed = std::make_shared<cache::Entry>(*stale_);
            refreshed->stored_at = now;
            refreshed->fresh_until = fresh_until;
            stale_ = std::move(refreshed);
        }
        return true;
    }
    if (method != http::Method::get) return false;
    const cache::ResponsePolicy policy = cache::response_policy(response, now);
    if (!policy.storable) {
        if (response.status == 200) store_->erase(key_);  // the server no longer allows reuse
        return false;
    }
    if (response.framing == http::BodyFraming::content_length && response.content_length > store_->max_object())
        return false;
    if (response.until_close) return false;  // no reliable end: a cut body would look complete
    auto entry = std::make_shared<cache::Entry>();
    entry->key = key_;
    entry->status = response.status;
    entry->reason.assign(response.reason);
    for (const auto& h : response.headers) {
        if (!kept_header(h.name, response.connection, request_id_header)) continue;
        entry->headers.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    entry->etag.assign(policy.etag);
    entry->last_modified.assign(policy.last_modified);
    entry->stored_at = now;
    entry->fresh_until = now + policy.fresh_for;
    if (response.framing == http::BodyFraming::content_length)
        entry->body.reserve(static_cast<std::size_t>(response.content_length));
    pending_ = std::move(entry);
    body_chunked_ = response.framing == http::BodyFraming::chunked;
    capturing_ = true;
    return false;
}

void CacheLookup::capture(const char* data, std::size_t n) {
    if (!capturing_) return;
    if (pending_->body.size() + n > store_->max_object()) {
        capturing_ = false;  // too large to keep: relay only
        pending_.reset();
        return;
    }
    pending_->body.append(data, n);
}

void CacheLookup::on_response_end(bool complete) {
    if (!capturing_) return;
    capturing_ = false;
    if (complete) {
        if (body_chunked_) pending_->body = http::dechunk(pending_->body, store_->max_object());
        store_->insert(std::move(pending_));
    }
    pending_.reset();
}

void CacheLookup::finish() {
    if (store_ && fetcher_) store_->end_fetch(key_);
    fetcher_ = false;
    capturing_ = false;
    tagged_ = false;
    revalidating_ = false;
    lookup_ = false;
    pending_.reset();
    stale_.reset();
    store_.reset();
}

int cached_response_head(const cache::Entry& entry, const http::RequestHead& request, bool keep, std::int64_t now,
                         std::string& out, std::string_view request_id_name, std::string_view request_id_value) {
    const bool unchanged = cache::not_modified(request, entry.etag, entry.last_modified);
    out.clear();
    if (unchanged) {
        out.append("HTTP/1.1 304 Not Modified\r\n");
        std::string_view lines = entry.headers;
        while (!lines.empty()) {
            const auto end = lines.find("\r\n");
            const std::string_view line = lines.substr(0, end + 2);
            if (not_modified_header(line)) out.append(line);
            lines.remove_prefix(line.size());
        }
    } else {
        out.append("HTTP/1.1 ");
        append_number(out, static_cast<std::uint64_t>(entry.status));
        out.append(" ").append(entry.reason).append("\r\n").append(entry.headers);
        out.append("Content-Length: ");
        append_number(out, entry.body.size());
        out.append("\r\n");
    }
    out.append("Age: ");
    append_number(out, static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - entry.stored_at)));
    out.append("\r\nX-Cache: HIT\r\n");
    if (!request_id_value.empty()) out.append(request_id_name).append(": ").append(request_id_value).append("\r\n");
    if (!keep) out.append("Connection: close\r\n");
    else if (request.version_minor == 0) out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
    return unchanged ? 304 : entry.status;
}

}  // namespace gisgate::proxy
