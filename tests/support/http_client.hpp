// A small blocking HTTP/1.1 client over raw loopback sockets for tests: byte-level control (raw requests,
// pipelining, half-written heads) and plain helpers for ordinary requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gisgate::test {

struct CaseInsensitiveLess {
    bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpResponse {
    int status = 0;             // 0 = no response (connection closed or timed out before a status line)
    std::string reason;
    std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
    std::string body;           // de-chunked
    bool chunked = false;       // the response used Transfer-Encoding: chunked
    std::string header(const std::string& name) const;  // first value or ""
};

class HttpClient {
public:
    // `source`: connect from this local address (e.g. "127.0.0.2"; any of 127.0.0.0/8 works on loopback).
    explicit HttpClient(int port, const std::string& host = "127.0.0.1", const std::string& source = "");
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    // The peer closed this connection (seen while reading): the next request() would get status 0 at once, so
    // a client that keeps going opens a new connection, as curl and browsers do.
    bool peer_closed() const { return eof_; }
    int local_port() const;  // to tell connections apart in tests
    void send_raw(const std::string& bytes);
    void shutdown_write();  // half-close: the peer reads the end of what was sent
    // Reads one response. `head_request` = the request was HEAD (no body). `max_body` stops reading into
    // memory beyond that many bytes (the rest is read and discarded; body_bytes counts all).
    // An interim 1xx response (e.g. 100 Continue) is returned as a response of its own: call again for the
    // final one. Bodies: Content-Length, chunked (de-chunked), or read until the peer closes.
    // On a timeout or close mid-body the response is returned with what arrived (status set).
    HttpResponse read_response(bool head_request = false,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Sends a request (adds Host unless given, and Content-Length when there is a body or the method is
    // POST/PUT, unless given) and reads the final response, skipping 1xx interim responses.
    HttpResponse request(const std::string& method, const std::string& target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         const std::string& body = "");
    // True if the peer closed (read returns 0 or reset) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::uint64_t last_body_bytes() const { return last_body_bytes_; }
    void set_max_body_in_memory(std::size_t bytes) { max_body_ = bytes; }
    void close();

private:
    // Reads more bytes into buffer_; false on timeout, close (sets eof_) or error.
    bool fill(std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
    int port_ = 0;
    std::string host_;
    bool eof_ = false;
    std::string buffer_;
    std::uint64_t last_body_bytes_ = 0;
    std::size_t max_body_ = static_cast<std::size_t>(-1);
};

// One-shot GET on a fresh connection.
HttpResponse http_get(int port, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace gisgate::test
