// A TCP connection that may carry TLS: the proxy's client and server connections. Reads and writes dispatch
// with one branch on whether TLS is on (predictable: it never changes during a connection), so a plain
// connection pays a branch and no allocation; the TLS layer exists only for TLS connections. The branch calls the
// layer's own operation directly (no async_initiate wrapper of our own, which would move every handler once
// more). Under callgrind, the code that changed for plain connections (session, stream) costs about 10
// instructions per proxied request.
//
// A third kind: one HTTP/2 stream (h2/stream_channel.hpp), the "connection" the request pipeline serves for it.
// Its operations go to the channel; socket() is then an unopened socket that must not be used (plain_socket()).
//
// TLS is OpenSSL on the socket itself (tls_stream.hpp), not Asio's ssl::stream.
//
// It is an AsyncReadStream/AsyncWriteStream, so asio::async_write works on it; the socket operations the proxy
// uses (wait, cancel, shutdown, close) go to the TCP socket underneath, which also aborts TLS operations.
#pragma once

#include <openssl/ssl.h>

#include <sys/uio.h>

#include <array>
#include <memory>
#include <string_view>

#include "h2/stream_channel.hpp"
#include "net/asio.hpp"
#include "net/tls_context.hpp"
#include "net/tls_stream.hpp"

namespace gisgate::net {

class Stream {
public:
    using executor_type = tcp::socket::executor_type;
    using lowest_layer_type = tcp::socket;
    using TlsLayer = TlsStream;  // OpenSSL on the socket directly: see tls_stream.hpp for why

    explicit Stream(asio::io_context& context) : socket_(context) {}
    explicit Stream(const asio::any_io_executor& executor) : socket_(executor) {}
    explicit Stream(tcp::socket socket) : socket_(std::move(socket)) {}
    explicit Stream(std::shared_ptr<h2::StreamChannel> channel)
        : socket_(channel->get_executor()), channel_(std::move(channel)) {}
    Stream(const Stream&) = delete;  // the TLS layer refers to socket_
    Stream& operator=(const Stream&) = delete;

    tcp::socket& socket() { return socket_; }
    lowest_layer_type& lowest_layer() { return socket_; }
    executor_type get_executor() { return socket_.get_executor(); }

    bool tls() const { return tls_ != nullptr; }
    bool channel() const { return channel_ != nullptr; }
    // The HTTP/2 stream this is, for what only a stream takes (a response head handed over parsed); else null.
    h2::StreamChannel* h2_stream() const { return channel_.get(); }
    // A plain TCP socket underneath and nothing else: what splice() and direct socket reads may use.
    bool plain_socket() const { return !tls_ && !channel_; }
    // The client reached gisgate over TLS (directly, or as an HTTP/2 stream of a TLS connection).
    bool secure() const { return tls_ != nullptr || (channel_ && channel_->secure()); }
    // Starts a TLS server session on the accepted socket; call async_handshake(server) next.
    void start_tls(std::shared_ptr<const TlsServer> server) {
        SSL_CTX* ctx = server->context().native_handle();
        tls_ = std::make_unique<TlsLayer>(socket_, ctx, std::move(server));
    }
    // Starts a TLS client session on the connected socket, with SNI and the name to verify for `server_host`;
    // call async_handshake(client) next. False when OpenSSL refuses the name.
    bool start_tls(std::shared_ptr<const TlsClient> client, std::string_view server_host) {
        const TlsClient& c = *client;
        tls_ = std::make_unique<TlsLayer>(socket_, c.context().native_handle(), std::move(client));
        tls_->small_idle_reads(false);  // a server's answer follows the request: read it whole
        return c.prepare(tls_->native_handle(), server_host);
    }
    // Forgets the TLS session (no operation may be pending): before a socket is reconnected.
    void reset_tls() { tls_.reset(); }
    // Hands the TLS session over with the socket (no operation may be pending): an idle connection being
    // parked (proxy/parked_connection.hpp) keeps it while it waits, and adopt_tls() gives it to the next
    // request's stream. The caller rebinds it to wherever the socket moves.
    std::unique_ptr<TlsLayer> release_tls() { return std::move(tls_); }
    void adopt_tls(std::unique_ptr<TlsLayer> tls) {
        tls_ = std::move(tls);
        if (tls_) tls_->rebind(socket_);
    }
    // Decrypted bytes or unprocessed TLS records already read from the socket: a pooled connection with any
    // is not idle-clean.
    bool tls_pending() const {
        return tls_ && tls_->pending();
    }
    // The negotiated ALPN protocol ("http/1.1"), empty if none.
    std::string_view alpn() const {
        const unsigned char* data = nullptr;
        unsigned int len = 0;
        if (tls_) SSL_get0_alpn_selected(tls_->native_handle(), &data, &len);
        return {reinterpret_cast<const char*>(data), len};
    }

    // Both layers return the same type for a given token (an awaitable, or void for a completion handler), so
    // the choice is one branch with no extra initiation layer or handler move.
    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        if (channel_) return channel_->async_read_some(buffers, std::forward<Token>(token));
        if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        if (channel_) return channel_->async_write_some(buffers, std::forward<Token>(token));
        if (tls_) return tls_->async_write_some(buffers, std::forward<Token>(token));
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

    // Writes what the connection takes at once, never waiting: the bytes written (all, some, or none when the
    // socket or the stream's buffer is full; 0 with `ec` set on an error). The caller awaits async_write for
    // the rest (write_tail()). Why: an async_write that completes at once still posts its completion and resumes
    // the coroutine from the scheduler (Asio must not run a handler inside the initiating call); a response or
    // request head that fits, which is nearly every one, skips that round.
    template <class Buffers>
    std::size_t write_now(const Buffers& buffers, error_code& ec) {
        if (channel_) return channel_->write_now(buffers, ec);
        if (tls_) return tls_->write_now(buffers, ec);
        return send_now(buffers, ec);
    }

    // An HTTP/2 stream's request bytes already in its channel, without a round through the scheduler; 0 when
    // none (then async_read_some waits) and always 0 on a socket.
    std::size_t read_now(asio::mutable_buffer into) { return channel_ ? channel_->read_now(into) : 0; }

    template <class Token>
    auto async_handshake(ssl::stream_base::handshake_type type, Token&& token) {
        return tls_->async_handshake(type, std::forward<Token>(token));
    }

    // Sends close_notify without waiting for the peer's (the peer may never answer): TLS only.
    template <class Token>
    auto async_close_notify(Token&& token) {
        SSL_set_shutdown(tls_->native_handle(), SSL_RECEIVED_SHUTDOWN);
        return tls_->async_shutdown(std::forward<Token>(token));
    }

    template <class Token>
    auto async_wait(tcp::socket::wait_type what, Token&& token) {
        return socket_.async_wait(what, std::forward<Token>(token));
    }
    void cancel(error_code& ec) {
        if (channel_) return channel_->cancel();
        socket_.cancel(ec);
    }
    void close(error_code& ec) {
        if (channel_) return channel_->close();
        socket_.close(ec);
    }
    // On an HTTP/2 stream, any shutdown ends the stream's response (its pipeline is done with it).
    void shutdown(tcp::socket::shutdown_type what, error_code& ec) {
        if (channel_) return channel_->close();
        socket_.shutdown(what, ec);
    }
    bool is_open() const { return channel_ ? !channel_->closed() : socket_.is_open(); }
    tcp::endpoint remote_endpoint(error_code& ec) const { return socket_.remote_endpoint(ec); }
    tcp::socket::native_handle_type native_handle() { return socket_.native_handle(); }

private:
    template <class Buffers>
    std::size_t send_now(const Buffers& buffers, error_code& ec) {
        std::array<iovec, 8> iov;
        std::size_t count = 0;
        const auto end = asio::buffer_sequence_end(buffers);
        for (auto it = asio::buffer_sequence_begin(buffers); it != end && count < iov.size(); ++it) {
            const asio::const_buffer b(*it);
            if (b.size() != 0) iov[count++] = {const_cast<void*>(b.data()), b.size()};
        }
        return send_iov(iov.data(), count, ec);
    }
    std::size_t send_iov(const iovec* iov, std::size_t count, error_code& ec);

    tcp::socket socket_;
    std::unique_ptr<TlsLayer> tls_;
    std::shared_ptr<h2::StreamChannel> channel_;
};

// What write_now() left of `buffers`: the bytes past the first `written`.
inline asio::const_buffer write_tail(const asio::const_buffer& buffer, std::size_t written) {
    return buffer + written;
}
template <std::size_t N>
std::array<asio::const_buffer, N> write_tail(const std::array<asio::const_buffer, N>& buffers, std::size_t written) {
    std::array<asio::const_buffer, N> rest;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t skip = std::min(written, buffers[i].size());
        rest[i] = buffers[i] + skip;
        written -= skip;
    }
    return rest;
}

}  // namespace gisgate::net
