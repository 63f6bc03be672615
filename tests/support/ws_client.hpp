// WebSocket subscribers for tests (Boost.Beast): many at once on one thread, plain or TLS, each checking that the
// stream service's messages arrive whole and in order (`attributes.seq` 1, 2, 3, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gisgate::test {

struct WsSubscription {
    int status = 0;            // of the handshake's answer (101 when it was accepted; 0 when none came)
    std::string site;          // X-Gisgate-Sim-Site of that answer
    std::vector<long> seqs;    // `attributes.seq` of each message read
    bool intact = true;        // every message was a JSON feature with a seq
    int close_code = 0;        // the close frame's code, when the other side sent one
    std::string error;         // how reading ended early (empty when `messages` were read)
    double ended_ms = -1;      // when it ended, from the start of the run (-1: still open at the timeout)
    bool in_order() const;     // seqs are 1..N without a gap
};

struct WsOptions {
    bool tls = false;          // wss (certificates not verified)
    int messages = 10;         // read this many, then close cleanly; 0 = read until the other side ends
    std::chrono::milliseconds timeout{30000};  // for the whole run
    int max_opening = 64;      // subscriptions in their handshakes at once (the others wait their turn)
};

// Opens `count` subscriptions to ws(s)://127.0.0.1:`port``target` (`max_opening` handshakes at a time, each
// subscription staying open while it reads) and runs them to the end.
std::vector<WsSubscription> subscribe_all(int port, const std::string& target, int count, const WsOptions& options);

}  // namespace gisgate::test
