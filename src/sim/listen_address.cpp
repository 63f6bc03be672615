#include "sim/listen_address.hpp"

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace gisgate::sim {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint resolve_listen_address(const std::string& listen) {
    std::string host, port;
    if (!listen.empty() && listen[0] == '[') {
        auto close = listen.find(']');
        if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
            throw std::runtime_error("bad listen address '" + listen + "' (expected [v6]:port)");
        host = listen.substr(1, close - 1);
        port = listen.substr(close + 2);
    } else if (auto colon = listen.rfind(':'); colon != std::string::npos) {
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
    } else {
        port = listen;
    }
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoul(port) > 65535)
        throw std::runtime_error("bad listen address '" + listen + "' (expected host:port)");
    if (host.empty() || host == "*")
        host = "0.0.0.0";
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
        throw std::runtime_error("cannot resolve listen address '" + listen + "': " + ec.message());
    return results.begin()->endpoint();
}

std::string format_endpoint(const tcp::endpoint& ep) {
    std::string addr = ep.address().to_string();
    if (ep.address().is_v6())
        addr = "[" + addr + "]";
    return addr + ":" + std::to_string(ep.port());
}

}  // namespace gisgate::sim
