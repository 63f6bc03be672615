// When a failed exchange with a server may be sent again: one pure function, so every retry decision of the
// HTTP path is made in one place (NGINX's ngx_http_upstream_next(), Envoy's RetryStateImpl) and can be tested
// as a table. Never replayed once any byte reached a server: a request that changes state or burns minutes
// of CPU on a GIS server, whatever its method (GPServer execute and submitJob, uploads, feature edits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gis/classify.hpp"
#include "http/method.hpp"

namespace gisgate::proxy {

enum class Failure {
    connect_failed,            // refused or unreachable: nothing was sent
    connect_timeout,           // no connection within timeouts.connect: nothing was sent
    send_failed,               // writing the request failed (the server may have read part of it)
    closed_without_answer,     // the server closed (or reset) before any byte of a response
    timed_out_without_answer,  // no byte of a response within timeouts.server
};

enum class Replay {
    no,                          // answer the client with an error
    same_server_new_connection,  // a pooled connection the server had closed: not the server's failure
    next_server,                 // counts as a retry (`retries`); the server is not tried again
};

struct ReplayQuestion {
    Failure failure = Failure::closed_without_answer;
    http::Method method = http::Method::get;
    bool state_changing = false;    // is_state_changing() of the request
    bool body_streamed = false;     // request body bytes were sent after the first write
    bool reused = false;            // the exchange ran on a pooled connection
    bool retry_on_timeout = true;   // the route's `retry_on_timeout`
    // The exchange ran on (or was to start) a connection-bound NTLM/Negotiate handshake (private_connection.hpp):
    // sent again on any other connection it would lose its authentication, so once sent it never goes again.
    bool connection_bound = false;
};

Replay may_replay(const ReplayQuestion& q);

// The whole decision after a failed attempt, for the HTTP and the TCP path alike: may_replay() plus the request's
// retry budget and pinning, with the status and message the client gets when it ends there.
struct RetryContext {
    ReplayQuestion replay;
    std::uint32_t attempt = 0;        // other servers tried so far after failures (counts toward `retries`)
    std::uint32_t retries = 0;        // the route's or pool's `retries`
    std::uint32_t stale_retries = 0;  // new connections after stale pooled ones (not counted as retries)
    std::string_view server;          // the server that failed
    std::string_view detail;          // connect failures: "connect timeout" or the socket error's text
    std::string_view job_id;          // set when the request is pinned to its geoprocessing job's server
    std::string_view pinned_what = "geoprocessing job";  // or "upload item": what job_id names
};

struct RetryDecision {
    enum class Action : std::uint8_t { retry_same, retry_other, fail };
    Action action = Action::fail;
    int status = 502;     // fail: the status for the client
    std::string message;  // fail: the JSON error message; retry_other: what failed (for the final message)
};

RetryDecision decide_retry(const RetryContext& c);

// The answer when a request's geoprocessing job lives on a server that cannot take it (down, unreachable or
// failing): only that server knows the job, so no other may answer (503).
// `what` names the kind of id: "geoprocessing job" or "upload item" (an uploaded item is pinned the same way).
std::string job_owner_unavailable(std::string_view job_id, std::string_view server, std::string_view why,
                                  std::string_view what = "geoprocessing job");

// A GIS operation that changes state or starts long work, so that running it twice is never harmless, even
// for a GET: GPServer `execute` and `submitJob`, `uploads/upload`, and the feature edits (`applyEdits`,
// `addFeatures`, `updateFeatures`, `deleteFeatures`, `calculate`, `append`, attachment edits). `path` is the
// normalised path `c` was classified from.
bool is_state_changing(const gis::Classification& c, std::string_view path);

// Whether a pooled connection may carry the request although the server might close it meanwhile: only for
// requests may_replay() would send again after such a close.
bool replayable_on_stale_connection(http::Method method, bool state_changing);

}  // namespace gisgate::proxy
