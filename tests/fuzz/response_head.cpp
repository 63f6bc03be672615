// libFuzzer target: the response head parser, for a GET and a HEAD request. Invariants: views inside the
// input, a bodiless answer never claims a body, until-close responses are never kept alive, a complete head
// re-parses identically from its own bytes, and every error is a 502.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/response_head.hpp"

using namespace gisgate::http;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buf(reinterpret_cast<const char*>(data), size);
    static ResponseHead head, again;
    for (Method method : {Method::get, Method::head}) {
        const ParseResult r = parse_response_head(buf, method, 4096, 16, head);
        if (r.status == ParseStatus::error) {
            FUZZ_CHECK(r.error != nullptr && r.error_status == 502);
            continue;
        }
        if (r.status == ParseStatus::incomplete) continue;
        FUZZ_CHECK(head.head_size <= buf.size() && head.head_size <= 4096);
        FUZZ_CHECK(head.status >= 100 && head.status <= 999);
        FUZZ_CHECK(inside(head.reason, buf) && inside(head.connection, buf));
        for (const auto& f : head.headers) FUZZ_CHECK(inside(f.name, buf) && inside(f.value, buf));
        const bool bodiless = head.status < 200 || head.status == 204 || head.status == 304 || method == Method::head;
        if (bodiless) FUZZ_CHECK(head.framing == BodyFraming::none && !head.until_close && head.content_length == 0);
        if (head.until_close) FUZZ_CHECK(!head.keep_alive && head.framing == BodyFraming::none);
        const ParseResult r2 = parse_response_head(buf.substr(0, head.head_size), method, 4096, 16, again);
        FUZZ_CHECK(r2.status == ParseStatus::complete && again.head_size == head.head_size);
        FUZZ_CHECK(again.framing == head.framing && again.content_length == head.content_length &&
                   again.until_close == head.until_close && again.status == head.status);
    }
    return 0;
}
