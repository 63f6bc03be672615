// libFuzzer target: the request head parser. Invariants: no crash or out-of-bounds read (ASan), every view
// points into the input, a complete head re-parses to the same result from exactly its own bytes, every
// prefix of a complete head is incomplete (the parser never completes early), and errors carry a status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/request_head.hpp"

using namespace gisgate::http;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_views(const RequestHead& h, std::string_view buf) {
    FUZZ_CHECK(h.head_size <= buf.size());
    FUZZ_CHECK(inside(h.method_text, buf) && inside(h.target, buf) && inside(h.path, buf) && inside(h.query, buf));
    FUZZ_CHECK(inside(h.host, buf) && inside(h.connection, buf));
    for (const auto& f : h.headers) FUZZ_CHECK(inside(f.name, buf) && inside(f.value, buf));
    FUZZ_CHECK(!h.method_text.empty() && !h.target.empty());
    FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
    FUZZ_CHECK(h.framing != BodyFraming::content_length || h.content_length > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buf(reinterpret_cast<const char*>(data), size);
    static RequestHead head;
    Limits small;
    small.max_request_line = 256;
    small.max_header_size = 1024;
    small.max_headers = 8;
    for (const Limits& limits : {Limits{}, small}) {
        const ParseResult r = parse_request_head(buf, limits, head);
        if (r.status == ParseStatus::error) {
            FUZZ_CHECK(r.error != nullptr);
            FUZZ_CHECK(r.error_status == 400 || r.error_status == 414 || r.error_status == 431 ||
                       r.error_status == 501 || r.error_status == 505);
            continue;
        }
        if (r.status == ParseStatus::incomplete) continue;
        check_views(head, buf);
        FUZZ_CHECK(head.head_size <= limits.max_header_size);
        const std::size_t head_size = head.head_size;
        // The head alone parses the same way.
        static RequestHead again;
        const ParseResult r2 = parse_request_head(buf.substr(0, head_size), limits, again);
        FUZZ_CHECK(r2.status == ParseStatus::complete && again.head_size == head_size);
        FUZZ_CHECK(again.framing == head.framing && again.content_length == head.content_length);
        // Cut one byte short, the head is never complete (bounded cost: only for small heads).
        if (head_size <= 2048) {
            const ParseResult r3 = parse_request_head(buf.substr(0, head_size - 1), limits, again);
            FUZZ_CHECK(r3.status != ParseStatus::complete);
        }
    }
    return 0;
}
