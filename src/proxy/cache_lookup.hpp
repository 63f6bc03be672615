// The response cache's part of one request (see cache/store.hpp and cache/policy.hpp), as an object that owns
// its state: whether the path is a cached one, the key, the lookup with coalescing of concurrent misses, the
// revalidation of a stale entry, and keeping a cacheable response while it is relayed. The session asks it at
// three points — before forwarding, on the response head, on each body piece — and never sees its fields.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cache/store.hpp"
#include "config/config.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::proxy {

class CacheLookup {
public:
    CacheLookup() = default;
    CacheLookup(const CacheLookup&) = delete;
    CacheLookup& operator=(const CacheLookup&) = delete;
    ~CacheLookup() { finish(); }

    // A request for `forward_path` on a pool with this cache config and this worker's `store` for it (null when
    // there is none): true when the cache takes part in the request (then call lookup()). Whether it does or
    // not, tagged() says if the answer carries X-Cache.
    bool begin(const config::CacheConfig& config, std::shared_ptr<cache::Store> store, const http::RequestHead& head,
               std::string_view forward_path);
    bool tagged() const { return tagged_; }

    // Looks the request up: the fresh entry to answer with, or null to go to the server. Concurrent misses of one
    // key wait up to `wait` for the first one's fetch. For a stale entry with validators (and a client that sent
    // none), adds If-None-Match or If-Modified-Since to `request_head` (a complete head, blank line included).
    awaitable<std::shared_ptr<const cache::Entry>> lookup(const http::RequestHead& head, std::chrono::milliseconds wait,
                                                          std::string& request_head);

    // The server's response head. True when it is the 304 to our own revalidation: answer with refreshed().
    // Otherwise a storable answer to a GET starts being kept (capture() then on_response_end()).
    // `request_id_header` (tracing.request_id, may be empty): a server's field of that name is not stored.
    bool on_response_head(const http::ResponseHead& response, http::Method method, std::string_view request_id_header);
    const std::shared_ptr<const cache::Entry>& refreshed() const { return stale_; }
    void capture(const char* data, std::size_t n);
    void on_response_end(bool complete);

    // End of the request: wakes requests waiting for this one's fetch and resets for the next request.
    void finish();

private:
    std::shared_ptr<cache::Store> store_;  // null when the request does not use a cache
    std::string key_;
    bool tagged_ = false;        // answer carries X-Cache (the path is a cached one)
    bool lookup_ = false;        // may be answered from the cache (else: a client's reload, fetch and store)
    bool fetcher_ = false;       // this request fetches key_ for waiting ones
    bool revalidating_ = false;  // our own If-None-Match / If-Modified-Since went to the server
    bool capturing_ = false;
    bool body_chunked_ = false;
    std::shared_ptr<const cache::Entry> stale_;
    std::shared_ptr<cache::Entry> pending_;  // the response being kept, filled while it is relayed
};

// The head of an answer from the cache for `request`: the entry's, or a 304 when the request's validators match
// it; with Age, X-Cache: HIT, this request's `request_id` field (when set) and the connection's keep-alive
// verdict. Returns the status sent.
int cached_response_head(const cache::Entry& entry, const http::RequestHead& request, bool keep, std::int64_t now,
                         std::string& out, std::string_view request_id_name = {},
                         std::string_view request_id_value = {});

}  // namespace gisgate::proxy
