// libFuzzer target: HTTP/2 frames from a client (after the connection preface) through libnghttp2's server
// session, as h2::Connection receives them, into gisgate's own code: add_field() gathers each request's header
// block and write_http1_request() writes the HTTP/1.1 head the pipeline reads. Invariants: no crash (ASan); a
// request that translates parses back with gisgate's own HTTP/1.1 parser as exactly one complete head —
// same method, same target, Host equal to :authority — so no frame sequence can smuggle a second request or
// another header into the server's connection; and a header list never grows past its bound.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "h2/translation.hpp"
#include "http/request_head.hpp"

using namespace gisgate;

namespace {

constexpr std::size_t kMaxList = 16 * 1024;

struct State {
    std::map<std::int32_t, h2::RequestFields> pending;
};

void check_translation(const h2::RequestFields& fields, bool body_follows) {
    std::string head;
    const h2::RequestHeadResult r = h2::write_http1_request(fields, body_follows, head);
    if (!r.ok) {
        FUZZ_CHECK(r.status == 400 || r.status == 405);
        return;
    }
    http::RequestHead parsed;
    http::Limits limits;
    limits.max_header_size = 1 << 20;
    limits.max_request_line = 1 << 20;
    limits.max_headers = 100000;
    const auto p = http::parse_request_head(head, limits, parsed);
    if (p.status == http::ParseStatus::error) return;  // refused by the pipeline: a 4xx, never relayed
    FUZZ_CHECK(p.status == http::ParseStatus::complete);
    FUZZ_CHECK(parsed.head_size == head.size());  // one head, nothing after it
    FUZZ_CHECK(parsed.method_text == fields.method);
    FUZZ_CHECK(parsed.target == fields.path);
    if (!fields.authority.empty()) FUZZ_CHECK(parsed.host == fields.authority);
    FUZZ_CHECK((parsed.framing == http::BodyFraming::chunked) == r.chunked);
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        static_cast<State*>(user)->pending[frame->hd.stream_id] = {};
    return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
              const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
    auto& pending = static_cast<State*>(user)->pending;
    auto it = pending.find(frame->hd.stream_id);
    if (it == pending.end()) return 0;
    h2::add_field(it->second, {reinterpret_cast<const char*>(name), namelen},
                  {reinterpret_cast<const char*>(value), valuelen}, kMaxList);
    FUZZ_CHECK(it->second.fields.size() * 32 <= kMaxList + 32);
    return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& pending = static_cast<State*>(user)->pending;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto it = pending.find(frame->hd.stream_id);
    if (it == pending.end()) return 0;
    if (it->second.size <= kMaxList)
        check_translation(it->second, (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0);
    pending.erase(it);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    State state;
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session* session = nullptr;
    nghttp2_session_server_new(&session, cbs, &state);
    nghttp2_session_callbacks_del(cbs);
    // The preface is given: the input is the frames after it.
    nghttp2_session_mem_recv(session, reinterpret_cast<const std::uint8_t*>(kPreface.data()), kPreface.size());
    nghttp2_session_mem_recv(session, data, size);
    nghttp2_session_del(session);
    return 0;
}
