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
    // The JSON format's further fields (the text line keeps its compact shape).
    std::string_view request_id;
    std::string_view trace_id;
    std::string_view folder;
    std::string_view service;
    std::string_view type;
    std::string_view operation;
    std::uint64_t bytes_received = 0;  // request head and body
    double queue_ms = 0;               // waiting for a server slot in the pool's queue
    double connect_ms = 0;             // connecting (and the TLS handshake) to servers
    double server_ms = 0;              // from sending the request to the server's response head
    std::string_view user_agent;
    std::string_view referer;
    std::uint32_t retries = 0;
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
    // `access_log: { format: json }`: one JSON object per line instead of the text line (set per runtime).
    void set_json(bool json) { json_ = json; }
    void record(const AccessRecord& r);
    // `time client listener "TCP" end pool/server bytes_to_client bytes_to_server duration`
    void record_connection(const ConnectionRecord& r);
    void flush();

private:
    void stamp();  // time_text_ for now
    void record_json(const AccessRecord& r);
    void record_connection_json(const ConnectionRecord& r);
    static constexpr std::size_t kFlushAt = 3500;  // below PIPE_BUF: a write to a pipe is never interleaved
    int fd_;
    bool json_ = false;
    std::string buffer_;
    std::string time_text_;
    std::int64_t time_second_ = -1;
};

}  // namespace gisgate::proxy
