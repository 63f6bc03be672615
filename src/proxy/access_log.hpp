// Per-worker access log. Each worker appends lines to its own buffer and writes whole lines with one write(2)
// when the buffer fills or on the next tick (≤100 ms): no lock, no logger queue, no syscall per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/deadline.hpp"

namespace gisgate::proxy {

struct AccessRecord {
    std::string_view client_ip;
    std::string_view listener;
    std::string_view method;
    std::string_view target;
    int version_minor = 1;
    int status = 0;
    std::string_view pool;    // empty when gisgate answered itself
    std::string_view server;
    std::uint64_t bytes_sent = 0;
    double duration_ms = 0;
    bool http2 = false;       // a stream of an HTTP/2 connection ("HTTP/2.0" in the line)
};

// One layer-4 connection (`mode: tcp` listener), logged when it ends.
struct ConnectionRecord {
    std::string_view client_ip;
    std::string_view listener;
    std::string_view end;     // closed | idle-timeout | reset | denied | no-server | queue-full | ...
    std::string_view pool;
    std::string_view server;  // the last server tried; empty when none was
    std::uint64_t bytes_to_client = 0;
    std::uint64_t bytes_to_server = 0;
    double duration_ms = 0;
    std::string_view protocol = "TCP";  // "TCP" (mode: tcp) or "WebSocket" (a tunnel after a 101)
};

class AccessLog {
public:
    // `fd` < 0 disables logging. The fd is shared by workers (O_APPEND file or stdout) and not owned.
    explicit AccessLog(int fd) : fd_(fd) {}
    ~AccessLog() { flush(); }
    bool enabled() const { return fd_ >= 0; }
    void record(const AccessRecord& r);
    // `time client listener "TCP" end pool/server bytes_to_client bytes_to_server duration`
    void record_connection(const ConnectionRecord& r);
    void flush();

private:
    static constexpr std::size_t kFlushAt = 3500;  // below PIPE_BUF: a write to a pipe is never interleaved
    int fd_;
    std::string buffer_;
    std::string time_text_;
    std::int64_t time_second_ = -1;
};

}  // namespace gisgate::proxy
