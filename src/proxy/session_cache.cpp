// The response cache's part of a request on the session's side: ask the request's CacheLookup
// (proxy/cache_lookup.hpp) before forwarding, and write an answer from the cache to the client.
#include <ctime>

#include "proxy/session.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

awaitable<Session::CacheStep> Session::cache_before_forward() {
    if (!cache_.begin(*pool_->config().cache, worker_.caches().find(pool_->name()), head_, forward_path_))
        co_return CacheStep{};
    const std::chrono::milliseconds wait = settings_.server;  // the route's, else the pool's
    const std::shared_ptr<const cache::Entry> hit = co_await cache_.lookup(head_, wait, out_);
    if (!hit) co_return CacheStep{};
    const bool keep = co_await serve_cached(*hit);
    co_return CacheStep{true, keep};
}

awaitable<bool> Session::serve_cached(const cache::Entry& entry) {
    log_server_ = "cache";
    const bool keep = request_keep_alive_possible() && !client_closed_;
    const int status =
        cached_response_head(entry, head_, keep, static_cast<std::int64_t>(std::time(nullptr)), out_,
                             request_id_field().name, request_id_field().value);
    const bool with_body = status != 304 && head_.method != http::Method::head;
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_),
                                                    asio::buffer(entry.body.data(), with_body ? entry.body.size() : 0)};
    error_code ec;
    std::size_t sent = client_.write_now(buffers, ec);
    if (!ec && sent < asio::buffer_size(buffers))
        sent += co_await write_rest(client_, buffers, sent, runtime_->config.timeouts.idle, kClientIo, ec);
    bytes_sent_ += sent;
    log_request(status);
    if (ec || !keep) co_return false;
    finish_request_in_buffer();
    co_return true;
}

}  // namespace gisgate::proxy
