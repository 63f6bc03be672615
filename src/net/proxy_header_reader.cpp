#include "net/proxy_header_reader.hpp"

#include <sys/socket.h>

#include <array>
#include <string>

namespace gisgate::net {

namespace {

constexpr std::string_view kV1Start = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};

}  // namespace

awaitable<ProxyParseResult> read_proxy_header(tcp::socket& socket) {
    std::string header;  // the bytes consumed so far (all of them part of the header)
    std::array<char, kProxyV2MaxSize> peeked{};
    error_code ec;
    for (;;) {
        co_await socket.async_wait(tcp::socket::wait_read, ec_token(ec));
        if (ec) co_return ProxyParseResult{ProxyParse::error, {}, "connection ended before its PROXY header"};
        const ssize_t n = ::recv(socket.native_handle(), peeked.data(), peeked.size() - header.size(),
                                 MSG_PEEK | MSG_DONTWAIT);
        if (n == 0) co_return ProxyParseResult{ProxyParse::error, {}, "connection ended before its PROXY header"};
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
            co_return ProxyParseResult{ProxyParse::error, {}, "connection failed before its PROXY header"};
        }
        const std::size_t have = header.size();
        header.append(peeked.data(), static_cast<std::size_t>(n));
        ProxyParseResult r = parse_proxy_header(header);
        if (r.status == ProxyParse::error) co_return r;
        // Consume what belongs to the header: all of it when incomplete, exactly up to its end when complete.
        const std::size_t take = r.status == ProxyParse::complete ? r.header.size - have : static_cast<std::size_t>(n);
        asio::read(socket, asio::buffer(peeked.data(), take), ec);  // already waiting: does not block
        if (ec) co_return ProxyParseResult{ProxyParse::error, {}, "connection failed while reading its PROXY header"};
        if (r.status == ProxyParse::complete) co_return r;
        header.resize(have + take);
    }
}

bool looks_like_proxy_header(tcp::socket& socket) {
    std::array<char, 12> first{};
    const ssize_t n = ::recv(socket.native_handle(), first.data(), first.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0) return false;
    const std::string_view got(first.data(), static_cast<std::size_t>(n));
    return (got.size() >= kV1Start.size() && got.substr(0, kV1Start.size()) == kV1Start) ||
           (got.size() >= kV2Signature.size() && got == kV2Signature);
}

}  // namespace gisgate::net
