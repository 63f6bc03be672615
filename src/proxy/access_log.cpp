#include "proxy/access_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

namespace gisgate::proxy {

void AccessLog::record(const AccessRecord& r) {
    if (fd_ < 0) return;
    const auto now = std::chrono::system_clock::now();
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (second != time_second_) {  // the timestamp is formatted once per second, not per line
        time_second_ = second;
        time_text_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(static_cast<std::time_t>(second)));
    }
    constexpr std::size_t kMaxTarget = 1024;
    std::string_view target = r.target.substr(0, kMaxTarget);
    const std::string_view protocol = r.http2 ? "HTTP/2.0" : r.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
    fmt::format_to(std::back_inserter(buffer_), "{} {} {} \"{} {} {}\" {} {}/{} {} {:.1f}ms\n", time_text_,
                   r.client_ip, r.listener, r.method, target, protocol, r.status,
                   r.pool.empty() ? "-" : r.pool, r.server.empty() ? "-" : r.server, r.bytes_sent, r.duration_ms);
    if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::record_connection(const ConnectionRecord& r) {
    if (fd_ < 0) return;
    const auto now = std::chrono::system_clock::now();
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (second != time_second_) {
        time_second_ = second;
        time_text_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(static_cast<std::time_t>(second)));
    }
    fmt::format_to(std::back_inserter(buffer_), "{} {} {} \"{}\" {} {}/{} {} {} {:.1f}ms\n", time_text_, r.client_ip,
                   r.listener, r.protocol, r.end, r.pool.empty() ? "-" : r.pool, r.server.empty() ? "-" : r.server,
                   r.bytes_to_client, r.bytes_to_server, r.duration_ms);
    if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
    if (fd_ < 0 || buffer_.empty()) return;
    // Write whole lines in pieces below PIPE_BUF so lines of different workers never interleave.
    std::string_view rest = buffer_;
    while (!rest.empty()) {
        std::size_t n = rest.size();
        if (n > kFlushAt) {
            const auto cut = rest.rfind('\n', kFlushAt);
            n = (cut == std::string_view::npos) ? kFlushAt : cut + 1;
        }
        const ssize_t w = ::write(fd_, rest.data(), n);
        if (w <= 0) break;  // nowhere to log to: drop rather than block the worker
        rest.remove_prefix(static_cast<std::size_t>(w));
    }
    buffer_.clear();
}

}  // namespace gisgate::proxy
