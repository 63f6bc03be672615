// Responding with the server's answer: the head (Location rewritten back to the public URL, the sticky cookie,
// X-Cache) and the body streamed through the exchange's buffer, de-chunked for an HTTP/1.0 client; then the
// server connection goes back to the pool, to the client's private connections, or is closed.
#include "proxy/session.hpp"

#include <spdlog/spdlog.h>

#include "h2/stream_channel.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/location_rewrite.hpp"
#include "proxy/private_connection.hpp"
#include "proxy/sticky.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

awaitable<bool> Session::relay_response() {
    if (exchange_.response.status == 101) co_return co_await tunnel();  // read_head() accepted the upgrade
    if (cache_.tagged() && cache_.on_response_head(exchange_.response, head_.method, runtime_->config.tracing.request_id_header)) {
        // The server's 304 to our revalidation: nothing to relay, answer from the refreshed entry.
        exchange_.begin += exchange_.response.head_size;
        release_upstream(exchange_.response.keep_alive && !exchange_.response.until_close && request_body_.done() &&
                         exchange_.begin == exchange_.end);
        const std::shared_ptr<const cache::Entry> entry = cache_.refreshed();
        co_return co_await serve_cached(*entry);
    }
    // The server asks for (or continues) an NTLM/Negotiate handshake: this connection is now this client's.
    if (!private_exchange_ && response_binds_connection(exchange_.response)) private_exchange_ = true;
    const auto server_timeout = settings_.server;
    const auto client_timeout = runtime_->config.timeouts.idle;
    const int status = exchange_.response.status;
    exchange_.body.start(exchange_.response.framing, exchange_.response.content_length, exchange_.response.until_close);
    // An HTTP/1.0 client cannot read the chunked coding (RFC 9112 §6.1): it gets the chunk data only, delimited
    // by closing the connection, as NGINX and HAProxy do. (A compliant server does not send chunked to the
    // HTTP/1.0 request gisgate forwards for such a client; this covers the ones that do.)
    const bool dechunk = exchange_.response.framing == http::BodyFraming::chunked && head_.version_minor == 0;
    dechunker_.reset();
    const bool keep_client =
        request_keep_alive_possible() && !exchange_.response.until_close && !client_closed_ && !dechunk;
    // Redirects that point at the server's own host or context follow the public URL instead.
    const config::RouteConfig* rc = route_ ? route_->config : nullptr;
    std::string server_authority;
    LocationRewrite location;
    // Only a response that carries such a header pays for the server's address text (most do not).
    const auto names_location = [&] {
        for (const auto& h : exchange_.response.headers)
            if (iequals(h.name, "location") || iequals(h.name, "content-location") || iequals(h.name, "refresh"))
                return true;
        return false;
    };
    const bool rewrite_location = rc && rc->rewrite_location && (rc->rewrite || rc->host) && names_location();
    if (rewrite_location) {
        server_authority = server_->address.to_string();
        location = {rc->rewrite ? std::string_view(*rc->rewrite) : std::string_view{}, rc->prefix, server_authority,
                    rc->host ? std::string_view(*rc->host) : std::string_view{}, head_.host,
                    client_.secure() ? "https" : "http"};
    }
    // What gisgate adds to the server's fields: the sticky cookie and the cache's verdict.
    std::string cookie;
    if (set_sticky_cookie_)
        cookie =
            pool_->config().sticky_cookie + "=" + sticky_token(pool_->name(), server_->name) + "; Path=/; HttpOnly";
    const std::array<OwnField, 2> extra{OwnField{"Set-Cookie", cookie},
                                        OwnField{"X-Cache", cache_.tagged() ? "MISS" : ""}};
    const ResponseRewrite rewrite{rewrite_location ? &location : nullptr, dechunk, request_id_field(), extra};
    error_code ec;
    if (h2::StreamChannel* stream = client_.h2_stream()) {
        // An HTTP/2 stream takes the head as fields: no HTTP/1.1 text to write and parse again.
        out_.clear();
        h2::ResponseFields& fields = stream->response_fields();
        // Room for the server's fields and what gisgate adds (rewritten URLs, the request id, the cookie).
        fields.start(status, exchange_.response.head_size + cookie.size() + 512,
                     exchange_.response.headers.size() + 4);
        std::string rewritten;
        for_each_response_field(exchange_.response, rewrite, rewritten,
                                [&](std::string_view name, std::string_view value) { fields.add(name, value); });
        if (!stream->take_final_head(exchange_.response)) ec = asio::error::connection_reset;
    } else {
        write_response_head(exchange_.response, keep_client, head_.version_minor, out_, rewrite);
    }
    const bool upstream_keep = exchange_.response.keep_alive && !exchange_.response.until_close;
    // A submitJob answer names the new job, an upload answer the new item: its body tells which server owns it.
    const auto& affinity = pool_->config();
    if (gis_.upload_item && affinity.upload_affinity.enabled && status == 200)
        owner_capture_.begin(runtime_->upload_table(pool_->name()), exchange_.response,
                             OwnerCapture::Created::upload_item);
    else
        owner_capture_.begin(affinity.job_affinity.enabled && gis_.submit_job && status == 200
                                 ? runtime_->job_table(pool_->name())
                                 : nullptr,
                             exchange_.response);
    // The owner is recorded as soon as the body is whole, before its last bytes go to the client: a client that
    // polls the new job (or uses the new item) the moment it reads the answer, on another connection and maybe
    // another worker, must find the owner already known.
    auto end_owner_capture = [&](bool complete) {
        if (!owner_capture_.active()) return;
        if (const auto id = owner_capture_.end(complete, server_->name))
            spdlog::debug("pool {}: {} {} created on server {}", pool_->name(),
                          gis_.upload_item ? "upload item" : "job", *id, server_->name);
    };
    auto capture = [&](const char* data, std::size_t n) {
        owner_capture_.append(data, n);
        cache_.capture(data, n);
        if (exchange_.body.done()) end_owner_capture(true);
    };

    // What of `n` raw body bytes at `data` goes to the client: the bytes, or their chunk data when dechunking.
    auto client_bytes = [&](const char* data, std::size_t n) {
        if (!dechunk) return asio::const_buffer(data, n);
        dechunked_.clear();
        dechunker_.feed({data, n}, &dechunked_);
        return asio::const_buffer(dechunked_.data(), dechunked_.size());
    };

    exchange_.begin += exchange_.response.head_size;  // the response head's views are not used after this point
    const char* body_start = exchange_.buf.get() + exchange_.begin;
    std::size_t take = exchange_.body.take(exchange_.buffered());
    capture(body_start, take);
    const std::array<asio::const_buffer, 2> first{asio::buffer(out_), client_bytes(body_start, take)};
    std::size_t sent = ec ? 0 : client_.write_now(first, ec);
    if (!ec && sent < asio::buffer_size(first))
        sent += co_await write_rest(client_, first, sent, client_timeout, kClientIo, ec);
    bytes_sent_ += sent;
    exchange_.begin += take;
    if (ec) {
        release_upstream(false);
        log_request(status);
        co_return false;
    }

    while (!exchange_.body.done() && !exchange_.body.error()) {
        if (exchange_.begin < exchange_.end) {
            // Bytes beyond the body in the buffer while the body is not done cannot happen; guard anyway.
            break;
        }
        deadline_.arm(server_timeout, kServer);
        const std::size_t n = co_await exchange_.connection->socket.async_read_some(
            asio::buffer(exchange_.buf.get(), kBlock), ec_token(ec));
        deadline_.disarm();
        if (ec) {
            if (ec == asio::error::eof) exchange_.body.on_eof();
            break;
        }
        exchange_.begin = 0;
        exchange_.end = n;
        take = exchange_.body.take({exchange_.buf.get(), n});
        capture(exchange_.buf.get(), take);
        const asio::const_buffer out = client_bytes(exchange_.buf.get(), take);
        sent = client_.write_now(out, ec);
        if (!ec && sent < out.size()) sent += co_await write_rest(client_, out, sent, client_timeout, kClientIo, ec);
        bytes_sent_ += sent;
        exchange_.begin = take;
        if (ec) break;
    }

    const bool complete = exchange_.body.done() && !ec;
    cache_.on_response_end(complete);
    end_owner_capture(complete);  // a body cut short: nothing is recorded
    if (!complete && !exchange_.body.done()) {
        spdlog::warn("pool {}: response from server {} cut short ({})", pool_->name(), server_->name,
                     exchange_.body.error() ? exchange_.body.error() : ec.message());
    }
    // Reuse the server connection only for a cleanly ended exchange with nothing unexpected left over: bytes
    // past the end of the response (more than Content-Length, or anything after a body-less answer) are
    // never read as the next response.
    if (complete && exchange_.begin != exchange_.end)
        spdlog::warn("pool {}: server {} sent {} bytes after its complete response: connection closed, bytes dropped",
                     pool_->name(), server_->name, exchange_.end - exchange_.begin);
    release_upstream(complete && upstream_keep && request_body_.done() && exchange_.begin == exchange_.end);
    log_request(status);
    if (!exchange_.body.done() || ec) co_return false;
    finish_request_in_buffer();
    co_return keep_client;
}

// Advances the client buffer past the finished request; what remains is the next pipelined request.
void Session::finish_request_in_buffer() {
    if (!body_streamed_) begin_ += head_.head_size + body_in_buffer_;
    if (begin_ >= end_) begin_ = end_ = 0;
}

}  // namespace gisgate::proxy
