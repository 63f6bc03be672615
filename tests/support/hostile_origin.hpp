// A misbehaving origin server for robustness tests, on 127.0.0.1: one thread, poll() over every connection.
// Each complete request head gets the behaviour's answer: its own response (body = the request target, so a
// client can tell its answer from anyone else's) followed by an extra unsolicited response, sent in the same
// write or `extra_delay` later; or a flood of interim "100 Continue" heads and then silence; or a redirect.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace gisgate::test {

class HostileOrigin {
public:
    struct Behaviour {
        bool extra_response = false;                // a second, unasked-for response after each answer
        std::chrono::milliseconds extra_delay{0};   // 0: in the same write as the answer
        std::size_t interim_flood_bytes = 0;        // >0: this many bytes of "100 Continue" heads, then silence
        // Non-empty: answer every request with "302 Found" and this Location ("{self}" = 127.0.0.1:<port>),
        // plus the same as Content-Location and a Refresh with it.
        std::string redirect_location = {};
        // Answer with `Transfer-Encoding: chunked` whatever the request's version (as a non-compliant server
        // may to an HTTP/1.0 request): the target in chunks of 3 bytes.
        bool chunked_answer = false;
        // With chunked_answer: the trailer section's lines after the last chunk ("Name: value\r\n" each).
        std::string trailer_section = {};
    };

    explicit HostileOrigin(Behaviour behaviour);
    ~HostileOrigin();
    HostileOrigin(const HostileOrigin&) = delete;
    HostileOrigin& operator=(const HostileOrigin&) = delete;

    int port() const { return port_; }
    std::size_t requests() const { return requests_.load(); }      // request heads answered
    std::size_t extras_sent() const { return extras_sent_.load(); } // unsolicited responses written

    // The body of the extra response (never a request target, which starts with '/').
    static constexpr const char* kExtraBody = "UNSOLICITED";

private:
    void run();

    Behaviour behaviour_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> requests_{0};
    std::atomic<std::size_t> extras_sent_{0};
    std::thread thread_;
};

}  // namespace gisgate::test
