// AdminServer: the acceptor and the per-connection HTTP/1.1 loop (Beast). Access control and routing are in
// auth.cpp and router.cpp; this file only moves bytes, applies limits and timeouts, and writes replies.
//
// Lifetime: everything the coroutines touch lives in a shared State that each coroutine holds, so stop() can
// post the closing to the strand and return, and the AdminServer can be destroyed before the io_context has
// run that work. All socket and connection-set access happens on one strand; the access rules (which
// update() may swap from any thread) are behind a mutex.
#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "admin/auth.hpp"
#include "admin/dashboard.hpp"
#include "admin/router.hpp"

namespace gisgate::admin {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

constexpr auto kIdleTimeout = 30s;               // keep-alive idle, and per read/write progress
constexpr std::uint64_t kBodyLimit = 1 << 20;    // 1 MiB: bodies are a few small JSON fields
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

auto redirect(error_code& ec) {
    return asio::redirect_error(use_awaitable, ec);
}

std::string format_endpoint(const tcp::endpoint& ep) {
    const auto address = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

tcp::endpoint resolve_bind(const config::Endpoint& bind) {
    error_code ec;
    const auto address = asio::ip::make_address(bind.host, ec);
    if (!ec) return {address, bind.port};
    asio::io_context context;
    tcp::resolver resolver(context);
    const auto results = resolver.resolve(bind.host, std::to_string(bind.port), ec);
    if (ec || results.empty()) throw std::runtime_error(ec ? ec.message() : "no address");
    return results.begin()->endpoint();
}

// A v4 client on a dual-stack socket shows up as ::ffff:a.b.c.d; log and test it as the IPv4 address.
asio::ip::address unmapped(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address;
}

struct Connection {
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    asio::ip::address peer;

    void close() {
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();  // also cancels the stream's timeout timer
    }
};

struct State {
    State(asio::io_context& context, ControlApi& api, const config::AdminConfig& config)
        : context(context),
          strand(asio::make_strand(context)),
          acceptor(strand),
          router(with_dashboard(api_v1_routes(api), config)),
          rules(std::make_shared<const AccessRules>(AccessRules{config.token, config.allow})) {}

    asio::io_context& context;
    asio::strand<asio::io_context::executor_type> strand;
    tcp::acceptor acceptor;
    Router router;
    std::string bind_text;

    std::mutex rules_mutex;
    std::shared_ptr<const AccessRules> rules;

    // Set by stop() at once (from any thread), so no request reaches the API after stop() returned even
    // though the closing itself runs later on the strand.
    std::atomic<bool> stopping{false};
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // strand only

    std::shared_ptr<const AccessRules> current_rules() {
        std::lock_guard lock(rules_mutex);
        return rules;
    }

    void close_all() {  // on the strand
        error_code ignored;
        acceptor.close(ignored);
        for (auto& [ptr, weak] : connections)
            if (auto conn = weak.lock()) conn->close();
    }
};

}  // namespace

struct AdminServer::Impl {
    std::shared_ptr<State> state;
    unsigned short bound_port = 0;
};

namespace {

using Request = http::request<http::string_body>;

// Beast 1.74 has its own string_view; the rest of the admin code uses the standard one.
std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

Reply handle(State& st, const Request& req, const asio::ip::address& peer) {
    if (st.stopping) return error_reply(503, "admin API is shutting down");
    const auto rules = st.current_rules();
    const std::string_view method = sv(req.method_string());
    const std::string_view target = sv(req.target());
    if (!client_allowed(rules->allow, peer)) {
        spdlog::warn("admin: {} {} from {}: client not allowed", method, target, peer.to_string());
        return error_reply(403, "client not allowed");
    }
    const bool write = is_write_method(method);
    if (write && !bearer_matches(sv(req[http::field::authorization]), rules->token)) {
        spdlog::warn("admin: {} {} from {}: missing or wrong bearer token", method, target, peer.to_string());
        Reply reply = error_reply(401, "missing or wrong bearer token");
        reply.headers.emplace_back("WWW-Authenticate", "Bearer");
        return reply;
    }
    // HEAD is answered as GET would be; serve_requests() then sends the head only.
    const std::string_view route_method = method == "HEAD" ? std::string_view("GET") : method;
    Reply reply = st.router.dispatch(route_method, target, req.body());
    // Changes are an audit trail worth keeping at info; reads (dashboards polling status) are not.
    if (write)
        spdlog::info("admin: {} {} from {} -> {}", method, target, peer.to_string(), reply.status);
    else
        spdlog::debug("admin: {} {} from {} -> {}", method, target, peer.to_string(), reply.status);
    return reply;
}

http::response<http::string_body> make_response(Reply& reply, unsigned version, bool keep_alive) {
    http::response<http::string_body> res;
    res.version(version);
    res.result(static_cast<unsigned>(reply.status));
    res.set(http::field::server, "gisgate");
    res.set(http::field::content_type, reply.content_type);
    // Server states change from second to second; a cached status page would mislead an operator.
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    return res;
}

// An error for a request that could not be read whole; the connection ends after it.
// `message` is a plain pointer so callers build no temporary std::string inside co_await (GCC 12 bug).
awaitable<void> write_protocol_error(Connection& conn, int status, const char* message) {
    Reply reply = error_reply(status, message);
    auto res = make_response(reply, 11, false);
    error_code ec;
    conn.stream.expires_after(5s);
    co_await http::async_write(conn.stream, res, redirect(ec));
    if (ec) co_return;
    // Lingering close: closing with unread request bytes (the rest of a refused 2 MB body) makes the kernel
    // send a reset, which can destroy the error response before the client reads it. So stop sending, then
    // read and drop what the client still sends, for a short while and a bounded amount.
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn.stream.expires_after(2s);
    std::array<char, 16 * 1024> sink;
    std::size_t drained = 0;
    while (!ec && drained < 8 * kBodyLimit) {
        drained += co_await conn.stream.async_read_some(asio::buffer(sink), redirect(ec));
    }
}

bool quiet_end(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::bad_descriptor;
}

awaitable<void> serve_requests(State& st, Connection& conn) {
    auto& stream = conn.stream;
    beast::flat_buffer buffer;
    for (;;) {
        error_code ec;
        http::request_parser<http::string_body> parser;
        parser.body_limit(kBodyLimit);
        parser.header_limit(kHeaderLimit);
        stream.expires_after(kIdleTimeout);
        co_await http::async_read_header(stream, buffer, parser, redirect(ec));
        if (ec) {
            if (ec == http::error::header_limit)
                co_await write_protocol_error(conn, 431, "request header too large");
            else if (ec == http::error::body_limit)  // a Content-Length over the limit fails the head already
                co_await write_protocol_error(conn, 413, "request body too large (limit 1 MiB)");
            else if (!quiet_end(ec))
                co_await write_protocol_error(conn, 400, "malformed HTTP request");
            co_return;
        }
        if (!parser.is_done()) {
            const auto expect = parser.get()[http::field::expect];
            if (beast::iequals(expect, "100-continue")) {
                http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
                co_await http::async_write(stream, cont, redirect(ec));
                if (ec) co_return;
            }
            co_await http::async_read(stream, buffer, parser, redirect(ec));
            if (ec == http::error::body_limit) {
                co_await write_protocol_error(conn, 413, "request body too large (limit 1 MiB)");
                co_return;
            }
            if (ec) {
                if (!quiet_end(ec)) co_await write_protocol_error(conn, 400, "malformed HTTP request");
                co_return;
            }
        }
        const Request& req = parser.get();
        Reply reply = handle(st, req, conn.peer);
        const bool keep_alive = req.keep_alive() && !st.stopping;
        auto res = make_response(reply, req.version(), keep_alive);
        stream.expires_after(kIdleTimeout);
        if (req.method() == http::verb::head) {
            // The GET response's head (same Content-Length) without the body: a body here would be read as
            // the start of the next response.
            http::response<http::empty_body> head{std::move(res.base())};
            co_await http::async_write(stream, head, redirect(ec));
        } else {
            co_await http::async_write(stream, res, redirect(ec));
        }
        if (ec || !keep_alive) {
            error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

awaitable<void> run_connection(std::shared_ptr<State> st, std::shared_ptr<Connection> conn) {
    if (st->stopping) {
        conn->close();
        co_return;
    }
    st->connections.emplace(conn.get(), conn);
    try {
        co_await serve_requests(*st, *conn);
    } catch (const std::exception& e) {
        spdlog::debug("admin: connection from {}: {}", conn->peer.to_string(), e.what());
    }
    conn->close();
    st->connections.erase(conn.get());
}

awaitable<void> accept_loop(std::shared_ptr<State> st) {
    for (;;) {
        error_code ec;
        tcp::socket socket = co_await st->acceptor.async_accept(redirect(ec));
        if (ec) {
            if (st->stopping || !st->acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
            // Out of descriptors and the like: back off instead of spinning.
            spdlog::warn("admin: accept: {}", ec.message());
            asio::steady_timer pause(st->strand, 50ms);
            co_await pause.async_wait(redirect(ec));
            continue;
        }
        auto conn = std::make_shared<Connection>(std::move(socket));
        error_code peer_ec;
        const auto remote = conn->stream.socket().remote_endpoint(peer_ec);
        if (peer_ec) continue;  // already gone
        conn->peer = unmapped(remote.address());
        asio::co_spawn(st->strand, run_connection(st, std::move(conn)), asio::detached);
    }
}

}  // namespace

AdminServer::AdminServer(asio::io_context& control, const config::AdminConfig& config, ControlApi& api)
    : impl_(std::make_unique<Impl>()) {
    auto st = std::make_shared<State>(control, api, config);
    st->bind_text = config.bind.to_string();
    try {
        const auto endpoint = resolve_bind(config.bind);
        st->acceptor.open(endpoint.protocol());
        st->acceptor.set_option(asio::socket_base::reuse_address(true));
        // As for the proxy's listeners: "[::]:port" means IPv6 only, exactly what was written.
        if (endpoint.protocol() == tcp::v6()) st->acceptor.set_option(asio::ip::v6_only(true));
        st->acceptor.bind(endpoint);
        st->acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const std::exception& e) {
        throw std::runtime_error("admin: cannot listen on " + st->bind_text + ": " + e.what());
    }
    const auto bound = st->acceptor.local_endpoint();
    impl_->bound_port = bound.port();
    impl_->state = std::move(st);
    spdlog::info("listening: admin {}", format_endpoint(bound));
}

AdminServer::~AdminServer() {
    stop();
}

void AdminServer::start() {
    auto st = impl_->state;
    if (st->stopping) return;
    asio::co_spawn(st->strand, accept_loop(st), asio::detached);
}

void AdminServer::stop() {
    auto st = impl_->state;
    if (st->stopping.exchange(true)) return;
    // The sockets belong to the strand. Inside it, or on the (single) control thread, or once nothing runs
    // the context, they can be closed right here; from any other thread the strand does it.
    if (st->strand.running_in_this_thread() || st->context.get_executor().running_in_this_thread() ||
        st->context.stopped()) {
        st->close_all();
    } else {
        asio::post(st->strand, [st] { st->close_all(); });
    }
}

void AdminServer::update(const config::AdminConfig& config) {
    auto rules = std::make_shared<const AccessRules>(AccessRules{config.token, config.allow});
    auto& st = *impl_->state;
    std::lock_guard lock(st.rules_mutex);
    st.rules = std::move(rules);
}

unsigned short AdminServer::port() const {
    return impl_->bound_port;
}

}  // namespace gisgate::admin
