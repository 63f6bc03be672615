// Parsing the --listen value: "host:port", "[v6]:port", ":port" (all interfaces) or "port".
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace gisgate::sim {

// Resolves `listen` to one endpoint; throws std::runtime_error naming the value when it is malformed or the
// host does not resolve.
boost::asio::ip::tcp::endpoint resolve_listen_address(const std::string& listen);
// "127.0.0.1:80" / "[::1]:80".
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& ep);

}  // namespace gisgate::sim
