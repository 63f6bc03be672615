// TLS over a TCP socket with OpenSSL called directly: SSL_read/SSL_write/SSL_do_handshake on the connection's own
// SSL object, the way HAProxy and NGINX drive it, in place of Asio's ssl::stream.
//
// Why not ssl::stream: it runs every record through an in-memory BIO pair (socket → its 17 KB input buffer →
// the pair → OpenSSL), holds two 17 KB buffers per connection for the connection's life (34 KB for an idle
// keep-alive client), and writes a multi-buffer write (response head + body) as one record per buffer, each in
// a send() of its own. Here:
// - Reads: Asio's speculative async_read_some fills a buffer of ours (no epoll_ctl, no extra syscall: a wait
//   for readability would re-arm epoll each time), and a minimal BIO hands those bytes to OpenSSL. Idle, the
//   read waits on a small buffer inside this object; a pooled 16 KiB block is taken only while records arrive
//   and given back as soon as OpenSSL has taken every byte. With SSL_MODE_RELEASE_BUFFERS (set on every context)
//   OpenSSL frees its own record buffers between records, so an idle connection holds neither.
// - Writes: the BIO writes records to the socket with send(MSG_NOSIGNAL) as OpenSSL makes them; a write of
//   several small buffers (head + body) is gathered into one record and one send().
// - Waits: only when the socket itself says EAGAIN (a full send buffer, or a read that found nothing).
//
// Single-threaded like the rest of a connection: all operations of one TlsStream run on one worker's loop, at
// most one read and one write (or one handshake/shutdown) at a time. Completion handlers are never run inside
// the initiating call (a result already available is posted), as Asio requires.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include "net/asio.hpp"

namespace gisgate::net {

namespace ssl = asio::ssl;

class TlsStream {
public:
    // The ciphertext read while a connection waits with nothing buffered: enough for a TLS record carrying a
    // typical request head; a longer record continues into a pooled block (OpenSSL keeps the partial record).
    static constexpr std::size_t kIdleInput = 256;
    static constexpr std::size_t kBlockSize = 16 * 1024;
    // A write of several buffers is gathered into one record up to this size (one TLS record's payload).
    static constexpr std::size_t kGather = 16 * 1024;

    // `ctx` is the listener's (server) or the pool's (client) context, `owner` what keeps it and its callbacks'
    // data alive (the TlsServer or TlsClient) for as long as this session; throws std::bad_alloc if OpenSSL
    // cannot make a session.
    TlsStream(tcp::socket& socket, SSL_CTX* ctx, std::shared_ptr<const void> owner);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    using executor_type = tcp::socket::executor_type;
    executor_type get_executor() { return socket_->get_executor(); }
    SSL* native_handle() const { return ssl_; }
    // The socket moved (an idle connection parked and resumed, proxy/parked_connection.hpp): the session goes on
    // over it. No operation may be pending.
    void rebind(tcp::socket& socket) { socket_ = &socket; }
    // Sends close_notify now if the socket takes it (never waits): a parked connection closing.
    void close_notify_now();
    // Gives back an input block held with nothing in it (a read that was cancelled after taking one).
    void trim() {
        if (in_begin_ == in_end_) release_block();
    }
    // Bytes read from the socket that OpenSSL has not yet taken, or a record (or decrypted data) inside
    // OpenSSL: a read would return without touching the socket.
    bool pending() const { return in_begin_ != in_end_ || SSL_has_pending(ssl_) == 1; }
    // A client connection waits between requests on the small buffer (idle_); a connection to a server reads
    // its responses straight into a block (the answer follows the request: a small first read would only
    // split it). Set by net::Stream::start_tls.
    void small_idle_reads(bool on) { small_idle_reads_ = on; }
    // For tests: whether an input block is held (an idle connection holds none), and how many times a write
    // waited for the socket to drain.
    bool holds_input_block() const { return block_ != nullptr; }
    std::size_t write_waits() const { return write_waits_; }

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                Op<std::decay_t<decltype(handler)>>{this, Kind::read, first_mutable(b), {}, std::move(handler)}
                    .start();
            },
            token, buffers);
    }

    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                Op<std::decay_t<decltype(handler)>>{this, Kind::write, {}, gather(b), std::move(handler)}.start();
            },
            token, buffers);
    }

    // A write that never waits (net::Stream::write_now): the bytes OpenSSL wrote, or 0 when the socket is full
    // (OpenSSL then holds the record it made, and the async_write_some that follows offers the same bytes again,
    // as it must) or on an error (`ec`).
    template <class Buffers>
    std::size_t write_now(const Buffers& buffers, error_code& ec) {
        const WriteBytes w = gather(buffers);
        if (w.size == 0) return 0;
        std::size_t n = 0;
        return attempt(Kind::write, {}, w, n, ec) == Step::done && !ec ? n : 0;
    }

    template <class Token>
    auto async_handshake(ssl::stream_base::handshake_type type, Token&& token) {
        if (type == ssl::stream_base::client) SSL_set_connect_state(ssl_);
        else SSL_set_accept_state(ssl_);
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler) {
                Op<NoSize<std::decay_t<decltype(handler)>>>{this, Kind::handshake, {}, {}, {std::move(handler), socket_->get_executor()}}
                    .start();
            },
            token);
    }

    // Sends close_notify (SSL_shutdown once); does not wait for the peer's.
    template <class Token>
    auto async_shutdown(Token&& token) {
        return asio::async_initiate<Token, void(error_code)>(
            [this](auto handler) {
                Op<NoSize<std::decay_t<decltype(handler)>>>{this, Kind::shutdown, {}, {}, {std::move(handler), socket_->get_executor()}}
                    .start();
            },
            token);
    }

private:
    enum class Kind : std::uint8_t { read, write, handshake, shutdown };
    enum class Step : std::uint8_t { done, want_read, want_write };

    // A write's bytes: the caller's first buffer, or several small ones gathered into one record (see gather()).
    struct WriteBytes {
        const void* data = nullptr;
        std::size_t size = 0;
        std::unique_ptr<char[]> owned;  // a gathered write that must be retried keeps its bytes here
    };

    // One attempt of the operation with OpenSSL; `n` gets the bytes read or written, `ec` an error.
    Step attempt(Kind kind, asio::mutable_buffer read, const WriteBytes& write, std::size_t& n, error_code& ec);
    // Where the next socket read puts ciphertext: the idle buffer when nothing is under way, else a block.
    asio::mutable_buffer input_space(Kind kind);
    // The socket read into input_space() completed.
    void on_input(const error_code& ec, std::size_t n);
    void release_block();
    // The thread's scratch for gathering a write (used only within one attempt, never across a wait).
    static char* gather_scratch();

    template <class Buffers>
    static asio::mutable_buffer first_mutable(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::mutable_buffer b(*it);
            if (b.size() != 0) return b;
        }
        return {};
    }
    // One buffer, or a first buffer worth a record alone: written as it is. Several small buffers (a response
    // head and its body): copied into the thread's scratch and written as one record, one send(). If that
    // attempt must wait, Op keeps a copy of its own (OpenSSL's retry must offer the same bytes).
    template <class Buffers>
    static WriteBytes gather(const Buffers& buffers) {
        WriteBytes w;
        std::size_t count = 0;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::const_buffer b(*it);
            if (b.size() == 0) continue;
            if (count++ == 0) {
                w.data = b.data();
                w.size = b.size();
            } else {
                break;
            }
        }
        if (count < 2 || w.size >= kGather) return w;
        char* scratch = gather_scratch();
        std::size_t size = 0;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers) && size < kGather;
             ++it) {
            const asio::const_buffer b(*it);
            const std::size_t take = std::min(b.size(), kGather - size);
            if (take != 0) std::memcpy(scratch + size, b.data(), take);
            size += take;
        }
        w.data = scratch;
        w.size = size;
        return w;
    }

    // A handler of signature void(error_code) called as void(error_code, std::size_t).
    template <class Handler>
    struct NoSize {
        Handler handler;
        tcp::socket::executor_type fallback;
        void operator()(const error_code& ec, std::size_t) { std::move(handler)(ec); }
        using executor_type = asio::associated_executor_t<Handler, tcp::socket::executor_type>;
        executor_type get_executor() const noexcept { return asio::get_associated_executor(handler, fallback); }
        using allocator_type = asio::associated_allocator_t<Handler>;
        allocator_type get_allocator() const noexcept { return asio::get_associated_allocator(handler); }
    };

    // The operation: an attempt with OpenSSL, then the socket operation it needs, then again. It is itself the
    // handler of those socket operations (so they use the caller's executor and allocator).
    template <class Handler>
    struct Op {
        TlsStream* self;
        Kind kind;
        asio::mutable_buffer read;
        WriteBytes write;
        Handler handler;
        Step waiting = Step::done;
        bool started = false;

        using executor_type = asio::associated_executor_t<Handler, tcp::socket::executor_type>;
        executor_type get_executor() const noexcept {
            return asio::get_associated_executor(handler, self->socket_->get_executor());
        }
        using allocator_type = asio::associated_allocator_t<Handler>;
        allocator_type get_allocator() const noexcept { return asio::get_associated_allocator(handler); }

        void start() { run(false); }

        // The socket operation this op waited for completed: a read (want_read) or a wait (want_write).
        void operator()(error_code ec) { (*this)(ec, 0); }
        void operator()(error_code ec, std::size_t n) {
            // Cancelled (a deadline, or the socket closed): ends here without touching the stream.
            if (ec == asio::error::operation_aborted) return std::move(handler)(ec, std::size_t{0});
            if (waiting == Step::want_read) {
                self->on_input(ec, n);
                if (ec && ec != asio::error::eof) return finish(ec, 0, true);
            } else if (ec) {
                return finish(ec, 0, true);
            }
            run(true);
        }

        void run(bool resumed) {
            if (kind == Kind::read && read.size() == 0) return finish({}, 0, resumed);
            if (kind == Kind::write && write.size == 0) return finish({}, 0, resumed);
            std::size_t n = 0;
            error_code ec;
            const Step step = self->attempt(kind, read, write, n, ec);
            if (step == Step::done) return finish(ec, n, resumed);
            waiting = step;
            if (step == Step::want_read) {
                if (self->eof_) {  // the peer closed TCP with nothing more for OpenSSL: no close_notify came
                    return finish(ssl::error::stream_truncated, 0, resumed);
                }
                TlsStream* s = self;
                const asio::mutable_buffer space = s->input_space(kind);
                s->socket_->async_read_some(space, std::move(*this));
            } else {
                if (write.data != nullptr && write.data == gather_scratch()) {  // see gather()
                    write.owned = std::make_unique<char[]>(write.size);
                    std::memcpy(write.owned.get(), write.data, write.size);
                    write.data = write.owned.get();
                }
                TlsStream* s = self;
                ++s->write_waits_;
                s->socket_->async_wait(tcp::socket::wait_write, std::move(*this));
            }
        }

        void finish(const error_code& ec, std::size_t n, bool resumed) {
            if (resumed) {
                std::move(handler)(ec, n);
            } else {
                const auto executor = asio::get_associated_executor(handler, self->socket_->get_executor());
                asio::post(executor, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
            }
        }
    };

    struct BioMethods;
    friend struct BioMethods;

    tcp::socket* socket_;
    SSL* ssl_ = nullptr;
    std::shared_ptr<const void> owner_;
    // Ciphertext read and not yet taken by OpenSSL: [in_begin_, in_end_) of the block, or of idle_ when no block.
    // 32-bit offsets (a block is 16 KiB) keep the object at 320 bytes, a mimalloc size class (328 would take 384).
    char* block_ = nullptr;
    std::uint32_t in_begin_ = 0;
    std::uint32_t in_end_ = 0;
    bool eof_ = false;  // the socket read returned end of file
    bool small_idle_reads_ = true;
    int last_errno_ = 0;               // the socket error behind an SSL_ERROR_SYSCALL
    std::uint32_t write_waits_ = 0;
    std::array<char, kIdleInput> idle_;
};

}  // namespace gisgate::net
