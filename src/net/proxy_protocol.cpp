#include "net/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace gisgate::net {
namespace {
// A named namespace inside the anonymous one: gisgate_core compiles its files in unity batches, where
// file-local names must not meet another file's.
namespace proxy_wire {

using Bytes4 = asio::ip::address_v4::bytes_type;
using Bytes16 = asio::ip::address_v6::bytes_type;

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr unsigned char kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t kV2FixedSize = 16;  // signature, version/command, family/transport, length
// The longest IPv6 text inet_pton accepts: six groups and an embedded dotted quad
// ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
constexpr std::size_t kIpv6MaxText = 45;

ProxyParseResult incomplete() { return {}; }

ProxyParseResult fail(const char* why) {
    ProxyParseResult r;
    r.status = ProxyParse::error;
    r.error = why;
    return r;
}

ProxyParseResult complete(const ProxyHeader& header) {
    ProxyParseResult r;
    r.status = ProxyParse::complete;
    r.header = header;
    return r;
}

unsigned byte_at(std::string_view bytes, std::size_t i) { return static_cast<unsigned char>(bytes[i]); }

enum class Match { full, partial, mismatch };

// bytes[pos..] against `literal`, as far as both go: `partial` when the bytes end inside the literal.
Match match_literal(std::string_view bytes, std::size_t pos, std::string_view literal) {
    const std::size_t n = std::min(literal.size(), bytes.size() - pos);
    if (bytes.substr(pos, n) != literal.substr(0, n)) return Match::mismatch;
    return n == literal.size() ? Match::full : Match::partial;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The text checks below take `whole` = false for a field whose terminator has not arrived yet. Every check
// made on such a prefix is a necessary condition of the whole field's validity, so a prefix that passes may
// still fail once complete, but a prefix never fails where its completion would pass: the parser can say
// `error` at the first impossible byte and `incomplete` never turns out to have been wrong.

// v1 IPv4: exactly four decimal numbers 0-255 separated by single dots, no leading zeros (section 2.1: they
// could be read as octal). Hand-written because inet_pton's rules are the C library's, not the spec's.
bool ipv4_text(std::string_view s, bool whole, Bytes4& out) {
    std::size_t group = 0;
    int digits = 0;
    unsigned value = 0;
    for (const char c : s) {
        if (c == '.') {
            if (digits == 0 || group == 3) return false;  // an empty number, or a fifth one
            out[group++] = static_cast<unsigned char>(value);
            digits = 0;
            value = 0;
        } else if (is_digit(c)) {
            if (digits == 1 && value == 0) return false;  // leading zero
            value = value * 10 + static_cast<unsigned>(c - '0');
            if (++digits > 3 || value > 255) return false;
        } else {
            return false;
        }
    }
    if (!whole) return true;
    if (digits == 0 || group != 3) return false;
    out[3] = static_cast<unsigned char>(value);
    return true;
}

// v1 IPv6: the whole text goes to inet_pton (the standard forms: "::" once, an embedded dotted quad at the
// end, no scope id). A prefix is checked for what inet_pton would refuse in any completion: other characters,
// more than 45 of them, a group of more than 4 hex digits, ":::" or a second "::", a single leading ':', and
// in the dotted quad anything but 1-3 decimal digits per number (and at most four numbers).
bool ipv6_text(std::string_view s, bool whole, Bytes16& out) {
    if (s.size() > kIpv6MaxText) return false;
    if (s.size() >= 2 && s[0] == ':' && s[1] != ':') return false;
    int run = 0;            // characters since the last separator
    bool run_decimal = true;
    bool double_colon = false;
    int dots = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == ':') {
            if (dots > 0) return false;
            if (i >= 1 && s[i - 1] == ':') {
                if (double_colon) return false;  // a second "::", or ":::"
                double_colon = true;
            }
            run = 0;
            run_decimal = true;
        } else if (c == '.') {
            if (run == 0 || run > 3 || !run_decimal || ++dots > 3) return false;
            run = 0;
        } else if (is_hex(c)) {
            if (dots > 0 && !is_digit(c)) return false;
            run_decimal = run_decimal && is_digit(c);
            if (++run > 4) return false;
        } else {
            return false;
        }
    }
    if (dots > 0 && run > 3) return false;
    if (!whole) return true;
    if (s.empty()) return false;
    char text[kIpv6MaxText + 1];
    std::memcpy(text, s.data(), s.size());
    text[s.size()] = '\0';
    return ::inet_pton(AF_INET6, text, out.data()) == 1;
}

// v1 port: decimal 0-65535, no sign, no leading zero (section 2.1).
bool port_text(std::string_view s, bool whole, std::uint16_t& out) {
    unsigned value = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!is_digit(s[i])) return false;
        if (i == 1 && s[0] == '0') return false;
        value = value * 10 + static_cast<unsigned>(s[i] - '0');
        if (value > 65535) return false;
    }
    if (whole && s.empty()) return false;
    out = static_cast<std::uint16_t>(value);
    return true;
}

// "UNKNOWN": the spec has the receiver ignore whatever precedes the CRLF, so after "UNKNOWN" comes either the
// CRLF or a space and then anything but CR or LF up to it. `pos` is just after "UNKNOWN".
ProxyParseResult parse_v1_unknown(std::string_view bytes, std::size_t pos) {
    if (pos == bytes.size()) return incomplete();
    if (bytes[pos] == ' ') {
        ++pos;
        while (pos < bytes.size() && bytes[pos] != '\r' && bytes[pos] != '\n') ++pos;
        if (pos == bytes.size()) return incomplete();
    }
    if (bytes[pos] != '\r') return fail(bytes[pos] == '\n' ? "PROXY v1: LF without CR" : "PROXY v1: bad protocol");
    if (pos + 1 == bytes.size()) return incomplete();
    if (bytes[pos + 1] != '\n') return fail("PROXY v1: CR without LF");
    ProxyHeader h;
    h.command = ProxyHeader::Command::proxy;
    h.has_addresses = false;
    h.size = pos + 2;
    h.version = 1;
    return complete(h);
}

// "PROXY TCP4 src dst sport dport\r\n" (or TCP6), `bytes` at most kProxyV1MaxSize long.
ProxyParseResult parse_v1_line(std::string_view bytes) {
    switch (match_literal(bytes, 0, kV1Prefix)) {
        case Match::mismatch: return fail("not a PROXY protocol header");
        case Match::partial: return incomplete();
        case Match::full: break;
    }
    std::size_t pos = kV1Prefix.size();
    const Match tcp4 = match_literal(bytes, pos, "TCP4 ");
    const Match tcp6 = match_literal(bytes, pos, "TCP6 ");
    const Match unknown = match_literal(bytes, pos, "UNKNOWN");
    if (unknown == Match::full) return parse_v1_unknown(bytes, pos + 7);
    if (tcp4 != Match::full && tcp6 != Match::full) {
        if (tcp4 == Match::partial || tcp6 == Match::partial || unknown == Match::partial) return incomplete();
        return fail("PROXY v1: bad protocol (TCP4, TCP6 or UNKNOWN)");
    }
    const bool v6 = tcp6 == Match::full;
    pos += 5;

    // Four fields, each ended by exactly one separator: a space, and CR after the last one. An empty field is
    // two spaces in a row, which the spec forbids ("exactly one space").
    enum Field { src_addr, dst_addr, src_port, dst_port };
    static constexpr const char* kBad[] = {"PROXY v1: bad source address", "PROXY v1: bad destination address",
                                           "PROXY v1: bad source port", "PROXY v1: bad destination port"};
    Bytes4 addr4[2]{};
    Bytes16 addr6[2]{};
    std::uint16_t ports[2]{};
    for (int field = src_addr; field <= dst_port; ++field) {
        const std::size_t start = pos;
        while (pos < bytes.size() && bytes[pos] != ' ' && bytes[pos] != '\r' && bytes[pos] != '\n') ++pos;
        const bool whole = pos < bytes.size();
        const std::string_view text = bytes.substr(start, pos - start);
        if (whole && text.empty()) return fail("PROXY v1: empty field (more than one space?)");
        bool ok;
        if (field == src_addr || field == dst_addr) {
            ok = v6 ? ipv6_text(text, whole, addr6[field]) : ipv4_text(text, whole, addr4[field]);
        } else {
            ok = port_text(text, whole, ports[field - src_port]);
        }
        if (!ok) return fail(kBad[field]);
        if (!whole) return incomplete();
        const char separator = bytes[pos];
        if (separator == '\n') return fail("PROXY v1: LF without CR");
        if (field == dst_port && separator != '\r') return fail("PROXY v1: more than four fields");
        if (field != dst_port && separator != ' ') return fail("PROXY v1: fewer than four fields");
        ++pos;
    }
    if (pos == bytes.size()) return incomplete();
    if (bytes[pos] != '\n') return fail("PROXY v1: CR without LF");

    ProxyHeader h;
    h.command = ProxyHeader::Command::proxy;
    h.has_addresses = true;
    if (v6) {
        h.source = tcp::endpoint(asio::ip::address_v6(addr6[0]), ports[0]);
        h.destination = tcp::endpoint(asio::ip::address_v6(addr6[1]), ports[1]);
    } else {
        h.source = tcp::endpoint(asio::ip::address_v4(addr4[0]), ports[0]);
        h.destination = tcp::endpoint(asio::ip::address_v4(addr4[1]), ports[1]);
    }
    h.size = pos + 1;
    h.version = 1;
    return complete(h);
}

ProxyParseResult parse_v1(std::string_view bytes) {
    // Only the first 107 bytes can be part of a v1 header: without its CRLF among them, the line is invalid.
    const std::string_view line = bytes.substr(0, kProxyV1MaxSize);
    ProxyParseResult r = parse_v1_line(line);
    if (r.status == ProxyParse::incomplete && line.size() == kProxyV1MaxSize)
        return fail("PROXY v1: no CRLF within 107 bytes");
    return r;
}

// The address block a v2 family/transport pair carries; 0 when unspecified (its content, if any, is unknown).
std::size_t v2_address_size(unsigned family, unsigned transport) {
    if (transport == 0) return 0;  // UNSPEC transport
    switch (family) {
        case 1: return 12;   // AF_INET: 2 x 4 bytes, 2 ports
        case 2: return 36;   // AF_INET6: 2 x 16 bytes, 2 ports
        case 3: return 216;  // AF_UNIX: 2 x 108 bytes
        default: return 0;   // AF_UNSPEC
    }
}

ProxyParseResult parse_v2(std::string_view bytes) {
    const std::size_t n = std::min(bytes.size(), sizeof kV2Signature);
    if (std::memcmp(bytes.data(), kV2Signature, n) != 0) return fail("PROXY v2: bad signature");
    if (bytes.size() <= 12) return incomplete();

    // The 13th byte: version in the high nibble (only 2 exists), command in the low one.
    const unsigned version_command = byte_at(bytes, 12);
    if ((version_command >> 4) != 2) return fail("PROXY v2: unsupported version");
    const unsigned command = version_command & 0x0F;
    if (command > 1) return fail("PROXY v2: unknown command");
    if (bytes.size() <= 13) return incomplete();

    // The 14th byte: address family in the high nibble, transport in the low one. Values the spec does not
    // define must be rejected, whatever the command.
    const unsigned family = byte_at(bytes, 13) >> 4;
    const unsigned transport = byte_at(bytes, 13) & 0x0F;
    if (family > 3) return fail("PROXY v2: unknown address family");
    if (transport > 2) return fail("PROXY v2: unknown transport");
    if (bytes.size() < kV2FixedSize) return incomplete();

    const std::size_t block = (byte_at(bytes, 14) << 8) | byte_at(bytes, 15);
    const std::size_t total = kV2FixedSize + block;
    if (total > kProxyV2MaxSize) return fail("PROXY v2: header longer than 4096 bytes");

    ProxyHeader h;
    h.size = total;
    h.version = 2;
    if (command == 0) {
        // LOCAL (a health check from the balancer itself): the spec has the receiver discard the block,
        // family included, so its content is not looked at; only its length counts.
        h.command = ProxyHeader::Command::local;
        if (bytes.size() < total) return incomplete();
        return complete(h);
    }
    h.command = ProxyHeader::Command::proxy;

    const std::size_t address_size = v2_address_size(family, transport);
    if (block < address_size) return fail("PROXY v2: length shorter than the address block");
    // After a known address block, the rest is TLVs (type, 2-byte length, value) that must tile it exactly,
    // as HAProxy checks too: a TLV running past the end means the length field or the TLV is wrong, and
    // guessing which would misplace the first payload byte. Walked as far as the bytes have arrived, so a bad
    // TLV length is an error before the rest of the header comes. (After an UNSPEC family the block's content
    // is not defined, so it is skipped unread.)
    if (address_size > 0) {
        std::size_t pos = kV2FixedSize + address_size;
        while (pos < total) {
            if (total - pos < 3) return fail("PROXY v2: bytes after the last TLV");  // too few for a TLV
            if (pos + 3 > bytes.size()) break;                                      // not arrived yet
            const std::size_t value = (byte_at(bytes, pos + 1) << 8) | byte_at(bytes, pos + 2);
            if (value > total - pos - 3) return fail("PROXY v2: TLV longer than the header");
            pos += 3 + value;
        }
    }
    if (bytes.size() < total) return incomplete();

    // TCP over IPv4 or IPv6 gives the addresses. The other valid pairs (UDP, AF_UNIX, UNSPEC) fall back to
    // the real connection endpoints, as the spec asks of a receiver that does not implement them.
    const char* a = bytes.data() + kV2FixedSize;
    const auto port = [&](std::size_t at) {
        return static_cast<std::uint16_t>((byte_at(bytes, kV2FixedSize + at) << 8) | byte_at(bytes, kV2FixedSize + at + 1));
    };
    if (transport == 1 && family == 1) {
        Bytes4 src, dst;
        std::memcpy(src.data(), a, 4);
        std::memcpy(dst.data(), a + 4, 4);
        h.source = tcp::endpoint(asio::ip::address_v4(src), port(8));
        h.destination = tcp::endpoint(asio::ip::address_v4(dst), port(10));
        h.has_addresses = true;
    } else if (transport == 1 && family == 2) {
        Bytes16 src, dst;
        std::memcpy(src.data(), a, 16);
        std::memcpy(dst.data(), a + 16, 16);
        h.source = tcp::endpoint(asio::ip::address_v6(src), port(32));
        h.destination = tcp::endpoint(asio::ip::address_v6(dst), port(34));
        h.has_addresses = true;
    }
    return complete(h);
}

// One family for both ends: IPv4 stays IPv4 only when both are; otherwise IPv4 becomes ::ffff:a.b.c.d. The
// scope id is dropped (the protocol has no place for it).
Bytes16 to_v6_bytes(const asio::ip::address& a) {
    if (a.is_v6()) return a.to_v6().to_bytes();
    Bytes16 b{};
    b[10] = 0xFF;
    b[11] = 0xFF;
    const Bytes4 v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), b.begin() + 12);
    return b;
}

void append_port(std::string& out, unsigned short port) {
    char buf[8];
    const auto r = std::to_chars(buf, buf + sizeof buf, port);
    out.append(buf, r.ptr);
}

void append_ntop(std::string& out, int family, const void* bytes) {
    char buf[INET6_ADDRSTRLEN];
    if (::inet_ntop(family, bytes, buf, sizeof buf) != nullptr) out.append(buf);
}

void append_be16(std::string& out, unsigned value) {
    out.push_back(static_cast<char>((value >> 8) & 0xFF));
    out.push_back(static_cast<char>(value & 0xFF));
}

template <std::size_t N>
void append_bytes(std::string& out, const std::array<unsigned char, N>& b) {
    out.append(reinterpret_cast<const char*>(b.data()), N);
}

}  // namespace proxy_wire
}  // namespace

ProxyParseResult parse_proxy_header(std::string_view bytes) {
    if (bytes.empty()) return proxy_wire::incomplete();
    // v1 starts with 'P', v2 with CR: the first byte decides, and anything else is not a PROXY header.
    if (bytes[0] == 'P') return proxy_wire::parse_v1(bytes);
    if (bytes[0] == '\r') return proxy_wire::parse_v2(bytes);
    return proxy_wire::fail("not a PROXY protocol header");
}

void write_proxy_v1(const tcp::endpoint& source, const tcp::endpoint& destination, std::string& out) {
    const bool v4 = source.address().is_v4() && destination.address().is_v4();
    out.append(v4 ? "PROXY TCP4 " : "PROXY TCP6 ");
    for (const tcp::endpoint* e : {&source, &destination}) {
        if (v4) {
            const proxy_wire::Bytes4 b = e->address().to_v4().to_bytes();
            proxy_wire::append_ntop(out, AF_INET, b.data());
        } else {
            const proxy_wire::Bytes16 b = proxy_wire::to_v6_bytes(e->address());
            proxy_wire::append_ntop(out, AF_INET6, b.data());
        }
        out.push_back(' ');
    }
    proxy_wire::append_port(out, source.port());
    out.push_back(' ');
    proxy_wire::append_port(out, destination.port());
    out.append("\r\n");
}

void write_proxy_v2(const tcp::endpoint& source, const tcp::endpoint& destination, std::string& out) {
    const bool v4 = source.address().is_v4() && destination.address().is_v4();
    out.append(reinterpret_cast<const char*>(proxy_wire::kV2Signature), sizeof proxy_wire::kV2Signature);
    out.push_back('\x21');                 // version 2, PROXY
    out.push_back(v4 ? '\x11' : '\x21');   // TCP over IPv4 / IPv6
    proxy_wire::append_be16(out, v4 ? 12 : 36);
    if (v4) {
        proxy_wire::append_bytes(out, source.address().to_v4().to_bytes());
        proxy_wire::append_bytes(out, destination.address().to_v4().to_bytes());
    } else {
        proxy_wire::append_bytes(out, proxy_wire::to_v6_bytes(source.address()));
        proxy_wire::append_bytes(out, proxy_wire::to_v6_bytes(destination.address()));
    }
    proxy_wire::append_be16(out, source.port());
    proxy_wire::append_be16(out, destination.port());
}

}  // namespace gisgate::net
