// libFuzzer target: the PROXY protocol header parser (v1 and v2) and its writers. Invariants: no crash or
// out-of-bounds read (ASan), an error carries a reason and nothing else; a complete header fits the input and
// its version's bound and parses the same from exactly its own bytes; no prefix of a header that is not an
// error is an error or complete (the parser never completes early nor waits on an impossible header); an
// incomplete input is shorter than the bound; and addresses written back with write_proxy_v1/v2 parse to the
// same endpoints.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/proxy_protocol.hpp"

using namespace gisgate::net;

namespace {

// Writes `h`'s addresses with one of the writers and checks that they parse back unchanged.
void check_round_trip(const ProxyHeader& h, int version) {
    static std::string out;
    out.clear();
    if (version == 1) write_proxy_v1(h.source, h.destination, out);
    else write_proxy_v2(h.source, h.destination, out);
    const std::size_t written = out.size();
    FUZZ_CHECK(written <= (version == 1 ? kProxyV1MaxSize : kProxyV2MaxSize));
    out += "GET / HTTP/1.1\r\n";  // bytes after the header must not change it
    const ProxyParseResult r = parse_proxy_header(out);
    FUZZ_CHECK(r.status == ProxyParse::complete);
    FUZZ_CHECK(r.header.version == version);
    FUZZ_CHECK(r.header.command == ProxyHeader::Command::proxy && r.header.has_addresses);
    FUZZ_CHECK(r.header.size == written);
    FUZZ_CHECK(r.header.source == h.source && r.header.destination == h.destination);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buf(reinterpret_cast<const char*>(data), size);
    const ProxyParseResult r = parse_proxy_header(buf);

    if (r.status == ProxyParse::error) {
        FUZZ_CHECK(r.error != nullptr && r.error[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(r.error == nullptr);

    if (r.status == ProxyParse::incomplete) {
        FUZZ_CHECK(size < kProxyV2MaxSize);
        if (size > 0 && buf[0] == 'P') FUZZ_CHECK(size < kProxyV1MaxSize);
        // One byte shorter is incomplete too (by induction, every prefix is).
        if (size > 0) FUZZ_CHECK(parse_proxy_header(buf.substr(0, size - 1)).status == ProxyParse::incomplete);
        return 0;
    }

    const ProxyHeader& h = r.header;
    FUZZ_CHECK(h.size > 0 && h.size <= size);
    FUZZ_CHECK(h.version == 1 || h.version == 2);
    FUZZ_CHECK(h.size <= (h.version == 1 ? kProxyV1MaxSize : kProxyV2MaxSize));
    if (h.version == 1) FUZZ_CHECK(h.command == ProxyHeader::Command::proxy);
    if (h.command == ProxyHeader::Command::local) FUZZ_CHECK(!h.has_addresses);
    if (h.has_addresses) {
        FUZZ_CHECK(h.source.address().is_v4() == h.destination.address().is_v4());
        if (h.source.address().is_v6()) {
            FUZZ_CHECK(h.source.address().to_v6().scope_id() == 0 && h.destination.address().to_v6().scope_id() == 0);
        }
    }

    // The header alone parses to the same result: nothing after it was looked at.
    const ProxyParseResult own = parse_proxy_header(buf.substr(0, h.size));
    FUZZ_CHECK(own.status == ProxyParse::complete);
    FUZZ_CHECK(own.header.size == h.size && own.header.version == h.version && own.header.command == h.command);
    FUZZ_CHECK(own.header.has_addresses == h.has_addresses);
    FUZZ_CHECK(own.header.source == h.source && own.header.destination == h.destination);

    // Every strict prefix is incomplete (at most kProxyV2MaxSize parses, each cheap).
    for (std::size_t n = 0; n < h.size; ++n)
        FUZZ_CHECK(parse_proxy_header(buf.substr(0, n)).status == ProxyParse::incomplete);

    if (h.has_addresses) {
        check_round_trip(h, 1);
        check_round_trip(h, 2);
    }
    return 0;
}
