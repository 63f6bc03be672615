// Between cluster peers (docs/cluster.md): POST /api/v1/cluster/sync (a write: bearer token) and the job and
// upload owner lookups a peer's worker makes on a job-table miss (reads: the allow list only).
#include <nlohmann/json.hpp>

#include "admin/api_handlers.hpp"

namespace gisgate::admin {

Reply post_cluster_sync(ControlApi& api, const RouteRequest& r) {
    const auto body = nlohmann::json::parse(r.body.begin(), r.body.end(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return error_reply(400, "request body must be a JSON object");
    return from_result(api.cluster_sync(body));
}

Reply get_cluster_job(ControlApi& api, const RouteRequest& r) {
    return from_result(api.cluster_owner(r.param("pool"), r.param("id"), false));
}

Reply get_cluster_upload(ControlApi& api, const RouteRequest& r) {
    return from_result(api.cluster_owner(r.param("pool"), r.param("id"), true));
}

}  // namespace gisgate::admin
