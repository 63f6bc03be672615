// Layer-4 byte relay, one direction at a time: everything `from` sends goes to `to` unparsed, until `from` ends.
// A `mode: tcp` connection runs two of these at once, one per direction.
//
// Half-close: when `from` ends cleanly (FIN), `to` is shut down for writing and the relay returns eof; the other
// direction keeps going until its own end, so a client that half-closes still gets the whole answer.
//
// Two implementations: splice(2) through a pipe (the bytes never reach user space) and a plain read/write loop
// through a 64 KiB block. splice is the default: faster and cheaper in CPU per byte in bench/micro_tcp_relay.cpp
// (`./bench_micro --benchmark_filter=Relay`; figures in bench/results/history.md, "Layer-4 relay: splice against
// read/write"), and it holds no 64 KiB blocks for idle connections. The copy relay is the fallback when no pipe
// can be created.
#pragma once

#include <atomic>
#include <cstdint>

#include "net/asio.hpp"
#include "net/deadline.hpp"

namespace gisgate::net {

// A non-blocking pipe for splice(2); closed by the destructor.
class Pipe {
public:
    Pipe() = default;
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    bool open();  // false with errno set when the process is out of descriptors
    int read_end() const { return fds_[0]; }
    int write_end() const { return fds_[1]; }

private:
    int fds_[2] = {-1, -1};
};

// Progress of one direction: bytes moved; `idle` is re-armed with `idle_timeout` whenever bytes move (its expiry
// cancels the sockets, which ends both directions).
struct RelayProgress {
    std::uint64_t bytes = 0;
    Deadline* idle = nullptr;
    Clock::duration idle_timeout{};
    std::uint8_t idle_kind = 0;
    std::atomic<std::uint64_t>* total = nullptr;  // optional counter shared with readers on other threads

    // `n` more bytes went through: counted, and the idle deadline re-armed.
    void moved(std::size_t n) {
        bytes += n;
        if (total) total->fetch_add(n, std::memory_order_relaxed);
        if (idle) idle->arm(idle_timeout, idle_kind);
    }
};

// Both return eof when `from` ended cleanly (and `to` was shut down for writing), otherwise the error that
// stopped the relay (operation_aborted when the sockets were cancelled). Both sockets must be open; the
// splice relay sets them non-blocking.
awaitable<error_code> relay_splice(tcp::socket& from, tcp::socket& to, Pipe& pipe, RelayProgress& progress);
// The copy relay works on any pair of streams with a TCP socket underneath (tcp::socket, net::Stream with TLS).
template <class From, class To>
awaitable<error_code> relay_copy(From& from, To& to, char* buffer, std::size_t size, RelayProgress& progress) {
    error_code ec;
    for (;;) {
        const std::size_t n = co_await from.async_read_some(asio::buffer(buffer, size), ec_token(ec));
        if (ec == asio::error::eof) {
            // `from` sent FIN: pass it on, so the other side sees the end of this direction.
            error_code ignored;
            to.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
            co_return ec;
        }
        if (ec) co_return ec;
        co_await asio::async_write(to, asio::buffer(buffer, n), ec_token(ec));
        if (ec) co_return ec;
        progress.moved(n);
    }
}

}  // namespace gisgate::net
