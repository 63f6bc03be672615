// Limits on client connections open at once, in total and per client address (`limits.max_connections`,
// `limits.max_connections_per_ip`), checked when a connection is accepted, never per request.
//
// Counting: the total is one atomic shared by the workers. Per-address counts live in a map split into 16
// shards, each behind its own mutex. A shard is locked twice per connection (accept and close), never on the
// request path, and only while a per-address limit is configured. Per-worker counts would need no lock, but
// SO_REUSEPORT spreads one client's connections over the workers by a hash of its source port, so a
// per-worker share of the limit would refuse a client below its limit whenever the spread is uneven. The
// counts here are exact whatever the spread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::proxy {

class ConnectionLimiter;

// One admitted connection; gives its counts back when destroyed. Empty (false) when refused.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(ConnectionSlot&& other) noexcept { *this = std::move(other); }
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
    ~ConnectionSlot() { release(); }
    explicit operator bool() const { return limiter_ != nullptr; }
    void release();

private:
    friend class ConnectionLimiter;
    std::shared_ptr<ConnectionLimiter> limiter_;  // keeps the counts alive as long as the connection
    std::array<unsigned char, 16> address_{};
    bool per_ip_ = false;  // counted in the per-address map
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
public:
    enum class Verdict : std::uint8_t { admitted, total_limit, address_limit };

    // 0 = no limit. The limits are read on every call, so a reload applies to the next connection; a lowered
    // limit closes no connection that is already open.
    Verdict admit(const asio::ip::address& client, std::uint32_t max_total, std::uint32_t max_per_address,
                  ConnectionSlot& slot);

    std::size_t total() const { return total_.load(std::memory_order_relaxed); }
    std::uint32_t count_for(const asio::ip::address& client);  // for tests and the status API
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

private:
    friend class ConnectionSlot;
    using Key = std::array<unsigned char, 16>;  // IPv4 as v4-mapped IPv6
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct alignas(64) Shard {
        std::mutex mutex;
        std::unordered_map<Key, std::uint32_t, KeyHash> counts;
    };
    static Key key_of(const asio::ip::address& client);
    Shard& shard_of(const Key& key);
    void release(const ConnectionSlot& slot);

    std::atomic<std::size_t> total_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::array<Shard, 16> shards_;
};

// Admits a just-accepted connection under `limits` into `slot`, or refuses it (see refuse_connection) and logs
// that, at most once a second. False when refused.
// `plain_http`: the listener speaks plaintext HTTP/1.1, so a refusal may be answered with a 503 (see
// refuse_connection); on a TLS or `mode: tcp` listener it is closed without a byte.
bool admit_or_refuse(ConnectionLimiter& limiter, const config::LimitsConfig& limits, tcp::socket& socket,
                     ConnectionSlot& slot, bool plain_http);

// The same for a connection counted under `client` (the address a PROXY header announced), not its peer's.
bool admit_as_or_refuse(ConnectionLimiter& limiter, const config::LimitsConfig& limits,
                        const asio::ip::address& client, tcp::socket& socket, ConnectionSlot& slot, bool plain_http);

// Answers a refused connection without reading from it: on a plaintext HTTP listener a fixed 503 written with
// one non-blocking send, then the socket is closed. A TLS client would read plaintext bytes as a broken
// handshake, and a layer-4 client's protocol is unknown, so those are only closed (finishing a handshake for
// a connection refused under a flood would spend the CPU the limit protects). Costs no buffer, no coroutine
// and no timer.
void refuse_connection(tcp::socket& socket, ConnectionLimiter::Verdict why, bool plain_http);

}  // namespace gisgate::proxy
