// The admin listener: a small HTTP/1.1 JSON API on the control thread (Boost.Beast; not the hot path).
// Every request must come from a client inside `admin.allow` (else 403); writes (PUT/POST/DELETE) also need
// `Authorization: Bearer <admin.token>` (else 401).
#pragma once

#include <memory>

#include "admin/control_api.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::admin {

class AdminServer {
public:
    // Binds at once (throws std::runtime_error when it cannot) and logs "listening: admin <host>:<port>".
    AdminServer(asio::io_context& control, const config::AdminConfig& config, ControlApi& api);
    ~AdminServer();
    void start();  // starts accepting on the io_context
    void stop();   // closes the acceptor and open connections
    // Applies a new token/allow list (hot reload); the bind address is fixed for the process lifetime.
    void update(const config::AdminConfig& config);
    unsigned short port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gisgate::admin
