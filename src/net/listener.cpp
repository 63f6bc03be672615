#include "net/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <stdexcept>

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

std::vector<tcp::acceptor> open_reuseport_acceptors(const config::Endpoint& endpoint,
                                                    const std::vector<asio::io_context*>& contexts,
                                                    int backlog) {
    tcp::endpoint bind_to = resolve(endpoint).front();
    std::vector<tcp::acceptor> acceptors;
    acceptors.reserve(contexts.size());
    for (asio::io_context* context : contexts) {
        tcp::acceptor acceptor(*context);
        acceptor.open(bind_to.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        if (bind_to.protocol() == tcp::v6()) acceptor.set_option(asio::ip::v6_only(true));
        acceptor.bind(bind_to);
        acceptor.listen(backlog);
        if (bind_to.port() == 0) bind_to = acceptor.local_endpoint();  // the others share the picked port
        acceptor.non_blocking(true);
        acceptors.push_back(std::move(acceptor));
    }
    return acceptors;
}

void tune_socket(tcp::socket& socket) {
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace gisgate::net
