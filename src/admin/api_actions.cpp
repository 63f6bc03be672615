// Actions on the whole proxy: POST /api/v1/reload and DELETE /api/v1/cache.
#include "admin/api_handlers.hpp"

namespace gisgate::admin {

Reply post_reload(ControlApi& api, const RouteRequest&) { return from_result(api.reload()); }

Reply delete_cache(ControlApi& api, const RouteRequest& r) {
    const auto prefix = r.query_param("prefix");
    const auto pool = r.query_param("pool");
    // A query that names neither is most likely a typo; purging everything for it would be a surprise.
    if (!r.query.empty() && !prefix && !pool)
        return error_reply(400, "use DELETE /api/v1/cache?prefix=/path/prefix[&pool=name]");
    if (prefix && !prefix->empty() && prefix->front() != '/')
        return error_reply(400, "'prefix' must be a path starting with '/'");
    return from_result(api.purge_cache(prefix.value_or(""), pool.value_or("")));
}

}  // namespace gisgate::admin
