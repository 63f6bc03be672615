#include "net/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <stdexcept>
#include <system_error>

namespace gisgate::net {

std::vector<tcp::endpoint> resolve(const config::Endpoint& endpoint) {
    error_code ec;
    const auto address = asio::ip::make_address(endpoint.host, ec);
    if (!ec) return {tcp::endpoint(address, endpoint.port)};
    asio::io_context context;
    tcp::resolver resolver(context);
    auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec || results.empty())
        throw std::runtime_error("cannot resolve " + endpoint.to_string() + ": " + ec.message());
    std::vector<tcp::endpoint> out;
    for (const auto& r : results) out.push_back(r.endpoint());
    return out;
}

ListeningSocket::~ListeningSocket() {
    if (fd_ >= 0) ::close(fd_);
}

tcp::endpoint ListeningSocket::local_endpoint() const {
    tcp::endpoint endpoint;
    socklen_t size = static_cast<socklen_t>(endpoint.capacity());
    if (::getsockname(fd_, endpoint.data(), &size) != 0)
        throw std::system_error(errno, std::generic_category(), "getsockname");
    endpoint.resize(size);
    return endpoint;
}

tcp::acceptor ListeningSocket::adopt(asio::io_context& context) {
    tcp::acceptor acceptor(context);
    acceptor.assign(protocol_, std::exchange(fd_, -1));
    acceptor.non_blocking(true);
    return acceptor;
}

std::vector<ListeningSocket> open_reuseport_sockets(const config::Endpoint& endpoint, std::size_t count,
                                                    int backlog) {
    tcp::endpoint bind_to = resolve(endpoint).front();
    asio::io_context scratch;  // only to open and bind: each socket is released from it at once
    std::vector<ListeningSocket> sockets;
    sockets.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        tcp::acceptor acceptor(scratch);
        acceptor.open(bind_to.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        if (bind_to.protocol() == tcp::v6()) acceptor.set_option(asio::ip::v6_only(true));
        acceptor.bind(bind_to);
        acceptor.listen(backlog);
        if (bind_to.port() == 0) bind_to = acceptor.local_endpoint();  // the others share the picked port
        sockets.emplace_back(acceptor.release(), bind_to.protocol());
    }
    return sockets;
}

std::vector<tcp::acceptor> open_reuseport_acceptors(const config::Endpoint& endpoint,
                                                    const std::vector<asio::io_context*>& contexts,
                                                    int backlog) {
    std::vector<ListeningSocket> sockets = open_reuseport_sockets(endpoint, contexts.size(), backlog);
    std::vector<tcp::acceptor> acceptors;
    acceptors.reserve(contexts.size());
    for (std::size_t i = 0; i < contexts.size(); ++i) acceptors.push_back(sockets[i].adopt(*contexts[i]));
    return acceptors;
}

void tune_socket(tcp::socket& socket) {
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace gisgate::net
