#include "proxy/access_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "proxy/error_response.hpp"

namespace gisgate::proxy {

namespace {

constexpr std::size_t kMaxTarget = 1024;

std::string_view protocol_of(const AccessRecord& r) {
    return r.http2 ? "HTTP/2.0" : r.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
}

// `"key":"value"` with the value JSON-escaped; an empty value is written as null (absent, not "").
void json_text(std::string& out, std::string_view key, std::string_view value) {
    out.append(",\"").append(key).append("\":");
    if (value.empty()) {
        out.append("null");
        return;
    }
    out.push_back('"');
    append_json_escaped(out, value);
    out.push_back('"');
}

// `{"time":...,"client":...,"listener":...,"protocol":...`: how a request's line and a connection's line begin.
void begin_json_line(std::string& out, std::string_view time, std::string_view client, std::string_view listener,
                     std::string_view protocol) {
    out.append("{\"time\":\"").append(time).push_back('"');
    json_text(out, "client", client);
    json_text(out, "listener", listener);
    json_text(out, "protocol", protocol);
}

}  // namespace

void AccessLog::stamp() {
    const auto now = std::chrono::system_clock::now();
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (second != time_second_) {  // the timestamp is formatted once per second, not per line
        time_second_ = second;
        time_text_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(static_cast<std::time_t>(second)));
    }
}

void AccessLog::record(const AccessRecord& r) {
    if (fd_ < 0) return;
    stamp();
    if (json_) {
        record_json(r);
        return;
    }
    std::string_view target = r.target.substr(0, kMaxTarget);
    const std::string_view protocol = protocol_of(r);
    fmt::format_to(std::back_inserter(buffer_), "{} {} {} \"{} {} {}\" {} {}/{} {} {:.1f}ms\n", time_text_,
                   r.client_ip, r.listener, r.method, target, protocol, r.status,
                   r.pool.empty() ? "-" : r.pool, r.server.empty() ? "-" : r.server, r.bytes_sent, r.duration_ms);
    if (buffer_.size() >= kFlushAt) flush();
}

// One object per line (JSON Lines): names and units as docs/observability.md lists them; strings escaped, so a
// hostile User-Agent cannot break the line or forge fields.
void AccessLog::record_json(const AccessRecord& r) {
    std::string& out = buffer_;
    begin_json_line(out, time_text_, r.client_ip, r.listener, protocol_of(r));
    json_text(out, "method", r.method);
    json_text(out, "target", r.target.substr(0, kMaxTarget));
    fmt::format_to(std::back_inserter(out), ",\"status\":{}", r.status);
    json_text(out, "pool", r.pool);
    json_text(out, "server", r.server);
    json_text(out, "folder", r.folder);
    json_text(out, "service", r.service);
    json_text(out, "type", r.type);
    json_text(out, "operation", r.operation);
    fmt::format_to(std::back_inserter(out),
                   ",\"bytes_in\":{},\"bytes_out\":{},\"retries\":{},\"queue_ms\":{:.3f},\"connect_ms\":{:.3f},"
                   "\"server_ms\":{:.3f},\"total_ms\":{:.3f}",
                   r.bytes_received, r.bytes_sent, r.retries, r.queue_ms, r.connect_ms, r.server_ms, r.duration_ms);
    json_text(out, "request_id", r.request_id);
    json_text(out, "trace_id", r.trace_id);
    json_text(out, "user_agent", r.user_agent);
    json_text(out, "referer", r.referer);
    out.append("}\n");
    if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::record_connection_json(const ConnectionRecord& r) {
    std::string& out = buffer_;
    begin_json_line(out, time_text_, r.client_ip, r.listener, r.protocol);
    json_text(out, "end", r.end);
    json_text(out, "pool", r.pool);
    json_text(out, "server", r.server);
    fmt::format_to(std::back_inserter(out), ",\"bytes_in\":{},\"bytes_out\":{},\"total_ms\":{:.3f}}}\n",
                   r.bytes_to_server, r.bytes_to_client, r.duration_ms);
    if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::record_connection(const ConnectionRecord& r) {
    if (fd_ < 0) return;
    stamp();
    if (json_) {
        record_connection_json(r);
        return;
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
