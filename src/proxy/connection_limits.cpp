#include "proxy/connection_limits.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

#include <cstring>
#include <string_view>

namespace gisgate::proxy {

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
        release();
        limiter_ = std::move(other.limiter_);
        address_ = other.address_;
        per_ip_ = other.per_ip_;
        other.limiter_.reset();
    }
    return *this;
}

void ConnectionSlot::release() {
    if (limiter_) {
        limiter_->release(*this);
        limiter_.reset();
    }
}

std::size_t ConnectionLimiter::KeyHash::operator()(const Key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : k) h = (h ^ c) * 1099511628211ull;
    return static_cast<std::size_t>(h);
}

ConnectionLimiter::Key ConnectionLimiter::key_of(const asio::ip::address& client) {
    if (client.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, client.to_v4()).to_bytes();
    return client.to_v6().to_bytes();
}

ConnectionLimiter::Shard& ConnectionLimiter::shard_of(const Key& key) {
    return shards_[KeyHash{}(key) >> 60];  // top 4 bits: 16 shards
}

ConnectionLimiter::Verdict ConnectionLimiter::admit(const asio::ip::address& client, std::uint32_t max_total,
                                                    std::uint32_t max_per_address, ConnectionSlot& slot) {
    slot.release();
    const std::size_t before = total_.fetch_add(1, std::memory_order_relaxed);
    if (max_total != 0 && before >= max_total) {
        total_.fetch_sub(1, std::memory_order_relaxed);
        refused_.fetch_add(1, std::memory_order_relaxed);
        return Verdict::total_limit;
    }
    slot.limiter_ = shared_from_this();
    slot.per_ip_ = false;
    if (max_per_address != 0) {
        slot.address_ = key_of(client);
        Shard& shard = shard_of(slot.address_);
        std::lock_guard lock(shard.mutex);
        std::uint32_t& count = shard.counts[slot.address_];
        if (count >= max_per_address) {
            slot.limiter_.reset();
            total_.fetch_sub(1, std::memory_order_relaxed);
            refused_.fetch_add(1, std::memory_order_relaxed);
            return Verdict::address_limit;
        }
        ++count;
        slot.per_ip_ = true;
    }
    return Verdict::admitted;
}

void ConnectionLimiter::release(const ConnectionSlot& slot) {
    if (slot.per_ip_) {
        Shard& shard = shard_of(slot.address_);
        std::lock_guard lock(shard.mutex);
        const auto it = shard.counts.find(slot.address_);
        if (it != shard.counts.end() && --it->second == 0) shard.counts.erase(it);
    }
    total_.fetch_sub(1, std::memory_order_relaxed);
}

std::uint32_t ConnectionLimiter::count_for(const asio::ip::address& client) {
    const Key key = key_of(client);
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.counts.find(key);
    return it == shard.counts.end() ? 0 : it->second;
}

namespace {

constexpr std::string_view kTotalBody = R"({"error":{"code":503,"message":"too many connections"}})";
constexpr std::string_view kAddressBody =
    R"({"error":{"code":503,"message":"too many connections from this address"}})";

// The whole response, built once per process (a string literal per reason with its length).
std::string_view refusal_text(ConnectionLimiter::Verdict why) {
    static const std::string total = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                     "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                                     std::to_string(kTotalBody.size()) + "\r\n\r\n" + std::string(kTotalBody);
    static const std::string address = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                       "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                                       std::to_string(kAddressBody.size()) + "\r\n\r\n" + std::string(kAddressBody);
    return why == ConnectionLimiter::Verdict::address_limit ? address : total;
}

}  // namespace

bool admit_or_refuse(ConnectionLimiter& limiter, const config::LimitsConfig& limits, tcp::socket& socket,
                     ConnectionSlot& slot, bool plain_http) {
    asio::ip::address client;
    if (limits.max_connections_per_ip != 0) {
        error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        if (ec) {  // already gone
            socket.close(ec);
            return false;
        }
        client = peer.address();
    }
    return admit_as_or_refuse(limiter, limits, client, socket, slot, plain_http);
}

bool admit_as_or_refuse(ConnectionLimiter& limiter, const config::LimitsConfig& limits,
                        const asio::ip::address& client, tcp::socket& socket, ConnectionSlot& slot, bool plain_http) {
    const auto verdict = limiter.admit(client, limits.max_connections, limits.max_connections_per_ip, slot);
    if (verdict == ConnectionLimiter::Verdict::admitted) return true;
    refuse_connection(socket, verdict, plain_http);

    // Under a flood, one line a second with the count, not one per connection.
    static std::atomic<std::int64_t> last_logged_s{0};
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::int64_t last = last_logged_s.load(std::memory_order_relaxed);
    if (now_s != last && last_logged_s.compare_exchange_strong(last, now_s, std::memory_order_relaxed)) {
        spdlog::warn("connection refused: {} (limits: max_connections {}, max_connections_per_ip {}); {} refused so far",
                     verdict == ConnectionLimiter::Verdict::total_limit ? "too many connections"
                                                                        : "too many connections from one address",
                     limits.max_connections, limits.max_connections_per_ip, limiter.refused());
    }
    return false;
}

void refuse_connection(tcp::socket& socket, ConnectionLimiter::Verdict why, bool plain_http) {
    if (plain_http) {
        const std::string_view text = refusal_text(why);
        // A fresh socket's send buffer is empty, so this either sends it all or the peer is already gone.
        [[maybe_unused]] const auto sent =
            ::send(socket.native_handle(), text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
}

}  // namespace gisgate::proxy
