#include "proxy/retry_policy.hpp"

#include <array>

#include "util/ascii.hpp"

namespace gisgate::proxy {
namespace {

constexpr auto iequal = util::iequals;

// RFC 9110 §9.2.1: the server is not asked to change anything, so an unanswered request may go again.
bool safe_method(http::Method m) {
    return m == http::Method::get || m == http::Method::head || m == http::Method::options ||
           m == http::Method::trace;
}

constexpr std::array<std::string_view, 9> kEditOperations = {
    "applyEdits", "addFeatures", "updateFeatures", "deleteFeatures", "calculate",
    "append",     "addAttachment", "updateAttachment", "deleteAttachments"};

}  // namespace

Replay may_replay(const ReplayQuestion& q) {
    const bool sent = q.failure != Failure::connect_failed && q.failure != Failure::connect_timeout;
    // A private (NTLM/Negotiate) connection's request would lose its handshake or its user anywhere else.
    if (sent && q.connection_bound) return Replay::no;
    switch (q.failure) {
        case Failure::connect_failed:
        case Failure::connect_timeout:
            return Replay::next_server;  // nothing was sent
        case Failure::send_failed:
            // Part of the request may have been read. Only a request that is harmless twice goes again; on
            // a pooled connection the likely cause is the server having closed it while idle.
            if (q.state_changing || q.body_streamed) return Replay::no;
            return q.reused ? Replay::same_server_new_connection : Replay::next_server;
        case Failure::closed_without_answer:
            if (q.state_changing || q.body_streamed || !safe_method(q.method)) return Replay::no;
            return q.reused ? Replay::same_server_new_connection : Replay::next_server;
        case Failure::timed_out_without_answer:
            // A hung server: NGINX's default proxy_next_upstream "timeout", for safe requests only.
            if (q.state_changing || q.body_streamed || !safe_method(q.method) || !q.retry_on_timeout)
                return Replay::no;
            return Replay::next_server;
    }
    return Replay::no;
}

std::string job_owner_unavailable(std::string_view job_id, std::string_view server, std::string_view why,
                                  std::string_view what) {
    std::string m(what);
    m.append(" ").append(job_id).append(" belongs to server ").append(server).append(", which is ").append(why);
    return m;
}

RetryDecision decide_retry(const RetryContext& c) {
    using Action = RetryDecision::Action;
    const Failure f = c.replay.failure;
    const bool timeout = f == Failure::connect_timeout || f == Failure::timed_out_without_answer;
    const bool connect = f == Failure::connect_failed || f == Failure::connect_timeout;
    switch (may_replay(c.replay)) {
        case Replay::same_server_new_connection:
            // A pooled connection the server had closed: not its failure, but not forever either.
            if (c.stale_retries >= 4) return {Action::fail, 502, "server keeps closing connections"};
            return {Action::retry_same, 0, {}};
        case Replay::next_server: {
            std::string what(c.server);
            if (connect) what.append(": ").append(c.detail.empty() ? std::string_view("connect failed") : c.detail);
            else if (f == Failure::send_failed) what += ": failed while receiving the request";
            else what += f == Failure::timed_out_without_answer ? ": no answer within the server timeout"
                                                                : ": closed without answering";
            const int status = timeout ? 504 : 502;
            if (!c.job_id.empty())
                return {Action::fail, connect ? 503 : status,
                        job_owner_unavailable(c.job_id, c.server, connect ? "unreachable" : "failing", c.pinned_what)};
            if (c.attempt + 1 > c.retries) return {Action::fail, status, "no server reachable: " + what};
            return {Action::retry_other, status, std::move(what)};
        }
        case Replay::no: break;
    }
    switch (f) {
        case Failure::send_failed: return {Action::fail, 502, "server failed while receiving the request"};
        case Failure::timed_out_without_answer: return {Action::fail, 504, "server did not answer in time"};
        case Failure::closed_without_answer:
            return {Action::fail, 502, "server closed the connection without answering"};
        case Failure::connect_failed:
        case Failure::connect_timeout: break;  // always next_server above
    }
    return {Action::fail, 502, "no server reachable"};
}

bool is_state_changing(const gis::Classification& c, std::string_view path) {
    if (c.operation.empty()) return false;
    if (iequal(c.operation, "execute") || iequal(c.operation, "submitJob")) return iequal(c.type, "GPServer");
    if (iequal(c.operation, "uploads")) {
        // ".../uploads/upload" stores a file; ".../uploads/<itemId>" only describes one.
        while (!path.empty() && path.back() == '/') path.remove_suffix(1);
        const std::size_t at = path.rfind('/');
        return at != std::string_view::npos && iequal(path.substr(at + 1), "upload");
    }
    for (const std::string_view op : kEditOperations)
        if (iequal(c.operation, op)) return true;
    return false;
}

bool replayable_on_stale_connection(http::Method method, bool state_changing) {
    return !state_changing && http::is_idempotent(method) && method != http::Method::put &&
           method != http::Method::del;
}

}  // namespace gisgate::proxy
