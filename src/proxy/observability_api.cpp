// ProxyServer's observability endpoints (admin::ControlApi): the Observer answers them on the control thread.
#include "proxy/server.hpp"

namespace gisgate::proxy {

nlohmann::json ProxyServer::services() { return observer_->services_json(); }

nlohmann::json ProxyServer::alerts() { return observer_->alerts_json(); }

}  // namespace gisgate::proxy
