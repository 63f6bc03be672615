#include "sim/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <vector>

#include "sim/cors.hpp"
#include "sim/handlers.hpp"
#include "sim/stream_session.hpp"

namespace gisgate::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kIdleTimeout = 120s;  // keep-alive idle, and per read/write progress
constexpr std::uint64_t kBodyLimit = 16 * 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 256 * 1024;  // ArcGIS GET URLs carry geometries: allow long targets
constexpr std::size_t kChunkSize = 64 * 1024;       // streamed image chunk

auto redirect(beast::error_code& ec) {
    return asio::redirect_error(asio::use_awaitable, ec);
}

using RequestParser = http::request_parser<http::string_body>;

SimRequest make_request(const http::request<http::string_body>& msg) {
    SimRequest r;
    r.method = std::string(msg.method_string());
    r.head = msg.method() == http::verb::head;
    r.target = std::string(msg.target());
    auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.segments = split_path(r.path);
    if (q != std::string::npos)
        parse_form(std::string_view(r.target).substr(q + 1), r.params);
    std::string type(msg[http::field::content_type]);
    if (type.size() >= 33 && iequals(std::string_view(type).substr(0, 33), "application/x-www-form-urlencoded"))
        parse_form(msg.body(), r.params);
    r.host = std::string(msg[http::field::host]);
    r.if_none_match = std::string(msg[http::field::if_none_match]);
    for (const auto& field : msg) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    r.body = msg.body();
    return r;
}

bool accepts_gzip(const http::request<http::string_body>& msg) {
    std::string ae = to_lower(std::string(msg[http::field::accept_encoding]));
    auto pos = ae.find("gzip");
    if (pos == std::string::npos)
        return false;
    // "gzip;q=0" refuses it.
    auto end = ae.find(',', pos);
    std::string item = ae.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    return item.find("q=0") == std::string::npos || item.find("q=0.") != std::string::npos;
}

template <class Message>
void common_headers(Message& res, const Site& site) {
    res.set(http::field::server, "gisgate-sim");
    res.set("X-Gisgate-Sim-Site", site.options.name);
    res.set("X-Gisgate-Sim-Tint", site.tint);
}

// Writes a reply; returns whether the connection may serve another request. `io` is the connection's stream
// or the TLS stream over it; timeouts are kept on conn.stream either way.
template <class Io>
asio::awaitable<bool> write_reply(Connection& conn, Io& io, const Site& site, const SimRequest& req, Reply& reply,
                                  unsigned version, bool keep_alive, bool gzip_ok) {
    auto& stream = conn.stream;
    beast::error_code ec;
    auto status = static_cast<http::status>(reply.status);
    stream.expires_after(kIdleTimeout);

    if (!reply.image) {
        http::response<http::string_body> res{status, version};
        common_headers(res, site);
        if (!reply.content_type.empty())
            res.set(http::field::content_type, reply.content_type);
        for (const auto& [name, value] : reply.headers) res.insert(name, value);
        if (reply.compressible) {
            const auto vary = res[http::field::vary];  // e.g. "Origin" from the CORS headers
            res.set(http::field::vary, vary.empty() ? std::string("Accept-Encoding")
                                                    : std::string(vary) + ", Accept-Encoding");
            std::string zipped;
            if (gzip_ok && reply.body.size() >= site.options.gzip_min_bytes && gzip_compress(reply.body, zipped)) {
                reply.body = std::move(zipped);
                res.set(http::field::content_encoding, "gzip");
            }
        }
        res.keep_alive(keep_alive);
        bool bodiless_status = reply.status < 200 || reply.status == 204 || reply.status == 304;
        if (req.head || bodiless_status) {
            // The head a GET would get (same Content-Length), without the body.
            http::response<http::empty_body> head{std::move(res.base())};
            if (!bodiless_status)
                head.content_length(reply.body.size());
            co_await http::async_write(io, head, redirect(ec));
        } else {
            res.body() = std::move(reply.body);
            res.prepare_payload();
            co_await http::async_write(io, res, redirect(ec));
        }
        co_return !ec && keep_alive;
    }

    // A generated image: streamed in chunks so a 48 MB export never sits in memory. HTTP/1.0 has no
    // chunked encoding, so such a client gets a body delimited by the connection closing.
    bool chunked = version >= 11;
    if (!chunked)
        keep_alive = false;
    http::response<http::empty_body> res{status, version};
    common_headers(res, site);
    res.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    res.keep_alive(keep_alive);
    if (chunked)
        res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(io, sr, redirect(ec));
    if (ec)
        co_return false;
    if (req.head)
        co_return keep_alive;
    ImageGenerator gen(*reply.image);
    std::vector<char> chunk(kChunkSize);
    // Chunk framings are named locals, never temporaries in the co_await expression: GCC 12 destroys such
    // temporaries twice (and a chunk header owns a shared_ptr).
    while (!gen.done()) {
        std::size_t n = gen.next(chunk);
        stream.expires_after(kIdleTimeout);
        asio::const_buffer data(chunk.data(), n);
        if (chunked) {
            auto framed = http::make_chunk(data);
            co_await asio::async_write(io, framed, redirect(ec));
        } else {
            co_await asio::async_write(io, data, redirect(ec));
        }
        if (ec)
            co_return false;
    }
    if (chunked) {
        auto last = http::make_chunk_last();
        co_await asio::async_write(io, last, redirect(ec));
    }
    co_return !ec && keep_alive;
}

// The CPU time a request costs under the CPU model: an export's size-based cost, a GP execute's
// --execute-time, else --request-cost.
std::chrono::nanoseconds cpu_cost(const Site& site, const Reply& reply) {
    if (reply.cpu_cost.count() > 0)
        return reply.cpu_cost;
    if (reply.work.count() > 0)
        return reply.work;
    return site.options.request_cost;
}

// A plain error for requests that could not be parsed; the connection ends after it.
// `text` is a plain pointer so callers build no temporary std::string inside co_await (GCC 12 bug).
template <class Io>
asio::awaitable<void> write_protocol_error(Connection& conn, Io& io, const Site& site, http::status status,
                                           const char* text) {
    http::response<http::string_body> res{status, 11};
    common_headers(res, site);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(false);
    res.body() = text;
    res.prepare_payload();
    beast::error_code ec;
    conn.stream.expires_after(5s);
    co_await http::async_write(io, res, redirect(ec));
}

// Fault "hang": keep reading (and dropping) whatever the client sends, never answer.
template <class Io>
asio::awaitable<void> hang(Connection& conn, Io& io) {
    conn.stream.expires_never();
    std::vector<char> sink(16 * 1024);
    beast::error_code ec;
    while (!ec) co_await io.async_read_some(asio::buffer(sink), redirect(ec));
}

}  // namespace

void Connection::close() {
    if (on_close) {
        auto hook = std::exchange(on_close, nullptr);
        hook();
        return;
    }
    abort();
}

void Connection::abort() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
    timer.cancel();
}

template <class Io>
asio::awaitable<void> serve_on(Site& site, Connection& connection, Io& io) {
    Connection* conn = &connection;
    auto& stream = conn->stream;
    beast::flat_buffer buffer;
    for (;;) {
        beast::error_code ec;
        RequestParser parser;
        parser.body_limit(kBodyLimit);
        parser.header_limit(kHeaderLimit);
        stream.expires_after(kIdleTimeout);
        co_await http::async_read_header(io, buffer, parser, redirect(ec));
        if (ec) {
            if (ec == http::error::header_limit)
                co_await write_protocol_error(*conn, io, site, http::status::request_header_fields_too_large,
                                              "Request header too large\n");
            else if (ec == http::error::body_limit)  // a Content-Length over the limit fails the head already
                co_await write_protocol_error(*conn, io, site, http::status::payload_too_large, "Request body too large\n");
            else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                     ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
                     ec != asio::error::eof)
                co_await write_protocol_error(*conn, io, site, http::status::bad_request, "Bad request\n");
            co_return;
        }
        auto started = std::chrono::steady_clock::now();
        std::string target(parser.get().target());
        std::string path = target.substr(0, target.find('?'));
        bool control = is_sim_control_path(path);
        Fault fault = control ? Fault{} : site.faults.get();
        if (!control)
            ++site.requests;
        bool expect_continue = iequals(std::string(parser.get()[http::field::expect]), "100-continue");

        if (fault.mode == FaultMode::hang) {
            co_await hang(*conn, io);
            co_return;
        }
        if (fault.mode == FaultMode::close) {
            // Read an announced body first so closing sends a FIN, not a reset for unread data.
            if (!expect_continue && !parser.is_done()) {
                stream.expires_after(5s);
                co_await http::async_read(io, buffer, parser, redirect(ec));
            }
            conn->close();
            co_return;
        }
        if (expect_continue && !parser.is_done()) {
            http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
            co_await http::async_write(io, cont, redirect(ec));
            if (ec)
                co_return;
        }
        if (!parser.is_done()) {
            co_await http::async_read(io, buffer, parser, redirect(ec));
            if (ec == http::error::body_limit) {
                co_await write_protocol_error(*conn, io, site, http::status::payload_too_large, "Request body too large\n");
                co_return;
            }
            if (ec)
                co_return;
        }
        const auto& msg = parser.get();
        SimRequest req = make_request(msg);
        // A WebSocket upgrade to a StreamServer's subscribe URL becomes a subscription (stream_session.hpp). It is
        // not work for a service instance and lives as long as the subscriber: no permit, not counted as active.
        const Service* stream_service =
            !control && beast::websocket::is_upgrade(msg) ? stream_subscribe_target(site, req.segments) : nullptr;
        Reply reply;
        AsyncSemaphore::Permit permit;  // held until the response is written, like a busy service instance
        const bool counted = !control && !is_healthcheck_path(path) && !stream_service;
        if (counted) site.start_handling();
        if (fault.mode == FaultMode::error) {
            reply = site.options.role == SimRole::portal && is_portal_healthcheck_path(path)
                        ? portal_unavailable()
                        : arcgis_error(500, "Simulated failure (fault mode 'error')", 500);
        } else {
            if (counted) {
                // Initialised directly from co_await, so no temporary Permit (see the GCC 12 note above).
                AsyncSemaphore::Permit acquired = co_await site.instances.acquire();
                if (!acquired) {
                    site.handling.fetch_sub(1);
                    co_return;  // the site is stopping
                }
                permit = std::move(acquired);
            }
            if (fault.mode == FaultMode::slow) {
                conn->timer.expires_after(fault.delay);
                co_await conn->timer.async_wait(redirect(ec));
                if (ec) {
                    if (counted) site.handling.fetch_sub(1);
                    co_return;  // cancelled: the site is stopping
                }
            }
            const bool gated = site.options.auth_ntlm && !control && !is_healthcheck_path(path);
            std::optional<Reply> refused;
            if (gated) {
                const auto authorization = msg[http::field::authorization];
                refused = ntlm_gate(conn->auth, std::string_view(authorization.data(), authorization.size()));
            }
            if (refused) {
                reply = std::move(*refused);
            } else if (stream_service) {
                if (auto interval = stream_interval(site, req)) {
                    StreamSubscription subscription{stream_service, *interval, gated ? conn->auth.user : std::string()};
                    co_await serve_stream(site, *conn, io, msg, subscription);
                    co_return;  // the connection ends with the subscription
                }
                reply = arcgis_error(400, "Invalid interval_ms", 400, {"interval_ms must be a number of milliseconds"});
            } else {
                try {
                    reply = route(site, req);
                } catch (const std::exception& e) {
                    reply = arcgis_error(500, std::string("Internal error: ") + e.what(), 500);
                }
                if (counted && site.cpu.enabled()) {
                    // The CPU model: the request shares the site's cores with the others running (cpu.hpp).
                    const bool finished = co_await site.cpu.run(cpu_cost(site, reply));
                    if (!finished) {
                        site.handling.fetch_sub(1);
                        co_return;  // the site is stopping
                    }
                } else if (reply.work.count() > 0 && counted) {  // the instance works on it (--execute-time)
                    conn->timer.expires_after(reply.work);
                    co_await conn->timer.async_wait(redirect(ec));
                    if (ec) {
                        site.handling.fetch_sub(1);
                        co_return;  // cancelled: the site is stopping
                    }
                }
                if (gated) reply.headers.emplace_back("X-Gisgate-Sim-User", conn->auth.user);
            }
        }
        add_cors_headers(site.options.allowed_origins, req, reply);
        unsigned status = reply.status;
        if (counted) site.handling.fetch_sub(1);
        bool again = co_await write_reply(*conn, io, site, req, reply, msg.version(), msg.keep_alive(), accepts_gzip(msg));
        permit.reset();
        if (spdlog::should_log(spdlog::level::debug))
            spdlog::debug(
                "sim {}: {} {} -> {} ({} us)", site.options.name, req.method, req.target, status,
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                    .count());
        if (!again) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

asio::awaitable<void> serve_connection(Site& site, Connection& conn, asio::ssl::context* tls) {
    if (!tls) {
        co_await serve_on(site, conn, conn.stream);
        co_return;
    }
    // HTTPS, like a GIS server's own port 6443: the TLS layer runs over the same stream, so its timeouts and
    // close() apply unchanged.
    asio::ssl::stream<beast::tcp_stream&> stream(conn.stream, *tls);
    beast::error_code ec;
    conn.stream.expires_after(10s);
    co_await stream.async_handshake(asio::ssl::stream_base::server, redirect(ec));
    if (ec) {
        spdlog::debug("sim {}: TLS handshake failed: {}", site.options.name, ec.message());
        co_return;
    }
    co_await serve_on(site, conn, stream);
}

}  // namespace gisgate::sim
