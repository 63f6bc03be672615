// ProxyServer as admin::ControlApi, the cluster's endpoints (docs/cluster.md): a peer's sync request goes to the
// cluster::Node; a peer's job or upload lookup is answered from this node's tables.
#include "proxy/server.hpp"

namespace gisgate::proxy {

admin::ApiResult ProxyServer::cluster_sync(const nlohmann::json& request) {
    if (!cluster_) return admin::ControlApi::cluster_sync(request);
    return cluster_->sync(request);
}

admin::ApiResult ProxyServer::cluster_owner(const std::string& pool, const std::string& id, bool uploads) {
    gis::JobTable* table = uploads ? runtime_->upload_table(pool) : runtime_->job_table(pool);
    const auto owner = table ? table->owner(id) : std::nullopt;
    if (!owner)
        return {404, {{"error", {{"code", 404}, {"message", std::string(uploads ? "upload item " : "job ") + id +
                                                                " unknown in pool " + pool}}}}};
    return {200, {{"server", *owner}, {"pool", pool}, {"id", id}}};
}

}  // namespace gisgate::proxy
