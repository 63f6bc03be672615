// The PROXY protocol header (v1 text, v2 binary): valid headers of every kind parse with the size that finds the
// payload after them, every strict prefix of one is incomplete, malformed ones are errors from the first byte
// that rules them out, and what the writers produce parses back to the same endpoints.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/exact_buffer.hpp"
#include "net/proxy_protocol.hpp"

namespace gisgate::net {
namespace {

using http::test::ExactBuffer;
using namespace std::string_literals;

const std::string kSig = "\r\n\r\n\0\r\nQUIT\n"s;

// Parses from an exactly-sized heap copy, so that a sanitizer build flags any read past the end.
ProxyParseResult pp_parse(std::string_view bytes) {
    const ExactBuffer buf(bytes);
    return parse_proxy_header(buf.view());
}

tcp::endpoint pp_ep(const char* address, unsigned short port) {
    return tcp::endpoint(asio::ip::make_address(address), port);
}

std::string pp_be16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; }

// A v2 header: signature, version/command byte, family byte, the block's length, the block.
std::string pp_v2(unsigned char ver_cmd, unsigned char fam, const std::string& block) {
    return kSig + static_cast<char>(ver_cmd) + static_cast<char>(fam) + pp_be16(static_cast<unsigned>(block.size())) +
           block;
}

// 192.0.2.1:56324 -> 198.51.100.7:443 as a v2 AF_INET address block.
std::string pp_inet_block() { return "\xC0\x00\x02\x01\xC6\x33\x64\x07"s + pp_be16(56324) + pp_be16(443); }

// 2001:db8::1:56324 -> 2001:db8::2:443 as a v2 AF_INET6 address block.
std::string pp_inet6_block() {
    std::string b = "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x01"s;
    b += "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x02"s;
    return b + pp_be16(56324) + pp_be16(443);
}

std::string pp_tlv(unsigned char type, const std::string& value) {
    return std::string(1, static_cast<char>(type)) + pp_be16(static_cast<unsigned>(value.size())) + value;
}

// Valid headers of every kind, for the checks that hold for all of them.
std::vector<std::string> pp_valid_headers() {
    return {
        "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
        "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
        "PROXY TCP4 0.0.0.0 10.0.0.1 0 80\r\n",
        "PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n",
        "PROXY TCP6 ::ffff:10.0.0.1 ::1 1 2\r\n",
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
        "PROXY UNKNOWN\r\n",
        "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
        pp_v2(0x21, 0x11, pp_inet_block()),
        pp_v2(0x21, 0x21, pp_inet6_block()),
        pp_v2(0x20, 0x00, ""),
        pp_v2(0x20, 0x11, pp_inet_block()),
        pp_v2(0x21, 0x11, pp_inet_block() + pp_tlv(0x01, "http/1.1") + pp_tlv(0x04, "") + pp_tlv(0xEA, "vpce-0123")),
        pp_v2(0x21, 0x00, ""),
        pp_v2(0x21, 0x31, std::string(216, 'u')),
    };
}

// ---- v1 ----

TEST(ProxyProtocolV1, Tcp4) {
    const std::string h = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    const auto r = pp_parse(h);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.error, nullptr);
    EXPECT_EQ(r.header.version, 1);
    EXPECT_EQ(r.header.command, ProxyHeader::Command::proxy);
    EXPECT_TRUE(r.header.has_addresses);
    EXPECT_EQ(r.header.source, pp_ep("192.168.0.1", 56324));
    EXPECT_EQ(r.header.destination, pp_ep("192.168.0.11", 443));
    EXPECT_TRUE(r.header.source.address().is_v4());
    EXPECT_EQ(r.header.size, h.size());
}

TEST(ProxyProtocolV1, Tcp4Extremes) {
    const auto r = pp_parse("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.source, pp_ep("0.0.0.0", 0));
    EXPECT_EQ(r.header.destination, pp_ep("255.255.255.255", 65535));
}

TEST(ProxyProtocolV1, Tcp6) {
    const std::string h = "PROXY TCP6 2001:db8::1 2001:DB8:0:0:0:0:0:2 56324 443\r\n";
    const auto r = pp_parse(h);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.version, 1);
    EXPECT_TRUE(r.header.has_addresses);
    EXPECT_EQ(r.header.source, pp_ep("2001:db8::1", 56324));
    EXPECT_EQ(r.header.destination, pp_ep("2001:db8::2", 443));
    EXPECT_EQ(r.header.size, h.size());
}

TEST(ProxyProtocolV1, Tcp6MappedAndLongest) {
    auto r = pp_parse("PROXY TCP6 ::ffff:10.0.0.1 :: 1 2\r\n");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_TRUE(r.header.source.address().is_v6());  // the stated family, not converted
    EXPECT_EQ(r.header.source, pp_ep("::ffff:10.0.0.1", 1));
    EXPECT_EQ(r.header.destination, pp_ep("::", 2));

    // The spec's longest TCP6 line, 104 bytes.
    const std::string longest =
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    ASSERT_EQ(longest.size(), 104u);
    r = pp_parse(longest);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.size, 104u);
}

TEST(ProxyProtocolV1, Unknown) {
    auto r = pp_parse("PROXY UNKNOWN\r\n");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.version, 1);
    EXPECT_EQ(r.header.command, ProxyHeader::Command::proxy);
    EXPECT_FALSE(r.header.has_addresses);
    EXPECT_EQ(r.header.size, 15u);

    // Whatever follows "UNKNOWN " up to the CRLF is ignored (the spec's worst case is exactly 107 bytes).
    const std::string worst = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
    r = pp_parse(worst + "GET /");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_FALSE(r.header.has_addresses);
    EXPECT_EQ(r.header.size, worst.size());
}

TEST(ProxyProtocolV1, SizeFindsThePayload) {
    const std::string header = "PROXY TCP4 192.0.2.1 198.51.100.7 40000 80\r\n";
    const std::string payload = "GET / HTTP/1.1\r\nHost: gis\r\n\r\n";
    const std::string wire = header + payload;
    const auto r = pp_parse(wire);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(std::string_view(wire).substr(r.header.size), payload);
}

TEST(ProxyProtocolV1, LengthBound) {
    // The CRLF must end within the first 107 bytes.
    const std::string head = "PROXY UNKNOWN ";
    const std::string fits = head + std::string(107 - head.size() - 2, 'x') + "\r\n";
    ASSERT_EQ(fits.size(), 107u);
    EXPECT_EQ(pp_parse(fits).status, ProxyParse::complete);
    const std::string over = head + std::string(107 - head.size() - 1, 'x') + "\r\n";
    EXPECT_EQ(pp_parse(over).status, ProxyParse::error);
    // Without a CRLF: incomplete up to 106 bytes, an error at 107.
    EXPECT_EQ(pp_parse(std::string_view(over).substr(0, 106)).status, ProxyParse::incomplete);
    const auto r = pp_parse(std::string_view(over).substr(0, 107));
    EXPECT_EQ(r.status, ProxyParse::error);
    ASSERT_NE(r.error, nullptr);
    // A TCP6 line of two embedded-IPv4 addresses is valid field by field but longer than 107 bytes.
    const std::string long6 = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
                              "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n";
    EXPECT_EQ(pp_parse(long6).status, ProxyParse::error);
}

// ---- v2 ----

TEST(ProxyProtocolV2, Ipv4) {
    const std::string h = pp_v2(0x21, 0x11, pp_inet_block());
    ASSERT_EQ(h.size(), 28u);
    const auto r = pp_parse(h + "GET / HTTP/1.1\r\n");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.version, 2);
    EXPECT_EQ(r.header.command, ProxyHeader::Command::proxy);
    EXPECT_TRUE(r.header.has_addresses);
    EXPECT_EQ(r.header.source, pp_ep("192.0.2.1", 56324));
    EXPECT_EQ(r.header.destination, pp_ep("198.51.100.7", 443));
    EXPECT_EQ(r.header.size, 28u);
}

TEST(ProxyProtocolV2, Ipv6) {
    const std::string h = pp_v2(0x21, 0x21, pp_inet6_block());
    ASSERT_EQ(h.size(), 52u);
    const auto r = pp_parse(h);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.version, 2);
    EXPECT_TRUE(r.header.has_addresses);
    EXPECT_EQ(r.header.source, pp_ep("2001:db8::1", 56324));
    EXPECT_EQ(r.header.destination, pp_ep("2001:db8::2", 443));
    EXPECT_EQ(r.header.size, 52u);
}

TEST(ProxyProtocolV2, Local) {
    auto r = pp_parse(pp_v2(0x20, 0x00, ""));
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.command, ProxyHeader::Command::local);
    EXPECT_FALSE(r.header.has_addresses);
    EXPECT_EQ(r.header.size, 16u);

    // LOCAL discards the block whatever the family says, but its length still counts (the spec: receivers
    // must not assume zero for LOCAL).
    const std::string with_block = pp_v2(0x20, 0x11, pp_inet_block());
    r = pp_parse(with_block + "payload");
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.command, ProxyHeader::Command::local);
    EXPECT_FALSE(r.header.has_addresses);
    EXPECT_EQ(r.header.size, with_block.size());

    r = pp_parse(pp_v2(0x20, 0x31, std::string(5, 'x')));  // AF_UNIX, and a block too short for it: ignored
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_EQ(r.header.size, 21u);
}

TEST(ProxyProtocolV2, WithTlvs) {
    const std::string tlvs = pp_tlv(0x01, "http/1.1") + pp_tlv(0x02, "gis.example") + pp_tlv(0x04, "") +
                             pp_tlv(0x20, "\x01\0\0\0\0"s + pp_tlv(0x21, "TLSv1.3")) + pp_tlv(0xEA, "vpce-0123");
    const std::string h = pp_v2(0x21, 0x11, pp_inet_block() + tlvs);
    const std::string wire = h + "GET / HTTP/1.1\r\n";
    const auto r = pp_parse(wire);
    ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
    EXPECT_TRUE(r.header.has_addresses);
    EXPECT_EQ(r.header.source, pp_ep("192.0.2.1", 56324));
    EXPECT_EQ(r.header.size, h.size());
    EXPECT_EQ(std::string_view(wire).substr(r.header.size), "GET / HTTP/1.1\r\n");

    const std::string h6 = pp_v2(0x21, 0x21, pp_inet6_block() + tlvs);
    const auto r6 = pp_parse(h6);
    ASSERT_EQ(r6.status, ProxyParse::complete) << r6.error;
    EXPECT_EQ(r6.header.size, h6.size());
}

TEST(ProxyProtocolV2, UnsupportedPairsFallBackToTheRealEndpoints) {
    // PROXY with UNSPEC (any block), AF_UNIX and UDP: accepted without addresses (the spec's fallback).
    for (const auto& h : {pp_v2(0x21, 0x00, ""), pp_v2(0x21, 0x00, "anything at all"),
                          pp_v2(0x21, 0x31, std::string(216, 'u')), pp_v2(0x21, 0x32, std::string(216, 'u')),
                          pp_v2(0x21, 0x12, pp_inet_block()), pp_v2(0x21, 0x22, pp_inet6_block()),
                          pp_v2(0x21, 0x10, "12345678")}) {
        const auto r = pp_parse(h);
        ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
        EXPECT_EQ(r.header.command, ProxyHeader::Command::proxy);
        EXPECT_FALSE(r.header.has_addresses);
        EXPECT_EQ(r.header.size, h.size());
    }
}

TEST(ProxyProtocolV2, LengthBound) {
    // Exactly kProxyV2MaxSize is accepted (padding with a NOOP TLV); one more byte is not.
    const std::size_t pad = kProxyV2MaxSize - 16 - 12 - 3;
    const std::string max = pp_v2(0x21, 0x11, pp_inet_block() + pp_tlv(0x04, std::string(pad, '\0')));
    ASSERT_EQ(max.size(), kProxyV2MaxSize);
    EXPECT_EQ(pp_parse(max).status, ProxyParse::complete);
    const std::string over = pp_v2(0x21, 0x11, pp_inet_block() + pp_tlv(0x04, std::string(pad + 1, '\0')));
    EXPECT_EQ(pp_parse(over).status, ProxyParse::error);
    // A length field past the bound is an error as soon as it is read, with nothing after it.
    EXPECT_EQ(pp_parse(std::string_view(over).substr(0, 16)).status, ProxyParse::error);
    const auto r = pp_parse(kSig + "\x21\x11\xFF\xFF"s);
    EXPECT_EQ(r.status, ProxyParse::error);
    ASSERT_NE(r.error, nullptr);
    // LOCAL is bounded the same way.
    EXPECT_EQ(pp_parse(kSig + "\x20\x00\x10\x00"s).status, ProxyParse::error);
}

// ---- incomplete and error, byte by byte ----

TEST(ProxyProtocol, EveryStrictPrefixIsIncomplete) {
    for (const std::string& h : pp_valid_headers()) {
        const auto full = pp_parse(h);
        ASSERT_EQ(full.status, ProxyParse::complete) << testing::PrintToString(h) << ": " << full.error;
        ASSERT_EQ(full.header.size, h.size()) << testing::PrintToString(h);
        for (std::size_t n = 0; n < h.size(); ++n) {
            const auto r = pp_parse(std::string_view(h).substr(0, n));
            EXPECT_EQ(r.status, ProxyParse::incomplete)
                << testing::PrintToString(h) << " cut at " << n << ": " << (r.error ? r.error : "complete");
        }
        // Whatever follows the header does not change it.
        const auto more = pp_parse(h + "\r\nGET / HTTP/1.1\r\n");
        ASSERT_EQ(more.status, ProxyParse::complete);
        EXPECT_EQ(more.header.size, h.size());
        EXPECT_EQ(more.header.source, full.header.source);
        EXPECT_EQ(more.header.destination, full.header.destination);
    }
}

// A malformed header and the length of its shortest prefix that is already an error: the parser must say
// incomplete before that byte and error from it on (never "wait for more" on an impossible header).
struct PpBad {
    std::string bytes;
    std::size_t error_at;  // the length of the shortest prefix that is an error
    const char* what;
};

std::vector<PpBad> pp_bad_headers() {
    const std::string tcp4 = "PROXY TCP4 ";
    return {
        {"GET / HTTP/1.1\r\n\r\n", 1, "not a PROXY header"},
        {"\x16\x03\x01\x02\x00"s, 1, "a TLS ClientHello"},
        {"PROXY\r\n", 6, "no protocol"},
        {"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 1, "lower case"},
        {"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 10, "unknown protocol"},
        {"PROXY UNKNOWNX\r\n", 14, "UNKNOWN followed by a non-space"},
        {"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 7, "two spaces after PROXY"},
        {tcp4 + " 1.2.3.4 5.6.7.8 1 2\r\n", 12, "two spaces before the source"},
        {tcp4 + "1.2.3.4  5.6.7.8 1 2\r\n", 20, "two spaces between addresses"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 2 \r\n", 31, "a space before the CRLF"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 2 3\r\n", 31, "a fifth field"},
        {tcp4 + "1.2.3.4 5.6.7.8 1\r\n", 29, "three fields"},
        {tcp4 + "1.2.3.4\t5.6.7.8 1 2\r\n", 19, "a tab"},
        {tcp4 + "1.2.3.4 5.6.7.8 65536 2\r\n", 32, "source port 65536"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 65536\r\n", 34, "destination port 65536"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 99999\r\n", 34, "port 99999"},
        {tcp4 + "1.2.3.4 5.6.7.8 080 2\r\n", 29, "port with a leading zero"},
        {tcp4 + "1.2.3.4 5.6.7.8 00 2\r\n", 29, "port 00"},
        {tcp4 + "1.2.3.4 5.6.7.8 +80 2\r\n", 28, "port with a sign"},
        {tcp4 + "1.2.3.4 5.6.7.8 -1 2\r\n", 28, "negative port"},
        {tcp4 + "1.2.3.4 5.6.7.8 0x50 2\r\n", 29, "hex port"},
        {tcp4 + "192.168.01.1 5.6.7.8 1 2\r\n", 21, "address with a leading zero"},
        {tcp4 + "256.1.1.1 5.6.7.8 1 2\r\n", 14, "address byte 256"},
        {tcp4 + "1.2.3.4.5 5.6.7.8 1 2\r\n", 19, "five numbers"},
        {tcp4 + "1.2.3 5.6.7.8 1 2\r\n", 17, "three numbers"},
        {tcp4 + "1..2.3 5.6.7.8 1 2\r\n", 14, "empty number"},
        {tcp4 + "::1 5.6.7.8 1 2\r\n", 12, "IPv6 in TCP4"},
        {tcp4 + "1.2.3.4 ::ffff:5.6.7.8 1 2\r\n", 20, "mapped IPv6 in TCP4"},
        {"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 19, "IPv4 in TCP6"},
        {"PROXY TCP6 ::1 ::1:2:3:4:5:6:7:8 1 2\r\n", 33, "nine groups"},
        {"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", 19, "scope id"},
        {"PROXY TCP6 :::1 ::1 1 2\r\n", 14, ":::"},
        {"PROXY TCP6 1::2::3 ::1 1 2\r\n", 17, "two ::"},
        {"PROXY TCP6 12345::1 ::1 1 2\r\n", 16, "five hex digits"},
        {"PROXY TCP6 ::ffff:1.2.3.4.5 ::1 1 2\r\n", 26, "five numbers in the dotted quad"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 2\n", 31, "bare LF"},
        {tcp4 + "1.2.3.4 5.6.7.8 1 2\rX", 32, "bare CR"},
        {"PROXY UNKNOWN\n", 14, "UNKNOWN with a bare LF"},
        {"PROXY UNKNOWN foo\rbar\r\n", 19, "UNKNOWN with a bare CR"},
        {"PROXY UNKNOWN " + std::string(93, 'x') + "\r\n", 107, "no CRLF within 107 bytes"},
        // v2
        {kSig.substr(0, 4) + "X" + kSig.substr(5) + "\x21\x11\x00\x0C"s + pp_inet_block(), 5, "bad signature"},
        {"\r\n\r\nX", 5, "bad signature early"},
        {kSig + "\x11\x11\x00\x0C"s + pp_inet_block(), 13, "version 1 in the binary header"},
        {kSig + "\x31\x11\x00\x0C"s + pp_inet_block(), 13, "version 3"},
        {kSig + "\x22\x11\x00\x0C"s + pp_inet_block(), 13, "command 2"},
        {kSig + "\x21\x41\x00\x0C"s + pp_inet_block(), 14, "family 4"},
        {kSig + "\x20\x41\x00\x00"s, 14, "family 4 in LOCAL"},
        {kSig + "\x21\x13\x00\x0C"s + pp_inet_block(), 14, "transport 3"},
        {kSig + "\x21\x11\x00\x0B"s + pp_inet_block().substr(0, 11), 16, "length shorter than AF_INET's block"},
        {kSig + "\x21\x21\x00\x0C"s + pp_inet_block(), 16, "length shorter than AF_INET6's block"},
        {kSig + "\x21\x31\x00\x10"s + std::string(16, 'u'), 16, "length shorter than AF_UNIX's block"},
        {kSig + "\x21\x11\xFF\xFF"s, 16, "length past the bound"},
        {kSig + "\x21\x11\x00\x10"s + pp_inet_block() + "\x01\x00\x09h"s, 31, "TLV longer than the header"},
        {kSig + "\x21\x11\x00\x0E"s + pp_inet_block() + "\x04\x00"s, 16, "two bytes after the address block"},
        {kSig + "\x21\x11\x00\x0D"s + pp_inet_block() + "\x04", 16, "one byte after the address block"},
        {pp_v2(0x21, 0x11, pp_inet_block() + pp_tlv(0x04, "ab") + "\x04"), 31, "a byte after the last TLV"},
    };
}

TEST(ProxyProtocol, MalformedIsAnErrorFromTheFirstBadByte) {
    for (const PpBad& c : pp_bad_headers()) {
        SCOPED_TRACE(c.what);
        const auto whole = pp_parse(c.bytes);
        EXPECT_EQ(whole.status, ProxyParse::error) << testing::PrintToString(c.bytes);
        if (whole.status == ProxyParse::error) {
            EXPECT_NE(whole.error, nullptr);
        }
        ASSERT_LE(c.error_at, c.bytes.size());
        for (std::size_t n = 0; n <= c.bytes.size(); ++n) {
            const auto r = pp_parse(std::string_view(c.bytes).substr(0, n));
            const auto want = n < c.error_at ? ProxyParse::incomplete : ProxyParse::error;
            EXPECT_EQ(r.status, want) << testing::PrintToString(c.bytes) << " cut at " << n << ": "
                                      << (r.error ? r.error : "-");
        }
    }
}

TEST(ProxyProtocol, EmptyIsIncomplete) {
    const auto r = pp_parse("");
    EXPECT_EQ(r.status, ProxyParse::incomplete);
    EXPECT_EQ(r.error, nullptr);
}

// ---- writers ----

TEST(ProxyProtocolWrite, V1Text) {
    std::string out = "kept:";
    write_proxy_v1(pp_ep("192.0.2.1", 56324), pp_ep("198.51.100.7", 443), out);
    EXPECT_EQ(out, "kept:PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n");

    out.clear();
    write_proxy_v1(pp_ep("2001:db8::1", 0), pp_ep("::1", 65535), out);
    EXPECT_EQ(out, "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n");

    // Mixed families: the IPv4 end is written IPv4-mapped.
    out.clear();
    write_proxy_v1(pp_ep("192.0.2.1", 1), pp_ep("2001:db8::2", 2), out);
    EXPECT_EQ(out, "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n");

    // A scope id has no place in the header.
    out.clear();
    const tcp::endpoint scoped(asio::ip::make_address_v6("fe80::1%1"), 80);
    ASSERT_NE(scoped.address().to_v6().scope_id(), 0u);
    write_proxy_v1(scoped, pp_ep("fe80::2", 81), out);
    EXPECT_EQ(out, "PROXY TCP6 fe80::1 fe80::2 80 81\r\n");
}

TEST(ProxyProtocolWrite, V2Bytes) {
    std::string out = "kept:";
    write_proxy_v2(pp_ep("192.0.2.1", 56324), pp_ep("198.51.100.7", 443), out);
    EXPECT_EQ(out, "kept:" + pp_v2(0x21, 0x11, pp_inet_block()));

    out.clear();
    write_proxy_v2(pp_ep("2001:db8::1", 56324), pp_ep("2001:db8::2", 443), out);
    EXPECT_EQ(out, pp_v2(0x21, 0x21, pp_inet6_block()));
}

TEST(ProxyProtocolWrite, RoundTrip) {
    struct Pair {
        const char* src;
        const char* dst;
        const char* want_src;  // as parsed back: mixed families come back IPv4-mapped
        const char* want_dst;
    };
    const Pair pairs[] = {
        {"192.0.2.1", "198.51.100.7", "192.0.2.1", "198.51.100.7"},
        {"0.0.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.255"},
        {"2001:db8::1", "2001:db8::2", "2001:db8::1", "2001:db8::2"},
        {"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::ffff:10.0.0.1", "::1", "::ffff:10.0.0.1", "::1"},
        {"192.0.2.1", "2001:db8::2", "::ffff:192.0.2.1", "2001:db8::2"},
        {"2001:db8::1", "198.51.100.7", "2001:db8::1", "::ffff:198.51.100.7"},
    };
    const unsigned short ports[][2] = {{56324, 443}, {0, 65535}, {1, 1}};
    for (const Pair& p : pairs) {
        for (const auto& port : ports) {
            const tcp::endpoint src = pp_ep(p.src, port[0]);
            const tcp::endpoint dst = pp_ep(p.dst, port[1]);
            for (int version : {1, 2}) {
                SCOPED_TRACE(std::string(p.src) + " -> " + p.dst + " v" + std::to_string(version));
                std::string out;
                if (version == 1) write_proxy_v1(src, dst, out);
                else write_proxy_v2(src, dst, out);
                const std::string payload = "GET / HTTP/1.1\r\n";
                const std::string wire = out + payload;
                const auto r = pp_parse(wire);
                ASSERT_EQ(r.status, ProxyParse::complete) << r.error;
                EXPECT_EQ(r.header.version, version);
                EXPECT_EQ(r.header.command, ProxyHeader::Command::proxy);
                EXPECT_TRUE(r.header.has_addresses);
                EXPECT_EQ(r.header.size, out.size());
                EXPECT_EQ(std::string_view(wire).substr(r.header.size), payload);
                EXPECT_EQ(r.header.source, pp_ep(p.want_src, port[0]));
                EXPECT_EQ(r.header.destination, pp_ep(p.want_dst, port[1]));
                if (version == 1) {
                    EXPECT_LE(out.size(), kProxyV1MaxSize);
                }
            }
        }
    }
}

// ---- invariants over mutated headers (the fuzz target's checks, deterministic, on every test run) ----

TEST(ProxyProtocol, MutatedHeadersKeepTheInvariants) {
    std::mt19937 rng(20240611);
    static constexpr char kBytes[] = {'\r', '\n', ' ', ':', '.', '0', '1', '9', 'f', 'P', '\0', '\x21', '\x11',
                                      '\xff', '\x04', 'T', 'U', '6'};
    const auto valid = pp_valid_headers();
    for (int i = 0; i < 20000; ++i) {
        std::string s = valid[rng() % valid.size()];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits && !s.empty(); ++e) {
            const std::size_t pos = rng() % s.size();
            const char c = kBytes[rng() % sizeof kBytes];
            switch (rng() % 3) {
                case 0: s[pos] = c; break;
                case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
                case 2: s.erase(pos, 1 + rng() % 3); break;
            }
        }
        const auto r = pp_parse(s);
        SCOPED_TRACE(testing::PrintToString(s));
        if (r.status == ProxyParse::error) {
            ASSERT_NE(r.error, nullptr);
            continue;
        }
        ASSERT_EQ(r.error, nullptr);
        // Not an error: no prefix is one either (the parser never waits on an impossible header) ...
        const std::size_t end = r.status == ProxyParse::complete ? r.header.size : s.size();
        for (std::size_t n = 0; n < end; ++n)
            ASSERT_EQ(pp_parse(std::string_view(s).substr(0, n)).status, ProxyParse::incomplete) << n;
        if (r.status == ProxyParse::incomplete) continue;
        // ... and a complete header parses the same from exactly its own bytes.
        ASSERT_LE(r.header.size, s.size());
        const auto again = pp_parse(std::string_view(s).substr(0, r.header.size));
        ASSERT_EQ(again.status, ProxyParse::complete);
        EXPECT_EQ(again.header.source, r.header.source);
        EXPECT_EQ(again.header.destination, r.header.destination);
        EXPECT_EQ(again.header.has_addresses, r.header.has_addresses);
    }
}

}  // namespace
}  // namespace gisgate::net
