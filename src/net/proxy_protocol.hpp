// HAProxy's PROXY protocol, versions 1 (text) and 2 (binary): the header a load balancer in front of gisgate
// sends first on each connection to say whom it accepted it from, and the same header written by gisgate to a
// server that expects it. Spec: https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt
//
// Pure functions over byte buffers, no sockets: the listener reads into its buffer, calls parse_proxy_header()
// after each read until the result is complete or an error, and hands the bytes after `header.size` to the
// HTTP parser. The parse path allocates nothing.
//
// The parser is strict on purpose. A listener that takes PROXY headers trusts the peer's word for the client
// address (access rules, logs, X-Forwarded-For are built on it); the spec requires it to drop anything that
// is not exactly a valid header rather than guess (section 2.1: "any sequence which does not exactly match the
// protocol must be discarded"), and a lenient parser is how two hops come to read one header differently.
// Whether a listener expects the header at all is configuration, never detected: a connection that does not
// start with one (e.g. "GET / HTTP/1.1") is an error here, not "no header".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Only Asio's address types, not net/asio.hpp: the parser is also built alone for the libFuzzer targets (clang,
// where Asio's coroutine support is not enabled).
#include <boost/asio/ip/tcp.hpp>

namespace gisgate::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

struct ProxyHeader {
    // local: a v2 LOCAL header, the connection is the balancer's own (a health check); use the real
    // endpoints. proxy: relayed on behalf of a client (every v1 header is a proxy one).
    enum class Command { local, proxy };
    Command command = Command::local;
    // True when `source` and `destination` were sent (v1 TCP4/TCP6, v2 PROXY over TCP/IPv4 or TCP/IPv6).
    // False for v1 UNKNOWN, v2 LOCAL, and a v2 PROXY header of a family or transport gisgate does not
    // represent (UNSPEC, AF_UNIX, UDP): the spec's fallback is then to use the real connection endpoints.
    bool has_addresses = false;
    // Both of the same family: IPv4 for TCP4 and v2 AF_INET, IPv6 (never with a scope id) otherwise.
    tcp::endpoint source;       // the client as the balancer saw it
    tcp::endpoint destination;  // the address the client connected to
    std::size_t size = 0;       // bytes the header took at the start of the buffer: the payload starts there
    int version = 0;            // 1 or 2 (0 until complete)
};

enum class ProxyParse { incomplete, complete, error };

struct ProxyParseResult {
    ProxyParse status = ProxyParse::incomplete;
    ProxyHeader header;           // meaningful when complete
    const char* error = nullptr;  // on error: a short reason for the log (static string)
};

// Bounds. v1: the spec's longest line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses and
// ports); a line without its CRLF within this many bytes is an error.
inline constexpr std::size_t kProxyV1MaxSize = 107;
// v2: the 16-byte fixed part plus the address block and TLVs. The length field allows 16 + 65535 bytes, but
// nothing sends close to that: the largest address block (AF_UNIX) is 216 bytes, and HAProxy with every
// registered TLV (ALPN, authority <= 255, unique id <= 128, SSL with version, cipher and CN, NETNS, CRC32C)
// or a cloud balancer's own TLVs (AWS, Azure, GCP) stays well under 1 KiB. 4096 (nginx's limit as well)
// leaves room for that and for future TLVs while bounding what a connection may make the listener buffer
// before it proves to be a proxied one. A larger length field is an error as soon as it is read.
inline constexpr std::size_t kProxyV2MaxSize = 4096;

// Parses the PROXY header at the start of `bytes` (v1 or v2, told apart by the first byte).
//   complete:   `header` is filled; bytes[header.size..] is the payload (possibly already some of it).
//   incomplete: `bytes` is a valid prefix of a header (empty input included); read more and call again
//               with the whole buffer. Never returned once `bytes` is as long as the version's bound.
//   error:      no header can start with these bytes; drop the connection. Reported at the first byte that
//               rules a valid header out, so a non-PROXY client (or a malformed header) fails at once.
// Checked beyond the framing: v1 fields separated by exactly one space, addresses valid for TCP4 (dotted
// quad, no leading zeros) or TCP6, ports 0-65535 without sign or leading zeros, CRLF (never a bare CR or LF);
// v2 version 2, command LOCAL or PROXY, known family and transport nibbles, an address block as long as its
// family needs, TLVs that tile the rest of the block exactly (their contents, CRC32C included, are skipped).
// A v2 LOCAL header's block is skipped whole: the spec has the receiver ignore its family and addresses.
ProxyParseResult parse_proxy_header(std::string_view bytes);

// Appends a header announcing a TCP connection from `source` to `destination`. v1 writes TCP4 when both are
// IPv4 and TCP6 otherwise; v2 writes a PROXY command over STREAM with AF_INET or AF_INET6 the same way. When
// the families differ, the IPv4 one is written as its IPv4-mapped IPv6 address (::ffff:a.b.c.d), since a
// header carries one family. IPv6 scope ids are not part of the protocol and are dropped.
void write_proxy_v1(const tcp::endpoint& source, const tcp::endpoint& destination, std::string& out);
void write_proxy_v2(const tcp::endpoint& source, const tcp::endpoint& destination, std::string& out);

}  // namespace gisgate::net
