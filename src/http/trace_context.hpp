// Request ids and W3C Trace Context (https://www.w3.org/TR/trace-context/): what gisgate accepts from a client,
// and the ids it makes. Pure functions plus a per-worker id source, so the request path takes no lock and makes
// no system call per request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gisgate::http {

// Fast ids for one worker thread: splitmix64 seeded from getrandom(2). Not for secrets: request ids and trace
// ids must be unique and unguessable enough to not collide across a fleet, not cryptographic.
class IdSource {
public:
    IdSource();
    std::uint64_t next();

private:
    std::uint64_t state_;
};

// An id a trusted proxy sent that gisgate passes on: 1..128 visible ASCII characters other than '"' and '\',
// so it is safe in a header, a log line and a JSON string.
bool acceptable_request_id(std::string_view id);

// 32 lower-case hex digits from 128 random bits, never all zero (the id may become a trace id), into `out`
// (replaced).
void make_request_id(IdSource& ids, std::string& out);

struct TraceParent {
    std::array<char, 32> trace_id{};  // lower-case hex
    std::array<char, 16> parent_id{};
    std::uint8_t flags = 0;
};

// A traceparent header value as §3.2 reads it: version 00 exactly "00-<32 hex>-<16 hex>-<2 hex>"; a higher
// version (not ff) may carry more after a '-'. All-zero ids are invalid. nullopt when it does not parse.
std::optional<TraceParent> parse_traceparent(std::string_view value);

// The traceparent gisgate sends: `incoming`'s trace id and flags with a new parent id (gisgate's span), or, when
// there is none, a new trace whose id is `request_id` when that is 32 hex digits (so logs and traces join), else
// random; not sampled. Writes "00-...-...-.." (55 characters) into `out`. `request_id_made_here`: the id came
// from make_request_id (32 hex digits, never all zero), so it is not checked again (this runs per request).
void make_traceparent(IdSource& ids, const std::optional<TraceParent>& incoming, std::string_view request_id,
                      std::string& out, bool request_id_made_here = false);

}  // namespace gisgate::http
